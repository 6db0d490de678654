package schema

import (
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// TestBoundsInWords: the bounds of a number are said the way a person
// would, whichever of CUE's operators config.cue uses; anything else is
// left to CUE's own text.
func TestBoundsInWords(t *testing.T) {
	tests := []struct {
		constraint, want string
	}{
		{"int & >=0 & <=100", "want a whole number from 0 to 100"},
		{"uint & <=100", "want a whole number from 0 to 100"},
		{"*25 | int & >=0 & <=100", "want a whole number from 0 to 100"},
		{"number & >0 & <=1000000", "want a number more than 0 and at most 1000000"},
		{">=1 & <10", "want a number at least 1 and less than 10"},
		{"float & >0", "want a number more than 0"},
		{"int & >=1", "want a whole number at least 1"},
		{"uint", "want a whole number at least 0"},
		{"<=5", "want a number at most 5"},
		{"number & <0.5", "want a number less than 0.5"},
		{"int", "want int"},
		{`=~"^[a-z]+$"`, `want =~"^[a-z]+$"`},
		{"int & !=3", "want int & !=3"},
	}
	ctx := cuecontext.New()
	for _, tt := range tests {
		v := ctx.CompileString(tt.constraint)
		if err := v.Err(); err != nil {
			t.Fatalf("%s: %v", tt.constraint, err)
		}
		if got := constraintOf(v); got != tt.want {
			t.Errorf("constraintOf(%s) = %q, want %q", tt.constraint, got, tt.want)
		}
	}
}

// TestKindNames: the words for a type in "must be X, got Y".
func TestKindNames(t *testing.T) {
	for k, want := range map[cue.Kind]string{
		cue.StructKind: "a mapping", cue.ListKind: "a list", cue.StringKind: "a string", cue.BoolKind: "true or false",
		cue.IntKind: "an integer", cue.FloatKind: "a number", cue.NumberKind: "a number", cue.BytesKind: "bytes",
	} {
		if got := kindName(k); got != want {
			t.Errorf("kindName(%v) = %q, want %q", k, got, want)
		}
	}
}

// TestCompileRefuses: a definition the loader cannot walk is refused when
// the schema is compiled, saying where, not when a config is loaded.
func TestCompileRefuses(t *testing.T) {
	tests := []struct {
		def, want string
	}{
		{`#D: {a: bytes}`, "unsupported schema kind bytes"},
		{`#D: {a: string @format(colour)}`, "unknown @format(colour)"},
		{`#D: {a: [...bytes]}`, "unsupported schema kind bytes"},
		{`#D: {[=~"^x"]: bytes}`, "unsupported schema kind bytes"},
		{`#D: {a: {b: _}}`, "unsupported schema kind _"},
	}
	ctx := cuecontext.New()
	for _, tt := range tests {
		v := ctx.CompileString(tt.def, cue.Filename("test.cue"))
		if err := v.Err(); err != nil {
			t.Fatalf("%s: %v", tt.def, err)
		}
		_, err := compileShape(v.LookupPath(cue.ParsePath("#D")), "")
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "test.cue:1:") {
			t.Errorf("%s: %v, want an error at test.cue:1 saying %q", tt.def, err, tt.want)
		}
	}
}
