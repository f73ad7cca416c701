package bulk

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/scimd/scimd/scim/resource"
)

// refPrefix marks a bulkId reference (RFC 7644 §3.7.2).
const refPrefix = "bulkId:"

// plan is what Run knows about an operation before running anything.
type plan struct {
	method string
	kind   *kind  // nil when the path names no resource type
	id     string // the addressed id (PUT, PATCH, DELETE); "" while idRef is unresolved
	idRef  string // the bulkId of a path "/Users/bulkId:x"
	err    error  // the operation is malformed: it fails when its turn comes

	data    any  // data decoded (numbers as json.Number); nil until needed
	decoded bool // data holds the decoded body
	// refs are the distinct bulkIds the operation references (path and
	// data), sorted; hard are those that must be resolved before the
	// operation can be built: all of refs except, for POST /Groups, the
	// ones that appear only as members[].value.
	refs, hard []string
	deps       []int // the declaring POSTs of refs, ascending
	selfRef    bool  // a POST that references its own bulkId
}

// plan parses every operation, records the declared bulkIds and the
// references between operations.
func (x *run) plan() {
	n := len(x.ops)
	x.plans = make([]plan, n)
	x.res = make([]OpResult, n)
	x.state = make([]opState, n)
	x.defs = map[string]int{}
	for i := range x.ops {
		op := &x.ops[i]
		p := &x.plans[i]
		p.method = strings.ToUpper(strings.TrimSpace(op.Method))
		x.res[i].Method, x.res[i].BulkID = p.method, op.BulkID
		if p.method == "" {
			x.res[i].Method = op.Method
		}
		p.err = x.parse(i)
		if p.kind != nil {
			x.res[i].Resource = p.kind.res
		}
		x.res[i].ID = p.id
	}
	for i := range x.plans {
		p := &x.plans[i]
		if p.err != nil {
			continue
		}
		for _, ref := range p.refs {
			d, ok := x.defs[ref]
			if !ok {
				p.err = invalidValue("bulkId %q is not declared by any POST operation of this request", ref)
				break
			}
			if d == i {
				p.selfRef = true
			}
			p.deps = append(p.deps, d)
		}
		if p.err != nil {
			p.deps = nil
			p.selfRef = false
			continue
		}
		slices.Sort(p.deps)
		p.deps = slices.Compact(p.deps)
	}
}

// parse checks operation i's method, path, bulkId and data and finds its
// references.
func (x *run) parse(i int) error {
	op := &x.ops[i]
	p := &x.plans[i]
	switch p.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return invalidValue("method %q is not one of POST, PUT, PATCH, DELETE", op.Method)
	}
	if p.method == http.MethodPost && op.BulkID != "" {
		// Declare the bulkId even when the operation is malformed, so that
		// references to it fail as references to a failed operation.
		if first, dup := x.defs[op.BulkID]; dup {
			return invalidValue("bulkId %q is already declared by operation %d", op.BulkID, first+1)
		}
		x.defs[op.BulkID] = i
	}
	k, id, err := x.r.parsePath(p.method, op.Path)
	p.kind = k
	if err != nil {
		return err
	}
	if p.method == http.MethodPost && op.BulkID == "" {
		return invalidValue("bulkId is required for POST (RFC 7644 §3.7)")
	}
	if strings.HasPrefix(id, refPrefix) {
		p.idRef = id[len(refPrefix):]
		if p.idRef == "" {
			return invalidValue("path %q: empty bulkId reference", op.Path)
		}
	} else {
		p.id = id
	}
	if p.method == http.MethodDelete {
		if p.idRef != "" {
			p.refs, p.hard = []string{p.idRef}, []string{p.idRef}
		}
		return nil
	}
	raw := bytes.TrimSpace(op.Data)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return resourceError(resource.InvalidSyntax, "data is required for %s", p.method)
	}
	refs := map[string]bool{}
	hard := map[string]bool{}
	if p.idRef != "" {
		refs[p.idRef], hard[p.idRef] = true, true
	}
	if bytes.Contains(raw, []byte(refPrefix)) {
		v, err := decodeJSON(raw)
		if err != nil {
			return resourceError(resource.InvalidSyntax, "data is not valid JSON: %v", err)
		}
		p.data, p.decoded = v, true
		members := p.method == http.MethodPost && k.res == Groups
		collectRefs(v, members, func(id string, member bool) {
			refs[id] = true
			if !member {
				hard[id] = true
			}
		})
	}
	p.refs, p.hard = sortedSet(refs), sortedSet(hard)
	for _, ref := range p.refs {
		if ref == "" {
			return invalidValue("empty bulkId reference %q", refPrefix)
		}
	}
	return nil
}

func resourceError(scimType, format string, args ...any) error {
	e := invalidValue(format, args...).(*resource.Error)
	e.ScimType = scimType
	return e
}

