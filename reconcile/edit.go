package reconcile

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

// InvalidEditError is an admin's change of a config object that the
// config's schema refuses: the admin's fault (the admin API answers 400).
type InvalidEditError struct{ Msg string }

func (e *InvalidEditError) Error() string { return e.Msg }

// EditConfig validates an admin's change of a config object (kind
// state.KindOrganization or state.KindProvider) with the config's own
// schema, the object as a document with stubs of every other organization
// for its references, and returns it as an update. patch maps top-level
// keys of the document to their new value, nil to remove one; only the
// editable keys of the kind's field table may change. A refused change is
// an *InvalidEditError; an object that does not exist a
// *state.NotFoundError.
func EditConfig(v *state.View, kind, name string, patch map[string]any) (*state.ConfigChange, error) {
	live := liveObject(v, kind, name)
	if live == nil {
		return nil, &state.NotFoundError{Address: kind + "." + name}
	}
	doc := ConfigDocument(live)
	if len(patch) == 0 {
		return nil, &InvalidEditError{Msg: "nothing to change"}
	}
	editable := editableKeys(organizationFields)
	if kind == state.KindProvider {
		editable = editableKeys(providerFields)
	}
	for k, val := range patch {
		if !slices.Contains(editable, k) {
			return nil, &InvalidEditError{Msg: fmt.Sprintf("%s cannot be changed here (editable: %s)", k, strings.Join(editable, ", "))}
		}
		if val == nil {
			delete(doc, k)
		} else {
			doc[k] = val
		}
	}
	cfg, err := loadEdit(v, kind, name, doc)
	if err != nil {
		return nil, err
	}
	ch := &state.ConfigChange{Action: state.ActionUpdate, Kind: kind, Name: name}
	switch o := live.(type) {
	case *state.Organization:
		ch.ExpectIndex = o.ModifyIndex
		ch.Organization = OrganizationFromConfig(cfg.Organization(name))
	case *state.Provider:
		ch.ExpectIndex = o.ModifyIndex
		np := ProviderFromConfig(cfg.Providers[0])
		np.Auth = o.Auth // never edited here
		ch.Provider = np
	}
	if ch.Provider != nil {
		ch.Fields = editFields(live, ch.Provider)
	} else {
		ch.Fields = editFields(live, ch.Organization)
	}
	return ch, nil
}

// liveObject is the live organization or provider kind.name, or nil.
func liveObject(v *state.View, kind, name string) any {
	switch kind {
	case state.KindOrganization:
		if o := v.Organization(name); o != nil {
			return o
		}
	case state.KindProvider:
		if p := v.Provider(name); p != nil {
			return p
		}
	}
	return nil
}

// loadEdit loads an edited document with the schema, with a stub of each
// other organization for its references; what the schema refuses is an
// *InvalidEditError.
func loadEdit(v *state.View, kind, name string, doc map[string]any) (*schema.Config, error) {
	docs := []any{doc}
	for _, o := range v.Organizations() {
		if kind == state.KindOrganization && o.Name == name {
			continue
		}
		stub := map[string]any{"kind": "Organization", "name": o.Name, "displayName": o.DisplayName}
		if o.Parent != "" {
			stub["parent"] = o.Parent // a top-level organization has none
		}
		docs = append(docs, stub)
	}
	var b strings.Builder
	for _, d := range docs {
		j, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(j)
		b.WriteString("\n")
	}
	cfg, err := schema.Load(fstest.MapFS{"edit.yaml": {Data: []byte(b.String())}}, "")
	if err != nil {
		var msgs []string
		if errs, ok := err.(schema.Errors); ok {
			for _, e := range errs {
				msgs = append(msgs, e.Path+": "+e.Msg)
			}
		} else {
			msgs = append(msgs, err.Error())
		}
		return nil, &InvalidEditError{Msg: strings.Join(msgs, "; ")}
	}
	return cfg, nil
}

// ConfigObject is a live config object as its config document, with
// secrets left out; nil when it does not exist.
func ConfigObject(v *state.View, kind, name string) any {
	if live := liveObject(v, kind, name); live != nil {
		return ConfigDocument(live)
	}
	return nil
}
