package sqlfilter

import (
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/schemas"
	"github.com/scimd/scimd/store"
)

const (
	tenantA      int64 = 1
	tenantB      int64 = 2 // holds look-alikes that tenant A filters must never return
	testURN            = "urn:example:params:scim:schemas:extension:test:2.0:User"
	testGroupURN       = "urn:example:params:scim:schemas:extension:test:2.0:Group"
)

type (
	obj = map[string]any
	arr = []any
)

func day(month int) time.Time { return time.Date(2024, time.Month(month), 1, 12, 0, 0, 0, time.UTC) }

type userFixture struct {
	tenant   int64
	id       string
	created  time.Time
	modified time.Time
	attrs    obj
}

type groupFixture struct {
	tenant  int64
	id      string
	attrs   obj
	members []string // "u1", or "g:g1" for a group member
}

// users: attrs as a SCIM client would send them (canonical names),
// stored through store.User.SetAttrs like the real store does.
var userFixtures = []userFixture{
	{tenantA, "u1", day(1), day(6), obj{
		"userName": "Alice.Smith", "externalId": "ext-A", "displayName": "Alice Smith", "active": true,
		"name":                obj{"givenName": "Alice", "familyName": "Smith"},
		"title":               "Engineer",
		"emails":              arr{obj{"value": "alice@example.com", "type": "work", "primary": true}, obj{"value": "Alice.Home@Mail.org", "type": "home"}},
		schemas.EnterpriseURN: obj{"employeeNumber": "1001", "department": "R&D", "manager": obj{"value": "u2"}},
		schemas.SAPUserURN:    obj{"userUuid": "UUID-A", "mailVerified": true},
		schemas.SAPCustomURN:  obj{"attributes": arr{obj{"name": "customAttribute1", "value": "Blue"}}},
		testURN: obj{"level": 5, "score": 4.5, "hired": "2020-01-15T09:00:00Z", "vip": true, "badge": "QUJD", "code": "Xy-1",
			"tags":     arr{"red", "Green"},
			"projects": arr{obj{"value": "Apollo", "role": "Lead", "hours": 30}, obj{"value": "Zeus", "role": "dev", "hours": 5, "primary": true}}},
	}},
	{tenantA, "u2", day(2), day(2), obj{
		"userName": "bob", "externalId": "EXT-A", "displayName": "Bob Jones", "active": false,
		"name":                obj{"givenName": "Bob"},
		"emails":              arr{obj{"value": "Bob@Example.com", "type": "work"}},
		schemas.EnterpriseURN: obj{"employeeNumber": "1002"},
		schemas.SAPCustomURN:  obj{"attributes": arr{obj{"name": "customAttribute1", "value": "x"}}},
		testURN:               obj{"level": 10, "score": 10, "hired": "2021-06-01T00:00:00Z", "vip": false, "tags": arr{"blue"}},
	}},
	{tenantA, "u3", day(3), day(3), obj{
		"userName": "ÉLODIE.Dupont", "externalId": "Élodie", "displayName": "Élodie",
		"title":               "ÉLODIE",
		"emails":              arr{obj{"value": "elodie@example.fr", "type": "work", "primary": false}, obj{"value": "a2@example.fr", "type": "other", "primary": true}},
		"phoneNumbers":        arr{obj{"value": "+33 1 23", "type": "work"}},
		schemas.EnterpriseURN: obj{"manager": obj{"value": "u1", "displayName": "Alice"}},
		testURN:               obj{"level": -3, "score": 0.25, "code": "xy-1"},
	}},
	{tenantA, "u4", day(4), day(4), obj{
		"userName": "dave_100%",
	}},
	{tenantA, "u5", day(5), day(5), obj{
		"userName": "eve*star?[x]", "title": "", "emails": arr{}, "name": obj{}, "nickName": `back\slash`,
		schemas.SAPCustomURN: obj{"attributes": arr{obj{"name": "customAttribute1", "value": "y"}, obj{"name": "customAttribute2", "value": "x"}}},
	}},
	// Tenant B look-alikes: same ids, same values.
	{tenantB, "u4", day(1), day(1), obj{
		"userName": "Alice.Smith", "externalId": "ext-A", "displayName": "Alice Smith", "active": true, "title": "Engineer",
		"emails": arr{obj{"value": "alice@example.com", "type": "work"}, obj{"value": "only-b@example.com"}},
	}},
	{tenantB, "u9", day(1), day(1), obj{"userName": "bob", "emails": arr{obj{"value": "Bob@Example.com"}}}},
}

