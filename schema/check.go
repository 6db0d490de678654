package schema

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// check runs the checks that span documents or fields: unique names,
// references, cycles and the rules that depend on a mapping's method.
func (l *loader) check() {
	orgs := make(map[string]*Organization)
	var orgNames []string
	for _, o := range l.cfg.Organizations {
		if first, dup := orgs[o.Name]; dup {
			l.at(o.Source.File, o.node, "name", "duplicate organization %q (first defined at %s)", o.Name, first.Source)
			continue
		}
		orgs[o.Name] = o
		orgNames = append(orgNames, o.Name)
	}
	slices.Sort(orgNames)
	provs := make(map[string]*Provider)
	for _, p := range l.cfg.Providers {
		if first, dup := provs[p.Name]; dup {
			l.at(p.Source.File, p.node, "name", "duplicate provider %q (first defined at %s)", p.Name, first.Source)
			continue
		}
		provs[p.Name] = p
	}
	l.dedupe(orgs, provs)

	orgRef := func(file string, doc *yaml.Node, name string, keys ...string) {
		if _, ok := orgs[name]; !ok && name != "" { // "" is reported as missing
			l.at(file, doc, strings.Join(keys, "."), "unknown organization %q%s", name, suggest(name, orgNames))
		}
	}
	for _, o := range l.cfg.Organizations {
		switch {
		case o.Parent == "":
		case o.Parent == o.Name:
			l.at(o.Source.File, o.node, "parent", "an organization cannot be its own parent")
		default:
			orgRef(o.Source.File, o.node, o.Parent, "parent")
		}
	}
	l.checkCycles(orgs)
	for _, p := range l.cfg.Providers {
		l.checkProvider(p, orgRef)
	}
}

// dedupe keeps the first definition of each name so later checks do not
// repeat errors about the duplicates.
func (l *loader) dedupe(orgs map[string]*Organization, provs map[string]*Provider) {
	l.cfg.Organizations = slices.DeleteFunc(l.cfg.Organizations, func(o *Organization) bool { return orgs[o.Name] != o })
	l.cfg.Providers = slices.DeleteFunc(l.cfg.Providers, func(p *Provider) bool { return provs[p.Name] != p })
}

// checkCycles reports each cycle of parents once, at the member whose name
// sorts first.
func (l *loader) checkCycles(orgs map[string]*Organization) {
	const (
		unvisited = iota
		inProgress
		done
	)
	mark := make(map[string]int)
	for _, start := range l.cfg.Organizations {
		var chain []*Organization
		for o := start; o != nil && mark[o.Name] != done; o = orgs[o.Parent] {
			if mark[o.Name] == inProgress {
				i := slices.Index(chain, o)
				cycle := chain[i:]
				first := slices.MinFunc(cycle, func(a, b *Organization) int { return strings.Compare(a.Name, b.Name) })
				j := slices.Index(cycle, first)
				names := make([]string, 0, len(cycle)+1)
				for k := range cycle {
					names = append(names, cycle[(j+k)%len(cycle)].Name)
				}
				names = append(names, first.Name)
				l.at(first.Source.File, first.node, "parent", "cycle of parents: %s", strings.Join(names, " -> "))
				break
			}
			if o.Parent == o.Name {
				break // reported already
			}
			mark[o.Name] = inProgress
			chain = append(chain, o)
		}
		for _, o := range chain {
			mark[o.Name] = done
		}
	}
}

