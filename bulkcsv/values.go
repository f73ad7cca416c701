package bulkcsv

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scimd/scimd/schemas"
)

// converter turns a non-empty cell into an attribute value, or returns the
// reason it cannot (msg). A string result comes back in s with v nil, so
// that the mapper can box it without an allocation of its own.
type converter func(cell string) (v any, s string, msg string)

// converterFor returns the converter for an attribute of the given schema
// type. Strings, references and binary values are taken as they are; the
// other types are parsed (surrounding spaces ignored).
func converterFor(a *schemas.Attribute) converter {
	switch a.Type {
	case schemas.TypeBoolean:
		return convBool
	case schemas.TypeInteger:
		return convInteger
	case schemas.TypeDecimal:
		return convDecimal
	case schemas.TypeDateTime:
		return convDateTime
	default:
		return convString
	}
}

func convString(s string) (any, string, string) { return nil, s, "" }

// parseBool accepts true/false, 1/0 and yes/no in any letter case.
func parseBool(s string) (v, ok bool) {
	s = strings.TrimSpace(s)
	switch len(s) {
	case 1:
		switch s[0] {
		case '1':
			return true, true
		case '0':
			return false, true
		}
	case 2:
		if strings.EqualFold(s, "no") {
			return false, true
		}
	case 3:
		if strings.EqualFold(s, "yes") {
			return true, true
		}
	case 4:
		if strings.EqualFold(s, "true") {
			return true, true
		}
	case 5:
		if strings.EqualFold(s, "false") {
			return false, true
		}
	}
	return false, false
}

func convBool(s string) (any, string, string) {
	if v, ok := parseBool(s); ok {
		return v, "", ""
	}
	return nil, "", "not a boolean (true/false, TRUE/FALSE, 1/0, yes/no): " + quoteCell(s)
}

func convInteger(s string) (any, string, string) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return nil, "", "not an integer: " + quoteCell(s)
	}
	return n, "", ""
}

func convDecimal(s string) (any, string, string) {
	t := strings.TrimSpace(s)
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || strings.ContainsAny(t, "xXpP_") {
		return nil, "", "not a decimal number: " + quoteCell(s)
	}
	return f, "", ""
}

func convDateTime(s string) (any, string, string) {
	t := strings.TrimSpace(s)
	if _, err := time.Parse(time.RFC3339Nano, t); err != nil {
		return nil, "", "not an RFC 3339 date-time (e.g. 2024-05-01T08:00:00Z): " + quoteCell(s)
	}
	return nil, t, ""
}

// zuluLayout is SAP's CSV form of validFrom/validTo: yyyyMMddHHmmss'Z'.
const zuluLayout = "20060102150405Z"

// isZulu reports whether s is a valid yyyyMMddHHmmss'Z' time stamp.
func isZulu(s string) bool {
	if len(s) != len(zuluLayout) || s[len(s)-1] != 'Z' {
		return false
	}
	for i := 0; i < len(s)-1; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	_, err := time.Parse(zuluLayout, s)
	return err == nil
}

func convZulu(s string) (any, string, string) {
	t := strings.TrimSpace(s)
	if !isZulu(t) {
		return nil, "", "not a time stamp in the Zulu format yyyyMMddHHmmss'Z' (e.g. 20240501080000Z): " + quoteCell(s)
	}
	return nil, t, ""
}

// isValidity reports whether p is the SAP extension's validFrom or validTo,
// whose CSV form is yyyyMMddHHmmss'Z' in every dialect.
func isValidity(p schemas.Path) bool {
	return p.Ext && p.Sub == nil && strings.EqualFold(p.Schema.ID, schemas.SAPUserURN) &&
		(strings.EqualFold(p.Attr.Name, "validFrom") || strings.EqualFold(p.Attr.Name, "validTo"))
}

// sapMaxRunes is SAP's limit for string values of the application import.
const sapMaxRunes = 64

func convSAPString(s string) (any, string, string) {
	if n := utf8.RuneCountInString(s); n > sapMaxRunes {
		return nil, "", "longer than " + strconv.Itoa(sapMaxRunes) + " characters (" + strconv.Itoa(n) + ")"
	}
	return nil, s, ""
}

// sapStatus accepts active/inactive and the booleans.
func convSAPStatus(s string) (any, string, string) {
	t := strings.TrimSpace(s)
	switch {
	case strings.EqualFold(t, "active"):
		return true, "", ""
	case strings.EqualFold(t, "inactive"):
		return false, "", ""
	}
	if v, ok := parseBool(t); ok {
		return v, "", ""
	}
	return nil, "", "not a status (active or inactive): " + quoteCell(s)
}

