package resource

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimd/scimd/store"
)

// testCase is one file under testdata/. Every file is a test; each runs
// twice: through a real elimity server (what the HTTP handlers get) and
// directly (what the Bulk engine gets: DecodePatch or the raw body).
type testCase struct {
	Description string          `json:"description"`
	Before      json.RawMessage `json:"before"`
	BeforeHash  string          `json:"beforeHash"`
	Members     []memberJSON    `json:"members"` // groups: stored members (loader) or, for create, the expected members
	Body        json.RawMessage `json:"body"`
	After       json.RawMessage `json:"after"`
	// PasswordHash is the expected hash (absent: not checked).
	PasswordHash *string `json:"passwordHash"`
	// Changed is the expected PATCH changed flag (absent: after != before).
	Changed *bool `json:"changed"`
	// Error is the expected scimType.
	Error string `json:"error"`
	// Elimity is "rejects" when the pinned elimity refuses the body itself.
	Elimity string     `json:"elimity"`
	Delta   *deltaJSON `json:"delta"`
	// Loads says whether the member loader must be called (absent: not checked).
	Loads *bool `json:"loads"`
}

type memberJSON struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Display string `json:"display,omitempty"`
}

type deltaJSON struct {
	ReplaceAll bool         `json:"replaceAll,omitempty"`
	Set        []memberJSON `json:"set,omitempty"`
	Add        []memberJSON `json:"add,omitempty"`
	Remove     []string     `json:"remove,omitempty"`
}

func loadCases(t *testing.T, dir string) map[string]testCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no cases in testdata/%s", dir)
	}
	out := map[string]testCase{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tc testCase
		if err := json.Unmarshal(raw, &tc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = tc
	}
	return out
}

func toMembers(ms []store.Member) []memberJSON {
	out := make([]memberJSON, len(ms))
	for i, m := range ms {
		out[i] = memberJSON{Value: m.Value, Type: m.Type, Display: m.Display}
	}
	return out
}

func checkMembers(t *testing.T, what string, got []store.Member, want []memberJSON, groupID string) {
	t.Helper()
	for _, m := range got {
		if m.GroupID != groupID {
			t.Errorf("%s: member %s has GroupID %q, want %q", what, m.Value, m.GroupID, groupID)
		}
	}
	g := toMembers(got)
	if len(g) == 0 && len(want) == 0 {
		return
	}
	if mustJSON(g) != mustJSON(want) {
		t.Errorf("%s\n got: %s\nwant: %s", what, mustJSON(g), mustJSON(want))
	}
}

func checkDelta(t *testing.T, d MemberDelta, want *deltaJSON) {
	t.Helper()
	if want == nil {
		return
	}
	if d.ReplaceAll != want.ReplaceAll {
		t.Errorf("delta.ReplaceAll = %v, want %v", d.ReplaceAll, want.ReplaceAll)
	}
	if d.ReplaceAll && d.Set == nil {
		t.Errorf("delta.Set is nil with ReplaceAll; want a non-nil (possibly empty) list")
	}
	checkMembers(t, "delta.Set", d.Set, want.Set, "g-1")
	checkMembers(t, "delta.Add", d.Add, want.Add, "g-1")
	if mustJSON(d.Remove) != mustJSON(want.Remove) && !(len(d.Remove) == 0 && len(want.Remove) == 0) {
		t.Errorf("delta.Remove = %v, want %v", d.Remove, want.Remove)
	}
	if d.Empty() != (!want.ReplaceAll && len(want.Add) == 0 && len(want.Remove) == 0) {
		t.Errorf("delta.Empty() = %v for %+v", d.Empty(), d)
	}
}

// patchOps returns the operations of a case's body for one route, or
// ok=false when the route refused the body (the refusal is checked here).
func patchOps(t *testing.T, h *elimityHarness, route, endpoint string, tc testCase, svc *Service) ([]Op, bool) {
	t.Helper()
	rt := svc.Reg.Users
	if endpoint == "/Groups/g-1" {
		rt = svc.Reg.Groups
	}
	if route == "decode" {
		ops, err := DecodePatch(rt, tc.Body)
		if err != nil {
			checkErr(t, route, err, tc.Error)
			return nil, false
		}
		return ops, true
	}
	body, err := NormalizePatchBody(rt, tc.Body)
	if err != nil {
		t.Fatal(err)
	}
	code, c, resp := h.send(http.MethodPatch, endpoint, body)
	if tc.Elimity == "rejects" {
		if c.called {
			t.Fatalf("elimity accepts the body now (status %d); drop \"elimity\": \"rejects\" from the case", code)
		}
		return nil, false
	}
	if !c.called {
		if tc.Error == "" {
			t.Fatalf("elimity refused the body: %d %s", code, resp)
		}
		t.Logf("elimity refused: %d %s", code, resp)
		return nil, false // elimity reported the error itself
	}
	return convertElimityOps(c.ops), true
}

