package scim

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scimd/scimd/store"
)

// testCodec is a codec with a fixed key and a settable clock.
func testCodec(key string, now *time.Time) *cursorCodec {
	return &cursorCodec{
		secret: func(context.Context) ([]byte, error) { return []byte(key), nil },
		now:    func() time.Time { return *now },
		ttl:    time.Hour,
	}
}

// wantScimType fails unless err is a 400 apiError of scimType.
func wantScimType(t *testing.T, what string, err error, scimType string) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || string(ae.ScimType) != scimType {
		t.Errorf("%s: error %v, want 400 %s", what, err, scimType)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	cc := testCodec("k1", &now)
	for _, pos := range []*store.Position{
		nil, // the start
		{ID: "0190a0b0-0000-7000-8000-000000000001"},
		{Key: "bjensen@example.com", ID: "id-1"},
		{Key: "", ID: "id-2"},
		{Key: `quote " slash \ 日本 🎉`, ID: "id-3"},
		{Key: int64(-1 << 62), ID: "id-4"},
		{Key: 0.1 + 0.2, ID: "id-5"},
		{Key: "12.50", ID: "id-6"}, // a PostgreSQL numeric
		{Key: true, ID: "id-7"},
		{Key: false, ID: "id-8"},
	} {
		c, err := cc.encode(ctx, "scope", pos, 7)
		if err != nil {
			t.Fatalf("encode %+v: %v", pos, err)
		}
		if strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Errorf("cursor %q has characters outside RFC 3986 unreserved", c)
		}
		got, total, err := cc.decode(ctx, "scope", c)
		if err != nil {
			t.Fatalf("decode %+v: %v", pos, err)
		}
		if !reflect.DeepEqual(got, pos) {
			t.Errorf("round trip: got %#v, want %#v", got, pos)
		}
		if total != 7 {
			t.Errorf("round trip: total %d, want the 7 it was encoded with", total)
		}
	}
	if _, err := cc.encode(ctx, "scope", &store.Position{Key: []string{"x"}, ID: "x"}, 7); err == nil {
		t.Error("encode of an unsupported key type: no error")
	}
}

func TestCursorRejects(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	cc := testCodec("k1", &now)
	c, err := cc.encode(ctx, "scope", &store.Position{Key: "bob", ID: "id-1"}, 7)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(c)
	for i := range raw {
		tampered := append([]byte(nil), raw...)
		tampered[i] ^= 0x20
		_, _, err := cc.decode(ctx, "scope", base64.RawURLEncoding.EncodeToString(tampered))
		wantScimType(t, fmt.Sprintf("byte %d flipped", i), err, "invalidCursor")
	}
	for name, bad := range map[string]string{
		"garbage":         "not a cursor!",
		"short":           "AAAA",
		"padded base64":   c + "==",
		"truncated":       c[:len(c)-3],
		"appended":        c + "AA",
		"too long":        strings.Repeat("A", maxCursorLen+1),
		"unsigned JSON":   base64.RawURLEncoding.EncodeToString([]byte(`{"x":9999999999,"q":"scope","i":"id-1"}`)),
		"standard base64": base64.StdEncoding.EncodeToString(raw),
	} {
		_, _, err := cc.decode(ctx, "scope", bad)
		wantScimType(t, name, err, "invalidCursor")
	}
	// Another query (tenant, resource type, filter or sort): invalid.
	_, _, err = cc.decode(ctx, "other scope", c)
	wantScimType(t, "other scope", err, "invalidCursor")
	// Another key (a database with another secret): invalid; the same
	// key (another replica on the same database): valid.
	_, _, err = testCodec("k2", &now).decode(ctx, "scope", c)
	wantScimType(t, "other key", err, "invalidCursor")
	if _, _, err := testCodec("k1", &now).decode(ctx, "scope", c); err != nil {
		t.Errorf("replica with the same key: %v", err)
	}
	// Expiry: valid for ttl, then expiredCursor.
	now = now.Add(time.Hour)
	if _, _, err := cc.decode(ctx, "scope", c); err != nil {
		t.Errorf("at the timeout: %v", err)
	}
	now = now.Add(time.Second)
	_, _, err = cc.decode(ctx, "scope", c)
	wantScimType(t, "expired", err, "expiredCursor")
	// The key is read once; a failure to read it is no client error and
	// is retried on the next request.
	calls, fail := 0, true
	flaky := &cursorCodec{now: func() time.Time { return now }, ttl: time.Hour,
		secret: func(context.Context) ([]byte, error) {
			calls++
			if fail {
				return nil, errors.New("db down")
			}
			return []byte("k1"), nil
		}}
	if _, _, err := flaky.decode(ctx, "scope", c); err == nil || strings.Contains(err.Error(), "invalidCursor") {
		t.Errorf("key read failure: %v", err)
	}
	fail = false
	for range 3 {
		if _, err := flaky.encode(ctx, "scope", nil, 7); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Errorf("key read %d times, want 2 (one failure, then once)", calls)
	}
}

