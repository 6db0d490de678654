package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"gopkg.in/yaml.v3"
)

// IsConfigFile reports whether a slash-separated path below a config
// directory is read as config: a *.yaml or *.yml file with no hidden
// (dot-prefixed) element in its path.
func IsConfigFile(name string) bool {
	for _, elem := range strings.Split(name, "/") {
		if strings.HasPrefix(elem, ".") && elem != "." {
			return false
		}
	}
	ext := path.Ext(name)
	return ext == ".yaml" || ext == ".yml"
}

// Load reads every config file below the root of fsys (see IsConfigFile)
// and returns the config, or Errors listing every problem found. File names
// in errors and Sources are joined to dir (a slash-separated path, "" for
// none), so that they can be relative to the user's working directory.
func Load(fsys fs.FS, dir string) (*Config, error) {
	sch, err := schemaFor()
	if err != nil {
		return nil, err
	}
	l := &loader{sch: sch, cfg: &Config{}, bad: make(map[*yaml.Node]bool)}
	err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			l.errorf(path.Join(dir, name), nil, "", "%v", unwrapPathErr(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if name != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !IsConfigFile(name) {
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			l.errorf(path.Join(dir, name), nil, "", "%v", unwrapPathErr(err))
			return nil
		}
		l.cfg.Files++
		l.loadFile(path.Join(dir, name), data)
		return nil
	})
	if err != nil {
		return nil, err
	}
	l.check()
	if len(l.errs) > 0 {
		l.errs.sort()
		return nil, l.errs
	}
	slices.SortFunc(l.cfg.Organizations, func(a, b *Organization) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(l.cfg.Providers, func(a, b *Provider) int { return strings.Compare(a.Name, b.Name) })
	return l.cfg, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type loader struct {
	sch  *compiled
	cfg  *Config
	errs Errors
	file string // file being loaded
	// bad holds the nodes already reported, so that the checks across
	// documents do not report them again (an invalid name is not also an
	// unknown one).
	bad map[*yaml.Node]bool
	// budget is how many more nodes the document being walked may have.
	budget int
}

func (l *loader) errorf(file string, n *yaml.Node, path string, format string, args ...any) {
	e := &Error{File: file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
		l.bad[n] = true
	}
	l.errs = append(l.errs, e)
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (l *loader) loadFile(name string, data []byte) {
	l.file = name
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			return
		}
		if err != nil {
			e := &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
			if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
				e.Line, _ = strconv.Atoi(m[1])
				e.Line = syntaxErrorLine(data, e.Line)
				e.Msg = m[2] + openQuoteHint(data, e.Line, m[2])
			}
			e.Msg = "invalid YAML: " + e.Msg
			l.errs = append(l.errs, e)
			return // the decoder cannot resynchronise after a syntax error
		}
		l.loadDocument(&doc)
	}
}

// openQuoteHint explains the end of the text (or of a document) that
// yaml.v3 finds when a quoted string is left open: it reports the line
// where the string starts, and a message that says nothing of quotes.
func openQuoteHint(data []byte, line int, msg string) string {
	if msg != "found unexpected end of stream" && msg != "found unexpected document indicator" {
		return ""
	}
	lines := bytes.Split(data, []byte("\n"))
	if line < 1 || line > len(lines) || !bytes.ContainsAny(lines[line-1], `"'`) {
		return ""
	}
	return ": a quoted string that starts on this line is not closed"
}

// syntaxErrorLine corrects the line yaml.v3 gives a syntax error. For the
// errors of its parser (an unclosed [ or {, a missing key or "-") it gives
// the line of the construct it was parsing counted from 0, one less than
// a reader counts; for those of its scanner, the line of the problem. The
// text up to and including the line of the problem does not parse; when
// the text up to the reported line does, the construct starts on the next.
func syntaxErrorLine(data []byte, line int) int {
	end, n := len(data), 0
	for i, c := range data {
		if c == '\n' {
			if n++; n == line {
				end = i + 1
				break
			}
		}
	}
	if line < 1 || end == len(data) {
		return line // the whole text, or no line: nothing to tell
	}
	dec := yaml.NewDecoder(bytes.NewReader(data[:end]))
	for {
		var doc yaml.Node
		switch err := dec.Decode(&doc); {
		case err == io.EOF:
			return line + 1
		case err != nil:
			return line
		}
	}
}

