package filter

import (
	"strconv"
	"unicode/utf8"
)

// SyntaxError reports a filter, path or attribute path that does not parse.
// Offset is the 0-based byte offset in Input where the problem was found;
// Msg says what was expected there and what was found instead.
type SyntaxError struct {
	Input  string
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return "syntax error at offset " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

func (p *parser) fail(off int, msg string) error {
	return &SyntaxError{Input: p.s, Offset: off, Msg: msg}
}

// expected builds the usual "expected X, found Y" error at off.
func (p *parser) expected(off int, what string) error {
	return p.fail(off, "expected "+what+", found "+p.found(off))
}

// found describes the input at off for an error message: the word there,
// a single character, or "end of input".
func (p *parser) found(off int) string {
	s := p.s
	if off >= len(s) {
		return "end of input"
	}
	end := off
	for end < len(s) && end-off < 24 && isPathChar(s[end]) {
		end++
	}
	if end == off {
		_, n := utf8.DecodeRuneInString(s[off:])
		end = off + n
	}
	return strconv.Quote(s[off:end])
}

// char quotes the single character at off.
func (p *parser) char(off int) string {
	_, n := utf8.DecodeRuneInString(p.s[off:])
	return strconv.Quote(p.s[off : off+n])
}
