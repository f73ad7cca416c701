package resource

import (
	"strings"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/schemas"
)

// Op is one PATCH operation (RFC 7644 §3.5.2), as elimity hands it over
// or DecodePatch produces it. Op is add, replace or remove in any letter
// case; Path is nil for a path-less operation, whose Value is then an
// object keyed by attribute paths ("name.givenName",
// "urn:…:enterprise:2.0:User:employeeNumber", extension URNs). String
// compare values in a Path's value filter keep their JSON escapes, as the
// scim2 parser behind elimity leaves them (decodeExpr).
type Op struct {
	Op    string
	Path  *filter.Path
	Value any
}

// Operation names.
const (
	opAdd     = "add"
	opReplace = "replace"
	opRemove  = "remove"
)

// Password edits recorded by the editor.
const (
	pwNone = iota
	pwSet
	pwClear
)

// editor applies operations to one attribute map in place.
type editor struct {
	rt    *schemas.ResourceType
	attrs map[string]any
	// lenient skips keys that name no attribute (create and PUT bodies,
	// as elimity does) instead of failing with invalidPath.
	lenient bool
	// password: a users-only write-only attribute kept out of attrs.
	pwOp int
	pw   string
	// members is set for groups: members never live in attrs.
	members *memberEditor
}

// target is a resolved PATCH path.
type target struct {
	p      schemas.Path // Sub is the sub-attribute, before or after a filter
	filter filter.Expression
	text   string // the path for messages
}

func (e *editor) apply(op Op) error {
	name := strings.ToLower(op.Op)
	switch name {
	case opAdd, opReplace, opRemove:
	default:
		return errorf(InvalidValue, "unknown PATCH op %q (want add, replace or remove)", op.Op)
	}
	if op.Path == nil {
		if name == opRemove {
			return errorf(NoTarget, "remove needs a path")
		}
		m, ok := op.Value.(map[string]any)
		if !ok {
			return errorf(InvalidValue, "%s without a path needs an object of attributes as value, got %s", name, kindOf(op.Value))
		}
		return e.applyMap(name, m)
	}
	t, err := e.resolvePath(op.Path)
	if err != nil {
		return err
	}
	if name != opRemove && op.Value == nil {
		return errorf(InvalidValue, "%s %s: value is required", name, t.text)
	}
	return e.applyTarget(name, t, op.Value)
}

// applyMap applies add or replace to every key of a path-less value (or
// a create/PUT body): each key is an attribute path, or a schema URN
// holding an object of that schema's attributes. Read-only attributes
// (id, meta, groups, …) are ignored, as Okta sends "id" along.
func (e *editor) applyMap(op string, m map[string]any) error {
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch strings.ToLower(k) {
		case "schemas", "id", "meta":
			continue
		}
		if s := e.rt.SchemaByURN(k); s != nil {
			if v == nil {
				continue
			}
			inner, ok := v.(map[string]any)
			if !ok {
				return errorf(InvalidValue, "%s: expected an object of %s attributes, got %s", k, s.ID, kindOf(v))
			}
			for _, k2 := range sortedKeys(inner) {
				if err := e.applyKey(op, s.ID+":"+k2, inner[k2]); err != nil {
					return err
				}
			}
			continue
		}
		if err := e.applyKey(op, k, v); err != nil {
			return err
		}
	}
	return nil
}

func (e *editor) applyKey(op, key string, v any) error {
	t, err := e.resolveKey(key)
	if err != nil {
		if e.lenient {
			return nil
		}
		return err
	}
	if t.readOnly() {
		return nil
	}
	if v == nil && (e.lenient || op == opAdd) {
		return nil
	}
	return e.applyTarget(op, t, v)
}

// resolveKey resolves a key of a path-less value.
func (e *editor) resolveKey(key string) (target, error) {
	p, err := parsePath(key)
	if err != nil {
		return target{}, err
	}
	return e.resolvePath(p)
}

func (e *editor) resolvePath(p *filter.Path) (target, error) {
	ap := p.AttributePath
	sub := ap.SubAttributeName()
	if p.ValueExpression != nil && ap.SubAttribute != nil {
		return target{}, errorf(InvalidPath, "%s: a value filter must follow the attribute name", p.String())
	}
	if p.SubAttribute != nil {
		sub = *p.SubAttribute
	}
	return e.resolveParts(ap.URI(), ap.AttributeName, sub, p.ValueExpression, pathText(p))
}

