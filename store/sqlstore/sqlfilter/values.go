package sqlfilter

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// toBool accepts JSON booleans and the strings "true"/"false" in any
// letter case (Microsoft Entra ID sends "True"/"False").
func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch {
		case strings.EqualFold(x, "true"):
			return true, true
		case strings.EqualFold(x, "false"):
			return false, true
		}
	}
	return false, false
}

// toNumber returns an int64 or a float64 parameter.
func toNumber(v any) (any, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		if f, err := x.Float64(); err == nil {
			return f, true
		}
	}
	return nil, false
}

// parseTime parses an RFC 3339 dateTime (fraction optional, 't' and 'z'
// accepted in lower case as RFC 3339 allows).
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if u := strings.ToUpper(s); u != s {
			return time.Parse(time.RFC3339Nano, u)
		}
	}
	return t, err
}

// parseETag reads the version number of a weak ETag W/"n" (also "n" and n).
func parseETag(s string) (int64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), `\"`, `"`) // a parser that left JSON escapes in
	if len(s) >= 2 && (s[0] == 'W' || s[0] == 'w') && s[1] == '/' {
		s = s[2:]
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v >= 0
}

// globPattern builds a SQLite GLOB pattern for co/sw/ew; the
// metacharacters * ? [ match themselves inside brackets.
func globPattern(op, s string) string {
	var sb strings.Builder
	sb.Grow(len(s) + 2)
	if op != opSW {
		sb.WriteByte('*')
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*', '?', '[':
			sb.WriteByte('[')
			sb.WriteByte(c)
			sb.WriteByte(']')
		default:
			sb.WriteByte(c)
		}
	}
	if op != opEW {
		sb.WriteByte('*')
	}
	return sb.String()
}

// likePattern builds a PostgreSQL LIKE pattern for co/sw/ew with the
// default escape character, backslash.
func likePattern(op, s string) string {
	var sb strings.Builder
	sb.Grow(len(s) + 2)
	if op != opSW {
		sb.WriteByte('%')
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%', '_', '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		default:
			sb.WriteByte(c)
		}
	}
	if op != opEW {
		sb.WriteByte('%')
	}
	return sb.String()
}