func (l *loader) checkProvider(p *Provider, orgRef func(file string, doc *yaml.Node, name string, keys ...string)) {
	file, doc := p.Source.File, p.node
	switch a := p.Auth; {
	case a.Type == AuthBasic && a.Username == "":
		l.at(file, doc, "auth.username", "required with type: basic")
	case a.Type == AuthBearer && a.Username != "":
		l.at(file, doc, "auth.username", "only used with type: basic (a bearer token has no username)")
	}
	if r := p.Auth.SecretFrom; r != nil && (r.Env == "") == (r.File == "") {
		l.at(file, doc, "auth.secretFrom", "set exactly one of env or file")
	}

	m := p.OrganizationMapping
	orgRef(file, doc, m.Organization, "organizationMapping", "organization")
	switch m.Method {
	case MethodAttribute:
		if m.Attribute == "" {
			l.at(file, doc, "organizationMapping.attribute", "required with method: attribute (the SCIM attribute that names the organization)")
		}
	default:
		if m.Attribute != "" {
			l.at(file, doc, "organizationMapping.attribute", "only used with method: attribute")
		}
	}
	switch m.Method {
	case MethodGroup:
		if len(m.Rules) == 0 {
			l.at(file, doc, "organizationMapping.rules", "at least one rule is required with method: group")
		}
	default:
		if len(m.Rules) > 0 {
			l.at(file, doc, "organizationMapping.rules", "only used with method: group")
		}
	}
	seenGroups := make(map[string]int)
	for i, r := range m.Rules {
		key := fmt.Sprintf("organizationMapping.rules[%d]", i)
		orgRef(file, doc, r.Organization, key, "organization")
		if j, dup := seenGroups[r.Group]; dup {
			l.at(file, doc, key+".group", "group %q already has a rule (rules[%d]); only the first would ever match", r.Group, j)
		}
		seenGroups[r.Group] = i
	}

	mappedFrom := make(map[string]string) // user field -> SCIM path
	paths := make(map[string]string)      // lowercased path -> as written
	var keys []string                     // in the order they are written
	if m := nodeAt(doc, "attributes", "map"); m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if _, ok := p.Attributes.Map[m.Content[i].Value]; ok {
				keys = append(keys, m.Content[i].Value)
			}
		}
	}
	for _, k := range keys {
		field := p.Attributes.Map[k]
		at := "attributes.map"
		atKey := func(format string, args ...any) {
			e := &Error{File: file, Path: at + "." + k, Msg: fmt.Sprintf(format, args...)}
			if m := nodeAt(doc, "attributes", "map"); m != nil {
				for i := 0; i+1 < len(m.Content); i += 2 {
					if m.Content[i].Value == k {
						e.Line, e.Col = m.Content[i].Line, m.Content[i].Column
					}
				}
			}
			l.errs = append(l.errs, e)
		}
		if other, dup := paths[strings.ToLower(k)]; dup {
			atKey("%q and %q name the same SCIM attribute (paths compare without case)", other, k)
			continue
		}
		paths[strings.ToLower(k)] = k
		if field == "ignore" {
			continue
		}
		if other, dup := mappedFrom[field]; dup {
			atKey("user field %s is already mapped from %q: map each user field from one SCIM attribute", field, other)
			continue
		}
		mappedFrom[field] = k
	}

	rm := p.RoleMapping
	switch {
	case rm.Method == MethodGroup && len(rm.Rules) == 0:
		l.at(file, doc, "roleMapping.rules", "at least one rule is required with method: group")
	case rm.Method == MethodManual && len(rm.Rules) > 0:
		l.at(file, doc, "roleMapping.rules", "only used with method: group")
	}
	for i, r := range rm.Rules {
		if len(r.Roles) == 0 {
			l.at(file, doc, fmt.Sprintf("roleMapping.rules[%d].roles", i), "at least one role is required")
		}
	}
	l.checkRollout(p)
}

// checkRollout checks that a canary names whom it makes live, and that
// only a canary does.
func (l *loader) checkRollout(p *Provider) {
	file, doc := p.Source.File, p.node
	switch ro := p.Rollout; {
	case ro.Mode == RolloutCanary && len(ro.Users)+len(ro.Groups) == 0:
		l.at(file, doc, "rollout.mode", "canary needs users or groups: the users it makes live")
	case ro.Mode != RolloutCanary && len(ro.Users) > 0:
		l.at(file, doc, "rollout.users", "only used with mode: canary")
	case ro.Mode != RolloutCanary && len(ro.Groups) > 0:
		l.at(file, doc, "rollout.groups", "only used with mode: canary")
	}
}

// at reports an error for the field at a dotted path of a document,
// positioned at the field's value (or the closest node that exists).
func (l *loader) at(file string, doc *yaml.Node, path, format string, args ...any) {
	if l.bad[nodeAt(doc, strings.Split(path, ".")...)] {
		return
	}
	l.errs = append(l.errs, errorAt(file, doc, path, format, args...))
}
