package reconcile

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/state"
)

// field is one attribute of a config kind: the live object's type S and
// the config document's type C. A new attribute is its CUE definition in
// schema/config.cue, its Go field in schema and state, and one row here:
// plans, drift, config documents and admin edits all read these rows.
type field[S, C any] struct {
	// path is the attribute's dotted path, named as in the config.
	path string
	// get is the attribute of a live object as plans show it and config
	// documents hold it: a value that encodes as JSON, zero when not set.
	get func(*S) any
	// set copies the attribute from a loaded config document.
	set func(*S, *C)
	// editable: admins may change it outside of config (PATCH of the
	// admin API), which is drift. Edits replace a whole top-level key, so
	// the rows below one key agree.
	editable bool
	// keep shows the attribute even when zero: 0 is a setting there.
	keep bool
	// omit is the attribute's default, not shown by itself (nil for
	// none): a change to or from it shows it.
	omit any
}

type (
	organizationField = field[state.Organization, schema.Organization]
	providerField     = field[state.Provider, schema.Provider]
)

// organizationFields are an organization's attributes, in the order plans
// list them; its name is its address, not an attribute.
var organizationFields = []organizationField{
	{path: "displayName", editable: true,
		get: func(o *state.Organization) any { return o.DisplayName },
		set: func(o *state.Organization, c *schema.Organization) { o.DisplayName = c.DisplayName }},
	{path: "parent", editable: true,
		get: func(o *state.Organization) any { return o.Parent },
		set: func(o *state.Organization, c *schema.Organization) { o.Parent = c.Parent }},
	{path: "coldStoragePeriod", editable: true,
		get: func(o *state.Organization) any { return schema.Duration(o.ColdStoragePeriod).String() },
		set: func(o *state.Organization, c *schema.Organization) { o.ColdStoragePeriod = c.ColdStoragePeriod.Std() }},
	{path: "protect", editable: true,
		get: func(o *state.Organization) any { return o.Protect },
		set: func(o *state.Organization, c *schema.Organization) { o.Protect = c.Protect }},
}

