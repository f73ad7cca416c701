package resource

import (
	"net/http"
	"testing"
)

const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

func TestNormalizePatchBody(t *testing.T) {
	svc := newTestService(t)
	users, groups := svc.Reg.Users, svc.Reg.Groups
	tests := []struct {
		name string
		rt   string // "groups" or users
		in   string
		want string // "" = returned unchanged, the same slice
	}{
		{name: "entra update needs nothing",
			in: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"a@x.com"},{"op":"Replace","path":"` + ent + `:employeeNumber","value":"1"}]}`},
		{name: "okta deactivate needs nothing",
			in: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`},
		{name: "manager object needs nothing",
			in: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"` + ent + `:manager","value":{"value":"271"}}]}`},
		{name: "invalid JSON is left to elimity",
			in: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"` + ent + `:manager","value":"271"}`},
		{name: "group membership needs nothing", rt: "groups",
			in: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"u1"}]}]}`},
		{name: "duplicate op keys are left alone",
			in: `{"Operations":[{"op":"add","Path":"x","path":"` + ent + `:manager","value":"271"}]}`},
		{name: "entra bare manager",
			in:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"` + ent + `:manager","value":"271"}]}`,
			want: `{"Operations":[{"op":"Add","path":"` + ent + `:manager","value":{"value":"271"}}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`},
		{name: "bare manager in any case gets the canonical path",
			in:   `{"operations":[{"OP":"add","PATH":"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:Manager","VALUE":"7"}]}`,
			want: `{"operations":[{"OP":"add","PATH":"` + ent + `:manager","VALUE":{"value":"7"}}]}`},
		{name: "only the fixed operation is re-encoded",
			in:   `{"Operations":[{"op":"add","path":"nickName","value":"<b>"},{"op":"add","path":"` + ent + `:manager","value":"1"}]}`,
			want: `{"Operations":[{"op":"add","path":"nickName","value":"<b>"},{"op":"add","path":"` + ent + `:manager","value":{"value":"1"}}]}`},
		{name: "extension object flattened",
			in:   `{"Operations":[{"op":"replace","value":{"displayName":"B","` + ent + `":{"employeeNumber":"1","manager":"9"}}}]}`,
			want: `{"Operations":[{"op":"replace","value":{"displayName":"B","` + ent + `:employeeNumber":"1","` + ent + `:manager":{"value":"9"}}}]}`},
		{name: "extension key in another case",
			in:   `{"Operations":[{"op":"add","value":{"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"department":"D"}}}]}`,
			want: `{"Operations":[{"op":"add","value":{"` + ent + `:department":"D"}}]}`},
		{name: "path-less bare manager key",
			in:   `{"Operations":[{"op":"replace","value":{"` + ent + `:MANAGER":"9","nickName":1.50}}]}`,
			want: `{"Operations":[{"op":"replace","value":{"nickName":1.50,"` + ent + `:manager":{"value":"9"}}}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := users
			if tc.rt == "groups" {
				rt = groups
			}
			in := []byte(tc.in)
			out, err := NormalizePatchBody(rt, in)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if len(out) != len(in) || &out[0] != &in[0] {
					t.Fatalf("body was rewritten: %s", out)
				}
				return
			}
			if string(out) != tc.want {
				t.Fatalf("\n got: %s\nwant: %s", out, tc.want)
			}
		})
	}
}

// TestNormalizePatchBodyMakesElimityAccept proves why the normaliser
// exists: the pinned elimity refuses Entra ID's bare-string manager and
// extension objects in path-less values, and accepts the rewritten body.
func TestNormalizePatchBodyMakesElimityAccept(t *testing.T) {
	svc := newTestService(t)
	h := newElimityHarness(t, svc.Reg)
	for name, body := range map[string]string{
		"bare manager":           `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"` + ent + `:manager","value":"271"}]}`,
		"extension object":       `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"` + ent + `":{"employeeNumber":"1"}}}]}`,
		"path-less bare manager": `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"` + ent + `:manager":"9"}}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			code, c, _ := h.send(http.MethodPatch, "/Users/u-1", []byte(body))
			if c.called || code != http.StatusBadRequest {
				t.Fatalf("raw body: status %d, handler called %v; the normaliser may be unnecessary now", code, c.called)
			}
			fixed, _ := NormalizePatchBody(svc.Reg.Users, []byte(body))
			code, c, resp := h.send(http.MethodPatch, "/Users/u-1", fixed)
			if !c.called {
				t.Fatalf("normalised body refused: %d %s\n%s", code, resp, fixed)
			}
		})
	}
}

func BenchmarkNormalizePatchBodyFastPath(b *testing.B) {
	svc := newTestService(b)
	body := []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@x.com"},{"op":"Replace","path":"name.familyName","value":"F"},{"op":"Add","path":"nickName","value":"Babs"},{"op":"Replace","path":"` + ent + `:employeeNumber","value":"1"}]}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := NormalizePatchBody(svc.Reg.Users, body); err != nil {
			b.Fatal(err)
		}
	}
}
