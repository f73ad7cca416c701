package resource

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/scim2/filter-parser/v2"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

func mustPath(t testing.TB, s string) *filter.Path {
	t.Helper()
	p, err := filter.ParsePath([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return &p
}

// TestPatchGroupLargeGroupNeverLoads: add and remove on a group of
// 100,000 members work from ids alone; the loader must not run.
func TestPatchGroupLargeGroupNeverLoads(t *testing.T) {
	svc := newTestService(t)
	old := groupFrom(t, map[string]any{"displayName": "All staff"})
	loader := func() ([]store.Member, error) {
		t.Fatal("member list loaded")
		return nil, nil
	}
	add := make([]any, 0, 1000)
	for i := range 1000 {
		add = append(add, map[string]any{"value": fmt.Sprintf("u-%d", i)})
	}
	ops := []Op{
		{Op: "add", Path: mustPath(t, "members"), Value: add},
		{Op: "remove", Path: mustPath(t, `members[value eq "u-99999"]`)},
		{Op: "Remove", Path: mustPath(t, "members"), Value: []any{map[string]any{"value": "u-5"}}},
	}
	g, d, changed, err := svc.PatchGroup(old, ops, loader)
	if err != nil {
		t.Fatal(err)
	}
	if changed || string(g.Attrs) != string(old.Attrs) {
		t.Errorf("group attributes changed")
	}
	if d.ReplaceAll || len(d.Add) != 999 || len(d.Remove) != 2 {
		t.Errorf("delta: replaceAll %v, %d adds, removes %v", d.ReplaceAll, len(d.Add), d.Remove)
	}
}

func TestPatchGroupLoaderError(t *testing.T) {
	svc := newTestService(t)
	old := groupFrom(t, map[string]any{"displayName": "G"})
	boom := errors.New("db down")
	_, _, _, err := svc.PatchGroup(old, []Op{{Op: "remove", Path: mustPath(t, `members[type eq "User"]`)}},
		func() ([]store.Member, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the loader's", err)
	}
	_, _, _, err = svc.PatchGroup(old, []Op{{Op: "remove", Path: mustPath(t, `members[type eq "User"]`)}}, nil)
	if err == nil {
		t.Fatal("no error without a loader")
	}
}

func TestNewUserWithHash(t *testing.T) {
	svc := newTestService(t)
	const bcrypt = "$2a$10$abcdefghijklmnopqrstuu5Zm1rWJzZ0cJ3ZrK0Vh8x0n2D7i0G4C"
	u, err := svc.NewUserWithHash(map[string]any{"userName": "a", "password": "ignored"}, "kept-id", bcrypt)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "kept-id" || u.PasswordHash != bcrypt || u.UserUUID != "kept-id" {
		t.Errorf("got id %q hash %q uuid %q", u.ID, u.PasswordHash, u.UserUUID)
	}
	if _, err := svc.NewUserWithHash(map[string]any{"userName": "a"}, "", "plaintext"); err == nil {
		t.Error("a plaintext accepted as a hash")
	}
	u, err = svc.NewUserWithHash(map[string]any{"userName": "a"}, "", "")
	if err != nil || u.ID != "new-1" || u.PasswordHash != "" {
		t.Errorf("no hash: %+v, %v", u, err)
	}
}

func TestServiceMisconfiguredErrors(t *testing.T) {
	reg := newTestService(t).Reg
	for name, svc := range map[string]*Service{
		"no registry": {},
		"no ids":      {Reg: reg, Hash: fakeHash},
		"no hasher":   {Reg: reg, NewID: func() string { return "x" }},
		"empty id":    {Reg: reg, NewID: func() string { return "" }, Hash: fakeHash},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := svc.NewUser(map[string]any{"userName": "a", "password": "p"})
			if err == nil {
				t.Fatal("no error")
			}
			var re *Error
			if errors.As(err, &re) {
				t.Fatalf("a configuration problem reported as a client error: %v", err)
			}
		})
	}
	failing := &Service{Reg: reg, NewID: func() string { return "x" }, Hash: func(string) (string, error) { return "", errors.New("no entropy") }}
	if _, err := failing.NewUser(map[string]any{"userName": "a", "password": "p"}); err == nil || !strings.Contains(err.Error(), "no entropy") {
		t.Errorf("hash error lost: %v", err)
	}
}

func TestPatchUserUnknownOp(t *testing.T) {
	svc := newTestService(t)
	old := userFrom(t, map[string]any{"userName": "a"}, "")
	for _, op := range []Op{
		{Op: "move", Path: mustPath(t, "title"), Value: "x"},
		{Op: "add"},
		{Op: "add", Value: []any{"x"}},
		{Op: "replace", Path: mustPath(t, "name"), Value: 5},
		{Op: "add", Path: mustPath(t, "emails"), Value: []any{"a@x.com", 7}},
		{Op: "add", Path: mustPath(t, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), Value: map[string]any{}},
	} {
		_, _, err := svc.PatchUser(old, []Op{op})
		var re *Error
		if !errors.As(err, &re) || re.Detail == "" {
			t.Errorf("%+v: want a client error, got %v", op, err)
		}
	}
}

func TestErrorString(t *testing.T) {
	err := error(errorf(Mutability, "%s is immutable", "userUuid"))
	if err.Error() != "mutability: userUuid is immutable" {
		t.Errorf("Error() = %q", err.Error())
	}
}

// TestCustomExtension: a custom schema from --schemas-dir needs no code:
// its attributes are patchable, typed and checked for required values;
// values of a multi-valued attribute are de-duplicated by its caseExact rule.
func TestCustomExtension(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/acme.json", `{"id":"urn:acme:params:scim:schemas:extension:acme:1.0:User","name":"Acme","required":false,
	  "attributes":[{"name":"badge","type":"integer","required":true},{"name":"level","type":"decimal"},
	  {"name":"tags","type":"string","multiValued":true}]}`)
	reg, err := schemas.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := newTestService(t)
	svc.Reg = reg
	const urn = "urn:acme:params:scim:schemas:extension:acme:1.0:User"
	u, err := svc.NewUser(map[string]any{"userName": "a", urn: map[string]any{"badge": "42", "level": 1.5, "tags": []any{"x", "X", "y"}}})
	if err != nil {
		t.Fatal(err)
	}
	old := u
	u, _, err = svc.PatchUser(old, []Op{
		{Op: "add", Path: mustPath(t, urn+":tags"), Value: []any{"x", "z"}},
		{Op: "remove", Path: mustPath(t, urn+`:tags[value eq "y"]`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := u.AttrMap()
	// "X" equals "x": tags are not caseExact.
	if got := mustJSON(m[urn]); got != `{"badge":42,"level":1.5,"tags":["x","z"]}` {
		t.Errorf("extension = %s", got)
	}
	_, _, err = svc.PatchUser(u, []Op{{Op: "remove", Path: mustPath(t, urn+":badge")}})
	var re *Error
	if !errors.As(err, &re) || re.ScimType != InvalidValue || !strings.Contains(re.Detail, "badge") {
		t.Errorf("removing a required extension attribute: %v", err)
	}
}