// sapLanguage accepts xx, XX, xx-XX and xx_XX; the value is stored as a
// language tag (xx_XX becomes xx-XX).
func convSAPLanguage(s string) (any, string, string) {
	t := strings.TrimSpace(s)
	lower := func(c byte) bool { return c >= 'a' && c <= 'z' }
	upper := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	switch {
	case len(t) == 2 && (lower(t[0]) && lower(t[1]) || upper(t[0]) && upper(t[1])):
		return nil, t, ""
	case len(t) == 5 && lower(t[0]) && lower(t[1]) && (t[2] == '-' || t[2] == '_') && upper(t[3]) && upper(t[4]):
		return nil, t[:2] + "-" + t[3:], ""
	}
	return nil, "", "not a language code (xx, XX, xx-XX or xx_XX): " + quoteCell(s)
}

func quoteCell(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

// isFormulaStart reports whether a spreadsheet would run a cell beginning
// with c as a formula.
func isFormulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// quotedFormula reports whether s is one or more single quotes followed by
// a formula character.
func quotedFormula(s string) bool {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	return i > 0 && i < len(s) && isFormulaStart(s[i])
}

// neutralise returns the cell text to write for value s (see the package
// documentation for the rule).
func neutralise(s string, raw bool) string {
	if s == "" {
		return s
	}
	if quotedFormula(s) || (!raw && isFormulaStart(s[0])) {
		return "'" + s
	}
	return s
}

// unneutralise undoes neutralise: it removes exactly one leading single
// quote from a cell that begins with one or more single quotes followed by
// a formula character.
func unneutralise(s string) string {
	if len(s) > 1 && s[0] == '\'' && quotedFormula(s) {
		return s[1:]
	}
	return s
}

// splitList splits a ';'-separated list of names (see the package
// documentation for the escaping rule). The result is never nil.
func splitList(s string) []string {
	out := make([]string, 0, strings.Count(s, ";")+1)
	if s == "" {
		return out
	}
	if !strings.ContainsAny(s, `\`) {
		for len(s) > 0 {
			part, rest, _ := strings.Cut(s, ";")
			if part = strings.Trim(part, " \t"); part != "" {
				out = append(out, part)
			}
			s = rest
		}
		return dedupe(out)
	}
	var b strings.Builder
	lead := true // no character taken yet for the current name
	trailWS := 0 // unescaped white space at the end of b
	flush := func() {
		if name := b.String()[:b.Len()-trailWS]; name != "" {
			out = append(out, name)
		}
		b.Reset()
		lead, trailWS = true, 0
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ';':
			flush()
		case c == '\\' && i+1 < len(s) && (s[i+1] == ';' || s[i+1] == '\\' || s[i+1] == ' ' || s[i+1] == '\t'):
			i++
			b.WriteByte(s[i])
			lead, trailWS = false, 0
		case c == ' ' || c == '\t':
			if !lead {
				b.WriteByte(c)
				trailWS++
			}
		default:
			b.WriteByte(c)
			lead, trailWS = false, 0
		}
	}
	flush()
	return dedupe(out)
}

// dedupe removes repeated names, keeping the first; linear for long lists.
func dedupe(list []string) []string {
	if len(list) <= 16 {
		out := list[:0]
		for _, x := range list {
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
		return out
	}
	seen := make(map[string]bool, len(list))
	out := list[:0]
	for _, x := range list {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// joinList joins names with ';', escaping each so that splitList returns
// them unchanged.
func joinList(names []string) string {
	var b strings.Builder
	first := true
	for _, n := range names {
		if n == "" {
			continue
		}
		if !first {
			b.WriteByte(';')
		}
		first = false
		if !strings.ContainsAny(n, "\\;") && n[0] != ' ' && n[0] != '\t' && n[len(n)-1] != ' ' && n[len(n)-1] != '\t' {
			b.WriteString(n)
			continue
		}
		lastKeep := len(strings.TrimRight(n, " \t"))
		firstKeep := len(n) - len(strings.TrimLeft(n, " \t"))
		for i := 0; i < len(n); i++ {
			c := n[i]
			switch {
			case c == '\\' || c == ';':
				b.WriteByte('\\')
			case (c == ' ' || c == '\t') && (i < firstKeep || i >= lastKeep):
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}
