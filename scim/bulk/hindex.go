package bulk

// hindex is a compact multimap from 64-bit hashes to slot numbers, for
// the dry-run overlay's million-entry indexes: one uint64 per table entry
// (the hash's high 32 bits and the slot + 1), open addressing with linear
// probing, at most 3/4 full, so 11–21 bytes per entry where a Go map of
// uint64 to int32 takes about 40. A hash may map to several slots (users
// sharing an identifier) and entries are never removed (a renamed user's
// old identifier stays; the overlay verifies every hit). The high 32 bits
// place and check an entry, so a lookup also returns the rare slot of
// another hash with the same high half: callers verify. The table is
// outside the Go heap (allocOffHeap); free releases it.
type hindex struct {
	tab []uint64
	n   int
}

const hindexMinSize = 1024

func (x *hindex) pos(hi uint32) int { return int(hi) & (len(x.tab) - 1) }

// add maps h to slot (once: adding the same pair again does nothing).
func (x *hindex) add(h uint64, slot int32) {
	if x.n+1 > len(x.tab)/4*3 {
		x.grow()
	}
	hi := uint32(h >> 32)
	e := uint64(hi)<<32 | uint64(uint32(slot)+1)
	for i := x.pos(hi); ; i = (i + 1) & (len(x.tab) - 1) {
		switch x.tab[i] {
		case 0:
			x.tab[i] = e
			x.n++
			return
		case e:
			return
		}
	}
}

// get calls fn with each slot h may map to, until fn returns false.
func (x *hindex) get(h uint64, fn func(slot int32) bool) {
	if len(x.tab) == 0 {
		return
	}
	hi := uint32(h >> 32)
	for i := x.pos(hi); x.tab[i] != 0; i = (i + 1) & (len(x.tab) - 1) {
		if e := x.tab[i]; uint32(e>>32) == hi {
			if !fn(int32(uint32(e) - 1)) {
				return
			}
		}
	}
}

// free releases the table; the index is then empty.
func (x *hindex) free() {
	freeOffHeap(x.tab)
	x.tab, x.n = nil, 0
}

func (x *hindex) grow() {
	old := x.tab
	defer freeOffHeap(old)
	x.tab = allocOffHeap[uint64](max(hindexMinSize, 2*len(old)))
	for _, e := range old {
		if e == 0 {
			continue
		}
		for i := x.pos(uint32(e >> 32)); ; i = (i + 1) & (len(x.tab) - 1) {
			if x.tab[i] == 0 {
				x.tab[i] = e
				break
			}
		}
	}
}
