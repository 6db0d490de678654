package protocol

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestQueryPage checks the page of n results a list request asks for:
// startIndex from 1, count capped by the server's maximum, and a
// parameter that is not an integer refused, naming it.
func TestQueryPage(t *testing.T) {
	for _, tt := range []struct {
		params           string
		n, max           int
		start, end, from int
		err              string
	}{
		{"", 10, 100, 0, 10, 1, ""},
		{"startIndex=3&count=4", 10, 100, 2, 6, 3, ""},
		{"STARTINDEX=3&Count=4", 10, 100, 2, 6, 3, ""},
		{"startIndex=0&count=-5", 10, 100, 0, 0, 1, ""},
		{"startIndex=20", 10, 100, 10, 10, 20, ""},
		{"count=50", 100, 20, 0, 20, 1, ""},
		{"startIndex=x", 10, 100, 0, 0, 0, "startIndex must be an integer"},
		{"count=1.5", 10, 100, 0, 0, 0, "count must be an integer"},
	} {
		v, err := url.ParseQuery(tt.params)
		if err != nil {
			t.Fatal(err)
		}
		q := QueryFromURL(v)
		resp, start, end, e := q.ListPage(tt.n, tt.max)
		if tt.err != "" {
			if e == nil || e.ScimType != "invalidValue" || e.Detail != tt.err {
				t.Errorf("%q: got %v, want invalidValue %q", tt.params, e, tt.err)
			}
			continue
		}
		if e != nil || start != tt.start || end != tt.end || resp.StartIndex != tt.from || resp.ItemsPerPage != end-start || resp.TotalResults != tt.n {
			t.Errorf("%q: page [%d, %d) from %d (%+v, %v); want [%d, %d) from %d", tt.params, start, end, resp.StartIndex, resp, e, tt.start, tt.end, tt.from)
		}
	}
}

// TestQueryFromURLLists checks that attributes split on commas outside
// value filters and quotes.
func TestQueryFromURLLists(t *testing.T) {
	q := QueryFromURL(url.Values{"attributes": {`userName, emails[type eq "a,b"].value,name.givenName,`}, "excludedAttributes": {"groups"}})
	if diff := cmp.Diff([]string{"userName", `emails[type eq "a,b"].value`, "name.givenName"}, q.Attributes); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"groups"}, q.ExcludedAttributes); diff != "" {
		t.Errorf("excludedAttributes (-want +got):\n%s", diff)
	}
}

// TestDecodeSearchRequest checks that a SearchRequest of the wrong shape
// is refused saying which field and what it must be.
func TestDecodeSearchRequest(t *testing.T) {
	for body, want := range map[string]string{
		`{"attributes":"userName"}`: "the body is not a SearchRequest: attributes must be an array of strings, not a JSON string",
		`{"count":"10"}`:            "the body is not a SearchRequest: count must be a number, not a JSON string",
		`{"filter":3}`:              "the body is not a SearchRequest: filter must be a string, not a JSON number",
		`[]`:                        "the body is not a SearchRequest: json: cannot unmarshal array into Go value of type protocol.Query",
	} {
		if _, err := DecodeSearchRequest([]byte(body)); err == nil || err.ScimType != "invalidSyntax" || err.Detail != want {
			t.Errorf("%s: got %v, want invalidSyntax %q", body, err, want)
		}
	}
	q, err := DecodeSearchRequest([]byte(`{"schemas":["` + URNSearchRequest + `"],"filter":"userName eq \"a\"","startIndex":2}`))
	if err != nil || q.Filter != `userName eq "a"` || q.FirstIndex() != 2 {
		t.Errorf("a SearchRequest: %+v, %v", q, err)
	}
}

// TestETagMatches checks weak comparison of entity tags (RFC 9110
// §8.8.3.2) in If-Match and If-None-Match lists.
func TestETagMatches(t *testing.T) {
	for _, tt := range []struct {
		header, tag string
		want        bool
	}{
		{`W/"7"`, `W/"7"`, true},
		{`"7"`, `W/"7"`, true},
		{`W/"8", W/"7"`, `W/"7"`, true},
		{`*`, `W/"7"`, true},
		{`W/"8"`, `W/"7"`, false},
		{`W/"7-1"`, `W/"7"`, false},
	} {
		if got := ETagMatches(tt.header, tt.tag); got != tt.want {
			t.Errorf("ETagMatches(%q, %q) = %v, want %v", tt.header, tt.tag, got, tt.want)
		}
	}
}

// TestProjectionWants checks when a projection returns a group's
// members, also named with the core schema's URN.
func TestProjectionWants(t *testing.T) {
	const urn = URNGroup + ":"
	for _, tt := range []struct {
		attrs, excluded []string
		want            bool
	}{
		{nil, nil, true},
		{[]string{"members"}, nil, true},
		{[]string{"Members.value"}, nil, true},
		{[]string{urn + "members"}, nil, true},
		{[]string{"displayName"}, nil, false},
		{nil, []string{"members"}, false},
		{nil, []string{urn + "MEMBERS"}, false},
		{nil, []string{"members.display"}, true},
	} {
		p := Query{Attributes: tt.attrs, ExcludedAttributes: tt.excluded}.Projection()
		if got := p.Wants(Group, "members"); got != tt.want {
			t.Errorf("attributes %q, excludedAttributes %q: Wants members = %v, want %v", tt.attrs, tt.excluded, got, tt.want)
		}
	}
}
