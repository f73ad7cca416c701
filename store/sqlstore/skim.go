package sqlstore

import (
	"bytes"
	"encoding/json"
)

// sapUserKey is the SAP extension's key in a stored attribute object.
const sapUserKey = "urn:ietf:params:scim:schemas:extension:sap:2.0:User"

// skimUserAttrs is the fast path of derivedUserAttrs: one pass over the
// stored JSON object that reads emails[].value and the SAP userUuid and
// skips everything else without decoding it (every user read derives
// these, and a full json.Unmarshal was the largest cost of listing
// users). ok is false for anything unexpected (not an object, a wrong
// type, a key that matches only case-insensitively, a repeated key,
// malformed JSON); the caller then decodes the slow way, so results never
// differ from json.Unmarshal's.
func skimUserAttrs(raw []byte) (emails []string, userUUID string, ok bool) {
	s := skimmer{b: raw}
	if !s.byte('{') {
		return nil, "", false
	}
	if s.byte('}') {
		return nil, "", s.end()
	}
	var seenEmails, seenSAP bool
	for {
		key, ok := s.key()
		if !ok || !s.byte(':') {
			return nil, "", false
		}
		switch {
		case string(key) == "emails":
			if seenEmails {
				return nil, "", false
			}
			seenEmails = true
			if emails, ok = s.emails(); !ok {
				return nil, "", false
			}
		case string(key) == sapUserKey:
			if seenSAP {
				return nil, "", false
			}
			seenSAP = true
			if userUUID, ok = s.stringMember("userUuid"); !ok {
				return nil, "", false
			}
		case bytes.EqualFold(key, []byte("emails")) || bytes.EqualFold(key, []byte(sapUserKey)):
			return nil, "", false
		default:
			if !s.skip() {
				return nil, "", false
			}
		}
		if s.byte(',') {
			continue
		}
		if s.byte('}') {
			return emails, userUUID, s.end()
		}
		return nil, "", false
	}
}

// skimmer reads JSON text from b at i.
type skimmer struct {
	b []byte
	i int
}

func (s *skimmer) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte consumes c (after white space) when it is next.
func (s *skimmer) byte(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (s *skimmer) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// null consumes a null literal when it is next.
func (s *skimmer) null() bool {
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// rawStr consumes a string and returns its text between the quotes and
// whether it holds an escape.
func (s *skimmer) rawStr() (text []byte, escaped, ok bool) {
	if !s.byte('"') {
		return nil, false, false
	}
	start := s.i
	for {
		q := bytes.IndexByte(s.b[s.i:], '"')
		if q < 0 {
			return nil, false, false
		}
		end := s.i + q
		// The quote ends the string unless an odd run of backslashes
		// precedes it.
		n := 0
		for end-n-1 >= start && s.b[end-n-1] == '\\' {
			n++
		}
		escaped = escaped || bytes.IndexByte(s.b[s.i:end], '\\') >= 0
		s.i = end + 1
		if n%2 == 0 {
			return s.b[start:end], escaped, true
		}
	}
}

// key consumes a string and returns its value as bytes (no copy unless
// it holds an escape).
func (s *skimmer) key() ([]byte, bool) {
	start := s.i
	text, escaped, ok := s.rawStr()
	if !ok || !escaped {
		return text, ok
	}
	var v string
	if err := json.Unmarshal(s.b[start:s.i], &v); err != nil {
		return nil, false
	}
	return []byte(v), true
}

// str consumes a string and returns its value.
func (s *skimmer) str() (string, bool) {
	start := s.i
	text, escaped, ok := s.rawStr()
	if !ok {
		return "", false
	}
	if !escaped {
		return string(text), true
	}
	var v string
	if err := json.Unmarshal(s.b[start:s.i], &v); err != nil {
		return "", false
	}
	return v, true
}

// skip consumes one value of any kind.
func (s *skimmer) skip() bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, _, ok := s.rawStr()
		return ok
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, _, ok := s.rawStr(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	}
	// A number or a literal: up to the next delimiter.
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return s.i > start
		}
		s.i++
	}
	return false
}

// emails consumes the value of "emails" (null or an array of objects or
// nulls) and returns the non-empty "value" members.
func (s *skimmer) emails() ([]string, bool) {
	if s.null() {
		return nil, true
	}
	if !s.byte('[') {
		return nil, false
	}
	var out []string
	if s.byte(']') {
		return out, true
	}
	for {
		if !s.null() {
			v, ok := s.stringMember("value")
			if !ok {
				return nil, false
			}
			if v != "" {
				out = append(out, v)
			}
		}
		if s.byte(',') {
			continue
		}
		if s.byte(']') {
			return out, true
		}
		return nil, false
	}
}

// stringMember consumes an object (or null) and returns its member name,
// which must be a string or null when present.
func (s *skimmer) stringMember(name string) (string, bool) {
	if s.null() {
		return "", true
	}
	if !s.byte('{') {
		return "", false
	}
	if s.byte('}') {
		return "", true
	}
	var out string
	seen := false
	for {
		key, ok := s.key()
		if !ok || !s.byte(':') {
			return "", false
		}
		switch {
		case string(key) == name:
			if seen {
				return "", false
			}
			seen = true
			if !s.null() {
				if out, ok = s.str(); !ok {
					return "", false
				}
			}
		case bytes.EqualFold(key, []byte(name)):
			return "", false
		default:
			if !s.skip() {
				return "", false
			}
		}
		if s.byte(',') {
			continue
		}
		if s.byte('}') {
			return out, true
		}
		return "", false
	}
}