// pathText renders a path for messages; fmt is only needed for filters.
func pathText(p *filter.Path) string {
	if p.ValueExpression != nil {
		return p.String()
	}
	s := p.AttributePath.AttributeName
	if u := p.AttributePath.URI(); u != "" {
		s = u + ":" + s
	}
	if sub := p.AttributePath.SubAttributeName(); sub != "" {
		s += "." + sub
	}
	if p.SubAttribute != nil {
		s += "." + *p.SubAttribute
	}
	return s
}

func (e *editor) resolveParts(urn, name, sub string, expr filter.Expression, text string) (target, error) {
	p, err := e.rt.Resolve(urn, name, sub)
	if err != nil {
		return target{}, errorf(InvalidPath, "%s", err.Error())
	}
	if expr != nil {
		expr = decodeExpr(expr)
		if !p.Attr.MultiValued {
			return target{}, errorf(InvalidPath, "%s: %s is single-valued and cannot take a value filter", text, p.Attr.Name)
		}
		if err := checkFilter(expr, p.Attr); err != nil {
			return target{}, errorf(InvalidPath, "%s: %v", text, err)
		}
	}
	return target{p: p, filter: expr, text: text}, nil
}

// readOnly reports whether the target cannot be written by clients.
func (t target) readOnly() bool {
	if t.p.Common {
		return t.p.Attr != schemas.ExternalIDAttr
	}
	return t.p.Attr.Mutability == schemas.ReadOnly || t.p.Leaf().Mutability == schemas.ReadOnly
}

func (e *editor) isPassword(p schemas.Path) bool {
	return !p.Common && !p.Ext && p.Schema.ID == schemas.UserURN && p.Attr.Name == "password"
}

func (e *editor) isMembers(p schemas.Path) bool {
	return e.members != nil && !p.Common && !p.Ext && p.Schema.ID == schemas.GroupURN && p.Attr.Name == "members"
}

// applyTarget applies one operation to a resolved path.
func (e *editor) applyTarget(op string, t target, v any) error {
	p := t.p
	if t.readOnly() {
		return errorf(Mutability, "%s is read-only", t.text)
	}
	if e.isPassword(p) {
		return e.applyPassword(op, t, v)
	}
	if e.isMembers(p) {
		return e.members.apply(op, t, v)
	}
	c := e.attrs
	if p.Ext {
		c, _ = e.attrs[p.Schema.ID].(map[string]any)
		if c == nil {
			c = map[string]any{}
			e.attrs[p.Schema.ID] = c
		}
	}
	var err error
	switch {
	case p.Attr.MultiValued:
		err = applyMulti(op, c, t, v)
	case p.Attr.IsComplex():
		err = applyComplex(op, c, t, v)
	default:
		err = applySimple(op, c, p.Attr, t.text, v)
	}
	if p.Ext && len(c) == 0 {
		delete(e.attrs, p.Schema.ID)
	}
	return err
}

func (e *editor) applyPassword(op string, t target, v any) error {
	if op == opRemove || v == nil {
		e.pwOp, e.pw = pwClear, ""
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return typeError(t.text, "a string", v)
	}
	if s == "" {
		e.pwOp, e.pw = pwClear, ""
		return nil
	}
	e.pwOp, e.pw = pwSet, s
	return nil
}

// applySimple handles a single-valued simple attribute. add of an empty
// value changes nothing; replace with an empty value unassigns.
func applySimple(op string, c map[string]any, a *schemas.Attribute, text string, v any) error {
	if op == opRemove {
		delete(c, a.Name)
		return nil
	}
	n, err := normValue(a, v, text)
	if err != nil {
		return err
	}
	switch {
	case n != nil:
		c[a.Name] = n
	case op == opReplace:
		delete(c, a.Name)
	}
	return nil
}

// applyComplex handles a single-valued complex attribute (name, manager):
// add and replace merge the given sub-attributes into the current value.
func applyComplex(op string, c map[string]any, t target, v any) error {
	a, sub := t.p.Attr, t.p.Sub
	cur, _ := c[a.Name].(map[string]any)
	if cur == nil {
		cur = map[string]any{}
	}
	switch {
	case op == opRemove && sub == nil:
		delete(c, a.Name)
		return nil
	case op == opRemove:
		delete(cur, sub.Name)
	case sub != nil:
		if err := applySimple(op, cur, sub, t.text, v); err != nil {
			return err
		}
	default:
		raw, err := complexInput(a, v, t.text)
		if err != nil {
			return err
		}
		for _, k := range sortedKeys(raw) {
			s := a.Sub(k)
			if s == nil || s.Mutability == schemas.ReadOnly {
				continue
			}
			if err := applySimple(op, cur, s, t.text+"."+s.Name, raw[k]); err != nil {
				return err
			}
		}
	}
	if len(cur) == 0 {
		delete(c, a.Name)
	} else {
		c[a.Name] = cur
	}
	return nil
}
