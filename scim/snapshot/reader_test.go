package snapshot_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/scim/snapshot"
)

const head = `{"schemas":["urn:scimd:api:messages:2.0:TenantSnapshot"],"version":1,"tenant":"a","exportedAt":"2025-01-31T12:00:00.123456Z","customSchemas":[]`

// readAll reads a document the way the importer's check pass does.
func readAll(doc string) (users []*snapshot.User, groups []*snapshot.Group, err error) {
	rd := snapshot.NewReader(strings.NewReader(doc))
	if _, err := rd.Header(); err != nil {
		return nil, nil, err
	}
	for {
		u, g, err := rd.Next()
		if err != nil {
			return nil, nil, err
		}
		switch {
		case u != nil:
			users = append(users, u)
		case g != nil:
			groups = append(groups, g)
		default:
			return users, groups, nil
		}
	}
}

func TestReaderRecords(t *testing.T) {
	doc := head + `,"users":[
{"id":"u1","userName":"alice","schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"groups":[{"value":"g1"}],
 "meta":{"resourceType":"User","created":"2024-01-02T03:04:05.000006Z","lastModified":"2024-01-02T03:04:06Z","version":"W/\"3\""},
 "urn:scimd:snapshot:passwordHash":"$argon2id$x","x":1.50},
{"id":"u2","userName":"bob"}
],"groups":[{"id":"g1","displayName":"G","meta":{"version":"W/\"2\""},"members":[{"value":"u1","type":"user","display":"alice"},{"value":"g2"}]}]}
`
	users, groups, err := readAll(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || len(groups) != 1 {
		t.Fatalf("%d users, %d groups", len(users), len(groups))
	}
	u := users[0]
	if u.ID != "u1" || u.Row != 1 || u.PasswordHash != "$argon2id$x" || u.Version != 3 ||
		!u.Created.Equal(time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)) {
		t.Errorf("user %+v", u)
	}
	for _, k := range []string{"id", "meta", "groups", snapshot.PasswordHashKey} {
		if _, ok := u.Attrs[k]; ok {
			t.Errorf("attrs keep %q", k)
		}
	}
	if n, ok := u.Attrs["x"].(interface{ String() string }); !ok || n.String() != "1.50" {
		t.Errorf("numbers must stay exact (json.Number): %#v", u.Attrs["x"])
	}
	g := groups[0]
	if g.Row != 1 || g.Version != 2 || len(g.Members) != 2 || g.Members[0].Type != "User" || g.Members[1].Type != "" {
		t.Errorf("group %+v", g)
	}
	if _, ok := g.Attrs["members"]; ok {
		t.Error("group attrs keep members")
	}
}

func TestReaderRefuses(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"empty", ``, "empty"},
		{"array", `[]`, "JSON object"},
		{"not a snapshot", `{"schemas":["urn:x"],"version":1}`, "must contain"},
		{"no schemas", `{"version":1,"users":[]}`, "schemas: missing"},
		{"version 2", `{"schemas":["urn:scimd:api:messages:2.0:TenantSnapshot"],"version":2}`, "not supported"},
		{"unknown member", head + `,"userz":[]}`, `unknown member "userz"`},
		{"twice", head + `,"users":[],"users":[]}`, "given twice"},
		{"truncated", head + `,"users":[{"id":"u1","userName":"a"},{"id":"u2"`, "ends early"},
		{"syntax", head + `,"users":[{"id":"u1",,}]}`, "invalid JSON"},
		{"trailing data", head + `,"users":[]} {}`, "after the snapshot"},
		{"no id", head + `,"users":[{"userName":"a"}]}`, "users[0]: id must be"},
		{"password", head + `,"users":[{"id":"u","userName":"a","password":"x"}]}`, "never a password"},
		{"bad version", head + `,"users":[{"id":"u","meta":{"version":"abc"}}]}`, "meta.version"},
		{"bad time", head + `,"users":[{"id":"u","meta":{"created":"yesterday"}}]}`, "meta.created"},
		{"null user", head + `,"users":[null]}`, "not null"},
		{"bad member", head + `,"groups":[{"id":"g","members":[{"type":"User"}]}]}`, "members[0]"},
		{"bad member type", head + `,"groups":[{"id":"g","members":[{"value":"x","type":"Robot"}]}]}`, "neither User nor Group"},
		{"users not array", head + `,"users":{}}`, "must be an array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(tc.doc)
			var fe *snapshot.FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a FormatError containing %q", err, tc.want)
			}
		})
	}
}

// TestReaderAnyOrder: a snapshot re-serialised with sorted keys (groups
// before users, the header last) still reads; the header is complete at
// the end.
func TestReaderAnyOrder(t *testing.T) {
	doc := `{"customSchemas":[],"exportedAt":"2025-01-31T12:00:00Z","groups":[{"id":"g1","displayName":"G"}],` +
		`"schemas":["urn:scimd:api:messages:2.0:TenantSnapshot"],"tenant":"a","users":[{"id":"u1","userName":"a"}],"version":1}`
	users, groups, err := readAll(doc)
	if err != nil || len(users) != 1 || len(groups) != 1 {
		t.Fatalf("%d users, %d groups, %v", len(users), len(groups), err)
	}
	rd := snapshot.NewReader(strings.NewReader(doc))
	if h, _ := rd.Header(); h.Version != 0 || h.Tenant != "" {
		t.Errorf("header before the records: %+v", h)
	}
	for {
		u, g, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		if u == nil && g == nil {
			break
		}
	}
	if h := rd.Final(); h.Version != 1 || h.Tenant != "a" {
		t.Errorf("final header %+v", h)
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]snapshot.Mode{"": snapshot.ModeIgnore, "IGNORE": snapshot.ModeIgnore, "update": snapshot.ModeUpdate, "fail": snapshot.ModeFail} {
		if got, err := snapshot.ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := snapshot.ParseMode("merge"); err == nil {
		t.Error("ParseMode(merge) accepted")
	}
}
