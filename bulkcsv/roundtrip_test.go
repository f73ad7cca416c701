package bulkcsv

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/schemas"
)

// tricky are cell texts that stress quoting, neutralisation, escaping and
// encodings. Pairs of them also make CR LF, which reads back as LF.
var tricky = []string{
	"=1+1", "=HYPERLINK(\"http://x\")", "+49 30 1234", "-5", "-", "@SUM(A1)", "@", "\tTab", "\rCR", "\r",
	"'=x", "''+y", "'''-z", "'", "''", "'abc", "'@", "a'=b",
	"Müller", "日本語", "emoji 🎉", "Ελληνικά", "a,b", "a;b", ";", `q"uote`, `"`, `""`,
	" lead", "trail ", "  both  ", "multi\nline", "\n", "back\\slash", `\;`, `\`, "a\\", "tab\tin",
	"x", "plain", "with space", "#hash", "%pct", "\\.", "TRUE", "false", "0", "1",
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func randText(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return pick(r, tricky) + pick(r, tricky)
	case 1:
		b := make([]byte, 1+r.IntN(12))
		for i := range b {
			b[i] = byte(' ' + r.IntN(95))
		}
		return string(b)
	default:
		return pick(r, tricky)
	}
}

// maybe returns a random text, or (sometimes) "" which stands for an
// empty value that the round trip drops.
func maybe(r *rand.Rand) string {
	if r.IntN(6) == 0 {
		return ""
	}
	return randText(r)
}

func randFloat(r *rand.Rand) float64 {
	switch r.IntN(4) {
	case 0:
		return float64(r.IntN(1000)) / 8
	case 1:
		return -r.Float64() * math.Pow(10, float64(r.IntN(40)-20))
	case 2:
		return r.NormFloat64() * 1e25
	default:
		return r.Float64()
	}
}

func randTime(r *rand.Rand) string {
	t := time.Unix(r.Int64N(4e9), 0).UTC()
	if r.IntN(2) == 0 {
		return t.Format(time.RFC3339)
	}
	return t.Add(time.Duration(r.IntN(1e9))).In(time.FixedZone("", 3600*(r.IntN(25)-12))).Format(time.RFC3339Nano)
}

func randZulu(r *rand.Rand) string {
	return time.Unix(r.Int64N(4e9), 0).UTC().Format(zuluLayout)
}

// randList returns n complex values, at most one of them primary.
func randList(r *rand.Rand, max int, subs func() map[string]any) []any {
	n := r.IntN(max + 1)
	out := make([]any, 0, n)
	primary := -1
	if n > 0 && r.IntN(2) == 0 {
		primary = r.IntN(n)
	}
	for i := 0; i < n; i++ {
		m := subs()
		m["value"] = randText(r) + strconv.Itoa(i) // never empty
		switch {
		case i == primary:
			m["primary"] = true
		case r.IntN(3) == 0:
			m["primary"] = false
		}
		out = append(out, m)
	}
	return out
}

func randUser(r *rand.Rand, acme string) (map[string]any, []string) {
	u := map[string]any{
		"userName": "u" + strconv.Itoa(r.IntN(1e9)) + randText(r),
		"active":   r.IntN(2) == 0,
		"name": map[string]any{
			"givenName": maybe(r), "familyName": maybe(r), "formatted": maybe(r),
			"honorificPrefix": maybe(r),
		},
		"displayName":       maybe(r),
		"nickName":          maybe(r),
		"title":             maybe(r),
		"userType":          maybe(r),
		"preferredLanguage": maybe(r),
		"profileUrl":        maybe(r),
		"emails": randList(r, 3, func() map[string]any {
			return map[string]any{"type": pick(r, []string{"work", "home", "other", ""}), "display": maybe(r)}
		}),
		"phoneNumbers": randList(r, 3, func() map[string]any { return map[string]any{"type": maybe(r)} }),
		"x509Certificates": randList(r, 2, func() map[string]any {
			return map[string]any{}
		}),
		schemas.EnterpriseURN: map[string]any{
			"employeeNumber": maybe(r), "organization": maybe(r),
			"manager": map[string]any{"value": maybe(r), "$ref": maybe(r)},
		},
		schemas.SAPUserURN: map[string]any{
			"userUuid": maybe(r), "validFrom": randZulu(r), "validTo": randZulu(r), "mailVerified": r.IntN(2) == 0,
		},
		acme: map[string]any{
			"badgeNumber": r.Int64() - math.MaxInt64/2,
			"costFactor":  randFloat(r),
			"remote":      r.IntN(2) == 0,
			"hiredAt":     randTime(r),
			"building":    map[string]any{"code": maybe(r), "floor": int64(r.IntN(200) - 5)},
			"devices":     randList(r, 10, func() map[string]any { return map[string]any{"type": maybe(r)} }),
		},
	}
	if n := r.IntN(4); n > 0 {
		addrs := make([]any, n)
		for i := range addrs {
			addrs[i] = map[string]any{"streetAddress": randText(r) + "1", "locality": maybe(r), "country": maybe(r), "type": maybe(r)}
		}
		u["addresses"] = addrs
	}
	var tags []any
	for i := r.IntN(11); i > 0; i-- {
		tags = append(tags, randText(r)+"t")
	}
	if tags != nil {
		u[acme].(map[string]any)["tags"] = tags
	}
	var custom []any
	for _, n := range r.Perm(10)[:r.IntN(11)] {
		custom = append(custom, map[string]any{"name": "customAttribute" + strconv.Itoa(n+1), "value": randText(r) + "v"})
	}
	if custom != nil {
		u[schemas.SAPCustomURN] = map[string]any{"attributes": custom}
	}
	if r.IntN(2) == 0 {
		u["id"] = fmt.Sprintf("%08x-0000-4000-8000-%012x", r.Uint32(), r.Uint64()&0xffffffffffff)
	}
	var groups []string
	seen := map[string]bool{}
	for i := r.IntN(6); i > 0; i-- {
		g := randText(r)
		if strings.Trim(g, " \t") == "" && r.IntN(2) == 0 {
			g = "g" + g
		}
		if g != "" && !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	return u, groups
}

// expected is what an import of the export of u must yield as Row.Attrs:
// empty strings and empty maps dropped, multi-valued values in export
// order (primary first), the id not an attribute, and CR LF read back as
// LF (encoding/csv does that inside quoted cells; documented).
func expected(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k == "id" {
				continue
			}
			if e = expected(e); e != nil {
				out[k] = e
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		var out []any
		for _, e := range orderInto(nil, x) {
			if e = expected(e); e != nil {
				out = append(out, e)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case string:
		if x == "" {
			return nil
		}
		return strings.ReplaceAll(x, "\r\n", "\n")
	}
	return v
}

// TestRoundTrip exports randomised users with every column and imports the
// file again: each row must give back the same attribute values, id and
// groups, with neutralisation on and off and with either delimiter.
func TestRoundTrip(t *testing.T) {
	reg := registry(t)
	acme := reg.Custom()[0].ID
	cols := Columns(reg)
	for _, opts := range []WriterOptions{{}, {Raw: true}, {Comma: ';'}, {Raw: true, Comma: ';'}} {
		t.Run(fmt.Sprintf("raw=%v,comma=%q", opts.Raw, opts.Comma), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(opts.Comma)+map[bool]uint64{true: 7}[opts.Raw]))
			const n = 400
			users := make([]map[string]any, n)
			groups := make([][]string, n)
			var buf bytes.Buffer
			w, err := NewWriter(&buf, cols, opts)
			if err != nil {
				t.Fatal(err)
			}
			for i := range users {
				users[i], groups[i] = randUser(r, acme)
				if tr, err := w.Write(users[i], groups[i]); err != nil || tr != 0 {
					t.Fatalf("write: truncated %d, %v", tr, err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			rd, err := NewReader(bytes.NewReader(buf.Bytes()), ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if d := DetectDialect(reg, rd.Header()); d != Native {
				t.Fatalf("dialect %v", d)
			}
			m, err := NewMapper(reg, Native, rd.Header(), MapperOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			for {
				num, rec, err := rd.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				row, err := m.Map(num, rec)
				if err != nil {
					t.Fatal(err)
				}
				i := num - 1
				got++
				want := expected(users[i]).(map[string]any)
				if !reflect.DeepEqual(row.Attrs, want) {
					t.Fatalf("row %d attributes differ\n got: %#v\nwant: %#v", num, row.Attrs, want)
				}
				wantID, _ := users[i]["id"].(string)
				if row.ID != wantID {
					t.Fatalf("row %d: id %q, want %q", num, row.ID, wantID)
				}
				wantGroups := groups[i]
				if wantGroups == nil {
					wantGroups = []string{}
				}
				if !reflect.DeepEqual(row.Groups, wantGroups) {
					t.Fatalf("row %d: groups %q, want %q", num, row.Groups, wantGroups)
				}
				// Importing the row over the stored user changes nothing.
				if after := row.ApplyTo(users[i]); !reflect.DeepEqual(expected(after), want) {
					t.Fatalf("row %d: ApplyTo(stored) changed the user\n got: %#v\nwant: %#v", num, expected(after), want)
				}
			}
			if got != n {
				t.Fatalf("read %d rows, want %d", got, n)
			}
		})
	}
}

// TestRoundTripGroupsExport checks that the members column of the groups
// export splits back into the same ids.
func TestRoundTripGroupsExport(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var buf bytes.Buffer
	gw, err := NewGroupsWriter(&buf, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type group struct {
		id, name, ext string
		members       []string
	}
	var groups []group
	for i := 0; i < 200; i++ {
		g := group{id: strconv.Itoa(i), name: randText(r) + "g", ext: maybe(r)}
		for j := r.IntN(5); j > 0; j-- {
			g.members = append(g.members, randText(r)+"m")
		}
		g.members = dedupe(g.members)
		groups = append(groups, g)
		if err := gw.Write(g.id, g.name, g.ext, g.members); err != nil {
			t.Fatal(err)
		}
	}
	if err := gw.Flush(); err != nil {
		t.Fatal(err)
	}
	rd, err := NewReader(&buf, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rd.Header(), GroupsColumns) {
		t.Fatalf("header %q", rd.Header())
	}
	for {
		num, rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		g := groups[num-1]
		members := g.members
		if members == nil {
			members = []string{}
		}
		if unneutralise(rec[1]) != g.name || unneutralise(rec[2]) != g.ext || !reflect.DeepEqual(splitList(unneutralise(rec[3])), members) {
			t.Fatalf("row %d: %q, want %+v", num, rec, g)
		}
	}
}
