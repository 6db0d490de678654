package reconcile

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

// MinSecretLength is the shortest secret accepted from env or file.
const MinSecretLength = 16

// Desired is a config as the state would hold it, with its secrets read.
type Desired struct {
	Revision      string
	Digest        string
	Organizations []*state.Organization // sorted by name
	Providers     []*DesiredProvider    // sorted by name
}

// DesiredProvider is a provider and the secret its config names.
type DesiredProvider struct {
	*state.Provider // Auth.Secret is not set
	// Secret is the secret read from env or file; nil when the config
	// names none, so that one is generated (once).
	Secret []byte
}

// SecretReader reads the secret a provider's secretFrom names.
type SecretReader func(ref *schema.SecretRef) ([]byte, error)

// OSSecrets reads secrets from the environment and files of this process.
func OSSecrets(ref *schema.SecretRef) ([]byte, error) {
	if ref.Env != "" {
		v, ok := os.LookupEnv(ref.Env)
		if !ok {
			return nil, fmt.Errorf("environment variable %s is not set", ref.Env)
		}
		return []byte(v), nil
	}
	f, err := os.Open(ref.File)
	if err != nil {
		return nil, fmt.Errorf("reading secret: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading secret: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("reading secret: %s is not a regular file", ref.File)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading secret: %w", err)
	}
	if len(b) > maxSecretFile {
		return nil, fmt.Errorf("reading secret: %s is larger than %d bytes", ref.File, maxSecretFile)
	}
	return b, nil
}

// maxSecretFile bounds a secret file.
const maxSecretFile = 64 << 10

// Desire converts a loaded config to desired state, reading the secrets it
// names. Secrets that cannot be read or are too short are returned as
// schema.Errors positioned at their secretFrom.
func Desire(cfg *schema.Config, revision, digest string, read SecretReader) (*Desired, error) {
	d := &Desired{Revision: revision, Digest: digest}
	for _, o := range cfg.Organizations {
		d.Organizations = append(d.Organizations, OrganizationFromConfig(o))
	}
	var errs schema.Errors
	for _, p := range cfg.Providers {
		dp := &DesiredProvider{Provider: ProviderFromConfig(p)}
		if ref := p.Auth.SecretFrom; ref != nil {
			field := "auth.secretFrom.env"
			if ref.File != "" {
				field = "auth.secretFrom.file"
			}
			secret, err := read(ref)
			secret = []byte(strings.TrimSpace(string(secret)))
			switch {
			case err != nil:
				errs = append(errs, p.Errorf(field, "%v", err))
				continue
			case utf8.RuneCount(secret) < MinSecretLength:
				from := "file " + ref.File
				if ref.Env != "" {
					from = "environment variable " + ref.Env
				}
				errs = append(errs, p.Errorf(field, "the secret in %s is %d characters; at least %d are required", from, utf8.RuneCount(secret), MinSecretLength))
				continue
			}
			dp.Secret = secret
		}
		d.Providers = append(d.Providers, dp)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return d, nil
}

// OrganizationFromConfig is an organization as the state holds it.
func OrganizationFromConfig(o *schema.Organization) *state.Organization {
	return fromConfig(organizationFields, &state.Organization{Name: o.Name}, o)
}

// ProviderFromConfig is a provider as the state holds it, without its
// secret's hash.
func ProviderFromConfig(p *schema.Provider) *state.Provider {
	return fromConfig(providerFields, &state.Provider{Name: p.Name}, p)
}

// Live is the part of the live state that config manages.
type Live struct {
	Organizations []*state.Organization // sorted by name
	Providers     []*state.Provider     // sorted by name
	Config        *state.ConfigStatus   // the last applied config, or nil
}

// LiveFrom reads the config-managed objects of a state view.
func LiveFrom(v *state.View) *Live {
	return &Live{Organizations: v.Organizations(), Providers: v.Providers(), Config: v.Config()}
}
