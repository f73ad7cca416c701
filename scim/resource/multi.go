package resource

import (
	"strings"

	"github.com/scimd/scimd/schemas"
)

// applyMulti handles a multi-valued attribute (emails, roles, SAP custom
// attributes, …) with or without a value filter and a sub-attribute.
func applyMulti(op string, c map[string]any, t target, v any) error {
	a, sub := t.p.Attr, t.p.Sub
	list := asList(c[a.Name])
	var (
		touched []int // elements written by this operation
		err     error
	)
	switch {
	case t.filter == nil && sub == nil:
		list, touched, err = multiWhole(op, a, list, t.text, v)
	case t.filter == nil:
		list, touched, err = multiSubAll(op, a, sub, list, t.text, v)
	default:
		list, touched, err = multiFiltered(op, t, list, v)
	}
	if err != nil {
		return err
	}
	fixPrimary(list, touched)
	list = pruneList(list)
	if len(list) == 0 {
		delete(c, a.Name)
	} else {
		c[a.Name] = list
	}
	return nil
}

// multiWhole: add appends (an equal value already present is merged,
// not duplicated), replace replaces the whole list, remove drops it or,
// with a value (Entra ID's members shape), the elements matching it.
func multiWhole(op string, a *schemas.Attribute, list []any, text string, v any) ([]any, []int, error) {
	if op == opRemove && v == nil {
		return nil, nil, nil
	}
	items, err := normList(a, v, text)
	if err != nil {
		return nil, nil, err
	}
	switch op {
	case opAdd:
		var touched []int
		for _, it := range items {
			var i int
			list, i = addItem(a, list, it)
			touched = append(touched, i)
		}
		return list, touched, nil
	case opReplace:
		return items, nil, nil
	}
	out := list[:0]
	for _, el := range list {
		drop := false
		for _, it := range items {
			if containsItem(a, el, it) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, el)
		}
	}
	return out, nil, nil
}

// multiSubAll handles emails.value-style paths without a filter: the
// sub-attribute of every element. On an empty list, add and replace
// create one element.
func multiSubAll(op string, a, sub *schemas.Attribute, list []any, text string, v any) ([]any, []int, error) {
	if op == opRemove {
		for _, el := range list {
			if m, ok := el.(map[string]any); ok {
				delete(m, sub.Name)
			}
		}
		return list, nil, nil
	}
	n, err := normValue(sub, v, text)
	if err != nil {
		return nil, nil, err
	}
	if len(list) == 0 {
		if n == nil {
			return list, nil, nil
		}
		el := map[string]any{sub.Name: n}
		markOnlyPrimary(a, el)
		return []any{el}, []int{0}, nil
	}
	var touched []int
	for i, el := range list {
		m, ok := el.(map[string]any)
		if !ok {
			continue
		}
		setSub(op, m, sub, n)
		touched = append(touched, i)
	}
	return list, touched, nil
}

// multiFiltered handles paths with a value filter, e.g.
// emails[type eq "work"].value or members[value eq "x"]. add and replace
// on a filter that matches nothing create the element the filter
// describes (when it is a plain `eq` filter), else fail with noTarget.
func multiFiltered(op string, t target, list []any, v any) ([]any, []int, error) {
	a, sub := t.p.Attr, t.p.Sub
	var matched []int
	for i, el := range list {
		if matchElem(t.filter, el, a) {
			matched = append(matched, i)
		}
	}
	if op == opRemove {
		if sub != nil {
			for _, i := range matched {
				if m, ok := list[i].(map[string]any); ok {
					delete(m, sub.Name)
				}
			}
			return list, nil, nil
		}
		out := list[:0]
		for i, el := range list {
			if !containsInt(matched, i) {
				out = append(out, el)
			}
		}
		return out, nil, nil
	}
	if sub != nil {
		n, err := normValue(sub, v, t.text)
		if err != nil {
			return nil, nil, err
		}
		if len(matched) == 0 {
			if n == nil {
				return list, nil, nil
			}
			el, ok := filterTemplate(t.filter, a)
			if !ok {
				return nil, nil, errorf(NoTarget, "%s: no value matches the filter", t.text)
			}
			el[sub.Name] = n
			return appendNew(a, list, el)
		}
		for _, i := range matched {
			if m, ok := list[i].(map[string]any); ok {
				setSub(op, m, sub, n)
			}
		}
		return list, matched, nil
	}
	items, err := normList(a, v, t.text)
	if err != nil {
		return nil, nil, err
	}
	if len(items) > 1 {
		return nil, nil, errorf(InvalidValue, "%s: expected one value to put in place of the matching values, got %d", t.text, len(items))
	}
	if len(items) == 0 {
		if op == opReplace {
			return multiFiltered(opRemove, t, list, nil)
		}
		return list, nil, nil
	}
	item := items[0]
	tmpl, hasTmpl := filterTemplate(t.filter, a)
	if len(matched) == 0 {
		if !a.IsComplex() {
			return appendNew(a, list, item)
		}
		if !hasTmpl {
			return nil, nil, errorf(NoTarget, "%s: no value matches the filter", t.text)
		}
		el := item.(map[string]any)
		for k, tv := range tmpl {
			if _, ok := el[k]; !ok {
				el[k] = tv
			}
		}
		return appendNew(a, list, el)
	}
	for _, i := range matched {
		if !a.IsComplex() {
			list[i] = item
			continue
		}
		el := copyMap(item.(map[string]any))
		if op == opAdd {
			el = mergeInto(list[i], el)
		} else {
			// replace: the matching element is replaced; the filter's eq
			// values are kept so that the element still matches it.
			for k, tv := range tmpl {
				if _, ok := el[k]; !ok {
					el[k] = tv
				}
			}
		}
		list[i] = el
	}
	return list, matched, nil
}

