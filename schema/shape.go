package schema

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"gopkg.in/yaml.v3"
)

// A shape is the part of the CUE schema that one YAML node must match,
// compiled once into plain Go so that walking a document is cheap and every
// error can be positioned at the offending node. Scalars keep their CUE
// constraint, which stays the single source of truth for what is valid.
type shape struct {
	kind   cue.Kind // cue.StructKind, cue.ListKind or a scalar kind
	format string   // key into formats, from @format

	// struct
	fields map[string]*field
	order  []string // declaration order, for messages and defaults

	// map (a struct with a pattern constraint on its keys)
	key *shape

	// list element or map value
	elem *shape

	// scalar
	leaf cue.Value
	enum []string // the allowed values, when the constraint is a list of literals

	mu    sync.Mutex
	cache map[string]string // scalar value -> error message ("" when valid)
}

type field struct {
	name     string
	shape    *shape
	required bool
	optional bool
	def      *yaml.Node // the default, as a YAML node, or nil
}

func compileShape(v cue.Value, format string) (*shape, error) {
	s := &shape{kind: v.IncompleteKind(), format: format}
	switch {
	case s.kind == cue.StructKind:
		return s, s.compileStruct(v)
	case s.kind == cue.ListKind:
		ev := v.LookupPath(cue.MakePath(cue.AnyIndex))
		if !ev.Exists() {
			return nil, fmt.Errorf("%v: list without an element type", v.Pos())
		}
		elem, err := compileShape(ev, format)
		if err != nil {
			return nil, err
		}
		s.elem = elem
		return s, nil
	case s.kind&^(cue.StringKind|cue.BoolKind|cue.IntKind|cue.FloatKind|cue.NumberKind) == 0 && s.kind != 0:
		s.leaf = v
		s.cache = make(map[string]string)
		s.enum = enumOf(v)
		if len(s.enum) < 2 { // a single literal (kind: "Provider") is checked elsewhere
			s.enum = nil
		}
		return s, nil
	}
	return nil, fmt.Errorf("%v: unsupported schema kind %v", v.Pos(), s.kind)
}

func (s *shape) compileStruct(v cue.Value) error {
	it, err := v.Fields(cue.Optional(true), cue.Patterns(true))
	if err != nil {
		return err
	}
	s.fields = make(map[string]*field)
	for it.Next() {
		sel, fv := it.Selector(), it.Value()
		attr := fv.Attribute("format")
		fmtName, _ := attr.String(0)
		if it.FieldType()&cue.PatternConstraint != 0 {
			keyFormat, _, _ := attr.Lookup(0, "keys")
			key, err := compileShape(sel.Pattern(), keyFormat)
			if err != nil {
				return err
			}
			elem, err := compileShape(fv, "")
			if err != nil {
				return err
			}
			s.key, s.elem = key, elem
			continue
		}
		if strings.Contains(fmtName, "=") {
			fmtName = ""
		}
		if fmtName != "" {
			if _, ok := formats[fmtName]; !ok {
				return fmt.Errorf("%v: unknown @format(%s)", fv.Pos(), fmtName)
			}
		}
		name := sel.Unquoted()
		fs, err := compileShape(fv, fmtName)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		f := &field{
			name:     name,
			shape:    fs,
			required: sel.ConstraintType() == cue.RequiredConstraint,
			optional: sel.ConstraintType() == cue.OptionalConstraint,
		}
		if d, ok := fv.Default(); ok && d.IsConcrete() && fs.kind != cue.ListKind {
			var goVal any
			if err := d.Decode(&goVal); err != nil {
				return fmt.Errorf("%s: default: %w", name, err)
			}
			f.def = new(yaml.Node)
			if err := f.def.Encode(goVal); err != nil {
				return fmt.Errorf("%s: default: %w", name, err)
			}
		}
		s.fields[name] = f
		s.order = append(s.order, name)
	}
	return nil
}

// enumOf returns the quoted alternatives of a constraint that is a
// disjunction of string literals (flattening nested disjunctions such as
// `#UserField | "ignore"`), or nil when it is anything else.
func enumOf(v cue.Value) []string {
	op, alts := cue.Dereference(v).Expr()
	switch {
	case op == cue.OrOp:
		var out []string
		for _, a := range alts {
			sub := enumOf(a)
			if sub == nil {
				return nil
			}
			out = append(out, sub...)
		}
		return out
	case v.IsConcrete() && v.Kind() == cue.StringKind:
		str, _ := v.String()
		return []string{strconv.Quote(str)}
	}
	return nil
}

