package protocol

import "strings"

// Schema URNs.
const (
	URNUser            = "urn:ietf:params:scim:schemas:core:2.0:User"
	URNGroup           = "urn:ietf:params:scim:schemas:core:2.0:Group"
	URNEnterpriseUser  = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	URNListResponse    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	URNError           = "urn:ietf:params:scim:api:messages:2.0:Error"
	URNPatchOp         = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	URNSearchRequest   = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	URNServiceProvider = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	URNResourceType    = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	URNSchema          = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// Attribute types (RFC 7643 §2.3).
const (
	typeString    = "string"
	typeBoolean   = "boolean"
	typeDecimal   = "decimal"
	typeInteger   = "integer"
	typeDateTime  = "dateTime"
	typeReference = "reference"
	typeComplex   = "complex"
	typeBinary    = "binary"
)

// Attr describes one attribute of a schema, as /Schemas publishes it and
// as the server reads, stores, filters, patches and returns it.
type Attr struct {
	Name            string   `json:"name"`
	Type            string   `json:"type"`
	SubAttributes   []*Attr  `json:"subAttributes,omitempty"`
	MultiValued     bool     `json:"multiValued"`
	Description     string   `json:"description"`
	Required        bool     `json:"required"`
	CanonicalValues []string `json:"canonicalValues,omitempty"`
	CaseExact       bool     `json:"caseExact"`
	Mutability      string   `json:"mutability"`
	Returned        string   `json:"returned"`
	Uniqueness      string   `json:"uniqueness"`
	ReferenceTypes  []string `json:"referenceTypes,omitempty"`
}

// Schema is a SCIM schema (RFC 7643 §7).
type Schema struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Attributes  []*Attr `json:"attributes"`
}

// sub finds a sub-attribute by name, without case.
func (a *Attr) sub(name string) *Attr {
	return findAttr(a.SubAttributes, name)
}

