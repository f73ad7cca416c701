package resource

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	elschema "github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/schemas"
)

// PatchOpURN is the schema of a PATCH request body.
const PatchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// DecodePatch decodes a PatchOp body for the Bulk engine into the
// operations elimity's validation hands to the HTTP handlers: ops lower
// case, paths parsed, values checked and converted against the attribute
// definitions (canonical sub-attribute names, int64, float64, bool, lists
// for multi-valued targets). NormalizePatchBody runs first, so the IdP
// shapes it fixes are accepted here too.
func DecodePatch(rt *schemas.ResourceType, body []byte) ([]Op, error) {
	body, _ = NormalizePatchBody(rt, body)
	var req struct {
		Schemas    []string
		Operations []json.RawMessage
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&req); err != nil {
		return nil, errorf(InvalidSyntax, "PATCH body is not a PatchOp JSON object: %v", err)
	}
	if !slices.ContainsFunc(req.Schemas, func(s string) bool { return strings.EqualFold(s, PatchOpURN) }) {
		return nil, errorf(InvalidValue, "schemas must contain %q", PatchOpURN)
	}
	if len(req.Operations) == 0 {
		return nil, errorf(InvalidValue, "Operations must hold at least one operation")
	}
	v := &patchValidator{e: &editor{rt: rt}}
	out := make([]Op, 0, len(req.Operations))
	for i, raw := range req.Operations {
		op, err := v.decodeOp(raw)
		if err != nil {
			if re, ok := err.(*Error); ok {
				return nil, errorf(re.ScimType, "operation %d: %s", i+1, re.Detail)
			}
			return nil, err
		}
		out = append(out, op)
	}
	return out, nil
}

// patchValidator checks PATCH operations against a resource type. The
// elimity form of the schemas is built on first use.
type patchValidator struct {
	e     *editor
	elim  map[string]elschema.Schema // by lower-case schema URN
	built bool
}

func (v *patchValidator) decodeOp(raw json.RawMessage) (Op, error) {
	var in struct {
		Op    string
		Path  string
		Value any
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&in); err != nil {
		return Op{}, errorf(InvalidSyntax, "not a PATCH operation object: %v", err)
	}
	name := strings.ToLower(in.Op)
	switch name {
	case opAdd, opReplace, opRemove:
	default:
		return Op{}, errorf(InvalidValue, "unknown op %q (want add, replace or remove)", in.Op)
	}
	op := Op{Op: name}
	if in.Path != "" {
		p, err := filter.ParsePath([]byte(in.Path))
		if err != nil {
			return Op{}, errorf(InvalidPath, "%q is not a valid attribute path", in.Path)
		}
		op.Path = &p
	}
	switch {
	case op.Path == nil && name == opRemove:
		return Op{}, errorf(NoTarget, "remove needs a path")
	case op.Path == nil:
		m, ok := in.Value.(map[string]any)
		if !ok {
			return Op{}, errorf(InvalidValue, "%s without a path needs an object of attributes as value, got %s", name, kindOf(in.Value))
		}
		val := make(map[string]any, len(m))
		for _, k := range sortedKeys(m) {
			switch strings.ToLower(k) {
			case "id":
				continue // Okta sends the id along
			case "schemas", "meta":
				val[k] = m[k] // ignored when applied
				continue
			}
			if v.e.rt.SchemaByURN(k) != nil {
				val[k] = m[k] // an extension object that NormalizePatchBody could not flatten
				continue
			}
			t, err := v.e.resolveKey(k)
			if err != nil {
				return Op{}, err
			}
			cv, err := v.value(t, m[k])
			if err != nil {
				return Op{}, err
			}
			val[k] = cv
		}
		op.Value = val
		return op, nil
	}
	t, err := v.e.resolvePath(op.Path)
	if err != nil {
		return Op{}, err
	}
	if in.Value == nil {
		if name != opRemove {
			return Op{}, errorf(InvalidValue, "%s %s: value is required", name, t.text)
		}
		return op, nil
	}
	if op.Value, err = v.value(t, in.Value); err != nil {
		return Op{}, err
	}
	return op, nil
}

// value checks and converts a value for target t as elimity does: the
// target attribute's ValidateSingular on the value, or on each element
// for a multi-valued target (a single value is wrapped in a list). A
// value elimity rejects is still accepted when this package's own
// conversion takes it (Entra ID's "True"/"False" when
// schema.SetAllowStringValues is off, a bare-string manager).
func (v *patchValidator) value(t target, val any) (any, error) {
	if t.p.Common {
		if t.p.Attr != schemas.ExternalIDAttr {
			return val, nil // read-only: refused when applied
		}
		return v.convert(elschema.SimpleCoreAttribute(elschema.SimpleStringParams(elschema.StringParams{
			Name: "externalId", CaseExact: true,
		})), schemas.ExternalIDAttr, t.text, val)
	}
	ea, ok := v.attr(t.p)
	if !ok {
		return val, nil
	}
	return v.convert(ea, t.p.Leaf(), t.text, val)
}

func (v *patchValidator) convert(ea elschema.CoreAttribute, a *schemas.Attribute, text string, val any) (any, error) {
	one := func(x any) (any, error) {
		out, serr := ea.ValidateSingular(x)
		if serr == nil {
			return out, nil
		}
		// Fall back to our own conversion, which names the problem.
		n, err := normSingle(a, x, text)
		if err != nil {
			return nil, err
		}
		if n == nil {
			return nil, errorf(InvalidValue, "%s: invalid value %s", text, kindOf(x))
		}
		return n, nil
	}
	if !a.MultiValued {
		return one(val)
	}
	list, ok := val.([]any)
	if !ok {
		list = []any{val}
	}
	out := make([]any, 0, len(list))
	for _, x := range list {
		c, err := one(x)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// attr returns the elimity attribute for a resolved path: the attribute,
// or its sub-attribute.
func (v *patchValidator) attr(p schemas.Path) (elschema.CoreAttribute, bool) {
	if !v.built {
		v.elim = map[string]elschema.Schema{}
		for _, s := range rtSchemas(v.e.rt) {
			v.elim[strings.ToLower(s.ID)] = s.Elimity()
		}
		v.built = true
	}
	s, ok := v.elim[strings.ToLower(p.Schema.ID)]
	if !ok {
		return elschema.CoreAttribute{}, false
	}
	for _, a := range s.Attributes {
		if !strings.EqualFold(a.Name(), p.Attr.Name) {
			continue
		}
		if p.Sub == nil {
			return a, true
		}
		for _, sa := range a.SubAttributes() {
			if strings.EqualFold(sa.Name(), p.Sub.Name) {
				return sa, true
			}
		}
	}
	return elschema.CoreAttribute{}, false
}
