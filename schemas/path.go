package schemas

import (
	"fmt"
	"strings"
)

// Path is an attribute path resolved against a resource type:
// [urn:]attr[.sub]. For common attributes (id, externalId, meta) Schema is
// nil and Common is true.
type Path struct {
	Schema *Schema    // the schema that defines Attr; nil for common attributes
	Ext    bool       // Schema is an extension (attribute values live under its URN)
	Common bool       // id, externalId or meta
	Attr   *Attribute // the top-level attribute
	Sub    *Attribute // the sub-attribute, or nil
}

// Leaf returns the attribute the path points at: Sub if set, else Attr.
func (p Path) Leaf() *Attribute {
	if p.Sub != nil {
		return p.Sub
	}
	return p.Attr
}

// URN returns the URN under which the attribute's value is stored in a
// resource: the extension URN, or "" for core and common attributes.
func (p Path) URN() string {
	if p.Ext {
		return p.Schema.ID
	}
	return ""
}

// String renders the canonical path, extension-qualified where needed.
func (p Path) String() string {
	s := p.Attr.Name
	if p.Ext {
		s = p.Schema.ID + ":" + s
	}
	if p.Sub != nil {
		s += "." + p.Sub.Name
	}
	return s
}

// PathError reports an attribute path that does not resolve.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string { return fmt.Sprintf("attribute path %q: %s", e.Path, e.Reason) }

// Resolve resolves the parts of an attribute path: an optional schema URN
// prefix, the attribute name and an optional sub-attribute name. Names are
// matched case-insensitively.
func (rt *ResourceType) Resolve(urn, attr, sub string) (Path, error) {
	full := attr
	if urn != "" {
		full = urn + ":" + attr
	}
	if sub != "" {
		full += "." + sub
	}
	var p Path
	switch {
	case urn == "" || strings.EqualFold(urn, rt.Schema.ID):
		if a := rt.Schema.Attr(attr); a != nil {
			p = Path{Schema: rt.Schema, Attr: a}
		} else if a := CommonAttr(attr); a != nil && urn == "" {
			p = Path{Common: true, Attr: a}
		} else {
			return Path{}, &PathError{Path: full, Reason: "no such attribute in " + rt.Schema.ID}
		}
	default:
		s := rt.Extension(urn)
		if s == nil {
			return Path{}, &PathError{Path: full, Reason: "unknown schema " + urn}
		}
		a := s.Attr(attr)
		if a == nil {
			return Path{}, &PathError{Path: full, Reason: "no such attribute in " + s.ID}
		}
		p = Path{Schema: s, Ext: true, Attr: a}
	}
	if sub != "" {
		if !p.Attr.IsComplex() {
			return Path{}, &PathError{Path: full, Reason: p.Attr.Name + " has no sub-attributes"}
		}
		p.Sub = p.Attr.Sub(sub)
		if p.Sub == nil {
			return Path{}, &PathError{Path: full, Reason: "no sub-attribute " + sub + " in " + p.Attr.Name}
		}
	}
	return p, nil
}

// ResolveString resolves a textual path such as "name.givenName",
// "emails.value" or "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
func (rt *ResourceType) ResolveString(path string) (Path, error) {
	urn, attr, sub := SplitPath(rt, path)
	return rt.Resolve(urn, attr, sub)
}

// SplitPath splits a textual attribute path into URN prefix, attribute and
// sub-attribute. A URN prefix is recognised when the path starts with the
// URN of the core schema or of an extension of rt (case-insensitive),
// followed by ':'.
func SplitPath(rt *ResourceType, path string) (urn, attr, sub string) {
	rest := path
	for _, id := range rt.SchemaURNs() {
		if len(rest) > len(id) && strings.EqualFold(rest[:len(id)], id) && rest[len(id)] == ':' {
			urn, rest = rest[:len(id)], rest[len(id)+1:]
			break
		}
	}
	attr = rest
	if i := strings.IndexByte(rest, '.'); i >= 0 {
		attr, sub = rest[:i], rest[i+1:]
	}
	return urn, attr, sub
}
