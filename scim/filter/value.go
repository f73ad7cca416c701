package filter

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

const wantValue = "compare value (quoted string, number, true, false or null)"

// parseValue parses compValue = false / null / true / number / string
// (RFC 7159 literals; the keywords case-insensitively) at p.pos.
func (p *parser) parseValue() (any, error) {
	s := p.s
	start := p.pos
	if start >= len(s) {
		return nil, p.expected(start, wantValue)
	}
	var (
		v   any
		err error
	)
	switch c := s[start]; {
	case c == '"':
		v, err = p.parseString()
	case c == '-' || isDigit(c):
		v, err = p.parseNumber()
	case isAlpha(c):
		end := start
		for end < len(s) && isPathChar(s[end]) {
			end++
		}
		switch w := s[start:end]; {
		case equalFoldASCII(w, "true"):
			v = true
		case equalFoldASCII(w, "false"):
			v = false
		case equalFoldASCII(w, "null"):
			v = nil
		default:
			return nil, p.fail(start, "expected "+wantValue+", found "+p.found(start)+
				"; string values must be in double quotes")
		}
		p.pos = end
	default:
		return nil, p.expected(start, wantValue)
	}
	if err != nil {
		return nil, err
	}
	// A closing quote ends a token by itself (`"x"and …`, as filter-parser
	// accepts in value filters); a number or keyword must be followed by a
	// delimiter.
	if s[start] != '"' && p.pos < len(s) && !endsValue(s[p.pos]) {
		return nil, p.expected(p.pos, `space, ")" or "]" after the compare value`)
	}
	return v, nil
}

// parseNumber parses a JSON number at p.pos. Integers (no fraction, no
// exponent) become int, or float64 when they do not fit; everything else
// becomes float64.
func (p *parser) parseNumber() (any, error) {
	s := p.s
	start := p.pos
	i := start
	if s[i] == '-' {
		i++
	}
	if i >= len(s) || !isDigit(s[i]) {
		return nil, p.fail(start, "invalid number: expected a digit after \"-\"")
	}
	if s[i] == '0' {
		i++
	} else {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	isInt := true
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return nil, p.fail(i, "invalid number: expected a digit after \".\"")
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		isInt = false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return nil, p.fail(i, "invalid number: expected a digit in the exponent")
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		isInt = false
	}
	if i < len(s) && (isPathChar(s[i]) || s[i] == '"') {
		return nil, p.fail(start, "invalid number "+p.found(start))
	}
	text := s[start:i]
	p.pos = i
	if isInt {
		if n, err := strconv.Atoi(text); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, p.fail(start, "number "+strconv.Quote(text)+" is out of range")
	}
	return f, nil
}

// parseString parses a JSON string at p.pos (which holds the opening
// quote) and returns it decoded. Without escapes the result shares the
// input's memory.
func (p *parser) parseString() (any, error) {
	s := p.s
	start := p.pos
	high := false
	for i := start + 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			v := s[start+1 : i]
			if high && !utf8.ValidString(v) {
				return nil, p.fail(start+1+invalidUTF8At(v), "invalid UTF-8 in string")
			}
			p.pos = i + 1
			return v, nil
		case c == '\\':
			return p.parseEscapedString(i)
		case c < 0x20:
			return nil, p.fail(i, "control character in string (must be escaped)")
		case c >= utf8.RuneSelf:
			high = true
		}
	}
	return nil, p.fail(start, "unterminated string (missing closing '\"')")
}

// parseEscapedString continues parseString at the first backslash i.
func (p *parser) parseEscapedString(i int) (any, error) {
	s := p.s
	start := p.pos
	buf := make([]byte, 0, len(s)-start)
	buf = append(buf, s[start+1:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return nil, p.fail(start+1, "invalid UTF-8 in string")
			}
			p.pos = i + 1
			return string(buf), nil
		case c < 0x20:
			return nil, p.fail(i, "control character in string (must be escaped)")
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		// Backslash escape.
		if i+1 >= len(s) {
			break
		}
		switch s[i+1] {
		case '"', '\\', '/':
			buf = append(buf, s[i+1])
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r := hex4(s, i+2)
			if r < 0 {
				return nil, p.fail(i, `invalid escape: expected four hex digits after "\u"`)
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// As encoding/json: a valid pair combines, anything else
				// becomes U+FFFD (and the next escape stands on its own).
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2 := hex4(s, i+2); r2 >= 0 {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							buf = utf8.AppendRune(buf, d)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			return nil, p.fail(i, "invalid escape "+strconv.Quote(s[i:i+2])+` in string (valid: \" \\ \/ \b \f \n \r \t \uXXXX)`)
		}
		i += 2
	}
	return nil, p.fail(start, "unterminated string (missing closing '\"')")
}

// hex4 decodes the four hex digits at s[i:i+4], or returns -1.
func hex4(s string, i int) rune {
	if i+4 > len(s) {
		return -1
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// invalidUTF8At returns the offset of the first invalid UTF-8 sequence.
func invalidUTF8At(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return 0
}

// equalFoldASCII reports whether s equals the lower-case ASCII word w,
// ignoring ASCII case.
func equalFoldASCII(s, w string) bool {
	if len(s) != len(w) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(s[i]) != w[i] {
			return false
		}
	}
	return true
}