// providerFields are a provider's attributes, in the order plans list
// them. Its secret is not one: plans show only whether it changes (see
// diffSecret), and nothing shows it.
var providerFields = []providerField{
	{path: "displayName", editable: true,
		get: func(p *state.Provider) any { return p.DisplayName },
		set: func(p *state.Provider, c *schema.Provider) { p.DisplayName = c.DisplayName }},
	{path: "auth.type",
		get: func(p *state.Provider) any { return p.Auth.Type },
		set: func(p *state.Provider, c *schema.Provider) { p.Auth.Type = c.Auth.Type }},
	{path: "auth.username",
		get: func(p *state.Provider) any { return p.Auth.Username },
		set: func(p *state.Provider, c *schema.Provider) { p.Auth.Username = c.Auth.Username }},
	{path: "auth.secretFrom",
		get: func(p *state.Provider) any { return secretFrom(p.Auth.SecretSource) },
		set: func(p *state.Provider, c *schema.Provider) {
			p.Auth.SecretSource = state.SecretSourceGenerated
			if ref := c.Auth.SecretFrom; ref != nil {
				p.Auth.SecretSource = ref.String()
			}
		}},
	{path: "deactivationDelay", editable: true,
		get: func(p *state.Provider) any { return schema.Duration(p.DeactivationDelay).String() },
		set: func(p *state.Provider, c *schema.Provider) { p.DeactivationDelay = c.DeactivationDelay.Std() }},
	{path: "organizationMapping.method", editable: true,
		get: func(p *state.Provider) any { return p.OrganizationMapping.Method },
		set: func(p *state.Provider, c *schema.Provider) {
			p.OrganizationMapping.Method = c.OrganizationMapping.Method
		}},
	{path: "organizationMapping.organization", editable: true,
		get: func(p *state.Provider) any { return p.OrganizationMapping.Organization },
		set: func(p *state.Provider, c *schema.Provider) {
			p.OrganizationMapping.Organization = c.OrganizationMapping.Organization
		}},
	{path: "organizationMapping.attribute", editable: true,
		get: func(p *state.Provider) any { return p.OrganizationMapping.Attribute },
		set: func(p *state.Provider, c *schema.Provider) {
			p.OrganizationMapping.Attribute = c.OrganizationMapping.Attribute
		}},
	{path: "organizationMapping.rules", editable: true,
		get: func(p *state.Provider) any { return p.OrganizationMapping.Rules },
		set: func(p *state.Provider, c *schema.Provider) {
			for _, r := range c.OrganizationMapping.Rules {
				p.OrganizationMapping.Rules = append(p.OrganizationMapping.Rules, state.GroupOrganization{Group: r.Group, Organization: r.Organization})
			}
		}},
	{path: "roleMapping.method", editable: true,
		get: func(p *state.Provider) any { return p.RoleMapping.Method },
		set: func(p *state.Provider, c *schema.Provider) { p.RoleMapping.Method = c.RoleMapping.Method }},
	{path: "roleMapping.rules", editable: true,
		get: func(p *state.Provider) any { return p.RoleMapping.Rules },
		set: func(p *state.Provider, c *schema.Provider) {
			for _, r := range c.RoleMapping.Rules {
				p.RoleMapping.Rules = append(p.RoleMapping.Rules, state.GroupRoles{Group: r.Group, Roles: append([]string(nil), r.Roles...)})
			}
		}},
	{path: "attributes.preset", editable: true,
		get: func(p *state.Provider) any { return p.Attributes.Preset },
		set: func(p *state.Provider, c *schema.Provider) { p.Attributes.Preset = c.Attributes.Preset }},
	{path: "attributes.map", editable: true,
		get: func(p *state.Provider) any { return p.Attributes.Map },
		set: func(p *state.Provider, c *schema.Provider) {
			if len(c.Attributes.Map) > 0 {
				p.Attributes.Map = maps.Clone(c.Attributes.Map)
			}
		}},
	{path: "deactivationGuard.window", editable: true,
		get: func(p *state.Provider) any { return schema.Duration(p.DeactivationGuard.Window).String() },
		set: func(p *state.Provider, c *schema.Provider) {
			p.DeactivationGuard.Window = c.DeactivationGuard.Window.Std()
		}},
	{path: "deactivationGuard.maxCount", editable: true, keep: true,
		get: func(p *state.Provider) any { return p.DeactivationGuard.MaxCount },
		set: func(p *state.Provider, c *schema.Provider) {
			p.DeactivationGuard.MaxCount = c.DeactivationGuard.MaxCount
		}},
	{path: "deactivationGuard.maxPercent", editable: true, keep: true,
		get: func(p *state.Provider) any { return p.DeactivationGuard.MaxPercent },
		set: func(p *state.Provider, c *schema.Provider) {
			p.DeactivationGuard.MaxPercent = c.DeactivationGuard.MaxPercent
		}},
	{path: "massMoveGuard.maxCount", editable: true, keep: true,
		get: func(p *state.Provider) any { return p.MassMoveGuard.MaxCount },
		set: func(p *state.Provider, c *schema.Provider) { p.MassMoveGuard.MaxCount = c.MassMoveGuard.MaxCount }},
	{path: "massMoveGuard.maxPercent", editable: true, keep: true,
		get: func(p *state.Provider) any { return p.MassMoveGuard.MaxPercent },
		set: func(p *state.Provider, c *schema.Provider) { p.MassMoveGuard.MaxPercent = c.MassMoveGuard.MaxPercent }},
	// The rollout is config's only: promoting is a reviewed change.
	{path: "rollout.mode", omit: state.RolloutLive,
		get: func(p *state.Provider) any { return cmp.Or(p.Rollout.Mode, state.RolloutLive) },
		set: func(p *state.Provider, c *schema.Provider) {
			if c.Rollout.Mode != schema.RolloutLive {
				p.Rollout.Mode = c.Rollout.Mode
			}
		}},
	{path: "rollout.users",
		get: func(p *state.Provider) any { return p.Rollout.Users },
		set: func(p *state.Provider, c *schema.Provider) { p.Rollout.Users = slices.Clone(c.Rollout.Users) }},
	{path: "rollout.groups",
		get: func(p *state.Provider) any { return p.Rollout.Groups },
		set: func(p *state.Provider, c *schema.Provider) { p.Rollout.Groups = slices.Clone(c.Rollout.Groups) }},
	{path: "rateLimit.requestsPerSecond", editable: true,
		get: func(p *state.Provider) any { return p.RateLimit.RequestsPerSecond },
		set: func(p *state.Provider, c *schema.Provider) {
			if c.RateLimit != nil {
				p.RateLimit.RequestsPerSecond = c.RateLimit.RequestsPerSecond
			}
		}},
	{path: "rateLimit.burst", editable: true,
		get: func(p *state.Provider) any { return p.RateLimit.Burst },
		set: func(p *state.Provider, c *schema.Provider) {
			if c.RateLimit != nil {
				p.RateLimit.Burst = c.RateLimit.Burst
			}
		}},
	{path: "maxExpensiveQueries", editable: true,
		get: func(p *state.Provider) any { return p.MaxExpensiveQueries },
		set: func(p *state.Provider, c *schema.Provider) { p.MaxExpensiveQueries = c.MaxExpensiveQueries }},
}

// attrsOf lists the attributes of obj that are set, in the rows' order.
func attrsOf[S, C any](fields []field[S, C], obj *S) []attr {
	attrs := make([]attr, len(fields))
	for i, f := range fields {
		attrs[i] = attr{path: f.path, value: f.get(obj), keep: f.keep, omit: f.omit}
	}
	return compact(attrs)
}

// fromConfig sets every attribute of obj from the config document c.
func fromConfig[S, C any](fields []field[S, C], obj *S, c *C) *S {
	for _, f := range fields {
		f.set(obj, c)
	}
	return obj
}

// editableKeys lists the top-level keys of a config document that admins
// may change, in the rows' order.
func editableKeys[S, C any](fields []field[S, C]) []string {
	var keys []string
	for _, f := range fields {
		key, _, _ := strings.Cut(f.path, ".")
		if f.editable && (len(keys) == 0 || keys[len(keys)-1] != key) {
			keys = append(keys, key)
		}
	}
	return keys
}