// fieldNames lists the fields of a struct shape, for "want one of" hints.
func (s *shape) fieldNames() []string {
	return slices.Clone(s.order)
}

// checkScalar validates a scalar value against the CUE constraint of s
// and returns an error message, or "" when the value is valid. Results are
// cached: configs repeat values (durations, booleans) a lot.
func (c *compiled) checkScalar(s *shape, val any, text string) string {
	key := fmt.Sprintf("%T:%s", val, text)
	s.mu.Lock()
	msg, ok := s.cache[key]
	s.mu.Unlock()
	if ok {
		return msg
	}
	c.mu.Lock()
	msg = s.explain(c.ctx, val, text)
	c.mu.Unlock()
	s.mu.Lock()
	s.cache[key] = msg
	s.mu.Unlock()
	return msg
}

func (s *shape) explain(ctx *cue.Context, val any, text string) string {
	f, hasFormat := formats[s.format]
	if err := ctx.Encode(val).Unify(s.leaf).Validate(cue.Concrete(true)); err != nil {
		switch {
		case s.enum != nil:
			return fmt.Sprintf("invalid value %q (want one of %s)", text, strings.Join(s.enum, ", "))
		case hasFormat:
			return fmt.Sprintf("invalid %s %q (want %s)", f.noun, text, f.want)
		}
		return fmt.Sprintf("invalid value %s: %s", text, constraintOf(s.leaf))
	}
	if hasFormat && f.check != nil {
		if err := f.check(text); err != nil {
			return fmt.Sprintf("invalid %s %q: %v", f.noun, text, trimPrefixErr(err))
		}
	}
	return ""
}

// constraintOf describes a constraint in words where it is a number's
// bounds ("want a whole number from 0 to 100"), else as CUE prints it.
// CUE's own text names its types (uint) and marks defaults (*25 | ...),
// which mean nothing to someone writing YAML.
func constraintOf(v cue.Value) string {
	text := defaultMarker.ReplaceAllString(fmt.Sprint(v), "")
	if words, ok := boundsInWords(text); ok {
		return "want " + words
	}
	return "want " + text
}

// defaultMarker is a leading default of a disjunction: "*25 | ".
var defaultMarker = regexp.MustCompile(`^\*[^|]+\|\s*`)

// boundsInWords reads "uint & <=100", ">0 & <=1000000" and the like.
func boundsInWords(c string) (string, bool) {
	kind := "number"
	var lo, hi string
	var loIncl, hiIncl bool
	for _, part := range strings.Split(c, " & ") {
		switch {
		case part == "int":
			kind = "whole number"
		case part == "uint":
			kind = "whole number"
			if lo == "" {
				lo, loIncl = "0", true
			}
		case part == "number" || part == "float":
		case strings.HasPrefix(part, ">="):
			lo, loIncl = part[2:], true
		case strings.HasPrefix(part, ">"):
			lo, loIncl = part[1:], false
		case strings.HasPrefix(part, "<="):
			hi, hiIncl = part[2:], true
		case strings.HasPrefix(part, "<"):
			hi, hiIncl = part[1:], false
		default:
			return "", false
		}
	}
	from := map[bool]string{true: "at least ", false: "more than "}
	upTo := map[bool]string{true: "at most ", false: "less than "}
	switch {
	case lo != "" && hi != "" && loIncl && hiIncl:
		return fmt.Sprintf("a %s from %s to %s", kind, lo, hi), true
	case lo != "" && hi != "":
		return fmt.Sprintf("a %s %s%s and %s%s", kind, from[loIncl], lo, upTo[hiIncl], hi), true
	case lo != "":
		return fmt.Sprintf("a %s %s%s", kind, from[loIncl], lo), true
	case hi != "":
		return fmt.Sprintf("a %s %s%s", kind, upTo[hiIncl], hi), true
	}
	return "", false
}

// trimPrefixErr drops the part of a parse error that repeats the value.
func trimPrefixErr(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

func kindName(k cue.Kind) string {
	switch k {
	case cue.StructKind:
		return "a mapping"
	case cue.ListKind:
		return "a list"
	case cue.StringKind:
		return "a string"
	case cue.BoolKind:
		return "true or false"
	case cue.IntKind:
		return "an integer"
	case cue.FloatKind, cue.NumberKind:
		return "a number"
	}
	return k.String()
}
