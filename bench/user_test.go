package bench

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestUser checks the templated body against encoding the resource.
func TestUser(t *testing.T) {
	for _, name := range []string{"a@bench.example", `we"ird\<&>`, "üñî-\u2028", "tab\there", ""} {
		for _, active := range []bool{true, false} {
			want, err := json.Marshal(userResource(name, active))
			if err != nil {
				t.Fatal(err)
			}
			if got := User(name, active); !bytes.Equal(got, want) {
				t.Errorf("User(%q, %v) =\n%s\nwant\n%s", name, active, got, want)
			}
		}
	}
}
