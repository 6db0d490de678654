package schema

import "testing"

// TestIsConfigFile: only *.yaml and *.yml files, and none hidden or below
// a hidden directory.
func TestIsConfigFile(t *testing.T) {
	for name, want := range map[string]bool{
		"orgs.yaml": true, "providers/okta.yml": true, "./orgs.yaml": true,
		"README.md": false, "orgs.yaml~": false, "orgs.YAML": false, "orgs": false,
		".orgs.yaml": false, ".git/config.yaml": false, "a/.drafts/b.yaml": false,
	} {
		if got := IsConfigFile(name); got != want {
			t.Errorf("IsConfigFile(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestSecretRefString: a reference describes where the secret is, never
// the secret.
func TestSecretRefString(t *testing.T) {
	for _, tt := range []struct {
		ref  *SecretRef
		want string
	}{
		{nil, ""},
		{&SecretRef{Env: "TOKEN"}, "env:TOKEN"},
		{&SecretRef{File: "/run/secrets/okta"}, "file:/run/secrets/okta"},
	} {
		if got := tt.ref.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestConfigOrganization(t *testing.T) {
	cfg, err := Load(fsOf(map[string]string{"orgs.yaml": validOrgs}), "")
	if err != nil {
		t.Fatal(err)
	}
	if o := cfg.Organization("engineering"); o == nil || o.Parent != "acme" {
		t.Errorf("Organization(engineering) = %+v", o)
	}
	if o := cfg.Organization("sales"); o != nil {
		t.Errorf("Organization(sales) = %+v, want nil", o)
	}
}
