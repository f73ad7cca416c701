package bulkcsv

import "strings"

// ApplyTo returns the attributes of an existing user after applying the
// row: stored (which is not modified) with the row's values set and its
// cleared attributes removed. Columns absent from the file, and empty
// cells with emptyCells=keep, leave their attribute as stored.
//
// What an indexed column means: emails[N] is the N-th value of the stored
// e-mails in export order (the primary value first, then the others as
// stored), the same order the Writer uses, so an export edited and
// imported again changes exactly the edited cells. A row's emails[N] is
// merged into that value sub-attribute by sub-attribute; an N beyond the
// stored values appends a value. Setting primary on one value removes it
// from the others. A value left with only type, primary or display after a
// clear is removed. Stored values keep their stored order. In the SAP
// dialect, custom attributes (spCustomAttributeN) are matched by name and
// the mail by address instead of by position.
func (r *Row) ApplyTo(stored map[string]any) map[string]any {
	out := make(map[string]any, len(stored)+len(r.Attrs))
	for k, v := range stored {
		out[k] = v
	}
	if r.plan == nil {
		for k, v := range r.Attrs {
			out[k] = v
		}
		return out
	}
	r.mergeNode(r.plan.root, r.Attrs, out)
	return out
}

func (r *Row) isCleared(id int32) bool {
	for _, c := range r.cleared {
		if c == id {
			return true
		}
	}
	return false
}

func (r *Row) clearedIn(lo, hi int32) bool {
	for _, c := range r.cleared {
		if c >= lo && c < hi {
			return true
		}
	}
	return false
}

// lookup finds key in m, exactly or else case-insensitively (SCIM
// attribute names are case-insensitive).
func lookup(m map[string]any, key string) (string, any, bool) {
	if v, ok := m[key]; ok {
		return key, v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return k, v, true
		}
	}
	return "", nil, false
}

// put sets m[key] = v, replacing a case variant of key.
func put(m map[string]any, key string, v any) {
	if k, _, ok := lookup(m, key); ok && k != key {
		delete(m, k)
	}
	m[key] = v
}

func remove(m map[string]any, key string) {
	if k, _, ok := lookup(m, key); ok {
		delete(m, k)
	}
}

func copyMap(v any) map[string]any {
	src, _ := v.(map[string]any)
	out := make(map[string]any, len(src)+2)
	for k, x := range src {
		out[k] = x
	}
	return out
}

// mergeNode merges the row's map rm for plan node n (nil when the row has
// no value there) and the row's clears under n into tgt, which it may
// modify.
func (r *Row) mergeNode(n *node, rm map[string]any, tgt map[string]any) {
	for _, lf := range n.leaves {
		if v, ok := rm[lf.key]; ok {
			put(tgt, lf.key, v)
		} else if r.isCleared(lf.id) {
			remove(tgt, lf.key)
		}
	}
	if rm != nil {
		for _, c := range n.consts {
			put(tgt, c.key, c.val)
		}
	}
	for _, k := range n.kids {
		km, _ := rm[k.key].(map[string]any)
		if km == nil && !r.clearedIn(k.lo, k.hi) {
			continue
		}
		_, old, _ := lookup(tgt, k.key)
		cur := copyMap(old)
		r.mergeNode(k, km, cur)
		if len(cur) == 0 {
			remove(tgt, k.key)
		} else {
			put(tgt, k.key, cur)
		}
	}
	for _, l := range n.lists {
		lv, _ := rm[l.key].([]any)
		if lv == nil && !r.clearedIn(l.lo, l.hi) {
			continue
		}
		_, old, _ := lookup(tgt, l.key)
		stored, _ := old.([]any)
		cur := r.mergeList(l, lv, stored)
		if len(cur) == 0 {
			remove(tgt, l.key)
		} else {
			put(tgt, l.key, cur)
		}
	}
}

func (r *Row) mergeList(l *list, lv []any, stored []any) []any {
	out := make([]any, len(stored), len(stored)+len(l.index))
	copy(out, stored)
	k := 0 // next value of lv
	if l.simple != nil {
		for i, lf := range l.simple {
			idx := l.index[i]
			switch {
			case r.present.has(l.bit + i):
				if idx < len(stored) {
					out[idx] = lv[k]
				} else {
					out = append(out, lv[k])
				}
				k++
			case r.isCleared(lf.id) && idx < len(stored):
				out[idx] = nil
			}
		}
		return compact(out)
	}
	order := mvOrder(stored)
	primary := -1
	var touched []int
	for i, e := range l.elems {
		var em map[string]any
		if r.present.has(l.bit + i) {
			em, _ = lv[k].(map[string]any)
			k++
		}
		if em == nil && !r.clearedIn(e.lo, e.hi) {
			continue
		}
		pos := -1
		if l.byKey != "" {
			key := constValue(e, l.byKey)
			if key == nil {
				key = em[l.byKey]
			}
			pos = findByKey(out, l.byKey, key)
			if em == nil {
				if pos >= 0 {
					out[pos] = nil // a cleared custom attribute goes altogether
				}
				continue
			}
		} else if idx := l.index[i]; idx < len(order) {
			pos = order[idx]
		}
		if pos < 0 && em == nil {
			continue
		}
		var cur map[string]any
		if pos >= 0 {
			cur = copyMap(out[pos])
		} else {
			cur = make(map[string]any, len(em))
			out = append(out, nil)
			pos = len(out) - 1
		}
		r.mergeNode(e, em, cur)
		out[pos] = cur
		touched = append(touched, pos)
		if isPrimary(em) {
			primary = pos
		}
	}
	for _, pos := range touched {
		if m, _ := out[pos].(map[string]any); m != nil && decorationOnly(m) {
			out[pos] = nil
		}
	}
	if primary >= 0 && out[primary] != nil {
		for pos, v := range out {
			if pos != primary && isPrimary(v) {
				m := copyMap(v)
				remove(m, "primary")
				out[pos] = m
			}
		}
	}
	return compact(out)
}

func compact(list []any) []any {
	j := 0
	for _, v := range list {
		if v != nil {
			list[j] = v
			j++
		}
	}
	return list[:j]
}

func constValue(n *node, key string) any {
	for _, c := range n.consts {
		if c.key == key {
			return c.val
		}
	}
	return nil
}

// findByKey returns the position of the element whose sub-attribute key
// equals want (strings compare case-insensitively), or -1.
func findByKey(list []any, key string, want any) int {
	ws, wantString := want.(string)
	for i, v := range list {
		m, _ := v.(map[string]any)
		_, got, ok := lookup(m, key)
		if !ok {
			continue
		}
		if gs, isString := got.(string); wantString && isString && strings.EqualFold(gs, ws) || got == want {
			return i
		}
	}
	return -1
}

// isPrimary reports whether a multi-valued element is flagged primary
// (true, or a string such as "True" as some clients send it).
func isPrimary(v any) bool {
	m, _ := v.(map[string]any)
	if m == nil {
		return false
	}
	_, p, _ := lookup(m, "primary")
	switch p := p.(type) {
	case bool:
		return p
	case string:
		return strings.EqualFold(p, "true")
	}
	return false
}

// mvOrder returns the positions of a stored multi-valued attribute in
// export order: the first primary value, then the others as stored.
func mvOrder(list []any) []int {
	order := make([]int, 0, len(list))
	p := -1
	for i, v := range list {
		if isPrimary(v) {
			p = i
			break
		}
	}
	if p >= 0 {
		order = append(order, p)
	}
	for i := range list {
		if i != p {
			order = append(order, i)
		}
	}
	return order
}
