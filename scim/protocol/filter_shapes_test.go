package protocol

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFilterShapes checks that a filter parsed through the shape cache is
// the filter the general parser makes of it, the first time and when its
// shape is cached, with other values too.
func TestFilterShapes(t *testing.T) {
	tests := []struct{ filter, sameShape string }{
		{`emails[type eq "work"].value eq "a@example.com"`, `emails[type eq "home"].value eq "b@example.com"`},
		{`userName eq "x" or (title co "tour" and emails.type eq "work")`, `userName eq "y" or (title co "guide" and emails.type eq "home")`},
		{`not (userName sw "a") and externalId pr`, `not (userName sw "b") and externalId pr`},
		{`meta.lastModified gt "2011-05-13T04:42:34Z" and active eq true`, `meta.lastModified gt "2026-11-22T00:00:00Z" and active eq true`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "1" and userName eq "1"`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "2" and userName eq "3"`},
		{`addresses[type eq "work" and locality eq "Hollywood"]`, `addresses[type eq "home" and locality eq "Paris"]`},
		{`title eq "0" or title eq "1"`, `title eq "1" or title eq "0"`},
		{`members[value eq "abc"]`, `members[value eq ""]`},
	}
	for _, tt := range tests {
		for _, f := range []string{tt.filter, tt.sameShape, tt.filter} {
			want, err := parseGeneral(liftValuePathComparisons(quoteBareValues(f)))
			if err != nil {
				if _, err := ParseFilter(f); err == nil {
					t.Errorf("ParseFilter(%q) succeeds where the general parser fails", f)
				}
				continue
			}
			got, err := ParseFilter(f)
			if err != nil {
				t.Errorf("ParseFilter(%q): %v", f, err)
				continue
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParseFilter(%q) differs from the general parser (-general +cached):\n%s", f, diff)
			}
		}
	}
}

func TestFilterShapesLeaveEscapesAlone(t *testing.T) {
	for _, f := range []string{`userName eq "a\"b"`, `title co "x\\y"`} {
		if _, _, ok := shapeOf(f); ok {
			t.Errorf("shapeOf(%q) takes it; values with escapes are left to the general parser", f)
		}
	}
}

func TestFilterShapesRefuseWhatTheParserRefuses(t *testing.T) {
	for _, f := range []string{"title eq \"a\tb\" and userName pr", "title eq \"a\x01\" or title pr"} {
		if _, err := ParseFilter(f); err == nil {
			t.Errorf("ParseFilter(%q) succeeds; the general parser refuses a control character in a value", f)
		}
	}
}
