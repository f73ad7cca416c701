package resource

import (
	"testing"
)

var benchBodies = map[string]string{
	"entra-4-op": `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@x.com"},
		{"op":"Replace","path":"name.familyName","value":"F"},
		{"op":"Add","path":"nickName","value":"Babs"},
		{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"1"}]}`,
	"replace-active": `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"active","value":"False"}]}`,
}

func benchUser(b *testing.B) *Service {
	b.Helper()
	return newTestService(b)
}

// BenchmarkPatchUser measures applying already validated operations (what
// the HTTP handler does after elimity) to a typical Entra-provisioned
// user, including decoding and encoding the stored attributes; "+decode"
// adds DecodePatch (the /Bulk path), "+decoder" a shared PatchDecoder.
func BenchmarkPatchUser(b *testing.B) {
	svc := benchUser(b)
	old := userFrom(b, map[string]any{
		"userName": "bjensen@example.com", "externalId": "0a21f0f2", "active": true, "displayName": "Barbara Jensen",
		"name":   map[string]any{"givenName": "Barbara", "familyName": "Jensen", "formatted": "Barbara Jensen"},
		"emails": []any{map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true}},
		"urn:ietf:params:scim:schemas:extension:sap:2.0:User": map[string]any{"userUuid": "u-1"},
	}, "")
	for _, name := range []string{"entra-4-op", "replace-active"} {
		ops, err := DecodePatch(svc.Reg.Users, []byte(benchBodies[name]))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := svc.PatchUser(old, ops); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "patches/s")
		})
		b.Run(name+"+decode", func(b *testing.B) {
			body := []byte(benchBodies[name])
			b.ReportAllocs()
			for b.Loop() {
				ops, err := DecodePatch(svc.Reg.Users, body)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := svc.PatchUser(old, ops); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "patches/s")
		})
		b.Run(name+"+decoder", func(b *testing.B) {
			body := []byte(benchBodies[name])
			d := NewPatchDecoder(svc.Reg.Users)
			b.ReportAllocs()
			for b.Loop() {
				ops, err := d.Decode(body)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := svc.PatchUser(old, ops); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "patches/s")
		})
	}
}

// BenchmarkNewUser measures building a new user from a CSV-import-shaped
// attribute map (what the import's prepare step does per row): the
// resource rules, pruning and the canonical JSON encoding.
func BenchmarkNewUser(b *testing.B) {
	svc := benchUser(b)
	attrs := func() map[string]any {
		return map[string]any{
			"userName": "user0000042@example.com", "active": "true", "displayName": "Given42 Family42",
			"name": map[string]any{"givenName": "Given42", "familyName": "Family42"},
			"emails": []any{
				map[string]any{"value": "user0000042@example.com", "type": "work", "primary": "true"},
				map[string]any{"value": "u42@home.example", "type": "home"},
			},
			"phoneNumbers": []any{map[string]any{"value": "+1 555 0100", "type": "work"}},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "R&D", "employeeNumber": "42"},
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.NewUserWithID(attrs(), "2c5ea4c0-4067-11e9-8bad-9b1deb4d3b7d"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
}
