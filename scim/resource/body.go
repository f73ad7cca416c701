package resource

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/scimd/scimd/schemas"
)

// NormalizePatchBody rewrites the PATCH body shapes that the pinned
// elimity version rejects, before elimity validates the body:
//
//  1. an operation whose path is a single-valued complex attribute with a
//     "value" sub-attribute (the enterprise manager), sent as a bare
//     string: Entra ID's
//     {"op":"Add","path":"urn:…:enterprise:2.0:User:manager","value":"271"}
//     becomes "value":{"value":"271"} (and the path gets its canonical
//     spelling);
//  2. a path-less add/replace whose value holds a schema URN key with an
//     object, {"urn:…:enterprise:2.0:User":{"employeeNumber":"1"}},
//     flattened to {"urn:…:enterprise:2.0:User:employeeNumber":"1"};
//  3. a manager bare string inside a path-less value
//     ("urn:…:User:manager":"271").
//
// Operations that need no fix keep their bytes; a body that needs none is
// returned as is (the same slice), after a cheap scan that does not decode
// it. Invalid JSON is returned unchanged for elimity to report. The error
// is reserved; it is nil today.
func NormalizePatchBody(rt *schemas.ResourceType, body []byte) ([]byte, error) {
	if rt == nil || !mayNeedNormalize(rt, body) {
		return body, nil
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return body, nil
	}
	opsKey, ok := uniqueKey(top, "Operations")
	if !ok || opsKey == "" {
		return body, nil
	}
	var ops []json.RawMessage
	if json.Unmarshal(top[opsKey], &ops) != nil {
		return body, nil
	}
	changed := false
	for i, raw := range ops {
		if fixed, ok := normalizeOp(rt, raw); ok {
			ops[i] = fixed
			changed = true
		}
	}
	if !changed {
		return body, nil
	}
	rawOps, err := marshalRaw(ops)
	if err != nil {
		return body, nil
	}
	top[opsKey] = rawOps
	out, err := marshalRaw(top)
	if err != nil {
		return body, nil
	}
	return out, nil
}

// mayNeedNormalize is the fast path: a body needs a look only when it
// names a bare-string-capable attribute (manager) or holds a schema URN
// as a whole JSON string (a URN key).
func mayNeedNormalize(rt *schemas.ResourceType, body []byte) bool {
	for _, s := range rtSchemas(rt) {
		if indexFold(body, s.ID+`"`) >= 0 {
			return true
		}
		for _, a := range s.Attributes {
			if valueComplex(a) && indexFold(body, a.Name) >= 0 {
				return true
			}
		}
	}
	return false
}

func rtSchemas(rt *schemas.ResourceType) []*schemas.Schema {
	out := make([]*schemas.Schema, 0, 1+len(rt.Extensions))
	out = append(out, rt.Schema)
	for _, e := range rt.Extensions {
		out = append(out, e.Schema)
	}
	return out
}

// valueComplex reports whether a is a single-valued complex attribute
// with a "value" sub-attribute, such as the enterprise manager.
func valueComplex(a *schemas.Attribute) bool {
	return a.IsComplex() && !a.MultiValued && a.Sub("value") != nil
}

// normalizeOp fixes one operation; ok is false when it needs nothing.
func normalizeOp(rt *schemas.ResourceType, raw json.RawMessage) (json.RawMessage, bool) {
	var op map[string]json.RawMessage
	if json.Unmarshal(raw, &op) != nil {
		return nil, false
	}
	pathKey, ok1 := uniqueKey(op, "path")
	valueKey, ok2 := uniqueKey(op, "value")
	if !ok1 || !ok2 || valueKey == "" {
		return nil, false
	}
	var path string
	if pathKey != "" {
		if json.Unmarshal(op[pathKey], &path) != nil {
			return nil, false
		}
	}
	if path != "" {
		canon, ok := valueComplexPath(rt, path)
		if !ok {
			return nil, false
		}
		fixed, ok := wrapBareString(op[valueKey])
		if !ok {
			return nil, false
		}
		op[valueKey] = fixed
		if p, err := json.Marshal(canon); err == nil {
			op[pathKey] = p
		}
		out, err := marshalRaw(op)
		return out, err == nil
	}
	var val map[string]json.RawMessage
	if json.Unmarshal(op[valueKey], &val) != nil {
		return nil, false
	}
	changed := false
	out := make(map[string]json.RawMessage, len(val))
	for _, k := range sortedKeys(val) {
		rv := val[k]
		if s := rt.SchemaByURN(k); s != nil {
			var inner map[string]json.RawMessage
			if json.Unmarshal(rv, &inner) == nil {
				for _, k2 := range sortedKeys(inner) {
					key := s.ID + ":" + k2
					rv2 := inner[k2]
					if canon, ok := valueComplexPath(rt, key); ok {
						if fixed, ok := wrapBareString(rv2); ok {
							key, rv2 = canon, fixed
						}
					}
					out[key] = rv2
				}
				changed = true
				continue
			}
		}
		if canon, ok := valueComplexPath(rt, k); ok {
			if fixed, ok := wrapBareString(rv); ok {
				out[canon] = fixed
				changed = true
				continue
			}
		}
		out[k] = rv
	}
	if !changed {
		return nil, false
	}
	rawVal, err := marshalRaw(out)
	if err != nil {
		return nil, false
	}
	op[valueKey] = rawVal
	fixed, err := marshalRaw(op)
	return fixed, err == nil
}

// valueComplexPath reports whether path (without a filter) names a
// single-valued complex attribute with a value sub-attribute, and returns
// its canonical spelling.
func valueComplexPath(rt *schemas.ResourceType, path string) (string, bool) {
	if strings.ContainsAny(path, `[]" `) {
		return "", false
	}
	urn, name := "", path
	if i := strings.LastIndexByte(path, ':'); i >= 0 {
		urn, name = path[:i], path[i+1:]
	}
	if strings.IndexByte(name, '.') >= 0 {
		return "", false
	}
	p, err := rt.Resolve(urn, name, "")
	if err != nil || p.Common || !valueComplex(p.Attr) {
		return "", false
	}
	return p.String(), true
}

// wrapBareString turns a JSON string into {"value": string}.
func wrapBareString(raw json.RawMessage) (json.RawMessage, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, false
	}
	out, err := marshalRaw(map[string]string{"value": s})
	return out, err == nil
}

// uniqueKey finds the key equal to name ignoring case (as encoding/json
// and elimity match it); ok is false when several keys match.
func uniqueKey[V any](m map[string]V, name string) (key string, ok bool) {
	for k := range m {
		if strings.EqualFold(k, name) {
			if key != "" {
				return "", false
			}
			key = k
		}
	}
	return key, true
}

// marshalRaw encodes v without HTML escaping (the bytes stay as the
// client sent them).
func marshalRaw(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// indexFold is an ASCII case-insensitive bytes.Index.
func indexFold(s []byte, sub string) int {
	n := len(sub)
	if n == 0 {
		return 0
	}
	c0 := lowerASCII(sub[0])
	for i := 0; i+n <= len(s); i++ {
		if lowerASCII(s[i]) != c0 {
			continue
		}
		j := 1
		for j < n && lowerASCII(s[i+j]) == lowerASCII(sub[j]) {
			j++
		}
		if j == n {
			return i
		}
	}
	return -1
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
