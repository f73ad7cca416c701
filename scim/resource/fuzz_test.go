package resource

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/scimd/scimd/store"
)

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// FuzzPatch: no body, valid or not, makes decoding or applying panic.
// The seeds are every PATCH body under testdata.
func FuzzPatch(f *testing.F) {
	for _, kind := range []string{"users", "groups"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "patch", kind, "*.json"))
		for _, file := range files {
			raw, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			var tc testCase
			if err := json.Unmarshal(raw, &tc); err != nil {
				f.Fatal(err)
			}
			f.Add([]byte(tc.Body), kind == "groups")
		}
	}
	svc := newTestService(f)
	user := userFrom(f, map[string]any{
		"userName": "a", "emails": []any{map[string]any{"value": "a@x.com", "type": "work", "primary": true}},
		"name": map[string]any{"givenName": "A"},
	}, "")
	group := groupFrom(f, map[string]any{"displayName": "G"})
	f.Fuzz(func(t *testing.T, body []byte, groups bool) {
		rt := svc.Reg.Users
		if groups {
			rt = svc.Reg.Groups
		}
		if _, err := NormalizePatchBody(rt, body); err != nil {
			t.Fatal(err)
		}
		ops, err := DecodePatch(rt, body)
		if err != nil {
			return
		}
		if groups {
			_, _, _, _ = svc.PatchGroup(group, ops, func() ([]store.Member, error) { return nil, nil })
			return
		}
		_, _, _ = svc.PatchUser(user, ops)
	})
}
