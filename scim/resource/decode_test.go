package resource

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	elschema "github.com/elimity-com/scim/schema"
)

func TestDecodePatchErrors(t *testing.T) {
	svc := newTestService(t)
	const po = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	tests := []struct {
		name, body, scimType, detail string
	}{
		{"not JSON", `{"schemas":`, InvalidSyntax, "PatchOp"},
		{"not an object", `[1]`, InvalidSyntax, "PatchOp"},
		{"no PatchOp schema", `{"schemas":["urn:x"],"Operations":[{"op":"add","path":"title","value":"x"}]}`, InvalidValue, "schemas"},
		{"no operations", `{` + po + `,"Operations":[]}`, InvalidValue, "Operations"},
		{"operation not an object", `{` + po + `,"Operations":["add"]}`, InvalidSyntax, "operation 1"},
		{"unknown op", `{` + po + `,"Operations":[{"op":"move","path":"title","value":"x"}]}`, InvalidValue, "move"},
		{"bad path syntax", `{` + po + `,"Operations":[{"op":"add","path":"emails[type eq","value":"x"}]}`, InvalidPath, "emails[type eq"},
		{"unknown attribute", `{` + po + `,"Operations":[{"op":"add","path":"shoeSize","value":"x"}]}`, InvalidPath, "shoeSize"},
		{"unknown sub-attribute", `{` + po + `,"Operations":[{"op":"add","path":"name.shoe","value":"x"}]}`, InvalidPath, "name.shoe"},
		{"unknown extension", `{` + po + `,"Operations":[{"op":"add","path":"urn:x:y:1.0:User:a","value":"x"}]}`, InvalidPath, "urn:x:y"},
		{"unknown filter attribute", `{` + po + `,"Operations":[{"op":"remove","path":"emails[shoe eq \"x\"]"}]}`, InvalidPath, "shoe"},
		{"filter on single-valued", `{` + po + `,"Operations":[{"op":"remove","path":"name[givenName eq \"x\"]"}]}`, InvalidPath, "single-valued"},
		{"remove without path", `{` + po + `,"Operations":[{"op":"remove"}]}`, NoTarget, "path"},
		{"add without value", `{` + po + `,"Operations":[{"op":"add","path":"title"}]}`, InvalidValue, "title"},
		{"wrong type", `{` + po + `,"Operations":[{"op":"replace","path":"active","value":5}]}`, InvalidValue, "active"},
		{"wrong sub-attribute type", `{` + po + `,"Operations":[{"op":"add","path":"emails","value":[{"value":"a","primary":"perhaps"}]}]}`, InvalidValue, "emails.primary"},
		{"path-less value not an object", `{` + po + `,"Operations":[{"op":"replace","value":"x"}]}`, InvalidValue, "object"},
		{"path-less unknown key", `{` + po + `,"Operations":[{"op":"replace","value":{"shoeSize":"x"}}]}`, InvalidPath, "shoeSize"},
		{"path-less wrong type", `{` + po + `,"Operations":[{"op":"replace","value":{"name.givenName":7}}]}`, InvalidValue, "name.givenName"},
		{"second operation named", `{` + po + `,"Operations":[{"op":"add","path":"title","value":"x"},{"op":"add","path":"nope","value":"x"}]}`, InvalidPath, "operation 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodePatch(svc.Reg.Users, []byte(tc.body))
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("want *Error, got %v", err)
			}
			if re.ScimType != tc.scimType {
				t.Errorf("scimType = %s, want %s (%s)", re.ScimType, tc.scimType, re.Detail)
			}
			if !strings.Contains(re.Detail, tc.detail) {
				t.Errorf("detail %q does not name %q", re.Detail, tc.detail)
			}
		})
	}
}

// TestDecodePatchMirrorsElimity checks that DecodePatch (the Bulk path)
// gives the operations elimity gives the HTTP handlers, for every PATCH
// case elimity accepts.
func TestDecodePatchMirrorsElimity(t *testing.T) {
	svc := newTestService(t)
	h := newElimityHarness(t, svc.Reg)
	decoders := map[string]*PatchDecoder{"users": NewPatchDecoder(svc.Reg.Users), "groups": NewPatchDecoder(svc.Reg.Groups)}
	for _, kind := range []string{"users", "groups"} {
		rt, endpoint := svc.Reg.Users, "/Users/u-1"
		if kind == "groups" {
			rt, endpoint = svc.Reg.Groups, "/Groups/g-1"
		}
		for name, tc := range loadCases(t, "patch/"+kind) {
			t.Run(kind+"/"+name, func(t *testing.T) {
				body, _ := NormalizePatchBody(rt, tc.Body)
				_, c, _ := h.send(http.MethodPatch, endpoint, body)
				ops, err := DecodePatch(rt, tc.Body)
				ops2, err2 := decoders[kind].Decode(tc.Body)
				if !reflect.DeepEqual(ops, ops2) || (err == nil) != (err2 == nil) {
					t.Fatalf("PatchDecoder differs from DecodePatch: %v / %v", err, err2)
				}
				if !c.called {
					if err == nil && tc.Elimity != "rejects" {
						t.Fatalf("elimity refuses the body, DecodePatch accepts it")
					}
					return
				}
				if err != nil {
					// DecodePatch may refuse more (paths elimity lets through
					// are refused later by PatchUser anyway).
					if tc.Error == "" {
						t.Fatalf("DecodePatch: %v", err)
					}
					return
				}
				want := convertElimityOps(c.ops)
				if len(ops) != len(want) {
					t.Fatalf("%d operations, elimity gives %d", len(ops), len(want))
				}
				for i := range ops {
					g, w := ops[i], want[i]
					if g.Op != w.Op {
						t.Errorf("op %d: Op %q, elimity %q", i, g.Op, w.Op)
					}
					if (g.Path == nil) != (w.Path == nil) || (g.Path != nil && g.Path.String() != w.Path.String()) {
						t.Errorf("op %d: Path %v, elimity %v", i, g.Path, w.Path)
					}
					if !reflect.DeepEqual(g.Value, w.Value) {
						t.Errorf("op %d: Value %s (%#v), elimity %s (%#v)", i, mustJSON(g.Value), g.Value, mustJSON(w.Value), w.Value)
					}
				}
			})
		}
	}
}

func TestDecodePatchStringBooleansWithoutElimitySwitch(t *testing.T) {
	// Entra ID's "False" is accepted even when elimity's process-wide
	// switch is off: our own conversion is the fallback.
	elschema.SetAllowStringValues(false)
	defer elschema.SetAllowStringValues(true)
	svc := newTestService(t)
	ops, err := DecodePatch(svc.Reg.Users, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"},{"op":"add","path":"emails","value":{"value":"a@x.com","primary":"True"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if ops[0].Value != false {
		t.Errorf("active = %#v", ops[0].Value)
	}
	if got := mustJSON(ops[1].Value); got != `[{"primary":true,"value":"a@x.com"}]` {
		t.Errorf("emails = %s", got)
	}
}

func TestPatchDecoderConcurrent(t *testing.T) {
	svc := newTestService(t)
	d := NewPatchDecoder(svc.Reg.Users)
	body := []byte(benchBodies["entra-4-op"])
	done := make(chan error)
	for range 8 {
		go func() {
			for range 50 {
				if _, err := d.Decode(body); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
