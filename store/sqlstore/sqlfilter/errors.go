package sqlfilter

import (
	"strconv"

	"github.com/scimd/scimd/store"
)

// fail returns a QueryError naming the attribute path being translated.
func (b *builder) fail(reason string) error {
	msg := reason
	if p := b.curPath(); p != "" {
		msg = "attribute " + strconv.Quote(p) + ": " + reason
	}
	return &store.QueryError{Sort: b.sort, Msg: msg}
}

// failf is fail for messages that are not about one attribute.
func (b *builder) failMsg(msg string) error {
	return &store.QueryError{Sort: b.sort, Msg: msg}
}

// curPath renders the attribute path being translated, prefixed by the
// enclosing value path inside brackets. Only called on error paths.
func (b *builder) curPath() string {
	if b.sortPath != "" {
		return b.sortPath
	}
	if b.cur == nil {
		return ""
	}
	s := b.cur.String()
	if b.sc.kind != scopeResource && b.sc.outer != nil {
		s = b.sc.outer.String() + "[" + s + "]"
	}
	return s
}