func (l *loader) loadDocument(doc *yaml.Node) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return // an empty document, e.g. after a trailing "---"
	}
	if root.Kind != yaml.MappingNode {
		l.errorf(l.file, root, "", "a document must be a mapping with kind and name, got %s", nodeKind(root))
		return
	}
	kindNode := lookup(root, "kind")
	if kindNode == nil {
		// kind may hide behind a merge key, which walk would refuse:
		// say that rather than that kind is missing.
		for i := 0; i+1 < len(root.Content); i += 2 {
			if k := root.Content[i]; k.Tag == "!!merge" {
				l.errorf(l.file, k, "", "merge keys (<<) are not supported: write the fields out")
				return
			}
		}
		l.errorf(l.file, root, "kind", "required field is missing (want one of %s)", strings.Join(kinds, ", "))
		return
	}
	kind := kindNode.Value
	sh := l.sch.shapes[kind]
	if kindNode.Kind != yaml.ScalarNode || sh == nil {
		l.errorf(l.file, kindNode, "kind", "unknown kind %q (want one of %s)%s", kindNode.Value, strings.Join(kinds, ", "), suggest(kind, kinds))
		return
	}
	before := len(l.errs)
	l.budget = maxNodes
	l.walk(root, sh, "")
	valid := len(l.errs) == before
	src := Source{File: l.file, Line: root.Line}
	// A document with errors is still decoded as far as it goes, so that
	// the checks across documents (names, references) report their
	// problems too, in the same run.
	switch kind {
	case KindOrganization:
		o := &Organization{Source: src, node: root}
		if l.decode(root, o, valid) {
			l.cfg.Organizations = append(l.cfg.Organizations, o)
		}
	case KindProvider:
		p := &Provider{Source: src, node: root}
		if l.decode(root, p, valid) {
			l.cfg.Providers = append(l.cfg.Providers, p)
		}
	}
}

// decode decodes a document into v. A document the walk found errors in
// is decoded as far as it goes; one it accepted must decode fully.
func (l *loader) decode(n *yaml.Node, v any, valid bool) bool {
	err := n.Decode(v)
	if err != nil && valid {
		// The walk accepted the document, so config.cue and config.go
		// disagree: report it rather than panic.
		l.errorf(l.file, n, "", "internal error: decoding a valid document: %v", err)
		return false
	}
	return true
}

// maxNodes bounds the YAML nodes of one document, aliases expanded, so
// that a few kilobytes of aliases cannot make validation work for minutes.
const maxNodes = 200_000

// walk checks n against s, reporting every problem, and fills in defaults.
func (l *loader) walk(n *yaml.Node, s *shape, path string) {
	n = resolve(n)
	if l.budget--; l.budget < 0 {
		if l.budget == -1 {
			l.errorf(l.file, n, path, "the document is too large: more than %d YAML nodes with its aliases expanded", maxNodes)
		}
		return
	}
	switch s.kind {
	case 0:
		return
	case cue.StructKind:
	case cue.ListKind:
		if n.Kind != yaml.SequenceNode {
			l.errorf(l.file, n, path, "must be a list, got %s", nodeKind(n))
			return
		}
		for i, e := range n.Content {
			l.walk(e, s.elem, fmt.Sprintf("%s[%d]", path, i))
		}
		return
	default:
		l.walkScalar(n, s, path)
		return
	}
	if n.Kind != yaml.MappingNode {
		l.errorf(l.file, n, path, "must be a mapping, got %s", nodeKind(n))
		return
	}
	seen := make(map[string]*yaml.Node) // every key, for duplicates
	present := make(map[string]bool)    // keys with a value, for defaults
	var drop []int                      // pairs decoding must not see
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		name := k.Value
		fpath := joinPath(path, name)
		switch {
		case k.Kind != yaml.ScalarNode || k.Tag == "!!null":
			l.errorf(l.file, k, path, "keys must be strings, got %s", nodeKind(k))
			drop = append(drop, i)
			continue
		case k.Tag == "!!merge":
			l.errorf(l.file, k, path, "merge keys (<<) are not supported: write the fields out")
			drop = append(drop, i)
			continue
		}
		if prev, dup := seen[name]; dup {
			l.errorf(l.file, k, fpath, "duplicate field (first set at line %d)", prev.Line)
			drop = append(drop, i) // so the rest of the document still decodes
			continue
		}
		seen[name] = k
		f := s.fields[name]
		if f == nil && s.key != nil {
			if msg := l.sch.checkScalar(s.key, name, name); msg != "" {
				l.errorf(l.file, k, path, "%s", msg)
			}
			l.walk(v, s.elem, fpath)
			continue
		}
		if f == nil {
			l.errorf(l.file, k, fpath, "unknown field%s", suggestField(name, s))
			continue
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			if f.required {
				l.errorf(l.file, v, fpath, "must not be empty")
				continue
			}
			drop = append(drop, i) // null means "not set": the default applies
			continue
		}
		present[name] = true
		l.walk(v, f.shape, fpath)
	}
	for j := len(drop) - 1; j >= 0; j-- {
		n.Content = append(n.Content[:drop[j]], n.Content[drop[j]+2:]...)
	}
	for _, name := range s.order {
		f := s.fields[name]
		if present[name] || (seen[name] != nil && f.required) {
			continue
		}
		switch {
		case f.required:
			l.errorf(l.file, n, joinPath(path, name), "required field is missing")
		case f.def != nil:
			def := *f.def
			def.Line, def.Column = n.Line, n.Column
			n.Content = append(n.Content, keyNode(name, n), &def)
		case !f.optional && f.shape.kind == cue.StructKind:
			m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
			n.Content = append(n.Content, keyNode(name, n), m)
			l.walk(m, f.shape, joinPath(path, name))
		}
	}
}

