package schemas

import (
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// Elimity converts the schema to the elimity-com/scim representation used by
// the protocol layer for request validation. Attribute names were checked by
// Load, so the elimity constructors (which panic on bad names) cannot panic.
func (s *Schema) Elimity() schema.Schema {
	attrs := make([]schema.CoreAttribute, 0, len(s.Attributes))
	for _, a := range s.Attributes {
		if a.IsComplex() {
			subs := make([]schema.SimpleParams, 0, len(a.SubAttributes))
			for _, sa := range a.SubAttributes {
				subs = append(subs, simpleParams(sa))
			}
			attrs = append(attrs, schema.ComplexCoreAttribute(schema.ComplexParams{
				Description:   optString(a.Description),
				MultiValued:   a.MultiValued,
				Mutability:    mutability(a.Mutability),
				Name:          a.Name,
				Required:      a.Required,
				Returned:      returned(a.Returned),
				SubAttributes: subs,
				Uniqueness:    uniqueness(a.Uniqueness),
			}))
			continue
		}
		attrs = append(attrs, schema.SimpleCoreAttribute(simpleParams(a)))
	}
	return schema.Schema{
		ID:          s.ID,
		Name:        optString(s.Name),
		Description: optString(s.Description),
		Attributes:  attrs,
	}
}

func simpleParams(a *Attribute) schema.SimpleParams {
	desc := optString(a.Description)
	mut, ret, uniq := mutability(a.Mutability), returned(a.Returned), uniqueness(a.Uniqueness)
	switch a.Type {
	case TypeBoolean:
		return schema.SimpleBooleanParams(schema.BooleanParams{Description: desc, MultiValued: a.MultiValued, Mutability: mut, Name: a.Name, Required: a.Required, Returned: ret})
	case TypeDecimal, TypeInteger:
		typ := schema.AttributeTypeDecimal()
		if a.Type == TypeInteger {
			typ = schema.AttributeTypeInteger()
		}
		return schema.SimpleNumberParams(schema.NumberParams{Description: desc, MultiValued: a.MultiValued, Mutability: mut, Name: a.Name, Required: a.Required, Returned: ret, Type: typ, Uniqueness: uniq})
	case TypeDateTime:
		return schema.SimpleDateTimeParams(schema.DateTimeParams{Description: desc, MultiValued: a.MultiValued, Mutability: mut, Name: a.Name, Required: a.Required, Returned: ret})
	case TypeBinary:
		return schema.SimpleBinaryParams(schema.BinaryParams{Description: desc, MultiValued: a.MultiValued, Mutability: mut, Name: a.Name, Required: a.Required, Returned: ret})
	case TypeReference:
		refs := make([]schema.AttributeReferenceType, 0, len(a.ReferenceTypes))
		for _, r := range a.ReferenceTypes {
			refs = append(refs, schema.AttributeReferenceType(r))
		}
		return schema.SimpleReferenceParams(schema.ReferenceParams{Description: desc, MultiValued: a.MultiValued, Mutability: mut, Name: a.Name, ReferenceTypes: refs, Required: a.Required, Returned: ret, Uniqueness: uniq})
	default:
		return schema.SimpleStringParams(schema.StringParams{CanonicalValues: a.CanonicalValues, CaseExact: a.CaseExact, Description: desc, MultiValued: a.MultiValued, Mutability: mut, Name: a.Name, Required: a.Required, Returned: ret, Uniqueness: uniq})
	}
}

func optString(s string) optional.String {
	if s == "" {
		return optional.String{}
	}
	return optional.NewString(s)
}

func mutability(m string) schema.AttributeMutability {
	switch m {
	case ReadOnly:
		return schema.AttributeMutabilityReadOnly()
	case Immutable:
		return schema.AttributeMutabilityImmutable()
	case WriteOnly:
		return schema.AttributeMutabilityWriteOnly()
	default:
		return schema.AttributeMutabilityReadWrite()
	}
}

func returned(r string) schema.AttributeReturned {
	switch r {
	case ReturnedAlways:
		return schema.AttributeReturnedAlways()
	case ReturnedNever:
		return schema.AttributeReturnedNever()
	case ReturnedRequest:
		return schema.AttributeReturnedRequest()
	default:
		return schema.AttributeReturnedDefault()
	}
}

func uniqueness(u string) schema.AttributeUniqueness {
	switch u {
	case UniqueServer:
		return schema.AttributeUniquenessServer()
	case UniqueGlobal:
		return schema.AttributeUniquenessGlobal()
	default:
		return schema.AttributeUniquenessNone()
	}
}
