package scim

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/scimd/scimd/store"
)

// The export's attribute decoder must produce exactly what
// store.DecodeAttrs produces (for the keys it decodes).
func TestAttrDecoderMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		`{}`,
		` { "a" : 1 , "b" : [ ] , "c" : { } } `,
		`{"userName":"bjensen","active":true,"x":null,"n":-12.5e+3,"z":0,"f":false}`,
		`{"emails":[{"value":"a@b","primary":true,"type":"work"},{"value":"c@d"}],"name":{"givenName":"B","familyName":"J"}}`,
		`{"s":"quote \" backslash \\ slash \/ \b\f\n\r\t unicode \u00e9 \u65e5 pair \ud83c\udf89 lone \ud800 x \udc00 y \ud800\u0041"}`,
		`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"x"},"employeeNumber":"7"}}`,
		`{"deep":[[[{"a":[1,2,{"b":"c"}]}]]],"after":"ok"}`,
		`{"Müller":"日本語 🎉","k\"ey":"v","big":123456789012345678901234567890}`,
		`{"esc\u0061ped":"key"}`,
	}
	for _, doc := range docs {
		want, err := store.DecodeAttrs([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		d := &attrDecoder{m: map[string]any{}}
		got, err := d.decode([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", doc, got, want)
		}
		// Only some keys: the same values for those, nothing else.
		for k := range want {
			d := &attrDecoder{keys: map[string]bool{k: true}, m: map[string]any{}}
			got, err := d.decode([]byte(doc))
			if err != nil {
				t.Fatalf("%s [%s]: %v", doc, k, err)
			}
			if len(got) != 1 || !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("%s [%s]: got %#v, want %#v", doc, k, got, want[k])
			}
		}
	}
}

// Malformed input: decoding every key is strict (the same error as
// store.DecodeAttrs, or its lenient result: it ignores data after the
// object); with a narrower key set, values that are skipped are only
// delimited, and what matters is that nothing panics.
func TestAttrDecoderMalformed(t *testing.T) {
	for _, doc := range []string{``, `[]`, `{"a":}`, `{"a":1,}`, `{"a":"x}`, `{"a":1} x`, `{"a":tru}`, `{"a":01}`, `{"a":"\q"}`,
		`{"a":"\ud800\u12"}`, `{"a":[1,}`, `{"a":{"b":]}`, `{"a":"\"}`, `{"a":"x\\"}`} {
		_, werr := store.DecodeAttrs([]byte(doc))
		d := &attrDecoder{m: map[string]any{}}
		if _, err := d.decode([]byte(doc)); (err != nil) != (werr != nil) {
			t.Errorf("%q: err %v, store.DecodeAttrs err %v", doc, err, werr)
		}
		d = &attrDecoder{keys: map[string]bool{"b": true}, m: map[string]any{}}
		_, _ = d.decode([]byte(doc))
	}
}

func FuzzAttrDecoder(f *testing.F) {
	f.Add(`{"a":"b","c":[1,{"d":null}],"e":"\u00e9\n"}`)
	d := &attrDecoder{m: map[string]any{}} // reused, as in an export
	narrow := &attrDecoder{keys: map[string]bool{"a": true, "emails": true}, m: map[string]any{}}
	f.Fuzz(func(t *testing.T, doc string) {
		want, werr := store.DecodeAttrs([]byte(doc))
		got, err := d.decode([]byte(doc))
		if (err != nil) != (werr != nil) {
			t.Fatalf("%q: err %v, encoding/json err %v", doc, err, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %#v\nwant %#v", doc, got, want)
		}
		// Narrow: on valid input, exactly the wanted keys' values.
		got, err = narrow.decode([]byte(doc))
		if werr == nil && json.Valid([]byte(doc)) {
			if err != nil {
				t.Fatalf("%q (narrow): %v", doc, err)
			}
			for k := range narrow.keys {
				if !reflect.DeepEqual(got[k], want[k]) {
					t.Fatalf("%q (narrow) %s: got %#v, want %#v", doc, k, got[k], want[k])
				}
			}
			if len(got) > len(narrow.keys) {
				t.Fatalf("%q (narrow): extra keys in %#v", doc, got)
			}
		}
	})
}

// One decoder reused for many users (its pool recycles objects and
// arrays) gives every user's own values.
func TestAttrDecoderReuse(t *testing.T) {
	docs := []string{
		`{"emails":[{"value":"a"},{"value":"b","primary":true}],"name":{"givenName":"A"}}`,
		`{"emails":[{"value":"c"}]}`,
		`{"emails":[],"x":{}}`,
		`{"emails":[{"value":"d","type":"w"},{"value":"e"},{"value":"f"},{"value":"g"},{"value":"h"}],"name":{"familyName":"F"}}`,
		`{}`,
	}
	d := &attrDecoder{m: map[string]any{}}
	for round := 0; round < 3; round++ {
		for _, doc := range docs {
			want, _ := store.DecodeAttrs([]byte(doc))
			got, err := d.decode([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n got %#v\nwant %#v", doc, got, want)
			}
		}
	}
}