func sortedSet(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// parsePath resolves an operation path: a resource type endpoint for POST,
// one resource ("/Users/{id}") for the other methods.
func (r *Runner) parsePath(method, path string) (*kind, string, error) {
	p := strings.TrimSpace(path)
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	ep, id, hasID := strings.Cut(p, "/")
	var k *kind
	for _, c := range []*kind{r.users, r.groups} {
		if strings.EqualFold(ep, c.endpoint) {
			k = c
		}
	}
	if k == nil {
		return nil, "", invalidValue("path %q does not name a resource type endpoint (/%s or /%s)", path, r.users.endpoint, r.groups.endpoint)
	}
	if method == http.MethodPost {
		if hasID {
			return k, "", invalidValue("POST needs a resource type endpoint as path (/%s), got %q", k.endpoint, path)
		}
		return k, "", nil
	}
	if !hasID || id == "" || strings.Contains(id, "/") {
		return k, "", invalidValue("%s needs the path of one resource (/%s/{id}), got %q", method, k.endpoint, path)
	}
	if un, err := url.PathUnescape(id); err == nil {
		id = un
	}
	return k, id, nil
}

// decodeJSON decodes one JSON value, numbers as json.Number (as elimity
// does).
func decodeJSON(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errTrailing
	}
	return v, nil
}

var errTrailing = &resource.Error{ScimType: resource.InvalidSyntax, Detail: "unexpected data after the JSON value"}

// collectRefs calls add for every bulkId referenced in v. With members
// (a POST /Groups body), references that are the value of a top-level
// "members" element are reported with member=true.
func collectRefs(v any, members bool, add func(id string, member bool)) {
	if members {
		if m, ok := v.(map[string]any); ok {
			for k, val := range m {
				if !strings.EqualFold(k, "members") {
					collectRefs(val, false, add)
					continue
				}
				list, ok := val.([]any)
				if !ok {
					collectRefs(val, false, add)
					continue
				}
				for _, el := range list {
					em, ok := el.(map[string]any)
					if !ok {
						collectRefs(el, false, add)
						continue
					}
					for sk, sv := range em {
						if s, ok := sv.(string); ok && strings.EqualFold(sk, "value") && strings.HasPrefix(s, refPrefix) {
							add(s[len(refPrefix):], true)
							continue
						}
						collectRefs(sv, false, add)
					}
				}
			}
			return
		}
	}
	switch t := v.(type) {
	case string:
		stringRefs(t, func(id string) { add(id, false) })
	case map[string]any:
		for _, e := range t {
			collectRefs(e, false, add)
		}
	case []any:
		for _, e := range t {
			collectRefs(e, false, add)
		}
	}
}

// stringRefs finds the references in one string: the whole string
// "bulkId:x", or quoted "bulkId:x" inside it (a PATCH value filter).
func stringRefs(s string, add func(id string)) {
	if strings.HasPrefix(s, refPrefix) {
		add(s[len(refPrefix):])
		return
	}
	for {
		k := strings.Index(s, `"`+refPrefix)
		if k < 0 {
			return
		}
		rest := s[k+1+len(refPrefix):]
		end := strings.IndexByte(rest, '"')
		if end < 0 {
			return
		}
		add(rest[:end])
		s = rest[end+1:]
	}
}

// substitute replaces the references in v by ids (in place for maps and
// lists) and returns the new value. resolve returns false to leave a
// reference as it is.
func substitute(v any, resolve func(ref string) (string, bool)) any {
	switch t := v.(type) {
	case string:
		if strings.HasPrefix(t, refPrefix) {
			if id, ok := resolve(t[len(refPrefix):]); ok {
				return id
			}
			return t
		}
		if !strings.Contains(t, `"`+refPrefix) {
			return t
		}
		var b strings.Builder
		s := t
		for {
			k := strings.Index(s, `"`+refPrefix)
			if k < 0 {
				break
			}
			rest := s[k+1+len(refPrefix):]
			end := strings.IndexByte(rest, '"')
			if end < 0 {
				break
			}
			b.WriteString(s[:k+1])
			if id, ok := resolve(rest[:end]); ok {
				b.WriteString(id)
			} else {
				b.WriteString(s[k+1 : k+1+len(refPrefix)+end])
			}
			b.WriteByte('"')
			s = rest[end+1:]
		}
		b.WriteString(s)
		return b.String()
	case map[string]any:
		for k, e := range t {
			t[k] = substitute(e, resolve)
		}
	case []any:
		for k, e := range t {
			t[k] = substitute(e, resolve)
		}
	}
	return v
}

// schedule orders the operations: request order, each operation's
// declaring POSTs before it, the operations of a reference cycle together
// (one unit). Units are in execution order; a unit lists its operations in
// request order.
func (x *run) schedule() [][]int {
	n := len(x.plans)
	comp := x.components()
	members := map[int][]int{}
	for i := 0; i < n; i++ {
		members[comp[i]] = append(members[comp[i]], i)
	}
	visited := map[int]bool{}
	units := make([][]int, 0, n)
	var visit func(c int)
	visit = func(c int) {
		if visited[c] {
			return
		}
		visited[c] = true
		for _, i := range members[c] {
			for _, d := range x.plans[i].deps {
				if comp[d] != c {
					visit(comp[d])
				}
			}
		}
		units = append(units, members[c])
	}
	for i := 0; i < n; i++ {
		visit(comp[i])
	}
	return units
}

// components returns the strongly connected component of every
// operation in the reference graph (Tarjan's algorithm).
func (x *run) components() []int {
	n := len(x.plans)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	comp := make([]int, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next, ncomp := 0, 0
	var strong func(v int)
	strong = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range x.plans[v].deps {
			switch {
			case index[w] < 0:
				strong(w)
				low[v] = min(low[v], low[w])
			case onStack[w]:
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = ncomp
				if w == v {
					break
				}
			}
			ncomp++
		}
	}
	for v := 0; v < n; v++ {
		if index[v] < 0 {
			strong(v)
		}
	}
	return comp
}