func findAttr(attrs []*Attr, name string) *Attr {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

func (s *Schema) attr(name string) *Attr { return findAttr(s.Attributes, name) }

// str builds a readWrite string attribute returned by default.
func str(name, desc string) *Attr {
	return &Attr{Name: name, Type: typeString, Description: desc, Mutability: "readWrite", Returned: "default", Uniqueness: "none"}
}

func ref(name, desc string, types ...string) *Attr {
	a := str(name, desc)
	a.Type, a.ReferenceTypes = typeReference, types
	return a
}

func boolean(name, desc string) *Attr {
	return &Attr{Name: name, Type: typeBoolean, Description: desc, Mutability: "readWrite", Returned: "default", Uniqueness: "none"}
}

func complexAttr(name, desc string, multi bool, subs ...*Attr) *Attr {
	return &Attr{Name: name, Type: typeComplex, Description: desc, MultiValued: multi, Mutability: "readWrite", Returned: "default", Uniqueness: "none", SubAttributes: subs}
}

// multiValue builds a multi-valued attribute with the usual value, display,
// type and primary sub-attributes (RFC 7643 §2.4). value is nil for a
// string value.
func multiValue(name, desc string, value *Attr, types []string, extra ...*Attr) *Attr {
	if value == nil {
		value = str("value", "The value of the "+name+" entry.")
	}
	typ := str("type", "A label indicating the attribute's function.")
	typ.CanonicalValues = types
	subs := []*Attr{value, str("display", "A human-readable name, primarily used for display purposes."), typ,
		boolean("primary", "Indicates the 'primary' or preferred attribute value for this attribute.")}
	return complexAttr(name, desc, true, append(subs, extra...)...)
}

func readOnly(a *Attr) *Attr {
	a.Mutability = "readOnly"
	for _, s := range a.SubAttributes {
		readOnly(s)
	}
	return a
}

func caseExact(a *Attr) *Attr {
	a.CaseExact = true
	return a
}

var (
	userSchema = &Schema{
		ID:          URNUser,
		Name:        "User",
		Description: "User Account",
		Attributes: []*Attr{
			func() *Attr {
				a := str("userName", "Unique identifier for the User, typically used by the user to directly authenticate to the service provider. Compared without case.")
				a.Required, a.Uniqueness = true, "server"
				return a
			}(),
			complexAttr("name", "The components of the user's real name.", false,
				str("formatted", "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
				str("familyName", "The family name of the User, or last name."),
				str("givenName", "The given name of the User, or first name."),
				str("middleName", "The middle name(s) of the User."),
				str("honorificPrefix", "The honorific prefix(es) of the User, or title in most Western languages."),
				str("honorificSuffix", "The honorific suffix(es) of the User, or suffix in most Western languages."),
			),
			str("displayName", "The name of the User, suitable for display to end-users."),
			str("nickName", "The casual way to address the user in real life."),
			ref("profileUrl", "A fully qualified URL pointing to a page representing the User's online profile.", "external"),
			str("title", "The user's title, such as \"Vice President\"."),
			str("userType", "Used to identify the relationship between the organization and the user, e.g. Employee or Contractor."),
			str("preferredLanguage", "Indicates the User's preferred written or spoken language."),
			str("locale", "Used to indicate the User's default location for purposes of localizing items."),
			str("timezone", "The User's time zone in the 'Olson' time zone database format."),
			boolean("active", "A Boolean value indicating the User's administrative status."),
			func() *Attr {
				a := str("password", "The User's cleartext password. Accepted and discarded: this service never stores or returns passwords.")
				a.Mutability, a.Returned = "writeOnly", "never"
				return a
			}(),
			multiValue("emails", "Email addresses for the user.", nil, []string{"work", "home", "other"}),
			multiValue("phoneNumbers", "Phone numbers for the User.", nil, []string{"work", "home", "mobile", "fax", "pager", "other"}),
			multiValue("ims", "Instant messaging addresses for the User.", nil, []string{"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"}),
			multiValue("photos", "URLs of photos of the User.", ref("value", "URL of a photo of the User.", "external"), []string{"photo", "thumbnail"}),
			complexAttr("addresses", "A physical mailing address for this User.", true,
				str("formatted", "The full mailing address, formatted for display or use with a mailing label."),
				str("streetAddress", "The full street address component."),
				str("locality", "The city or locality component."),
				str("region", "The state or region component."),
				str("postalCode", "The zip code or postal code component."),
				str("country", "The country name component."),
				func() *Attr {
					a := str("type", "A label indicating the attribute's function.")
					a.CanonicalValues = []string{"work", "home", "other"}
					return a
				}(),
				boolean("primary", "Indicates the 'primary' or preferred address."),
			),
			readOnly(complexAttr("groups", "A list of groups to which the user belongs, either through direct membership or nested groups.", true,
				caseExact(str("value", "The identifier of the User's group.")),
				ref("$ref", "The URI of the corresponding 'Group' resource to which the user belongs.", "User", "Group"),
				str("display", "A human-readable name, primarily used for display purposes."),
				func() *Attr {
					a := str("type", "A label indicating the attribute's function, e.g. 'direct' or 'indirect'.")
					a.CanonicalValues = []string{"direct", "indirect"}
					return a
				}(),
			)),
			multiValue("entitlements", "A list of entitlements for the User that represent a thing the User has.", nil, nil),
			multiValue("roles", "A list of roles for the User. Stored and returned, never mapped to product roles.", nil, nil),
			multiValue("x509Certificates", "A list of certificates issued to the User.", func() *Attr {
				// Binary is case exact (RFC 7643 §2.3.6). Stored as sent:
				// the base64 is not checked.
				a := caseExact(str("value", "The value of an X.509 certificate, base64-encoded DER."))
				a.Type = typeBinary
				return a
			}(), nil),
		},
	}

	enterpriseSchema = &Schema{
		ID:          URNEnterpriseUser,
		Name:        "EnterpriseUser",
		Description: "Enterprise User",
		Attributes: []*Attr{
			str("employeeNumber", "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization."),
			str("costCenter", "Identifies the name of a cost center."),
			str("organization", "Identifies the name of an organization."),
			str("division", "Identifies the name of a division."),
			str("department", "Identifies the name of a department."),
			complexAttr("manager", "The User's manager. Stored and returned, never mapped.", false,
				caseExact(str("value", "The id of the SCIM resource representing the User's manager.")),
				ref("$ref", "The URI of the SCIM resource representing the User's manager.", "User"),
				readOnly(str("displayName", "The displayName of the User's manager.")),
			),
		},
	}

	groupSchema = &Schema{
		ID:          URNGroup,
		Name:        "Group",
		Description: "Group",
		Attributes: []*Attr{
			func() *Attr {
				a := str("displayName", "A human-readable name for the Group.")
				a.Required = true
				return a
			}(),
			complexAttr("members", "A list of members of the Group.", true,
				func() *Attr {
					a := caseExact(str("value", "Identifier of the member of this Group."))
					a.Mutability = "immutable"
					return a
				}(),
				func() *Attr {
					a := ref("$ref", "The URI corresponding to a SCIM resource that is a member of this Group.", "User")
					a.Mutability = "immutable"
					return a
				}(),
				func() *Attr {
					a := str("type", "A label indicating the type of resource, e.g. 'User'.")
					a.CanonicalValues, a.Mutability = []string{"User"}, "immutable"
					return a
				}(),
				func() *Attr {
					a := str("display", "A human-readable name for the member, as the client labelled it.")
					a.Mutability = "immutable"
					return a
				}(),
			),
		},
	}

	// commonAttrs are the attributes of every resource (RFC 7643 §3.1).
	commonAttrs = []*Attr{
		func() *Attr {
			a := caseExact(str("id", "A unique identifier for the resource, assigned by the service provider."))
			a.Mutability, a.Returned, a.Uniqueness = "readOnly", "always", "server"
			return a
		}(),
		caseExact(str("externalId", "An identifier for the resource as defined by the provisioning client.")),
		readOnly(complexAttr("meta", "Resource metadata.", false,
			caseExact(str("resourceType", "The name of the resource type of the resource.")),
			&Attr{Name: "created", Type: typeDateTime, Description: "The date and time the resource was added.", Mutability: "readOnly", Returned: "default", Uniqueness: "none"},
			&Attr{Name: "lastModified", Type: typeDateTime, Description: "The most recent date and time the resource was modified.", Mutability: "readOnly", Returned: "default", Uniqueness: "none"},
			caseExact(ref("location", "The URI of the resource.", "uri")),
			caseExact(str("version", "The version (entity tag) of the resource.")),
		)),
	}
)
