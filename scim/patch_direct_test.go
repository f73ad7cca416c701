package scim

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	elimity "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/scim/resource"
)

func TestBlankStrings(t *testing.T) {
	for in, want := range map[string]string{
		`active`: `active`,
		`members[value eq "2819c223-7f76-453a-919d-413861904646"]`: `members[value eq "x"]`,
		`emails[type eq "work" and value co "@x.com"].value`:       `emails[type eq "x" and value co "x"].value`,
		`members[value eq "a\"b"]`:                                 `members[value eq "a\"b"]`, // escapes: kept as is
		"members[value eq \"a\tb\"]":                               "members[value eq \"a\tb\"]",
		`members[value eq "open`:                                   `members[value eq "open`,
	} {
		if got := blankStrings(in); got != want {
			t.Errorf("blankStrings(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPatchFastAccepts(t *testing.T) {
	reg, err := schemas.Load("")
	if err != nil {
		t.Fatal(err)
	}
	users, groups := newPatchFast(reg.Users), newPatchFast(reg.Groups)
	const urn = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	for _, c := range []struct {
		f    *patchFast
		body string
		want bool
	}{
		{users, `{` + urn + `,"Operations":[{"op":"replace","path":"active","value":false}]}`, true},
		{users, `{` + urn + `,"Operations":[{"op":"Replace","path":"name.givenName","value":"A"},{"op":"add","path":"emails","value":[{"value":"a@x.com"}]}]}`, true},
		{users, `{` + urn + `,"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"R&D"}]}`, true},
		{groups, `{` + urn + `,"Operations":[{"op":"remove","path":"members[value eq \"2819c223\"]"}]}`, true},
		{groups, `{` + urn + `,"Operations":[{"op":"add","path":"members","value":[{"value":"2819c223"}]}]}`, true},
		// The slow route: elimity decides.
		{users, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp","x"],"Operations":[{"op":"replace","path":"active","value":false}]}`, false},
		{users, `{"schemas":["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],"Operations":[{"op":"replace","path":"active","value":false}]}`, false},
		{users, `{` + urn + `,"Operations":[{"op":"replace","value":{"active":false}}]}`, true},
		{users, `{` + urn + `,"Operations":[{"op":"replace","path":"name","value":{"givenName":"A"}}]}`, true},
		{users, `{` + urn + `,"Operations":[{"op":"add","path":"emails","value":"a@x.com"}]}`, false},
		{groups, `{` + urn + `,"Operations":[{"op":"add","path":"members","value":"2819c223"}]}`, false},
		{users, `{` + urn + `,"Operations":[{"op":"remove","path":"emails[not (type eq \"work\") and type ne \"home\"]"}]}`, false},
		{users, `{` + urn + `,"Operations":[{"op":"replace","path":"noSuchAttribute","value":1}]}`, false},
		{users, `{` + urn + `,"Operations":[]}`, false},
		{users, `not json`, false},
	} {
		if got := c.f.accepts([]byte(c.body)); got != c.want {
			t.Errorf("accepts(%s) = %v, want %v", c.body, got, c.want)
		}
	}
}

// patchProbe is an elimity resource handler that only records that
// elimity accepted a PATCH body.
type patchProbe struct{ called *bool }

func (p patchProbe) Create(*http.Request, elimity.ResourceAttributes) (elimity.Resource, error) {
	return elimity.Resource{}, nil
}
func (p patchProbe) Get(*http.Request, string) (elimity.Resource, error) {
	return elimity.Resource{}, nil
}
func (p patchProbe) GetAll(*http.Request, elimity.ListRequestParams) (elimity.Page, error) {
	return elimity.Page{}, nil
}
func (p patchProbe) Replace(*http.Request, string, elimity.ResourceAttributes) (elimity.Resource, error) {
	return elimity.Resource{}, nil
}
func (p patchProbe) Delete(*http.Request, string) error { return nil }
func (p patchProbe) Patch(*http.Request, string, []elimity.PatchOperation) (elimity.Resource, error) {
	*p.called = true
	return elimity.Resource{}, nil
}

// patchCorpus returns PATCH bodies per endpoint: every body of the PATCH
// cases of scim/resource and of the IdP replays and bad-input cases of
// test/testdata, and variants of each operation's value, op and path.
func patchCorpus(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	add := func(endpoint, body string) {
		body = strings.NewReplacer("{uid}", "2819c223-7f76-453a-919d-413861904646", "{gid}", "01a1fcf2").Replace(body)
		out[endpoint] = append(out[endpoint], body)
	}
	for _, ep := range []string{"users", "groups"} {
		files, _ := filepath.Glob(filepath.Join("resource", "testdata", "patch", ep, "*.json"))
		for _, f := range files {
			var c struct{ Body json.RawMessage }
			raw, _ := os.ReadFile(f)
			if json.Unmarshal(raw, &c) == nil && len(c.Body) > 0 {
				add("/"+strings.ToUpper(ep[:1])+ep[1:], string(c.Body))
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join("..", "test", "testdata", "idp", "*", "*.json"))
	for _, f := range files {
		var c struct {
			Steps []struct {
				Method, Path string
				Body         json.RawMessage
			}
		}
		raw, _ := os.ReadFile(f)
		_ = json.Unmarshal(raw, &c)
		for _, s := range c.Steps {
			if s.Method == "PATCH" && len(s.Body) > 0 {
				ep := "/Users"
				if strings.Contains(s.Path, "/Groups") {
					ep = "/Groups"
				}
				add(ep, string(s.Body))
			}
		}
	}
	files, _ = filepath.Glob(filepath.Join("..", "test", "testdata", "badinput", "*.json"))
	for _, f := range files {
		var c struct{ Method, Path, Body string }
		raw, _ := os.ReadFile(f)
		if json.Unmarshal(raw, &c) == nil && c.Method == "PATCH" && c.Body != "" {
			ep := "/Users"
			if strings.Contains(c.Path, "/Groups") {
				ep = "/Groups"
			}
			add(ep, c.Body)
		}
	}
	if len(out["/Users"]) < 20 || len(out["/Groups"]) < 10 {
		t.Fatalf("corpus too small: %d user and %d group bodies", len(out["/Users"]), len(out["/Groups"]))
	}
	values := []any{"x", "True", json.Number("1"), true, nil, []any{}, map[string]any{}, []any{"x"},
		[]any{map[string]any{"value": "x"}}, map[string]any{"value": "x", "ID": "1"},
		map[string]any{"id": "1", "Id": "2"}, map[string]any{"active": "false", "name.givenName": "A"}}
	for ep, bodies := range out {
		for _, body := range bodies {
			var m map[string]any
			d := json.NewDecoder(strings.NewReader(body))
			d.UseNumber()
			if d.Decode(&m) != nil {
				continue
			}
			ops, _ := m["Operations"].([]any)
			for i, o := range ops {
				op, ok := o.(map[string]any)
				if !ok {
					continue
				}
				variant := func(k string, v any) {
					c := maps.Clone(op)
					if v == nil {
						delete(c, k)
					} else {
						c[k] = v
					}
					cops := slices.Clone(ops)
					cops[i] = c
					cm := maps.Clone(m)
					cm["Operations"] = cops
					raw, _ := json.Marshal(cm)
					out[ep] = append(out[ep], string(raw))
				}
				for _, v := range values {
					variant("value", v)
				}
				for _, v := range []any{"remove", "ADD", "replace", "bogus", nil} {
					variant("op", v)
				}
				if p, ok := op["path"].(string); ok {
					for _, v := range []any{strings.ToUpper(p), p + ".value", p + `[value eq "x"]`, p + `[type eq "work"].value`,
						"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:" + p, nil} {
						variant("path", v)
					}
				}
			}
		}
	}
	return out
}

// TestPatchFastMatchesElimity checks patchFast.accepts against the pinned
// elimity's own verdict (does it call the handler?) on the corpus, after
// NormalizePatchBody as patchViaElimity does.
func TestPatchFastMatchesElimity(t *testing.T) {
	reg, err := schemas.Load("")
	if err != nil {
		t.Fatal(err)
	}
	called := false
	rt := func(r *schemas.ResourceType) elimity.ResourceType {
		exts := make([]elimity.SchemaExtension, 0, len(r.Extensions))
		for _, e := range r.Extensions {
			exts = append(exts, elimity.SchemaExtension{Schema: e.Schema.Elimity(), Required: e.Required})
		}
		return elimity.ResourceType{ID: optional.NewString(r.ID), Name: r.Name, Endpoint: r.Endpoint,
			Schema: r.Schema.Elimity(), SchemaExtensions: exts, Handler: patchProbe{&called}}
	}
	schema.SetAllowStringValues(true) // as New does
	srv, err := elimity.NewServer(&elimity.ServerArgs{
		ServiceProviderConfig: &elimity.ServiceProviderConfig{SupportPatch: true},
		ResourceTypes:         []elimity.ResourceType{rt(reg.Users), rt(reg.Groups)},
	})
	if err != nil {
		t.Fatal(err)
	}
	fast := map[string]*patchFast{"/Users": newPatchFast(reg.Users), "/Groups": newPatchFast(reg.Groups)}
	types := map[string]*schemas.ResourceType{"/Users": reg.Users, "/Groups": reg.Groups}
	n, accepted := 0, 0
	for ep, bodies := range patchCorpus(t) {
		for _, body := range bodies {
			out, err := resource.NormalizePatchBody(types[ep], []byte(body))
			if err != nil {
				continue // refused before elimity
			}
			called = false
			req := httptest.NewRequest("PATCH", "/v2"+ep+"/x", bytes.NewReader(out))
			srv.ServeHTTP(httptest.NewRecorder(), req)
			// Twice: the second answer comes from the path cache.
			for range 2 {
				if got := fast[ep].accepts(out); got != called {
					t.Errorf("%s %s: fast path says %v, elimity %v", ep, out, got, called)
				}
			}
			n++
			if called {
				accepted++
			}
		}
	}
	t.Logf("%d bodies, %d accepted by elimity", n, accepted)
}
