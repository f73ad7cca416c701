package bulk

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHindex checks the multimap against a Go map through growth, with
// repeated pairs, several slots per hash and hashes sharing their high
// half (which get may return too: the overlay verifies).
func TestHindex(t *testing.T) {
	var x hindex
	defer x.free()
	want := map[uint64][]int32{}
	r := rand.New(rand.NewPCG(1, 2))
	hashes := make([]uint64, 0, 50_000)
	for i := range 50_000 {
		h := r.Uint64()
		if i%10 == 9 { // same high half as an earlier hash, other low half
			h = hashes[r.IntN(len(hashes))]&^0xffffffff | uint64(r.Uint32())
		}
		hashes = append(hashes, h)
	}
	for i := range 120_000 {
		h := hashes[r.IntN(len(hashes))]
		slot := int32(i % 70_000)
		x.add(h, slot)
		if !slices.Contains(want[h], slot) {
			want[h] = append(want[h], slot)
		}
	}
	byHi := map[uint64]map[int32]bool{} // slots of every hash with that high half
	for h, slots := range want {
		if byHi[h>>32] == nil {
			byHi[h>>32] = map[int32]bool{}
		}
		for _, s := range slots {
			byHi[h>>32][s] = true
		}
	}
	for h, slots := range want {
		var got []int32
		x.get(h, func(s int32) bool { got = append(got, s); return true })
		for _, s := range slots {
			if !slices.Contains(got, s) {
				t.Fatalf("get(%x) = %v, missing slot %d", h, got, s)
			}
		}
		// anything else returned shares the high half of h
		for _, s := range got {
			if !byHi[h>>32][s] {
				t.Fatalf("get(%x) returned slot %d of an unrelated hash", h, s)
			}
		}
	}
	var none []int32
	(&hindex{}).get(42, func(s int32) bool { none = append(none, s); return true })
	if none != nil {
		t.Errorf("empty index returned %v", none)
	}
}
