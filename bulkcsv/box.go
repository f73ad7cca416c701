package bulkcsv

import "unsafe"

// Putting a string into an interface (any(s)) allocates a 16-byte string
// header per value, which for a typical import row is half of all its
// allocations. A strArena boxes strings into interfaces whose data word
// points into a shared block of string headers instead: one allocation per
// strArenaBlock values. The interface is indistinguishable from any(s)
// (same type word, data pointing at a string header), and a block slot is
// written once, before it is boxed, and never again, so the value is as
// immutable as any boxed string. Blocks stay alive as long as a value in
// them does.
type strArena struct{ block []string }

const strArenaBlock = 256

// stringType is the type word of an interface holding a string.
var stringType = func() unsafe.Pointer {
	var v any = ""
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[0]
}()

// box returns s as an interface value.
func (a *strArena) box(s string) any {
	if len(a.block) == cap(a.block) {
		a.block = make([]string, 0, strArenaBlock)
	}
	a.block = append(a.block, s)
	var v any
	e := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))
	e[0], e[1] = stringType, unsafe.Pointer(&a.block[len(a.block)-1])
	return v
}
