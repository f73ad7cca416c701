package resource

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	elschema "github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/schemas"
	sfilter "github.com/scimd/scimd/scim/filter"
)

// PatchOpURN is the schema of a PATCH request body.
const PatchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// DecodePatch decodes a PatchOp body for the Bulk engine into the
// operations elimity's validation hands to the HTTP handlers: ops lower
// case, paths parsed, values checked and converted against the attribute
// definitions (canonical sub-attribute names, int64, float64, bool, lists
// for multi-valued targets). NormalizePatchBody runs first, so the IdP
// shapes it fixes are accepted here too.
//
// DecodePatch converts the attributes it meets to elimity's form on every
// call; a caller decoding many bodies should build a PatchDecoder once.
func DecodePatch(rt *schemas.ResourceType, body []byte) ([]Op, error) {
	v := &patchValidator{e: &editor{rt: rt}, local: map[*schemas.Attribute]elschema.CoreAttribute{}}
	return v.decode(body)
}

// PatchDecoder is DecodePatch with the elimity form of every attribute
// built once. It is immutable and safe for concurrent use.
type PatchDecoder struct {
	rt   *schemas.ResourceType
	elim map[*schemas.Attribute]elschema.CoreAttribute
}

// NewPatchDecoder prepares a decoder for the resource type rt.
func NewPatchDecoder(rt *schemas.ResourceType) *PatchDecoder {
	d := &PatchDecoder{rt: rt, elim: map[*schemas.Attribute]elschema.CoreAttribute{}}
	for _, s := range rtSchemas(rt) {
		el := s.Elimity()
		for i, a := range s.Attributes {
			ea := el.Attributes[i]
			d.elim[a] = ea
			for j, sub := range a.SubAttributes {
				d.elim[sub] = ea.SubAttributes()[j]
			}
		}
	}
	return d
}

// Decode decodes one PatchOp body, as DecodePatch does.
func (d *PatchDecoder) Decode(body []byte) ([]Op, error) {
	v := &patchValidator{e: &editor{rt: d.rt}, shared: d.elim}
	return v.decode(body)
}

// patchValidator checks PATCH operations against a resource type.
type patchValidator struct {
	e      *editor
	shared map[*schemas.Attribute]elschema.CoreAttribute // read only (PatchDecoder)
	local  map[*schemas.Attribute]elschema.CoreAttribute // filled on use (DecodePatch)
}

func (v *patchValidator) decode(body []byte) ([]Op, error) {
	rt := v.e.rt
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
		p, err := parsePath(in.Path)
		if err != nil {
			return Op{}, err
		}
		op.Path = p
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
	if t.readOnly() {
		return Op{}, errorf(Mutability, "%s %s: the attribute is read-only", name, t.text)
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

// attr returns the elimity form of the attribute a path points at (its
// sub-attribute when it has one).
func (v *patchValidator) attr(p schemas.Path) (elschema.CoreAttribute, bool) {
	leaf := p.Leaf()
	if ea, ok := v.shared[leaf]; ok {
		return ea, true
	}
	if v.local == nil {
		return elschema.CoreAttribute{}, false
	}
	if ea, ok := v.local[leaf]; ok {
		return ea, true
	}
	// Convert just this attribute: elimity's constructors compile a regexp
	// per attribute name, so converting whole schemas per body is slow.
	one := &schemas.Schema{ID: p.Schema.ID, Attributes: []*schemas.Attribute{p.Attr}}
	ea := one.Elimity().Attributes[0]
	v.local[p.Attr] = ea
	for j, sub := range p.Attr.SubAttributes {
		v.local[sub] = ea.SubAttributes()[j]
	}
	ea, ok := v.local[leaf]
	return ea, ok
}

// parsePath parses a PATCH path with scimd's parser and gives the value
// filter the escaping convention of the scim2 parser that elimity uses
// (see decodeExpr), so both routes hand PatchUser the same AST.
func parsePath(s string) (*filter.Path, error) {
	p, err := sfilter.ParsePath(s)
	if err != nil {
		return nil, errorf(InvalidPath, "%q is not a valid attribute path: %v", s, err)
	}
	if p.ValueExpression != nil {
		p.ValueExpression = encodeExpr(p.ValueExpression)
	}
	return &p, nil
}
