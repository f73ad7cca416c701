package bulkcsv

import (
	"sort"
	"strings"
)

// A plan is the shape of the attribute map one header produces, computed
// once per file: a tree of maps, lists and leaves where every leaf reads
// one cell. Mapping a row walks the plan; no path is parsed per row.

// leaf is one attribute value read from one cell.
type leaf struct {
	id        int32     // index into the per-row value slice; DFS order
	cell      int       // index into the row's cells (virtual cells follow the header's)
	key       string    // key in the parent map
	conv      converter //
	column    string    // header name, for row errors
	clear     string    // path reported in Row.Clear; "" = an empty cell never clears
	mandatory bool      // an empty cell is a row error (mandatory dialect column)
	required  bool      // the attribute is required: clearing it is a row error
}

type constKV struct {
	key string
	val any
}

// node is a map: the root attribute map, a complex attribute, an
// extension's map or one element of a multi-valued complex attribute.
type node struct {
	key    string // key in the parent map; "" for the root and list elements
	leaves []*leaf
	consts []constKV // set whenever the node has at least one value
	kids   []*node
	lists  []*list
	size   int
	lo, hi int32 // leaf ids of the subtree
}

// list is a multi-valued attribute: complex elements or simple entries,
// each bound to one index (the CSV's [N]).
type list struct {
	key    string
	elems  []*node // complex elements, by index
	simple []*leaf // simple entries, by index
	index  []int   // the [N] of each element or entry
	// byKey: stored elements are matched by this sub-attribute's value
	// instead of by index (SAP: custom attributes by name, the mail by value).
	byKey  string
	bit    int // bit of the first element in Row.present
	lo, hi int32
}

type plan struct {
	root   *node
	leaves []*leaf // by id
	nbits  int     // list elements, each with a bit in Row.present
}

func newPlan() *plan { return &plan{root: &node{}} }

func (n *node) kid(key string) *node {
	for _, k := range n.kids {
		if k.key == key {
			return k
		}
	}
	k := &node{key: key}
	n.kids = append(n.kids, k)
	return k
}

func (n *node) list(key string) *list {
	for _, l := range n.lists {
		if l.key == key {
			return l
		}
	}
	l := &list{key: key}
	n.lists = append(n.lists, l)
	return l
}

// elem returns the element node for index i, creating it.
func (l *list) elem(i int) *node {
	for j, x := range l.index {
		if x == i && l.elems != nil {
			return l.elems[j]
		}
	}
	e := &node{}
	l.elems = append(l.elems, e)
	l.index = append(l.index, i)
	return e
}

func (l *list) addSimple(i int, lf *leaf) {
	l.simple = append(l.simple, lf)
	l.index = append(l.index, i)
}

// finish sorts list elements by index, numbers the leaves in DFS order and
// records the id ranges and list bits.
func (p *plan) finish() {
	p.leaves = p.leaves[:0]
	p.finishNode(p.root)
}

func (p *plan) finishNode(n *node) {
	n.lo = int32(len(p.leaves))
	for _, lf := range n.leaves {
		lf.id = int32(len(p.leaves))
		p.leaves = append(p.leaves, lf)
	}
	for _, k := range n.kids {
		p.finishNode(k)
	}
	for _, l := range n.lists {
		l.lo = int32(len(p.leaves))
		if l.simple != nil {
			sort.Sort(byIndex{l.index, nil, l.simple})
			for _, lf := range l.simple {
				lf.id = int32(len(p.leaves))
				p.leaves = append(p.leaves, lf)
			}
		} else {
			sort.Sort(byIndex{l.index, l.elems, nil})
			for _, e := range l.elems {
				p.finishNode(e)
			}
		}
		l.hi = int32(len(p.leaves))
		l.bit = p.nbits
		p.nbits += len(l.index)
	}
	n.size = len(n.leaves) + len(n.kids) + len(n.lists) + len(n.consts)
	n.hi = int32(len(p.leaves))
}

type byIndex struct {
	index  []int
	elems  []*node
	simple []*leaf
}

func (b byIndex) Len() int           { return len(b.index) }
func (b byIndex) Less(i, j int) bool { return b.index[i] < b.index[j] }
func (b byIndex) Swap(i, j int) {
	b.index[i], b.index[j] = b.index[j], b.index[i]
	if b.elems != nil {
		b.elems[i], b.elems[j] = b.elems[j], b.elems[i]
	}
	if b.simple != nil {
		b.simple[i], b.simple[j] = b.simple[j], b.simple[i]
	}
}

// bitset records which list elements a row produced.
type bitset struct {
	lo   [2]uint64
	more []uint64
}

func (b *bitset) set(i int) {
	if i < 128 {
		b.lo[i>>6] |= 1 << (i & 63)
		return
	}
	i -= 128
	for len(b.more) <= i>>6 {
		b.more = append(b.more, 0)
	}
	b.more[i>>6] |= 1 << (i & 63)
}

func (b *bitset) has(i int) bool {
	if i < 128 {
		return b.lo[i>>6]&(1<<(i&63)) != 0
	}
	i -= 128
	return i>>6 < len(b.more) && b.more[i>>6]&(1<<(i&63)) != 0
}

// decorationOnly reports whether a multi-valued element has nothing left
// but decorations (type, primary, display): such an element, after a
// clear, is dropped.
func decorationOnly(m map[string]any) bool {
	for k := range m {
		switch strings.ToLower(k) {
		case "type", "primary", "display":
		default:
			return false
		}
	}
	return true
}
