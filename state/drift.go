package state

import (
	"reflect"
)

// configFields lists the fields of a config object that config sets and
// admins may change: all but its name, bookkeeping and Applied.
func configFields(t reflect.Type) []int {
	var out []int
	for i := range t.NumField() {
		switch t.Field(i).Name {
		case "Name", "Applied", "CreateIndex", "ModifyIndex":
		default:
			out = append(out, i)
		}
	}
	return out
}

// DriftedFields names the fields of an organization or provider (a
// pointer) that differ from what config last applied.
func DriftedFields(obj any) []string {
	v := reflect.ValueOf(obj).Elem()
	applied := v.FieldByName("Applied")
	if applied.IsNil() {
		return nil
	}
	a := applied.Elem()
	var out []string
	for _, i := range configFields(v.Type()) {
		if !reflect.DeepEqual(v.Field(i).Interface(), a.Field(i).Interface()) {
			out = append(out, v.Type().Field(i).Name)
		}
	}
	return out
}

// withApplied returns a copy of obj (a pointer to an organization or
// provider) whose Applied is itself, as config sets it.
func withApplied[T any](obj *T) *T {
	c := *obj
	a := *obj
	v := reflect.ValueOf(&a).Elem()
	v.FieldByName("Applied").SetZero()
	v.FieldByName("CreateIndex").SetZero()
	v.FieldByName("ModifyIndex").SetZero()
	reflect.ValueOf(&c).Elem().FieldByName("Applied").Set(reflect.ValueOf(&a))
	return &c
}

// nextVersion returns the version of a config object (a pointer to an
// organization or provider) that a create or update at index stores: obj
// as config sets it (withApplied), or for an admin's edit as the admin
// set it, keeping the Applied of cur, the version stored (nil for a
// create, which an edit never is). It keeps cur's CreateIndex.
func nextVersion[T any](obj, cur *T, edit bool, index uint64) *T {
	field := func(o *T, name string) reflect.Value { return reflect.ValueOf(o).Elem().FieldByName(name) }
	next := withApplied(obj)
	if edit {
		c := *obj
		next = &c
		field(next, "Applied").Set(field(cur, "Applied"))
	}
	field(next, "CreateIndex").SetUint(index)
	field(next, "ModifyIndex").SetUint(index)
	if cur != nil {
		field(next, "CreateIndex").Set(field(cur, "CreateIndex"))
	}
	return next
}

// KeepDrift copies onto desired (a pointer) the fields of live that were
// changed outside of config, where config did not change them since it
// last applied: a three-way merge, field by field.
func KeepDrift[T any](desired, live *T) *T {
	lv := reflect.ValueOf(live).Elem()
	applied := lv.FieldByName("Applied")
	if applied.IsNil() {
		return desired
	}
	out := *desired
	ov := reflect.ValueOf(&out).Elem()
	av := applied.Elem()
	for _, i := range configFields(ov.Type()) {
		if reflect.DeepEqual(ov.Field(i).Interface(), av.Field(i).Interface()) {
			ov.Field(i).Set(lv.Field(i))
		}
	}
	return &out
}