func TestCursorScope(t *testing.T) {
	base := func() *listParams {
		p := &listParams{filterText: `userName sw "a"`}
		p.query.SortBy = "userName"
		return p
	}
	s0 := cursorScope(1, "User", base())
	same := base()
	same.query.SortBy = "USERNAME"
	same.query.Count, same.proj = 7, projection{attrs: []string{"id"}}
	if cursorScope(1, "User", same) != s0 {
		t.Error("sortBy case, count or attributes change the scope")
	}
	for name, p := range map[string]func(p *listParams){
		"filter":    func(p *listParams) { p.filterText = `userName sw "b"` },
		"no filter": func(p *listParams) { p.filterText = "" },
		"sortBy":    func(p *listParams) { p.query.SortBy = "displayName" },
		"sortOrder": func(p *listParams) { p.query.Descending = true },
	} {
		q := base()
		p(q)
		if cursorScope(1, "User", q) == s0 {
			t.Errorf("changing the %s keeps the scope", name)
		}
	}
	if cursorScope(2, "User", base()) == s0 || cursorScope(1, "Group", base()) == s0 {
		t.Error("tenant or resource type does not change the scope")
	}
}

func TestCursorListParams(t *testing.T) {
	a := &API{}
	a.cfg.defaults()
	e := echo.New()
	parse := func(query string) (listParams, error) {
		c := e.NewContext(httptest.NewRequest("GET", "/scim/v2/Users"+query, nil), httptest.NewRecorder())
		return a.fromQuery(c)
	}
	for query, want := range map[string]*string{
		"":                 nil,
		"?count=5":         nil,
		"?cursor":          ptrTo(""),
		"?cursor=":         ptrTo(""),
		"?cursor=abc-_":    ptrTo("abc-_"),
		"?count=5&cursor=": ptrTo(""),
	} {
		p, err := parse(query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if !reflect.DeepEqual(p.cursor, want) {
			t.Errorf("%s: cursor %v, want %v", query, p.cursor, want)
		}
	}
	for _, query := range []string{"?cursor=&startIndex=1", "?startIndex=5&cursor=abc"} {
		_, err := parse(query)
		wantScimType(t, query, err, "invalidValue")
	}
	p, err := parse("?cursor&count=5000")
	if err != nil || p.query.Count != a.cfg.MaxResults {
		t.Errorf("count above the maximum: %d %v, want clamped to %d", p.query.Count, err, a.cfg.MaxResults)
	}
	p, err = a.listParams(searchRequest{Cursor: ptrTo("x"), Filter: ` userName pr `})
	if err != nil || p.cursor == nil || *p.cursor != "x" || p.filterText != "userName pr" {
		t.Errorf("search body cursor: %+v %v", p, err)
	}
	_, err = a.listParams(searchRequest{Cursor: ptrTo(""), StartIndex: ptrTo(1)})
	wantScimType(t, "search body cursor with startIndex", err, "invalidValue")
}

func ptrTo[T any](v T) *T { return &v }
