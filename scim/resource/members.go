package resource

import (
	"fmt"
	"strings"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/store"
)

// MemberDelta is the membership change of a group write. With ReplaceAll
// the group's members become exactly Set (empty: no members) and Add and
// Remove are empty. Otherwise Remove lists member ids to remove and Add
// the members to add (rows that already exist are kept); the two never
// share an id, so they can be applied in any order. Member Type is
// "User", "Group" or "" (unknown: the caller looks it up while checking
// that the member exists); Display is what the client sent.
type MemberDelta struct {
	ReplaceAll bool
	Set        []store.Member
	Add        []store.Member
	Remove     []string
}

// Empty reports whether the delta changes nothing.
func (d MemberDelta) Empty() bool {
	return !d.ReplaceAll && len(d.Add) == 0 && len(d.Remove) == 0
}

// memberList is an ordered set of members keyed by id.
type memberList struct {
	items []store.Member // deleted entries have Value ""
	idx   map[string]int
}

func (l *memberList) put(m store.Member) {
	if l.idx == nil {
		l.idx = map[string]int{}
	}
	if i, ok := l.idx[m.Value]; ok {
		cur := &l.items[i]
		if m.Type != "" {
			cur.Type = m.Type
		}
		if m.Display != "" {
			cur.Display = m.Display
		}
		return
	}
	l.idx[m.Value] = len(l.items)
	l.items = append(l.items, m)
}

func (l *memberList) del(id string) {
	if i, ok := l.idx[id]; ok {
		l.items[i].Value = ""
		delete(l.idx, id)
	}
}

func (l *memberList) has(id string) bool {
	_, ok := l.idx[id]
	return ok
}

func (l *memberList) list() []store.Member {
	out := make([]store.Member, 0, len(l.idx))
	for _, m := range l.items {
		if m.Value != "" {
			out = append(out, m)
		}
	}
	return out
}

// memberEditor records membership operations without loading the member
// list; only a member filter that is not `value eq "…"` loads it.
type memberEditor struct {
	groupID    string
	load       func() ([]store.Member, error)
	replaceAll bool
	set        memberList // when replaceAll
	add        memberList
	remove     memberList // only Value is used
	loaded     []store.Member
	didLoad    bool
}

func (m *memberEditor) addMember(x store.Member) {
	if m.replaceAll {
		m.set.put(x)
		return
	}
	m.remove.del(x.Value)
	m.add.put(x)
}

func (m *memberEditor) removeMember(id string) {
	if m.replaceAll {
		m.set.del(id)
		return
	}
	m.add.del(id)
	m.remove.put(store.Member{Value: id})
}

func (m *memberEditor) replace(ms []store.Member) {
	m.replaceAll = true
	m.set, m.add, m.remove = memberList{}, memberList{}, memberList{}
	for _, x := range ms {
		m.set.put(x)
	}
}

// current returns the members as they are after the operations so far.
func (m *memberEditor) current() ([]store.Member, error) {
	if m.replaceAll {
		return m.set.list(), nil
	}
	if !m.didLoad {
		if m.load == nil {
			return nil, fmt.Errorf("resource: a member filter needs the member list but no loader was given")
		}
		ms, err := m.load()
		if err != nil {
			return nil, err
		}
		m.loaded, m.didLoad = ms, true
	}
	out := make([]store.Member, 0, len(m.loaded)+len(m.add.idx))
	for _, x := range m.loaded {
		if !m.remove.has(x.Value) && !m.add.has(x.Value) {
			out = append(out, x)
		}
	}
	return append(out, m.add.list()...), nil
}

func (m *memberEditor) delta() MemberDelta {
	if m.replaceAll {
		return MemberDelta{ReplaceAll: true, Set: m.set.list()}
	}
	d := MemberDelta{}
	if len(m.add.idx) > 0 {
		d.Add = m.add.list()
	}
	for _, x := range m.remove.list() {
		d.Remove = append(d.Remove, x.Value)
	}
	return d
}