func TestPatchUserCases(t *testing.T) {
	svc := newTestService(t)
	h := newElimityHarness(t, svc.Reg)
	for name, tc := range loadCases(t, "patch/users") {
		t.Run(name, func(t *testing.T) {
			for _, route := range []string{"elimity", "decode"} {
				t.Run(route, func(t *testing.T) {
					ops, ok := patchOps(t, h, route, "/Users/u-1", tc, svc)
					if !ok {
						return
					}
					old := userFrom(t, decodeJSON(t, tc.Before), tc.BeforeHash)
					oldCopy := *old
					oldAttrs := string(old.Attrs)
					u, changed, err := svc.PatchUser(old, ops)
					if string(old.Attrs) != oldAttrs || old.Version != oldCopy.Version || old.PasswordHash != oldCopy.PasswordHash {
						t.Fatalf("PatchUser modified old")
					}
					if checkErr(t, route, err, tc.Error) {
						return
					}
					checkAttrs(t, u.Attrs, decodeJSON(t, tc.After))
					wantChanged := !equalValues(decodeJSON(t, tc.Before), decodeJSON(t, tc.After))
					if tc.Changed != nil {
						wantChanged = *tc.Changed
					}
					if changed != wantChanged {
						t.Errorf("changed = %v, want %v", changed, wantChanged)
					}
					if tc.PasswordHash != nil && u.PasswordHash != *tc.PasswordHash {
						t.Errorf("PasswordHash = %q, want %q", u.PasswordHash, *tc.PasswordHash)
					}
					if u.ID != old.ID || u.Version != old.Version || !u.Created.Equal(old.Created) {
						t.Errorf("identity not carried over: %+v", u)
					}
					if changed && !u.Modified.Equal(testNow) {
						t.Errorf("Modified = %v, want now", u.Modified)
					}
					if !changed && !u.Modified.Equal(old.Modified) {
						t.Errorf("unchanged user got Modified %v", u.Modified)
					}
				})
			}
		})
	}
}

func TestPatchGroupCases(t *testing.T) {
	svc := newTestService(t)
	h := newElimityHarness(t, svc.Reg)
	for name, tc := range loadCases(t, "patch/groups") {
		t.Run(name, func(t *testing.T) {
			for _, route := range []string{"elimity", "decode"} {
				t.Run(route, func(t *testing.T) {
					ops, ok := patchOps(t, h, route, "/Groups/g-1", tc, svc)
					if !ok {
						return
					}
					old := groupFrom(t, decodeJSON(t, tc.Before))
					loads := 0
					loader := func() ([]store.Member, error) {
						loads++
						out := make([]store.Member, len(tc.Members))
						for i, m := range tc.Members {
							out[i] = store.Member{GroupID: "g-1", Value: m.Value, Type: m.Type, Display: m.Display}
						}
						return out, nil
					}
					g, d, changed, err := svc.PatchGroup(old, ops, loader)
					if loads > 1 {
						t.Errorf("member loader called %d times", loads)
					}
					if tc.Loads != nil && (loads > 0) != *tc.Loads {
						t.Errorf("member loader called: %v, want %v", loads > 0, *tc.Loads)
					}
					if checkErr(t, route, err, tc.Error) {
						return
					}
					checkAttrs(t, g.Attrs, decodeJSON(t, tc.After))
					checkDelta(t, d, tc.Delta)
					wantChanged := !equalValues(decodeJSON(t, tc.Before), decodeJSON(t, tc.After))
					if tc.Changed != nil {
						wantChanged = *tc.Changed
					}
					if changed != wantChanged {
						t.Errorf("changed = %v, want %v", changed, wantChanged)
					}
				})
			}
		})
	}
}

// createBody returns the attributes of a create/replace body for one
// route: what elimity hands to the handler, or the raw decoded body.
func createBody(t *testing.T, h *elimityHarness, route, method, endpoint string, tc testCase) (map[string]any, bool) {
	t.Helper()
	if route == "direct" {
		return decodeJSON(t, tc.Body), true
	}
	code, c, resp := h.send(method, endpoint, tc.Body)
	if tc.Elimity == "rejects" {
		if c.called {
			t.Fatalf("elimity accepts the body now (status %d); drop \"elimity\": \"rejects\" from the case", code)
		}
		return nil, false
	}
	if !c.called {
		if tc.Error == "" {
			t.Fatalf("elimity refused the body: %d %s", code, resp)
		}
		t.Logf("elimity refused: %d %s", code, resp)
		return nil, false
	}
	return c.attrs, true
}

