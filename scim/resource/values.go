package resource

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	datetime "github.com/di-wu/xsd-datetime"

	"github.com/scimd/scimd/schemas"
)

// normValue converts v to the canonical representation of attribute a:
// a []any for a multi-valued attribute, else a single value. It returns
// nil when v is empty (nil, "", {} or []). path names the attribute in
// error messages.
func normValue(a *schemas.Attribute, v any, path string) (any, error) {
	if a.MultiValued {
		l, err := normList(a, v, path)
		if err != nil || len(l) == 0 {
			return nil, err
		}
		return l, nil
	}
	return normSingle(a, v, path)
}

// normList converts v (a list, or one value) to the elements of the
// multi-valued attribute a, dropping empty elements. At most one element
// stays primary: the first one.
func normList(a *schemas.Attribute, v any, path string) ([]any, error) {
	var in []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		in = x
	case []map[string]any:
		in = make([]any, len(x))
		for i, m := range x {
			in[i] = m
		}
	default:
		in = []any{v}
	}
	out := make([]any, 0, len(in))
	for _, e := range in {
		n, err := normSingle(a, e, path)
		if err != nil {
			return nil, err
		}
		if n != nil {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	fixPrimary(out, nil)
	return out, nil
}

// normSingle converts one value of attribute a (one element when a is
// multi-valued).
func normSingle(a *schemas.Attribute, v any, path string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch a.Type {
	case schemas.TypeComplex:
		m, err := complexInput(a, v, path)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m))
		for _, k := range sortedKeys(m) {
			sub := a.Sub(k)
			if sub == nil || sub.Mutability == schemas.ReadOnly {
				continue // unknown and readOnly sub-attributes are ignored, as elimity does
			}
			if _, dup := out[sub.Name]; dup {
				return nil, errorf(InvalidSyntax, "%s: sub-attribute %s is given twice", path, sub.Name)
			}
			n, err := normValue(sub, m[k], path+"."+sub.Name)
			if err != nil {
				return nil, err
			}
			if n != nil {
				out[sub.Name] = n
			}
		}
		if a.MultiValued && a.Name == "roles" {
			unwrapRole(out)
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	case schemas.TypeBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			// Entra ID sends "True"/"False".
			if b, ok := parseBool(x); ok {
				return b, nil
			}
		}
		return nil, typeError(path, "a boolean", v)
	case schemas.TypeInteger:
		if i, ok := toInt(v); ok {
			return i, nil
		}
		if s, ok := v.(string); ok {
			if i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
				return i, nil
			}
		}
		return nil, typeError(path, "an integer", v)
	case schemas.TypeDecimal:
		if f, ok := toFloat(v); ok {
			return f, nil
		}
		if s, ok := v.(string); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return f, nil
			}
		}
		return nil, typeError(path, "a decimal number", v)
	default: // string, reference, binary, dateTime
		s, ok := v.(string)
		if !ok {
			return nil, typeError(path, "a string", v)
		}
		if s == "" {
			return nil, nil
		}
		switch a.Type {
		case schemas.TypeDateTime:
			if _, err := datetime.Parse(s); err != nil {
				return nil, errorf(InvalidValue, "%s: %q is not an xsd:dateTime (like 2024-05-01T12:00:00Z)", path, s)
			}
		case schemas.TypeBinary:
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				return nil, errorf(InvalidValue, "%s: value is not base64", path)
			}
		}
		return s, nil
	}
}

// complexInput returns v as the raw object of complex attribute a. A bare
// string is taken as the "value" sub-attribute when a has one: Entra ID
// sends the enterprise manager as `"value": "<id>"`.
func complexInput(a *schemas.Attribute, v any, path string) (map[string]any, error) {
	switch x := v.(type) {
	case map[string]any:
		return x, nil
	case string:
		if a.Sub("value") != nil {
			return map[string]any{"value": x}, nil
		}
	}
	return nil, typeError(path, "an object", v)
}

// unwrapRole fixes Entra ID's app-role shape, where the role object is
// JSON inside the value string:
// {"value": "{\"id\":\"…\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}.
func unwrapRole(el map[string]any) {
	s, ok := el["value"].(string)
	if !ok || len(s) < 2 || s[0] != '{' {
		return
	}
	var inner map[string]any
	if json.Unmarshal([]byte(s), &inner) != nil {
		return
	}
	v, ok := inner["value"].(string)
	if !ok || v == "" {
		return
	}
	el["value"] = v
	if _, ok := el["display"]; !ok {
		for _, k := range []string{"display", "displayName"} {
			if d, ok := inner[k].(string); ok && d != "" {
				el["display"] = d
				break
			}
		}
	}
	if _, ok := el["type"]; !ok {
		if t, ok := inner["type"].(string); ok && t != "" {
			el["type"] = t
		}
	}
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

func typeError(path, want string, v any) *Error {
	return errorf(InvalidValue, "%s: expected %s, got %s", path, want, kindOf(v))
}

// kindOf names the JSON kind of v for error messages.
func kindOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	if f, ok := toFloat(v); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return "an unsupported value"
}

// toInt returns v as an int64 when it is an integral number.
func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), true
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return int64(f), true
		}
	}
	return 0, false
}

// toFloat returns v as a float64 when it is a number.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}
