package scim

import (
	"strings"

	"github.com/scimd/scimd/schemas"
)

// projection is the attributes / excludedAttributes request (RFC 7644
// §3.4.2.5). Unknown attribute names are ignored.
type projection struct {
	attrs    []string
	excluded []string
}

func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseProjection(attributes, excluded string) projection {
	return projection{attrs: splitList(attributes), excluded: splitList(excluded)}
}

func (p projection) active() bool { return len(p.attrs) > 0 || len(p.excluded) > 0 }

// includes reports whether the top-level core attribute name (e.g. "groups",
// "members") is part of the response, so callers can skip loading it.
func (p projection) includes(rt *schemas.ResourceType, name string) bool {
	match := func(paths []string) bool {
		for _, s := range paths {
			if path, err := rt.ResolveString(s); err == nil && !path.Ext && strings.EqualFold(path.Attr.Name, name) {
				return true
			}
		}
		return false
	}
	if len(p.attrs) > 0 {
		return match(p.attrs)
	}
	return !match(p.excluded)
}

// apply returns the projected copy of a full resource map. m is not modified.
func (p projection) apply(rt *schemas.ResourceType, m map[string]any) map[string]any {
	if len(p.attrs) > 0 {
		return p.include(rt, m)
	}
	return p.exclude(rt, m)
}

func (p projection) include(rt *schemas.ResourceType, m map[string]any) map[string]any {
	out := map[string]any{"id": m["id"], "schemas": m["schemas"]}
	// returned:"always" attributes come back whatever was asked.
	for _, urn := range rt.SchemaURNs() {
		s := rt.SchemaByURN(urn)
		for _, a := range s.Attributes {
			if a.Returned != schemas.ReturnedAlways {
				continue
			}
			src, dst := m, out
			if urn != rt.Schema.ID {
				src, _ = m[urn].(map[string]any)
				dst = subMap(out, urn)
			}
			if v, ok := src[a.Name]; ok {
				dst[a.Name] = v
			}
		}
	}
	for _, s := range p.attrs {
		if ext := rt.Extension(s); ext != nil { // a whole extension
			if v, ok := m[ext.ID]; ok {
				out[ext.ID] = v
			}
			continue
		}
		path, err := rt.ResolveString(s)
		if err != nil || path.Attr.Returned == schemas.ReturnedNever {
			continue
		}
		src, dst := m, out
		if path.Ext {
			var ok bool
			if src, ok = m[path.Schema.ID].(map[string]any); !ok {
				continue
			}
			dst = subMap(out, path.Schema.ID)
		}
		copyPath(src, dst, path)
	}
	return out
}

// subMap returns m[key] as a map, creating it.
func subMap(m map[string]any, key string) map[string]any {
	if v, ok := m[key].(map[string]any); ok {
		return v
	}
	v := map[string]any{}
	m[key] = v
	return v
}

// copyPath copies the value at path from src into dst, merging with
// sub-attributes copied before.
func copyPath(src, dst map[string]any, path schemas.Path) {
	name := path.Attr.Name
	v, ok := src[name]
	if !ok {
		return
	}
	if path.Sub == nil {
		dst[name] = v
		return
	}
	sub := path.Sub.Name
	switch val := v.(type) {
	case map[string]any:
		sv, ok := val[sub]
		if !ok {
			return
		}
		subMap(dst, name)[sub] = sv
	case []any:
		prev, _ := dst[name].([]any)
		if len(prev) != len(val) {
			prev = make([]any, len(val))
			for i := range prev {
				prev[i] = map[string]any{}
			}
		}
		for i, el := range val {
			if em, ok := el.(map[string]any); ok {
				if sv, ok := em[sub]; ok {
					prev[i].(map[string]any)[sub] = sv
				}
			}
		}
		dst[name] = prev
	}
}

func (p projection) exclude(rt *schemas.ResourceType, m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, s := range p.excluded {
		if ext := rt.Extension(s); ext != nil {
			delete(out, ext.ID)
			continue
		}
		path, err := rt.ResolveString(s)
		if err != nil || path.Attr.Returned == schemas.ReturnedAlways || (path.Common && path.Attr.Name == "id") {
			continue
		}
		container := out
		if path.Ext {
			ext, ok := out[path.Schema.ID].(map[string]any)
			if !ok {
				continue
			}
			container = cloneMap(ext)
			out[path.Schema.ID] = container
		}
		name := path.Attr.Name
		if path.Sub == nil {
			delete(container, name)
			continue
		}
		sub := path.Sub.Name
		switch val := container[name].(type) {
		case map[string]any:
			c := cloneMap(val)
			delete(c, sub)
			container[name] = c
		case []any:
			list := make([]any, len(val))
			for i, el := range val {
				if em, ok := el.(map[string]any); ok {
					c := cloneMap(em)
					delete(c, sub)
					list[i] = c
				} else {
					list[i] = el
				}
			}
			container[name] = list
		}
	}
	return out
}

func cloneMap(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
