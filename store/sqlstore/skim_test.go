package sqlstore

import (
	"encoding/json"
	"slices"
	"testing"
)

// derivedUserAttrsJSON is derivedUserAttrs without the skimmer (the
// reference).
func derivedUserAttrsJSON(raw []byte) ([]string, string) {
	var d struct {
		Emails []struct {
			Value string `json:"value"`
		} `json:"emails"`
		SAP struct {
			UserUUID string `json:"userUuid"`
		} `json:"urn:ietf:params:scim:schemas:extension:sap:2.0:User"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return derivedUserAttrsSlow(raw)
	}
	var emails []string
	for _, e := range d.Emails {
		if e.Value != "" {
			emails = append(emails, e.Value)
		}
	}
	return emails, d.SAP.UserUUID
}

func TestSkimUserAttrs(t *testing.T) {
	sap := `"urn:ietf:params:scim:schemas:extension:sap:2.0:User"`
	for _, c := range []struct {
		raw  string
		fast bool // the skimmer answers (no fallback)
	}{
		{`{}`, true},
		{` { } `, true},
		{`{"userName":"a"}`, true},
		{`{"emails":[{"value":"a@x.com","type":"work","primary":true},{"type":"home","value":"B@x.org"}],"userName":"a"}`, true},
		{`{"userName": "a", "emails": [{"value": "a@x.com", "type": "work"}, {"value": ""}, null, {"value": null}], ` + sap + `: {"userUuid": "U-1"}}`, true},
		{`{"name":{"givenName":"x\"}]","f":[1,{"a":"]"}]},"emails":[{"display":"{[","value":"a\"b@x.com"}]}`, true},
		{`{"emails":null,` + sap + `:null}`, true},
		{`{"emails":[],` + sap + `:{}}`, true},
		{`{"x":-1.5e3,"y":true,"z":null,"emails":[{"value":"\u00e9@x.com"}]}`, true},
		{`{` + sap + `:{"userUuid":"u","other":{"userUuid":"no"}}}`, true},
		// Fallbacks: the reference decides.
		{`{"Emails":[{"value":"a@x.com"}]}`, false},
		{`{"emails":[{"Value":"a@x.com"}]}`, false},
		{`{"emails":[{"value":1}]}`, false},
		{`{"emails":{"value":"a@x.com"}}`, false},
		{`{"emails":["a@x.com"]}`, false},
		{`{"emails":[{"value":"a"}],"emails":[{"value":"b"}]}`, false},
		{`{` + sap + `:"x"}`, false},
		{`{` + sap + `:{"userUuid":7}}`, false},
		{`{` + sap + `:{"USERUUID":"u"}}`, false},
		{`[]`, false},
		{`{"a":1`, false},
		{`{"a":1}x`, false},
		{``, false},
	} {
		wantE, wantU := derivedUserAttrsJSON([]byte(c.raw))
		gotE, gotU := derivedUserAttrs([]byte(c.raw))
		if !slices.Equal(gotE, wantE) || gotU != wantU {
			t.Errorf("%s: got %q %q, want %q %q", c.raw, gotE, gotU, wantE, wantU)
		}
		if _, _, ok := skimUserAttrs([]byte(c.raw)); ok != c.fast {
			t.Errorf("%s: skimmer answered %v, want %v", c.raw, ok, c.fast)
		}
	}
}

func BenchmarkDerivedUserAttrs(b *testing.B) {
	raw := []byte(`{"active":true,"displayName":"User 0000001","emails":[{"primary":true,"type":"work","value":"user0000001@example.com"}],"externalId":"ext-1","name":{"familyName":"Family1","givenName":"Given1"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:ietf:params:scim:schemas:extension:sap:2.0:User"],"title":"Engineer","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R\u0026D","employeeNumber":"1"},"urn:ietf:params:scim:schemas:extension:sap:2.0:User":{"userUuid":"01a1fccf-3b0e-78f7-9a0f-207dcee1687c"},"userName":"user0000001@example.com"}`)
	for _, c := range []struct {
		name string
		f    func([]byte) ([]string, string)
	}{{"skim", derivedUserAttrs}, {"json", derivedUserAttrsJSON}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.f(raw)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
		})
	}
}

// FuzzSkimUserAttrs checks that derivedUserAttrs (skimmer first) answers
// as json.Unmarshal does for every valid JSON text (stored attributes are
// always valid JSON). Run with: go test -fuzz=FuzzSkimUserAttrs ./store/sqlstore/
func FuzzSkimUserAttrs(f *testing.F) {
	f.Add(`{"emails":[{"value":"a@x.com","type":"work"},null,{"value":"b\"c"}],"urn:ietf:params:scim:schemas:extension:sap:2.0:User":{"userUuid":"u"}}`)
	f.Add(`{"name":{"a":[1,2,{"b":"]}"}]},"emails":null}`)
	f.Add(`{"Emails":[{"VALUE":"x"}]}`)
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return
		}
		wantE, wantU := derivedUserAttrsJSON([]byte(raw))
		gotE, gotU := derivedUserAttrs([]byte(raw))
		if !slices.Equal(gotE, wantE) || gotU != wantU {
			t.Fatalf("%s: got %q %q, want %q %q", raw, gotE, gotU, wantE, wantU)
		}
	})
}
