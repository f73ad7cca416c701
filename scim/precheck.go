package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/schemas"
)

// precheck validates a POST/PUT resource body before elimity does, so that
// a bad body gets a 400 naming the attribute and the problem (elimity's
// own messages are generic) and so that shapes elimity would coerce
// (an object where an array belongs, an undeclared extension) are refused.
// elimity still validates afterwards.
func precheck(rt *schemas.ResourceType, body []byte) error {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&m); err != nil || m == nil {
		return badRequest("invalidSyntax", "the request body must be a JSON object")
	}
	var schemaList []any
	for k, v := range m {
		if !strings.EqualFold(k, "schemas") {
			continue
		}
		list, ok := v.([]any)
		if !ok {
			return badRequest("invalidSyntax", "schemas must be an array of schema URNs")
		}
		schemaList = list
	}
	hasCore := false
	for _, s := range schemaList {
		str, ok := s.(string)
		if !ok {
			return badRequest("invalidSyntax", "schemas must be an array of schema URNs")
		}
		hasCore = hasCore || strings.EqualFold(str, rt.Schema.ID)
	}
	if !hasCore {
		return badRequest("invalidValue", "schemas must contain %q", rt.Schema.ID)
	}
	for k, v := range m {
		if strings.EqualFold(k, "schemas") {
			continue
		}
		if ext := rt.Extension(k); ext != nil {
			obj, ok := v.(map[string]any)
			if !ok && v != nil {
				return badRequest("invalidValue", "extension %s must be a JSON object", ext.ID)
			}
			if err := checkAttrs(ext, obj, ext.ID+":"); err != nil {
				return err
			}
			continue
		}
		if strings.HasPrefix(strings.ToLower(k), "urn:") {
			return badRequest("invalidValue", "unknown schema extension %q for %s resources", k, rt.Name)
		}
	}
	if err := checkAttrs(rt.Schema, m, ""); err != nil {
		return err
	}
	return nil
}

// checkAttrs checks the values of a schema's attributes in obj: presence
// of required attributes and JSON types. Unknown keys are left to elimity
// (which ignores them, as RFC 7644 allows).
func checkAttrs(s *schemas.Schema, obj map[string]any, prefix string) error {
	for _, a := range s.Attributes {
		var (
			v     any
			found bool
		)
		for k, val := range obj {
			if strings.EqualFold(k, a.Name) {
				if found {
					return badRequest("invalidSyntax", "attribute %s%s is given twice (names are case-insensitive)", prefix, a.Name)
				}
				v, found = val, true
			}
		}
		if a.Mutability == schemas.ReadOnly {
			continue
		}
		if v == nil {
			if a.Required {
				return badRequest("invalidValue", "attribute %s%s is required", prefix, a.Name)
			}
			continue
		}
		if err := checkValue(a, v, prefix+a.Name); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(a *schemas.Attribute, v any, path string) error {
	if a.MultiValued {
		list, ok := v.([]any)
		if !ok {
			return badRequest("invalidValue", "attribute %s is multi-valued and must be a JSON array", path)
		}
		one := *a
		one.MultiValued = false
		for i, el := range list {
			if err := checkValue(&one, el, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if v == nil {
		return nil
	}
	switch a.Type {
	case schemas.TypeComplex:
		obj, ok := v.(map[string]any)
		if !ok {
			return badRequest("invalidValue", "attribute %s must be a JSON object", path)
		}
		for _, sub := range a.SubAttributes {
			for k, sv := range obj {
				if strings.EqualFold(k, sub.Name) && sv != nil && sub.Mutability != schemas.ReadOnly {
					if err := checkValue(sub, sv, path+"."+sub.Name); err != nil {
						return err
					}
				}
			}
		}
	case schemas.TypeBoolean:
		switch b := v.(type) {
		case bool:
		case string: // Entra sends "True"/"False"
			if !strings.EqualFold(b, "true") && !strings.EqualFold(b, "false") {
				return badRequest("invalidValue", "attribute %s must be a boolean, got %q", path, b)
			}
		default:
			return badRequest("invalidValue", "attribute %s must be a boolean", path)
		}
	case schemas.TypeInteger, schemas.TypeDecimal:
		n, ok := v.(json.Number)
		if !ok {
			if _, isStr := v.(string); !isStr {
				return badRequest("invalidValue", "attribute %s must be a number", path)
			}
			return nil // elimity accepts numeric strings when string values are allowed
		}
		if a.Type == schemas.TypeInteger {
			if _, err := n.Int64(); err != nil {
				return badRequest("invalidValue", "attribute %s must be an integer, got %s", path, n)
			}
		}
	default: // string, reference, dateTime, binary
		if _, ok := v.(string); !ok {
			return badRequest("invalidValue", "attribute %s must be a string", path)
		}
	}
	return nil
}

// prechecked runs precheck on the buffered body of a POST/PUT.
func (a *API) prechecked(rt *schemas.ResourceType, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := precheck(rt, body(c)); err != nil {
			return err
		}
		return next(c)
	}
}
