package schema

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is a loaded, valid config directory.
type Config struct {
	Organizations []*Organization // sorted by name
	Providers     []*Provider     // sorted by name
	Files         int             // YAML files read
}

// Organization finds an organization by name.
func (c *Config) Organization(name string) *Organization {
	for _, o := range c.Organizations {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// Source is where a document starts in the config directory.
type Source struct {
	File string `yaml:"-" json:"file"`
	Line int    `yaml:"-" json:"line"`
}

func (s Source) String() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// Organization is a document of kind Organization; config.cue documents
// each field.
type Organization struct {
	Name              string   `yaml:"name"`
	DisplayName       string   `yaml:"displayName"`
	Parent            string   `yaml:"parent"`
	ColdStoragePeriod Duration `yaml:"coldStoragePeriod"`
	Protect           bool     `yaml:"protect"`
	Source            Source   `yaml:"-"`

	node *yaml.Node
}

// Provider is a document of kind Provider; config.cue documents each field.
type Provider struct {
	Name                string              `yaml:"name"`
	DisplayName         string              `yaml:"displayName"`
	Auth                Auth                `yaml:"auth"`
	DeactivationDelay   Duration            `yaml:"deactivationDelay"`
	OrganizationMapping OrganizationMapping `yaml:"organizationMapping"`
	RoleMapping         RoleMapping         `yaml:"roleMapping"`
	Attributes          Attributes          `yaml:"attributes"`
	DeactivationGuard   DeactivationGuard   `yaml:"deactivationGuard"`
	MassMoveGuard       MassMoveGuard       `yaml:"massMoveGuard"`
	Rollout             Rollout             `yaml:"rollout"`
	RateLimit           *RateLimit          `yaml:"rateLimit"`
	MaxExpensiveQueries int                 `yaml:"maxExpensiveQueries"`
	Source              Source              `yaml:"-"`

	node *yaml.Node
}

// Auth types.
const (
	AuthBearer = "bearer"
	AuthBasic  = "basic"
)

// Auth is how a provider authenticates.
type Auth struct {
	Type       string     `yaml:"type"`
	Username   string     `yaml:"username"`
	SecretFrom *SecretRef `yaml:"secretFrom"`
}

// SecretRef names where a secret is read from: exactly one field is set.
type SecretRef struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// String describes the reference without the secret, e.g. "env:TOKEN".
func (r *SecretRef) String() string {
	switch {
	case r == nil:
		return ""
	case r.Env != "":
		return "env:" + r.Env
	default:
		return "file:" + r.File
	}
}

// Mapping methods.
const (
	MethodFixed     = "fixed"
	MethodAttribute = "attribute"
	MethodGroup     = "group"
	MethodManual    = "manual"
)

// OrganizationMapping chooses the organization of new users.
type OrganizationMapping struct {
	Method       string              `yaml:"method"`
	Organization string              `yaml:"organization"`
	Attribute    string              `yaml:"attribute"`
	Rules        []GroupOrganization `yaml:"rules"`
}

// GroupOrganization maps the members of a SCIM group to an organization.
type GroupOrganization struct {
	Group        string `yaml:"group"`
	Organization string `yaml:"organization"`
}

// RoleMapping chooses how users get roles.
type RoleMapping struct {
	Method string       `yaml:"method"`
	Rules  []GroupRoles `yaml:"rules"`
}

// GroupRoles gives the members of a SCIM group roles.
type GroupRoles struct {
	Group string   `yaml:"group"`
	Roles []string `yaml:"roles"`
}

// DeactivationGuard is a provider's mass-deactivation guard.
type DeactivationGuard struct {
	Window     Duration `yaml:"window"`
	MaxCount   int      `yaml:"maxCount"`
	MaxPercent int      `yaml:"maxPercent"`
}

// MassMoveGuard bounds what one plan may do to a provider's users.
type MassMoveGuard struct {
	MaxCount   int `yaml:"maxCount"`
	MaxPercent int `yaml:"maxPercent"`
}

// Rollout modes.
const (
	RolloutLive    = "live"
	RolloutPreview = "preview"
	RolloutCanary  = "canary"
)

// Rollout says which of the users a provider sends are live.
type Rollout struct {
	Mode   string   `yaml:"mode"`
	Users  []string `yaml:"users"`
	Groups []string `yaml:"groups"`
}

// RateLimit bounds a provider's request rate.
type RateLimit struct {
	RequestsPerSecond float64 `yaml:"requestsPerSecond"`
	Burst             int     `yaml:"burst"`
}

// Attributes chooses which SCIM attributes update which user fields.
type Attributes struct {
	Preset string            `yaml:"preset"`
	Map    map[string]string `yaml:"map"`
}

// Errorf returns an error positioned at the field of o at a dotted path
// (e.g. "parent"), for problems found after loading.
func (o *Organization) Errorf(path, format string, args ...any) *Error {
	return errorAt(o.Source.File, o.node, path, format, args...)
}

// Errorf returns an error positioned at the field of p at a dotted path
// (e.g. "auth.secretFrom.env"), for problems found after loading, such as a
// secret that cannot be read.
func (p *Provider) Errorf(path, format string, args ...any) *Error {
	return errorAt(p.Source.File, p.node, path, format, args...)
}

func errorAt(file string, doc *yaml.Node, path, format string, args ...any) *Error {
	e := &Error{File: file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if doc != nil {
		n := nodeAt(doc, strings.Split(path, ".")...)
		e.Line, e.Col = n.Line, n.Column
	}
	return e
}
