package resource

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	elimity "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	elschema "github.com/elimity-com/scim/schema"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

func TestMain(m *testing.M) {
	// Entra ID sends "True"/"False"; the HTTP layer turns this process-wide
	// elimity switch on, so the tests do too.
	elschema.SetAllowStringValues(true)
	os.Exit(m.Run())
}

var testNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// fakeHash marks a hashed password so tests can see what was hashed.
func fakeHash(pw string) (string, error) { return "hashed:" + pw, nil }

func newTestService(t testing.TB) *Service {
	t.Helper()
	reg, err := schemas.Load("")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	return &Service{
		Reg:   reg,
		Hash:  fakeHash,
		NewID: func() string { n++; return fmt.Sprintf("new-%d", n) },
		Now:   func() time.Time { return testNow },
	}
}

// capture records what elimity hands to the resource handler.
type capture struct {
	called bool
	attrs  map[string]any
	ops    []elimity.PatchOperation
}

// captureHandler is an elimity ResourceHandler that records its input.
type captureHandler struct{ c *capture }

func (h captureHandler) Create(_ *http.Request, a elimity.ResourceAttributes) (elimity.Resource, error) {
	h.c.called, h.c.attrs = true, a
	return elimity.Resource{ID: "x", Attributes: elimity.ResourceAttributes{"ok": true}}, nil
}

func (h captureHandler) Replace(_ *http.Request, id string, a elimity.ResourceAttributes) (elimity.Resource, error) {
	h.c.called, h.c.attrs = true, a
	return elimity.Resource{ID: id, Attributes: elimity.ResourceAttributes{"ok": true}}, nil
}

func (h captureHandler) Patch(_ *http.Request, id string, ops []elimity.PatchOperation) (elimity.Resource, error) {
	h.c.called, h.c.ops = true, ops
	return elimity.Resource{ID: id}, nil
}

func (h captureHandler) Get(*http.Request, string) (elimity.Resource, error) {
	return elimity.Resource{}, nil
}

func (h captureHandler) GetAll(*http.Request, elimity.ListRequestParams) (elimity.Page, error) {
	return elimity.Page{}, nil
}

func (h captureHandler) Delete(*http.Request, string) error { return nil }

// elimityHarness is an elimity server built from the registry the same
// way the scim package builds it, with capturing handlers.
type elimityHarness struct {
	srv elimity.Server
	c   *capture
}

func newElimityHarness(t testing.TB, reg *schemas.Registry) *elimityHarness {
	t.Helper()
	c := &capture{}
	rt := func(r *schemas.ResourceType) elimity.ResourceType {
		exts := make([]elimity.SchemaExtension, 0, len(r.Extensions))
		for _, e := range r.Extensions {
			exts = append(exts, elimity.SchemaExtension{Schema: e.Schema.Elimity(), Required: e.Required})
		}
		return elimity.ResourceType{
			ID: optional.NewString(r.ID), Name: r.Name, Endpoint: r.Endpoint,
			Schema: r.Schema.Elimity(), SchemaExtensions: exts, Handler: captureHandler{c},
		}
	}
	srv, err := elimity.NewServer(&elimity.ServerArgs{
		ServiceProviderConfig: &elimity.ServiceProviderConfig{SupportFiltering: true, SupportPatch: true},
		ResourceTypes:         []elimity.ResourceType{rt(reg.Users), rt(reg.Groups)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &elimityHarness{srv: srv, c: c}
}

// send runs one request through elimity and reports the status and the
// captured handler input (c.called false: elimity refused the body).
func (h *elimityHarness) send(method, path string, body []byte) (int, capture, string) {
	*h.c = capture{}
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/scim+json")
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	return rec.Code, *h.c, rec.Body.String()
}

func convertElimityOps(ops []elimity.PatchOperation) []Op {
	out := make([]Op, len(ops))
	for i, op := range ops {
		out[i] = Op{Op: op.Op, Path: op.Path, Value: op.Value}
	}
	return out
}

// userFrom builds a stored user from an attribute map.
func userFrom(t testing.TB, attrs map[string]any, hash string) *store.User {
	t.Helper()
	u := &store.User{ID: "u-1", PasswordHash: hash, Version: 3, Created: testNow.Add(-time.Hour), Modified: testNow.Add(-time.Hour)}
	if attrs == nil {
		attrs = map[string]any{}
	}
	if err := u.SetAttrs(attrs); err != nil {
		t.Fatal(err)
	}
	return u
}

func groupFrom(t testing.TB, attrs map[string]any) *store.Group {
	t.Helper()
	g := &store.Group{ID: "g-1", Version: 3, Created: testNow.Add(-time.Hour), Modified: testNow.Add(-time.Hour)}
	if attrs == nil {
		attrs = map[string]any{}
	}
	if err := g.SetAttrs(attrs); err != nil {
		t.Fatal(err)
	}
	return g
}

// decodeJSON decodes with json.Number, as requests and the store do.
func decodeJSON(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return m
}

// checkAttrs compares stored attributes with the expectation. "schemas"
// is compared only when the expectation has it.
func checkAttrs(t *testing.T, got json.RawMessage, want map[string]any) {
	t.Helper()
	g := decodeJSON(t, got)
	if _, ok := g["password"]; ok {
		t.Errorf("password stored in attrs: %s", got)
	}
	if _, ok := want["schemas"]; !ok {
		delete(g, "schemas")
	}
	if want == nil {
		want = map[string]any{}
	}
	if !equalValues(g, want) {
		t.Errorf("attributes differ\n got: %s\nwant: %s", mustJSON(g), mustJSON(want))
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// checkErr checks an expected SCIM error type; an empty want means no error.
func checkErr(t *testing.T, route string, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("%s: unexpected error: %v", route, err)
		}
		return false
	}
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("%s: want a %s error, got %v", route, want, err)
	}
	if re.ScimType != want {
		t.Fatalf("%s: want scimType %s, got %s (%s)", route, want, re.ScimType, re.Detail)
	}
	if strings.TrimSpace(re.Detail) == "" {
		t.Fatalf("%s: error without detail", route)
	}
	return true
}
