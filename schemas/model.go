package schemas

import (
	"strings"
)

// Attribute data types (RFC 7643 §2.3).
const (
	TypeString    = "string"
	TypeBoolean   = "boolean"
	TypeDecimal   = "decimal"
	TypeInteger   = "integer"
	TypeDateTime  = "dateTime"
	TypeBinary    = "binary"
	TypeReference = "reference"
	TypeComplex   = "complex"
)

// Mutability, returned and uniqueness characteristics (RFC 7643 §7).
const (
	ReadOnly  = "readOnly"
	ReadWrite = "readWrite"
	Immutable = "immutable"
	WriteOnly = "writeOnly"

	ReturnedAlways  = "always"
	ReturnedNever   = "never"
	ReturnedDefault = "default"
	ReturnedRequest = "request"

	UniqueNone   = "none"
	UniqueServer = "server"
	UniqueGlobal = "global"
)

// Well-known schema URNs.
const (
	UserURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SAPUserURN    = "urn:ietf:params:scim:schemas:extension:sap:2.0:User"
	SAPCustomURN  = "urn:sap:cloud:scim:schemas:extension:custom:2.0:User"
)

// Attribute is one attribute definition of a schema (RFC 7643 §7).
type Attribute struct {
	Name            string       `json:"name"`
	Type            string       `json:"type"`
	MultiValued     bool         `json:"multiValued"`
	Description     string       `json:"description,omitempty"`
	Required        bool         `json:"required"`
	CaseExact       bool         `json:"caseExact"`
	Mutability      string       `json:"mutability"`
	Returned        string       `json:"returned"`
	Uniqueness      string       `json:"uniqueness"`
	CanonicalValues []string     `json:"canonicalValues,omitempty"`
	ReferenceTypes  []string     `json:"referenceTypes,omitempty"`
	SubAttributes   []*Attribute `json:"subAttributes,omitempty"`
}

// Sub returns the sub-attribute with the given name (case-insensitive), or nil.
func (a *Attribute) Sub(name string) *Attribute {
	return findAttr(a.SubAttributes, name)
}

// IsComplex reports whether the attribute has sub-attributes.
func (a *Attribute) IsComplex() bool { return a.Type == TypeComplex }

// Schema is an RFC 7643 schema: a URN and its attributes.
type Schema struct {
	ID          string       `json:"id"`
	Name        string       `json:"name,omitempty"`
	Description string       `json:"description,omitempty"`
	Attributes  []*Attribute `json:"attributes"`
}

// Attr returns the top-level attribute with the given name (case-insensitive), or nil.
func (s *Schema) Attr(name string) *Attribute {
	return findAttr(s.Attributes, name)
}

// Extension is a schema extension attached to a resource type.
type Extension struct {
	Schema   *Schema
	Required bool
}

// ResourceType binds a core schema and its extensions to an endpoint.
type ResourceType struct {
	ID          string
	Name        string
	Endpoint    string // e.g. "/Users"
	Description string
	Schema      *Schema
	Extensions  []Extension
}

// Extension returns the extension schema with the given URN (case-insensitive), or nil.
func (rt *ResourceType) Extension(urn string) *Schema {
	for _, e := range rt.Extensions {
		if strings.EqualFold(e.Schema.ID, urn) {
			return e.Schema
		}
	}
	return nil
}

// SchemaByURN returns the core schema or an extension by URN, or nil.
func (rt *ResourceType) SchemaByURN(urn string) *Schema {
	if strings.EqualFold(rt.Schema.ID, urn) {
		return rt.Schema
	}
	return rt.Extension(urn)
}

// IsExtension reports whether urn names one of the resource type's extensions.
func (rt *ResourceType) IsExtension(urn string) bool { return rt.Extension(urn) != nil }

// SchemaURNs returns the core URN followed by every extension URN.
func (rt *ResourceType) SchemaURNs() []string {
	out := make([]string, 0, 1+len(rt.Extensions))
	out = append(out, rt.Schema.ID)
	for _, e := range rt.Extensions {
		out = append(out, e.Schema.ID)
	}
	return out
}

func findAttr(attrs []*Attribute, name string) *Attribute {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}
