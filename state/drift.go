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