func TestCreateUserCases(t *testing.T) {
	svc := newTestService(t)
	h := newElimityHarness(t, svc.Reg)
	for name, tc := range loadCases(t, "create/users") {
		t.Run(name, func(t *testing.T) {
			for _, route := range []string{"elimity", "direct"} {
				t.Run(route, func(t *testing.T) {
					attrs, ok := createBody(t, h, route, http.MethodPost, "/Users", tc)
					if !ok {
						return
					}
					svc := newTestService(t)
					u, err := svc.NewUser(attrs)
					if checkErr(t, route, err, tc.Error) {
						return
					}
					if u.ID != "new-1" {
						t.Errorf("ID = %q, want new-1", u.ID)
					}
					if !u.Created.Equal(testNow) || !u.Modified.Equal(testNow) {
						t.Errorf("Created/Modified = %v/%v", u.Created, u.Modified)
					}
					checkAttrs(t, u.Attrs, decodeJSON(t, tc.After))
					if tc.PasswordHash != nil && u.PasswordHash != *tc.PasswordHash {
						t.Errorf("PasswordHash = %q, want %q", u.PasswordHash, *tc.PasswordHash)
					}
				})
			}
		})
	}
}

func TestCreateGroupCases(t *testing.T) {
	svc := newTestService(t)
	h := newElimityHarness(t, svc.Reg)
	for name, tc := range loadCases(t, "create/groups") {
		t.Run(name, func(t *testing.T) {
			for _, route := range []string{"elimity", "direct"} {
				t.Run(route, func(t *testing.T) {
					attrs, ok := createBody(t, h, route, http.MethodPost, "/Groups", tc)
					if !ok {
						return
					}
					svc := newTestService(t)
					g, members, err := svc.NewGroup(attrs)
					if checkErr(t, route, err, tc.Error) {
						return
					}
					if g.ID != "new-1" {
						t.Errorf("ID = %q, want new-1", g.ID)
					}
					checkAttrs(t, g.Attrs, decodeJSON(t, tc.After))
					checkMembers(t, "members", members, tc.Members, "new-1")
				})
			}
		})
	}
}

func TestReplaceUserCases(t *testing.T) {
	svc := newTestService(t)
	h := newElimityHarness(t, svc.Reg)
	for name, tc := range loadCases(t, "replace/users") {
		t.Run(name, func(t *testing.T) {
			for _, route := range []string{"elimity", "direct"} {
				t.Run(route, func(t *testing.T) {
					attrs, ok := createBody(t, h, route, http.MethodPut, "/Users/u-1", tc)
					if !ok {
						return
					}
					old := userFrom(t, decodeJSON(t, tc.Before), tc.BeforeHash)
					oldAttrs := string(old.Attrs)
					u, err := svc.ReplaceUser(old, attrs)
					if string(old.Attrs) != oldAttrs {
						t.Fatalf("ReplaceUser modified old")
					}
					if checkErr(t, route, err, tc.Error) {
						return
					}
					checkAttrs(t, u.Attrs, decodeJSON(t, tc.After))
					if tc.PasswordHash != nil && u.PasswordHash != *tc.PasswordHash {
						t.Errorf("PasswordHash = %q, want %q", u.PasswordHash, *tc.PasswordHash)
					}
					if u.ID != "u-1" || u.Version != old.Version || !u.Created.Equal(old.Created) || !u.Modified.Equal(testNow) {
						t.Errorf("identity/timestamps wrong: %+v", u)
					}
				})
			}
		})
	}
}

func TestReplaceGroupCases(t *testing.T) {
	svc := newTestService(t)
	h := newElimityHarness(t, svc.Reg)
	for name, tc := range loadCases(t, "replace/groups") {
		t.Run(name, func(t *testing.T) {
			for _, route := range []string{"elimity", "direct"} {
				t.Run(route, func(t *testing.T) {
					attrs, ok := createBody(t, h, route, http.MethodPut, "/Groups/g-1", tc)
					if !ok {
						return
					}
					old := groupFrom(t, decodeJSON(t, tc.Before))
					g, d, err := svc.ReplaceGroup(old, attrs)
					if checkErr(t, route, err, tc.Error) {
						return
					}
					checkAttrs(t, g.Attrs, decodeJSON(t, tc.After))
					checkDelta(t, d, tc.Delta)
				})
			}
		})
	}
}