func (l *loader) walkScalar(n *yaml.Node, s *shape, path string) {
	if n.Kind != yaml.ScalarNode {
		l.errorf(l.file, n, path, "must be %s, got %s", kindName(s.kind), nodeKind(n))
		return
	}
	var val any
	switch {
	case s.kind&cue.BoolKind != 0 && n.Tag == "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil { // e.g. `!!bool yes`
			l.errorf(l.file, n, path, "must be true or false, got %q", n.Value)
			return
		}
		val = b
	case s.kind&cue.BoolKind != 0:
		l.errorf(l.file, n, path, "must be true or false, got %q", n.Value)
		return
	case n.Tag == "!!bool":
		l.errorf(l.file, n, path, "must be %s, got %s (quote it to make it a string)", kindName(s.kind), n.Value)
		return
	case s.kind&cue.StringKind != 0:
		// Numbers are fine where text is wanted: `deactivationDelay: 0`,
		// `username: 12345`.
		val = n.Value
		n.Tag = "!!str"
	case n.Tag == "!!int" && s.kind&(cue.IntKind|cue.NumberKind) != 0:
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			l.errorf(l.file, n, path, "must be %s, got %s", kindName(s.kind), n.Value)
			return
		}
		val = i
	case (n.Tag == "!!float" || n.Tag == "!!int") && s.kind&cue.FloatKind != 0:
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			l.errorf(l.file, n, path, "must be %s, got %s", kindName(s.kind), n.Value)
			return
		}
		val = f
	default:
		l.errorf(l.file, n, path, "must be %s, got %q", kindName(s.kind), n.Value)
		return
	}
	if msg := l.sch.checkScalar(s, val, n.Value); msg != "" {
		l.errorf(l.file, n, path, "%s", msg)
	}
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// lookup returns the value of key in mapping n, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// nodeAt returns the node at a path below n, where each element is a key
// or key[index], or the deepest node found on the way, so that an error can
// always be positioned.
func nodeAt(n *yaml.Node, path ...string) *yaml.Node {
	for _, elem := range path {
		key, idx := elem, -1
		if i := strings.IndexByte(elem, '['); i > 0 && strings.HasSuffix(elem, "]") {
			if v, err := strconv.Atoi(elem[i+1 : len(elem)-1]); err == nil {
				key, idx = elem[:i], v
			}
		}
		next := lookup(n, key)
		if next == nil {
			return n
		}
		if idx >= 0 {
			if next.Kind != yaml.SequenceNode || idx >= len(next.Content) {
				return next
			}
			next = resolve(next.Content[idx])
		}
		n = next
	}
	return n
}

func keyNode(name string, at *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name, Line: at.Line, Column: at.Column}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return strconv.Quote(n.Value)
	}
	return "an unexpected YAML node"
}
