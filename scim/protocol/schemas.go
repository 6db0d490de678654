package protocol

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
