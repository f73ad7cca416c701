package sqlfilter

import (
	"errors"
	"strings"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/schemas"
)

// schemasAttr describes the "schemas" common attribute (RFC 7643 §3), which
// the schemas package does not model: a multi-valued list of URIs, stored
// in attrs as "schemas".
var schemasAttr = &schemas.Attribute{Name: "schemas", Type: schemas.TypeReference, MultiValued: true,
	Mutability: schemas.ReadOnly, Returned: schemas.ReturnedAlways, Uniqueness: schemas.UniqueNone}

// resolve resolves an attribute path against the resource type: names and
// URNs match case-insensitively; the core URN may prefix common attributes
// too. Attributes that are never returned cannot be filtered or sorted.
func (b *builder) resolve(ap filter.AttributePath) (schemas.Path, error) {
	uri, name, sub := ap.URI(), ap.AttributeName, ap.SubAttributeName()
	if strings.EqualFold(name, "schemas") && (uri == "" || strings.EqualFold(uri, b.rt.Schema.ID)) {
		if sub != "" {
			return schemas.Path{}, b.fail("schemas has no sub-attributes")
		}
		return schemas.Path{Common: true, Attr: schemasAttr}, nil
	}
	p, err := b.rt.Resolve(uri, name, sub)
	if err != nil && uri != "" && strings.EqualFold(uri, b.rt.Schema.ID) && schemas.CommonAttr(name) != nil {
		p, err = b.rt.Resolve("", name, sub)
	}
	if err != nil {
		var pe *schemas.PathError
		if errors.As(err, &pe) {
			return schemas.Path{}, b.fail(pe.Reason)
		}
		return schemas.Path{}, b.fail(err.Error())
	}
	if err := b.checkReadable(p.Attr); err != nil {
		return schemas.Path{}, err
	}
	if p.Sub != nil {
		if err := b.checkReadable(p.Sub); err != nil {
			return schemas.Path{}, err
		}
	}
	return p, nil
}

// checkReadable rejects attributes whose values are never returned
// (password): filtering on them would leak them.
func (b *builder) checkReadable(a *schemas.Attribute) error {
	if a.Returned == schemas.ReturnedNever || a.Mutability == schemas.WriteOnly {
		if b.sort {
			return b.fail(a.Name + " is never returned and cannot be sorted on")
		}
		return b.fail(a.Name + " is never returned and cannot be filtered on")
	}
	return nil
}

// subAttr resolves a sub-attribute name inside brackets.
func (b *builder) subAttr(base schemas.Path, ap filter.AttributePath) (*schemas.Attribute, error) {
	if ap.URIPrefix != nil || ap.SubAttribute != nil {
		return nil, b.fail("inside " + base.Attr.Name + "[…] name a sub-attribute of " + base.Attr.Name)
	}
	sub := base.Attr.Sub(ap.AttributeName)
	if sub == nil {
		return nil, b.fail("no sub-attribute " + ap.AttributeName + " in " + base.Attr.Name)
	}
	if err := b.checkReadable(sub); err != nil {
		return nil, err
	}
	return sub, nil
}

// isCore reports whether p is attribute name of the core schema.
func isCore(p schemas.Path, name string) bool {
	return !p.Ext && !p.Common && p.Attr.Name == name
}

// refersTo reports whether the value filter e mentions sub-attribute name.
func refersTo(e any, name string) bool {
	found := false
	walkAttrExprs(e, func(x *filter.AttributeExpression) {
		if strings.EqualFold(x.AttributePath.AttributeName, name) {
			found = true
		}
	})
	return found
}

// refersOnlyTo reports whether every comparison in e is on sub-attribute name.
func refersOnlyTo(e any, name string) bool {
	only, seen := true, false
	walkAttrExprs(e, func(x *filter.AttributeExpression) {
		seen = true
		if !strings.EqualFold(x.AttributePath.AttributeName, name) || x.AttributePath.URIPrefix != nil || x.AttributePath.SubAttribute != nil {
			only = false
		}
	})
	return only && seen
}

// walkAttrExprs calls fn for every comparison in e (not descending into
// nested value paths, which are rejected later anyway).
func walkAttrExprs(e any, fn func(*filter.AttributeExpression)) {
	switch x := e.(type) {
	case *filter.AttributeExpression:
		if x != nil {
			fn(x)
		}
	case filter.AttributeExpression:
		fn(&x)
	case *filter.LogicalExpression:
		if x != nil {
			walkAttrExprs(x.Left, fn)
			walkAttrExprs(x.Right, fn)
		}
	case filter.LogicalExpression:
		walkAttrExprs(x.Left, fn)
		walkAttrExprs(x.Right, fn)
	case *filter.NotExpression:
		if x != nil {
			walkAttrExprs(x.Expression, fn)
		}
	case filter.NotExpression:
		walkAttrExprs(x.Expression, fn)
	}
}

// conjunctEq finds, among the top-level "and" operands of e, a comparison
// "name eq <non-empty string>" and returns its value.
func conjunctEq(e any, name string) (string, bool) {
	switch x := e.(type) {
	case *filter.AttributeExpression:
		if x == nil || x.AttributePath.URIPrefix != nil || x.AttributePath.SubAttribute != nil ||
			!strings.EqualFold(x.AttributePath.AttributeName, name) || !strings.EqualFold(string(x.Operator), opEQ) {
			return "", false
		}
		s, ok := x.CompareValue.(string)
		return s, ok && s != ""
	case filter.AttributeExpression:
		return conjunctEq(&x, name)
	case *filter.LogicalExpression:
		if x == nil || !strings.EqualFold(string(x.Operator), "and") {
			return "", false
		}
		if s, ok := conjunctEq(x.Left, name); ok {
			return s, true
		}
		return conjunctEq(x.Right, name)
	case filter.LogicalExpression:
		return conjunctEq(&x, name)
	}
	return "", false
}