var groupFixtures = []groupFixture{
	{tenantA, "g1", obj{"displayName": "Admins", "externalId": "gx1", testGroupURN: obj{"costCenter": "CC-1", "size": 2}}, []string{"u1", "u2"}},
	{tenantA, "g2", obj{"displayName": "Élite Users", "externalId": "GX1"}, []string{"u1", "u3", "g:g1"}},
	{tenantA, "g3", obj{"displayName": "Empty"}, nil},
	{tenantB, "g1", obj{"displayName": "Admins"}, []string{"u4", "u3"}},
	{tenantB, "g9", obj{"displayName": "Bravo"}, []string{"u9", "u5"}},
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// seed inserts the tenants, users, e-mails, groups and members.
func (d *testDB) seed(tb testing.TB) {
	tb.Helper()
	d.exec(tb, "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, 0), (?, ?, 0)", tenantA, "a", tenantB, "b")
	for _, f := range userFixtures {
		d.insertUser(tb, f)
	}
	for _, g := range groupFixtures {
		d.insertGroup(tb, g)
	}
}

func (d *testDB) insertUser(tb testing.TB, f userFixture) {
	tb.Helper()
	var u store.User
	if err := u.SetAttrs(f.attrs); err != nil {
		tb.Fatal(err)
	}
	var active any
	if u.Active != nil {
		active = *u.Active
	}
	d.exec(tb, `INSERT INTO scim_users (tenant_id, id, user_name, user_name_ci, external_id, display_name, display_name_ci,
		active, user_uuid_ci, attrs, version, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		f.tenant, f.id, u.UserName, strings.ToLower(u.UserName), nullIfEmpty(u.ExternalID),
		nullIfEmpty(u.DisplayName), nullIfEmpty(strings.ToLower(u.DisplayName)), active,
		nullIfEmpty(strings.ToLower(u.UserUUID)), string(u.Attrs), f.created.UnixMicro(), f.modified.UnixMicro())
	seen := map[string]bool{}
	for _, e := range u.Emails {
		e = strings.ToLower(e)
		if !seen[e] {
			seen[e] = true
			d.exec(tb, "INSERT INTO user_emails (tenant_id, value_ci, user_id) VALUES (?, ?, ?)", f.tenant, e, f.id)
		}
	}
}

func (d *testDB) insertGroup(tb testing.TB, f groupFixture) {
	tb.Helper()
	var g store.Group
	if err := g.SetAttrs(f.attrs); err != nil {
		tb.Fatal(err)
	}
	d.exec(tb, `INSERT INTO scim_groups (tenant_id, id, display_name, display_name_ci, external_id, attrs, version, created_at, modified_at)
		VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		f.tenant, f.id, g.DisplayName, strings.ToLower(g.DisplayName), nullIfEmpty(g.ExternalID), string(g.Attrs),
		day(1).UnixMicro(), day(1).UnixMicro())
	for _, m := range f.members {
		typ := store.MemberUser
		if id, ok := strings.CutPrefix(m, "g:"); ok {
			m, typ = id, store.MemberGroup
		}
		d.exec(tb, "INSERT INTO group_members (tenant_id, group_id, member_id, member_type) VALUES (?, ?, ?, ?)", f.tenant, f.id, m, typ)
	}
}
