package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func decodeAny(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	return v
}

func TestCanonicalJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   map[string]any
		want string
	}{
		{"sorted keys", map[string]any{"b": 1, "a": true, "c": nil}, `{"a":true,"b":1,"c":null}`},
		{"nested", map[string]any{"name": map[string]any{"z": "1", "givenName": "Ann"}, "emails": []any{map[string]any{"value": "a@x", "primary": true}}},
			`{"emails":[{"primary":true,"value":"a@x"}],"name":{"givenName":"Ann","z":"1"}}`},
		{"escapes", map[string]any{"s": "q\"b\\n\nt\tc\x01<&>\u2028"}, `{"s":"q\"b\\n\nt\tc\u0001<&>\u2028"}`},
		{"invalid utf-8", map[string]any{"s": "a\xffb"}, `{"s":"a\ufffdb"}`},
		{"numbers", map[string]any{"i": int64(-7), "f": 2.5, "n": json.Number("12345678901234567890"), "w": 3.0},
			`{"f":2.5,"i":-7,"n":12345678901234567890,"w":3}`},
		{"strings slice", map[string]any{"schemas": []string{"urn:a", "urn:b"}}, `{"schemas":["urn:a","urn:b"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CanonicalJSON(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, err := CanonicalJSON(map[string]any{"n": json.Number("1x")}); err == nil {
		t.Error("an invalid json.Number was encoded")
	}
}

// FuzzCanonicalJSON: for any JSON object, the canonical encoding is valid
// JSON with the same value, and it is a fixed point (encoding the decoded
// canonical form gives the same bytes).
func FuzzCanonicalJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2,{"b":null}],"c":"\u00e9\n"}`, `{"x":1e300,"y":-0.5,"z":[true,false]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader([]byte(s)))
		d.UseNumber()
		if d.Decode(&m) != nil || m == nil {
			return
		}
		got, err := CanonicalJSON(m)
		if err != nil {
			t.Fatalf("encode %s: %v", s, err)
		}
		std, _ := json.Marshal(m)
		if !reflect.DeepEqual(decodeAny(t, got), decodeAny(t, std)) {
			t.Fatalf("canonical %s decodes differently from encoding/json %s", got, std)
		}
		again, err := CanonicalJSON(decodeAny(t, got).(map[string]any))
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("not a fixed point: %s then %s (%v)", got, again, err)
		}
	})
}
