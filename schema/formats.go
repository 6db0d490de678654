package schema

// format explains what a value of a kind should look like. The CUE schema
// names one with a @format(name) attribute; CUE still does the checking, a
// format only supplies the words of the error message and, where CUE cannot
// say it (durations that overflow), a final check.
type format struct {
	noun  string             // "duration" in `invalid duration "15 minutes"`
	want  string             // what a good value looks like
	check func(string) error // optional, run after CUE accepted the value
}

var formats = map[string]format{
	"name": {
		noun: "name",
		want: "a lowercase slug of a-z, 0-9 and inner hyphens, at most 63 characters, e.g. \"pingone-prod\"",
	},
	"displayName": {
		noun: "display name",
		want: "text of at most 200 characters with at least one visible character and no control characters",
	},
	"duration": {
		noun: "duration",
		want: "whole numbers with units ms, s, m, h or d, e.g. 15m, 1h30m, 30d, or 0",
		check: func(s string) error {
			_, err := ParseDuration(s)
			return err
		},
	},
	"username": {
		noun: "username",
		want: "1 to 128 characters without spaces or colons",
	},
	"envName": {
		noun: "environment variable name",
		want: "letters, digits and underscores, not starting with a digit",
	},
	"absPath": {
		noun: "path",
		want: "an absolute path, e.g. /run/secrets/pingone-token",
	},
	"attributePath": {
		noun: "SCIM attribute path",
		want: `e.g. title, name.givenName, emails[type eq "work"].value or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`,
	},
}
