package bulkcsv

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestStrArena(t *testing.T) {
	var a strArena
	var vals []any
	for i := 0; i < 3*strArenaBlock; i++ {
		vals = append(vals, a.box(fmt.Sprint("v", i)))
	}
	runtime.GC()
	for i, v := range vals {
		want := fmt.Sprint("v", i)
		s, ok := v.(string)
		if !ok || s != want || v != any(want) || !reflect.DeepEqual(v, any(want)) {
			t.Fatalf("%d: %#v", i, v)
		}
	}
	b, err := json.Marshal(vals[:2])
	if err != nil || string(b) != `["v0","v1"]` {
		t.Fatalf("json %s %v", b, err)
	}
}

func TestMapperGroupsLimit(t *testing.T) {
	reg := registry(t)
	m, err := NewMapper(reg, Native, []string{"userName", "groups"}, MapperOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 501)
	for i := range names {
		names[i] = fmt.Sprint("g", i)
	}
	_, err = m.Map(7, []string{"u", strings.Join(names, ";")})
	var re *RowError
	if !errors.As(err, &re) || re.Num != 7 || re.Column != "groups" || !strings.Contains(re.Msg, "at most 500") {
		t.Fatalf("501 groups: %v", err)
	}
	row, err := m.Map(8, []string{"u", strings.Join(names[:500], ";")})
	if err != nil || len(row.Groups) != 500 {
		t.Fatalf("500 groups: %d, %v", len(row.Groups), err)
	}
	if _, err := m.Map(9, []string{"u"}); !IsRowError(err) {
		t.Fatalf("short row: %v", err)
	}
	// A cell of 200,000 names is refused in linear time.
	huge := strings.Repeat("g;", 100_000) + strings.Join(names, ";")
	start := time.Now()
	if _, err := m.Map(10, []string{"u", huge}); !IsRowError(err) || time.Since(start) > time.Second {
		t.Fatalf("huge groups cell: %v after %v", err, time.Since(start))
	}
}

func TestMapperOptions(t *testing.T) {
	reg := registry(t)
	if _, err := NewMapper(reg, Native, []string{"userName"}, MapperOptions{MatchBy: "mail"}); err == nil || IsFileError(err) {
		t.Fatalf("matchBy=mail: %v", err)
	}
	for in, want := range map[string]MatchBy{"": MatchUserName, "USERNAME": MatchUserName, "Emails": MatchEmails, "externalID": MatchExternalID} {
		if got, err := ParseMatchBy(in); err != nil || got != want {
			t.Errorf("ParseMatchBy(%q) = %v, %v", in, got, err)
		}
	}
	_, err := NewMapper(reg, IDaaS, []string{"username", "organizationalUnitPath"}, MapperOptions{MatchBy: MatchExternalID})
	wantFileError(t, err, "no externalId column")
	_, err = NewMapper(reg, IDaaS, []string{"username", "organizationalUnitPath"}, MapperOptions{MatchBy: MatchEmails})
	wantFileError(t, err, "missing identifier column email")
	if m, err := NewMapper(reg, Native, []string{"userName", "emails[0].value"}, MapperOptions{MatchBy: "EMAILS"}); err != nil || m.matchKey != MatchEmails {
		t.Fatalf("matchBy in capitals: %v", err)
	}
	_, err = NewMapper(reg, Native, []string{"id", "displayName"}, MapperOptions{MatchBy: MatchEmails})
	if err != nil {
		t.Fatalf("an id column is identifier enough: %v", err)
	}
	_, err = NewMapper(reg, Native, []string{"emails[1].value", "displayName"}, MapperOptions{MatchBy: MatchEmails})
	wantFileError(t, err, "missing column userName")
	_, err = NewMapper(reg, IDaaS, []string{"username", "organizationalUnitPath", "customFieldMap.badgeNumber", "CUSTOMFIELDMAP.BADGENUMBER"}, MapperOptions{})
	wantFileError(t, err, "duplicated column")
}

// TestMapperDoesNotShareState: rows stay valid after later rows are
// mapped (the mapper reuses only its own scratch space).
func TestMapperDoesNotShareState(t *testing.T) {
	reg := registry(t)
	m, err := NewMapper(reg, Native, []string{"userName", "name.givenName", "emails[0].value"}, MapperOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for i := 0; i < 1000; i++ {
		r, err := m.Map(i+1, []string{fmt.Sprint("u", i), fmt.Sprint("g", i), fmt.Sprint(i, "@x")})
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	runtime.GC()
	for i, r := range rows {
		want := map[string]any{"userName": fmt.Sprint("u", i), "name": map[string]any{"givenName": fmt.Sprint("g", i)},
			"emails": []any{map[string]any{"value": fmt.Sprint(i, "@x")}}}
		if !reflect.DeepEqual(r.Attrs, want) {
			t.Fatalf("row %d: %v", i+1, r.Attrs)
		}
	}
}