// appendNew appends a created element; it becomes primary when it is the
// only one.
func appendNew(a *schemas.Attribute, list []any, el any) ([]any, []int, error) {
	list = append(list, el)
	if len(list) == 1 {
		if m, ok := el.(map[string]any); ok {
			markOnlyPrimary(a, m)
		}
	}
	return list, []int{len(list) - 1}, nil
}

// markOnlyPrimary makes the only element of a list primary when the
// attribute has a primary sub-attribute and the element does not say.
func markOnlyPrimary(a *schemas.Attribute, el map[string]any) {
	if a.Sub("primary") == nil {
		return
	}
	if _, ok := el["primary"]; !ok {
		el["primary"] = true
	}
}

func setSub(op string, m map[string]any, sub *schemas.Attribute, n any) {
	switch {
	case n != nil:
		m[sub.Name] = n
	case op == opReplace:
		delete(m, sub.Name)
	}
}

// addItem adds it to list unless an equal value is there. Elements of a
// complex attribute with a "value" sub-attribute are the same value when
// their values are equal (caseExact rule) and their types do not differ;
// the new sub-attributes are then merged into the existing element, which
// keeps its spelling of the value.
func addItem(a *schemas.Attribute, list []any, it any) ([]any, int) {
	if !a.IsComplex() {
		for i, el := range list {
			if scalarEqual(el, it, a.CaseExact) {
				return list, i
			}
		}
		return append(list, it), len(list)
	}
	m := it.(map[string]any)
	vs := a.Sub("value")
	if val, ok := m["value"]; ok && vs != nil {
		for i, el := range list {
			em, ok := el.(map[string]any)
			if !ok || !scalarEqual(em["value"], val, vs.CaseExact) || !sameType(em, m) {
				continue
			}
			for k, v := range m {
				if k != "value" { // the stored spelling of the value stays
					em[k] = v
				}
			}
			return list, i
		}
		return append(list, m), len(list)
	}
	for i, el := range list {
		if equalValues(el, m) {
			return list, i
		}
	}
	return append(list, m), len(list)
}

func sameType(a, b map[string]any) bool {
	ta, ok1 := a["type"].(string)
	tb, ok2 := b["type"].(string)
	return !ok1 || !ok2 || strings.EqualFold(ta, tb)
}

// mergeInto returns el with the sub-attributes of add set on it.
func mergeInto(el any, add map[string]any) map[string]any {
	m, ok := el.(map[string]any)
	if !ok {
		return add
	}
	for k, v := range add {
		m[k] = v
	}
	return m
}

// containsItem reports whether element el has every sub-attribute value
// given in it (a remove with a value).
func containsItem(a *schemas.Attribute, el, it any) bool {
	if !a.IsComplex() {
		return scalarEqual(el, it, a.CaseExact)
	}
	em, ok1 := el.(map[string]any)
	im, ok2 := it.(map[string]any)
	if !ok1 || !ok2 || len(im) == 0 {
		return false
	}
	for k, v := range im {
		caseExact := true
		if s := a.Sub(k); s != nil {
			caseExact = s.CaseExact
		}
		if !scalarEqual(em[k], v, caseExact) {
			return false
		}
	}
	return true
}

// fixPrimary keeps at most one element with "primary": true: the first
// touched element that is primary, else the first primary element. The
// others get "primary": false.
func fixPrimary(list []any, touched []int) {
	keep := -1
	for _, i := range touched {
		if isPrimary(list[i]) {
			keep = i
			break
		}
	}
	if keep < 0 {
		for i, el := range list {
			if isPrimary(el) {
				keep = i
				break
			}
		}
	}
	if keep < 0 {
		return
	}
	for i, el := range list {
		if i != keep && isPrimary(el) {
			el.(map[string]any)["primary"] = false
		}
	}
}

func isPrimary(el any) bool {
	m, ok := el.(map[string]any)
	if !ok {
		return false
	}
	b, _ := m["primary"].(bool)
	return b
}

func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

func pruneList(list []any) []any {
	out := list[:0]
	for _, el := range list {
		el = pruneValue(el)
		if !isEmpty(el) {
			out = append(out, el)
		}
	}
	return out
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
