package schemas

// Common attributes (RFC 7643 §3.1) are not part of any schema but every
// resource has them. They are described here so that paths, filters and
// CSV columns can treat them like any other attribute.
var (
	// IDAttr is the server-assigned resource id.
	IDAttr = &Attribute{Name: "id", Type: TypeString, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedAlways, Uniqueness: UniqueServer}
	// ExternalIDAttr is the client-assigned external identifier.
	ExternalIDAttr = &Attribute{Name: "externalId", Type: TypeString, CaseExact: true, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: UniqueNone}
	// MetaAttr is the resource metadata.
	MetaAttr = &Attribute{Name: "meta", Type: TypeComplex, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: UniqueNone,
		SubAttributes: []*Attribute{
			{Name: "resourceType", Type: TypeString, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: UniqueNone},
			{Name: "created", Type: TypeDateTime, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: UniqueNone},
			{Name: "lastModified", Type: TypeDateTime, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: UniqueNone},
			{Name: "location", Type: TypeReference, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: UniqueNone},
			{Name: "version", Type: TypeString, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: UniqueNone},
		}}
)

// CommonAttr returns the common attribute with the given name (case-insensitive), or nil.
func CommonAttr(name string) *Attribute {
	return findAttr([]*Attribute{IDAttr, ExternalIDAttr, MetaAttr}, name)
}