// apply applies one operation on the members attribute.
func (m *memberEditor) apply(op string, t target, v any) error {
	if sub := t.p.Sub; sub != nil {
		if strings.EqualFold(sub.Name, "display") {
			return nil // display is derived from the member; nothing to store
		}
		return errorf(Mutability, "%s: members.%s cannot be changed; add or remove the member instead", t.text, sub.Name)
	}
	if t.filter == nil {
		switch op {
		case opRemove:
			if v == nil {
				m.replace(nil)
				return nil
			}
			ms, err := m.parse(v, t.text, false)
			if err != nil {
				return err
			}
			for _, x := range ms {
				m.removeMember(x.Value)
			}
			return nil
		case opReplace:
			ms, err := m.parse(v, t.text, false)
			if err != nil {
				return err
			}
			m.replace(ms)
			return nil
		default:
			ms, err := m.parse(v, t.text, false)
			if err != nil {
				return err
			}
			for _, x := range ms {
				m.addMember(x)
			}
			return nil
		}
	}
	ids, plain := plainValueIDs(t.filter)
	if !plain {
		cur, err := m.current()
		if err != nil {
			return err
		}
		for _, x := range cur {
			if matchElem(t.filter, memberElem(x), t.p.Attr) {
				ids = append(ids, x.Value)
			}
		}
	}
	var ms []store.Member
	if op != opRemove {
		// add/replace members[filter]: the matching members are replaced
		// by the given ones; entries without a value (display only) are
		// ignored, display is not stored.
		var err error
		if ms, err = m.parse(v, t.text, true); err != nil {
			return err
		}
		if len(ms) == 0 {
			return nil
		}
	}
	for _, id := range ids {
		m.removeMember(id)
	}
	for _, x := range ms {
		m.addMember(x)
	}
	return nil
}

// parse reads member objects ({"value", "type", "display", "$ref"}) from
// a PATCH or create value. A bare string is a member id. An entry without
// a value fails, or is skipped with skipNoValue.
func (m *memberEditor) parse(v any, text string, skipNoValue bool) ([]store.Member, error) {
	var in []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		in = x
	default:
		in = []any{v}
	}
	out := make([]store.Member, 0, len(in))
	for _, el := range in {
		var x store.Member
		var ref string
		switch e := el.(type) {
		case nil:
			continue
		case string:
			x.Value = e
		case map[string]any:
			for k, fv := range e {
				if fv == nil {
					continue
				}
				s, ok := fv.(string)
				if !ok {
					return nil, typeError(text+"."+k, "a string", fv)
				}
				switch strings.ToLower(k) {
				case "value":
					x.Value = s
				case "type":
					x.Type = s
				case "display":
					x.Display = s
				case "$ref":
					ref = s
				}
			}
		default:
			return nil, typeError(text, "member objects", el)
		}
		if x.Value == "" && skipNoValue {
			continue
		}
		if x.Value == "" {
			return nil, errorf(InvalidValue, "%s: a member needs a value (the member's id)", text)
		}
		if x.Value == m.groupID && m.groupID != "" {
			return nil, errorf(InvalidValue, "%s: a group cannot be a member of itself (%s)", text, x.Value)
		}
		switch {
		case x.Type == "":
			x.Type = typeFromRef(ref)
		case strings.EqualFold(x.Type, store.MemberUser):
			x.Type = store.MemberUser
		case strings.EqualFold(x.Type, store.MemberGroup):
			x.Type = store.MemberGroup
		default:
			return nil, errorf(InvalidValue, "%s: member type %q is not User or Group", text, x.Type)
		}
		x.GroupID = m.groupID
		out = append(out, x)
	}
	return out, nil
}

// typeFromRef derives the member type from a $ref URI (…/Users/id or
// …/Groups/id).
func typeFromRef(ref string) string {
	switch {
	case strings.Contains(ref, "/Users/"):
		return store.MemberUser
	case strings.Contains(ref, "/Groups/"):
		return store.MemberGroup
	}
	return ""
}

// plainValueIDs returns the ids of a filter made only of `value eq "id"`
// joined by `or`: those need no member list.
func plainValueIDs(expr filter.Expression) ([]string, bool) {
	switch x := expr.(type) {
	case *filter.AttributeExpression:
		s, ok := x.CompareValue.(string)
		if !ok || x.AttributePath.SubAttribute != nil || !strings.EqualFold(x.AttributePath.AttributeName, "value") ||
			!strings.EqualFold(string(x.Operator), string(filter.EQ)) {
			return nil, false
		}
		return []string{s}, true
	case *filter.LogicalExpression:
		if !strings.EqualFold(string(x.Operator), string(filter.OR)) {
			return nil, false
		}
		l, ok := plainValueIDs(x.Left)
		if !ok {
			return nil, false
		}
		r, ok := plainValueIDs(x.Right)
		if !ok {
			return nil, false
		}
		return append(l, r...), true
	}
	return nil, false
}

func memberElem(x store.Member) map[string]any {
	el := map[string]any{"value": x.Value}
	if x.Type != "" {
		el["type"] = x.Type
	}
	if x.Display != "" {
		el["display"] = x.Display
	}
	return el
}
