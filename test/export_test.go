package test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// End-to-end tests of the CSV exports (SPEC §7): GET /Users/.export and
// GET /Groups/.export, their job records, and the export CLI.

const (
	sapUserURN   = "urn:ietf:params:scim:schemas:extension:sap:2.0:User"
	sapCustomURN = "urn:sap:cloud:scim:schemas:extension:custom:2.0:User"
)

// defaultExportHeader is the SAP default column list.
var defaultExportHeader = []string{"active", "userName", "userType", "emails[0].display", "emails[0].primary", "emails[0].type", "emails[0].value"}

// richUsers are users with every kind of attribute an export flattens:
// multi-valued core attributes (one with more values than columns),
// enterprise and SAP extensions, custom attributes, formula-looking
// values, a password, group memberships (one group name with a ';').
// The groups of a user are listed by display name.
type richUser struct {
	attrs  map[string]any
	groups []string
}

func richUsers() []richUser {
	return []richUser{
		{attrs: map[string]any{
			"userName": "alice", "externalId": "ext-alice", "active": true, "userType": "employee",
			"name":        map[string]any{"givenName": "Alice", "familyName": "Anders"},
			"displayName": "Alice Anders", "title": "=SUM(A1:A2)", "locale": "de-DE",
			"emails": []any{
				map[string]any{"value": "alice@home.example", "type": "home"},
				map[string]any{"value": "alice@corp.example", "type": "work", "primary": true, "display": "Alice (work)"},
			},
			"phoneNumbers": []any{
				map[string]any{"value": "+49 30 1234", "type": "work"},
				map[string]any{"value": "-555", "type": "mobile"},
			},
			"password": "S3cret-pass!word",
			entSchema:  map[string]any{"employeeNumber": "1001", "department": "@Sales", "costCenter": "CC1", "organization": "ACME"},
			sapUserURN: map[string]any{"validFrom": "20240101000000Z", "validTo": "20991231235959Z", "mailVerified": true},
			sapCustomURN: map[string]any{"attributes": []any{
				map[string]any{"name": "customAttribute1", "value": "v1"},
				map[string]any{"name": "customAttribute2", "value": "=cmd|' /C calc'!A0"},
				map[string]any{"name": "customAttribute3", "value": "-5"},
			}},
		}, groups: []string{"Engineering", "=Admins", "Sales;EU"}},
		{attrs: map[string]any{
			"userName": "bob", "active": false, "userType": "contractor", "title": "-5",
			"emails":   []any{map[string]any{"value": "bob@corp.example", "type": "work", "primary": true}},
			sapUserURN: map[string]any{"validFrom": "2024-01-01", "validTo": "20251231235959Z", "mailVerified": false},
		}, groups: []string{"Engineering"}},
		{attrs: map[string]any{
			"userName": "carol", "active": true, "displayName": "Carol", "timezone": "Europe/Berlin",
			"emails": []any{
				map[string]any{"value": "c1@x.example", "type": "work"},
				map[string]any{"value": "c2@x.example", "type": "home"},
				map[string]any{"value": "c3@x.example", "type": "other"},
				map[string]any{"value": "c4@x.example", "type": "other", "primary": true},
			},
			"addresses": []any{map[string]any{"streetAddress": "Main St 1\nBuilding 2", "locality": "Berlin", "country": "DE", "type": "work"}},
		}, groups: []string{"Sales;EU"}},
		{attrs: map[string]any{"userName": "dave"}},
	}
}

// seedRich creates richUsers and their groups through the SCIM API of
// token's tenant; it returns user ids by userName and group ids by name.
func (s *server) seedRich(t testing.TB, token string) (users, groups map[string]string) {
	t.Helper()
	users, groups = map[string]string{}, map[string]string{}
	members := map[string][]string{}
	var order []string
	for _, u := range richUsers() {
		body := userBody(u.attrs["userName"].(string), u.attrs)
		schemas := []string{userSchema}
		for _, urn := range []string{entSchema, sapUserURN, sapCustomURN} {
			if _, ok := u.attrs[urn]; ok {
				schemas = append(schemas, urn)
			}
		}
		body["schemas"] = schemas
		r := s.doToken(t, token, "POST", "/scim/v2/Users", body)
		if r.Status != http.StatusCreated {
			t.Fatalf("create %v: %d %s", u.attrs["userName"], r.Status, r.Body)
		}
		id := fmt.Sprint(r.JSON(t)["id"])
		users[u.attrs["userName"].(string)] = id
		for _, g := range u.groups {
			if _, ok := members[g]; !ok {
				order = append(order, g)
			}
			members[g] = append(members[g], id)
		}
	}
	for _, g := range order {
		ms := []map[string]any{}
		for _, id := range members[g] {
			ms = append(ms, map[string]any{"value": id})
		}
		r := s.doToken(t, token, "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": g, "members": ms})
		if r.Status != http.StatusCreated {
			t.Fatalf("create group %s: %d %s", g, r.Status, r.Body)
		}
		groups[g] = fmt.Sprint(r.JSON(t)["id"])
	}
	return users, groups
}

func TestExportUsers(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		ids, gids := s.seedRich(t, s.Token)
		// A nested group: Parent contains the group Engineering, and no
		// user directly.
		parent := s.must(t, http.StatusCreated, "POST", "/scim/v2/Groups", map[string]any{
			"schemas": []string{groupSchema}, "displayName": "Parent",
			"members": []map[string]any{{"value": gids["Engineering"], "type": "Group"}},
		}).JSON(t)

		t.Run("default columns", func(t *testing.T) {
			tab, r := s.exportTable(t, "/scim/v2/Users/.export")
			if !slices.Equal(tab.Header, defaultExportHeader) {
				t.Fatalf("header %v, want %v", tab.Header, defaultExportHeader)
			}
			if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
				t.Errorf("Content-Disposition %q", cd)
			}
			want := [][]string{
				{"TRUE", "alice", "employee", "Alice (work)", "TRUE", "work", "alice@corp.example"}, // primary first
				{"FALSE", "bob", "contractor", "", "TRUE", "work", "bob@corp.example"},
				{"TRUE", "carol", "", "", "TRUE", "other", "c4@x.example"},
				{"", "dave", "", "", "", "", ""},
			}
			if !slices.EqualFunc(tab.Rows, want, slices.Equal) {
				t.Errorf("rows (creation order):\n got %q\nwant %q", tab.Rows, want)
			}
		})

		t.Run("all columns", func(t *testing.T) {
			tab, r := s.exportTable(t, "/scim/v2/Users/.export?attributes=*")
			h := tab.Header
			if h[0] != "id" || h[1] != "externalId" || h[len(h)-1] != "groups" {
				t.Errorf("header starts %v, ends %q; want id, externalId … groups", h[:2], h[len(h)-1])
			}
			for _, c := range h {
				if strings.Contains(strings.ToLower(c), "password") {
					t.Errorf("column %q exported", c)
				}
			}
			for _, c := range []string{"emails[2].primary", "phoneNumbers[2].value", "addresses[0].streetAddress",
				entSchema + ":employeeNumber", sapUserURN + ":validFrom", sapUserURN + ":userUuid",
				sapCustomURN + ":attributes[9].value"} {
				tab.col(t, c)
			}
			for _, c := range []string{"emails[3].value", sapCustomURN + ":attributes[10].value", "meta.created", "groups[0].value"} {
				if slices.Contains(h, c) {
					t.Errorf("unexpected column %q", c)
				}
			}
			rows := tab.by(t, "userName")
			a := rows["alice"]
			for col, want := range map[string]string{
				"id": ids["alice"], "externalId": "ext-alice", "name.givenName": "Alice", "locale": "de-DE",
				"phoneNumbers[0].value": "'+49 30 1234", "phoneNumbers[1].value": "'-555",
				entSchema + ":department": "'@Sales", entSchema + ":organization": "ACME",
				sapUserURN + ":validFrom": "20240101000000Z", sapUserURN + ":mailVerified": "TRUE",
				sapUserURN + ":userUuid":              ids["alice"], // assigned = the SCIM id at creation
				sapCustomURN + ":attributes[1].value": "'=cmd|' /C calc'!A0", sapCustomURN + ":attributes[2].name": "customAttribute3",
				sapCustomURN + ":attributes[3].name": "",
				"groups":                             "'=Admins;Engineering;Sales\\;EU", // by name; ';' in a name escaped
			} {
				if a[col] != want {
					t.Errorf("alice %s = %q, want %q", col, a[col], want)
				}
			}
			// validFrom not in yyyyMMddHHmmss'Z': an empty cell.
			if b := rows["bob"]; b[sapUserURN+":validFrom"] != "" || b[sapUserURN+":validTo"] != "20251231235959Z" || b[sapUserURN+":mailVerified"] != "FALSE" {
				t.Errorf("bob validFrom %q validTo %q mailVerified %q", b[sapUserURN+":validFrom"], b[sapUserURN+":validTo"], b[sapUserURN+":mailVerified"])
			}
			if c := rows["carol"]; c["addresses[0].streetAddress"] != "Main St 1\nBuilding 2" || c["emails[0].value"] != "c4@x.example" || c["emails[1].value"] != "c1@x.example" || c["emails[2].value"] != "c2@x.example" {
				t.Errorf("carol: %v", c)
			}
			body := string(r.Body)
			for _, secret := range []string{"S3cret-pass!word", "$argon2", "$2a$"} {
				if strings.Contains(body, secret) {
					t.Errorf("the export contains %q", secret)
				}
			}
			// carol's 4th e-mail did not fit: counted on the job.
			expectJobCounts(t, s.exportJob(t, s.Token, r), map[string]int{"total": 4, "processed": 4, "truncated": 1})
		})

		t.Run("emails expands to three column groups", func(t *testing.T) {
			tab, r := s.exportTable(t, "/scim/v2/Users/.export?attributes=userName,emails")
			want := []string{"userName"}
			for i := 0; i < 3; i++ {
				for _, sub := range []string{"value", "display", "type", "primary"} {
					want = append(want, fmt.Sprintf("emails[%d].%s", i, sub))
				}
			}
			if !slices.Equal(tab.Header, want) {
				t.Fatalf("header %v, want %v", tab.Header, want)
			}
			c := tab.by(t, "userName")["carol"]
			if c["emails[0].value"] != "c4@x.example" || c["emails[0].primary"] != "TRUE" || c["emails[2].value"] != "c2@x.example" {
				t.Errorf("carol: %v", c)
			}
			expectJobCounts(t, s.exportJob(t, s.Token, r), map[string]int{"truncated": 1})
			// One index only: no truncation to count for that column.
			tab, _ = s.exportTable(t, "/scim/v2/Users/.export?attributes=userName,emails[1].value")
			if !slices.Equal(tab.Header, []string{"userName", "emails[1].value"}) || tab.by(t, "userName")["alice"]["emails[1].value"] != "alice@home.example" {
				t.Errorf("emails[1].value: %v %v", tab.Header, tab.Rows)
			}
		})

		t.Run("custom attributes expand to ten", func(t *testing.T) {
			tab, _ := s.exportTable(t, "/scim/v2/Users/.export?attributes=userName,"+url.QueryEscape(sapCustomURN+":attributes"))
			if len(tab.Header) != 1+20 || tab.Header[20] != sapCustomURN+":attributes[9].value" {
				t.Fatalf("header %v", tab.Header)
			}
			a := tab.by(t, "userName")["alice"]
			if a[sapCustomURN+":attributes[0].name"] != "customAttribute1" || a[sapCustomURN+":attributes[0].value"] != "v1" || a[sapCustomURN+":attributes[9].name"] != "" {
				t.Errorf("alice: %v", a)
			}
		})

		t.Run("names compare case-insensitively", func(t *testing.T) {
			tab, _ := s.exportTable(t, "/scim/v2/Users/.export?attributes=USERNAME,Emails[0].Value,GROUPS")
			if !slices.Equal(tab.Header, []string{"userName", "emails[0].value", "groups"}) {
				t.Errorf("header %v", tab.Header)
			}
		})

		t.Run("refused parameters", func(t *testing.T) {
			for _, c := range []struct {
				query, scimType, mention string
			}{
				{"attributes=password", "invalidValue", "password"},
				{"attributes=userName,PASSWORD", "invalidValue", "PASSWORD"},
				{"attributes=userName,nickname2", "invalidValue", "nickname2"},
				{"attributes=emails[3].value", "invalidValue", "emails[3].value"},
				{"attributes=meta.created", "invalidValue", "meta.created"},
				{"attributes=*,id", "invalidValue", "*"},
				{"filter=" + url.QueryEscape(`userName eq`), "invalidFilter", ""},
				{"filter=" + url.QueryEscape(`password eq "x"`), "invalidFilter", "password"},
				{"filter=" + url.QueryEscape(`nosuch eq "x"`), "invalidFilter", "nosuch"},
				{"group=NoSuchGroup", "invalidValue", "NoSuchGroup"},
				{"raw=maybe", "invalidValue", "raw"},
			} {
				r := s.export(t, s.Token, "/scim/v2/Users/.export?"+c.query, http.StatusBadRequest)
				mustSCIMError(t, r, http.StatusBadRequest, c.scimType)
				if !strings.Contains(fmt.Sprint(r.JSON(t)["detail"]), c.mention) {
					t.Errorf("%s: detail %q does not name %q", c.query, r.JSON(t)["detail"], c.mention)
				}
			}
		})

		t.Run("filter", func(t *testing.T) {
			for _, c := range []struct {
				filter string
				want   []string
			}{
				{`userName sw "a" or userName eq "dave"`, []string{"alice", "dave"}},
				{`active eq false`, []string{"bob"}},
				{`emails[type eq "work" and value co "@corp"]`, []string{"alice", "bob"}},
				{`emails.value eq "C3@X.EXAMPLE"`, []string{"carol"}},
				{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "@sales"`, []string{"alice"}},
				{`not (title pr)`, []string{"carol", "dave"}},
				{`userName eq "nobody"`, nil},
			} {
				tab, _ := s.exportTable(t, "/scim/v2/Users/.export?attributes=userName&filter="+url.QueryEscape(c.filter))
				var got []string
				for _, r := range tab.Rows {
					got = append(got, r[0])
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("filter %s: %v, want %v", c.filter, got, c.want)
				}
			}
		})

		t.Run("group scope", func(t *testing.T) {
			for _, c := range []struct {
				query string
				want  []string
			}{
				{"group=" + gids["Engineering"], []string{"alice", "bob"}},
				{"group=engineering", []string{"alice", "bob"}}, // displayName, case-insensitive
				{"group=" + url.QueryEscape("Sales;EU"), []string{"alice", "carol"}},
				{"group=Engineering&filter=" + url.QueryEscape("active eq true"), []string{"alice"}},
				{"group=Engineering&filter=" + url.QueryEscape(`userName eq "carol"`), nil},
				{"group=Parent", nil}, // direct members only
				{"group=" + fmt.Sprint(parent["id"]), nil},
			} {
				tab, r := s.exportTable(t, "/scim/v2/Users/.export?attributes=userName,groups&"+c.query)
				var got []string
				for _, row := range tab.Rows {
					got = append(got, row[0])
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("%s: %v, want %v", c.query, got, c.want)
				}
				j := s.exportJob(t, s.Token, r)
				if !strings.Contains(fmt.Sprint(j["description"]), "group=") {
					t.Errorf("%s: description %q does not record the group", c.query, j["description"])
				}
			}
		})

		t.Run("formula neutralisation", func(t *testing.T) {
			q := "/scim/v2/Users/.export?attributes=userName,title,phoneNumbers[0].value,groups&filter=" + url.QueryEscape(`userName eq "alice" or userName eq "bob"`)
			tab, _ := s.exportTable(t, q)
			rows := tab.by(t, "userName")
			if a := rows["alice"]; a["title"] != "'=SUM(A1:A2)" || a["phoneNumbers[0].value"] != "'+49 30 1234" || a["groups"] != `'=Admins;Engineering;Sales\;EU` {
				t.Errorf("neutralised: %v", a)
			}
			if b := rows["bob"]; b["title"] != "'-5" {
				t.Errorf("neutralised: %v", b)
			}
			tab, r := s.exportTable(t, q+"&raw=true")
			rows = tab.by(t, "userName")
			if a := rows["alice"]; a["title"] != "=SUM(A1:A2)" || a["phoneNumbers[0].value"] != "+49 30 1234" || a["groups"] != `=Admins;Engineering;Sales\;EU` {
				t.Errorf("raw: %v", a)
			}
			if b := rows["bob"]; b["title"] != "-5" {
				t.Errorf("raw: %v", b)
			}
			if !strings.Contains(fmt.Sprint(s.exportJob(t, s.Token, r)["description"]), "raw=true") {
				t.Errorf("description does not record raw=true")
			}
		})

		t.Run("job record", func(t *testing.T) {
			before := s.list(t, "/scim/v2/Jobs?count=1000")
			_, r := s.exportTable(t, "/scim/v2/Users/.export?attributes=userName,emails&filter="+url.QueryEscape(`active eq true`))
			id := r.Header.Get("X-Scimd-Job")
			j := s.exportJob(t, s.Token, r)
			expectJSON(t, j, `{"id":"`+id+`","type":"users-export","status":"succeeded","total":2,"processed":2,"truncated":1,"failed":0,"error":""}`)
			for _, k := range []string{"createdAt", "startedAt", "finishedAt"} {
				if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(j[k])); err != nil {
					t.Errorf("%s = %v", k, j[k])
				}
			}
			d := fmt.Sprint(j["description"])
			if !strings.Contains(d, "attributes=userName,emails") || !strings.Contains(d, `filter=active eq true`) {
				t.Errorf("description %q does not record the parameters", d)
			}
			// GET /Jobs lists it first (newest first).
			after := s.list(t, "/scim/v2/Jobs?count=1000")
			if n, m := after["totalResults"].(float64), before["totalResults"].(float64); n != m+1 {
				t.Errorf("totalResults %v → %v, want one more", m, n)
			}
			if ids := resourceIDs(after); len(ids) == 0 || ids[0] != id {
				t.Errorf("GET /Jobs starts with %v, want the export %s first", ids[:min(len(ids), 3)], id)
			}
		})

		t.Run("scopes", func(t *testing.T) {
			_, usersOnly := s.newToken(t, "default", "users:read")
			_, groupsOnly := s.newToken(t, "default", "groups:read")
			_, manage := s.newToken(t, "default", "users:manage", "groups:manage")
			s.export(t, usersOnly, "/scim/v2/Users/.export", http.StatusOK)
			s.export(t, manage, "/scim/v2/Users/.export", http.StatusOK)
			s.export(t, manage, "/scim/v2/Groups/.export", http.StatusOK)
			s.export(t, groupsOnly, "/scim/v2/Groups/.export", http.StatusOK)
			mustSCIMError(t, s.export(t, groupsOnly, "/scim/v2/Users/.export", http.StatusForbidden), http.StatusForbidden)
			mustSCIMError(t, s.export(t, usersOnly, "/scim/v2/Groups/.export", http.StatusForbidden), http.StatusForbidden)
			mustSCIMError(t, s.export(t, "", "/scim/v2/Users/.export", http.StatusUnauthorized), http.StatusUnauthorized)
		})

		t.Run("tenant isolation", func(t *testing.T) {
			other := s.newTenant(t, "exp-other-"+randomHex(3))
			r := s.export(t, other, "/scim/v2/Users/.export", http.StatusOK)
			if tab := parseCSVTable(t, r.Body); len(tab.Rows) != 0 {
				t.Errorf("another tenant exports %d rows", len(tab.Rows))
			}
			// The other tenant does not see this tenant's groups either.
			mustSCIMError(t, s.export(t, other, "/scim/v2/Users/.export?group="+gids["Engineering"], http.StatusBadRequest), http.StatusBadRequest, "invalidValue")
			// Nor its export jobs.
			jr := s.doToken(t, other, "GET", "/scim/v2/Jobs/"+r.Header.Get("X-Scimd-Job"), nil)
			if jr.Status != http.StatusOK {
				t.Errorf("own export job: %d", jr.Status)
			}
			_, r2 := s.exportTable(t, "/scim/v2/Users/.export")
			if jr := s.doToken(t, other, "GET", "/scim/v2/Jobs/"+r2.Header.Get("X-Scimd-Job"), nil); jr.Status != http.StatusNotFound {
				t.Errorf("another tenant's export job: %d, want 404", jr.Status)
			}
		})
	})
}

func TestExportGroups(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		ids, gids := s.seedRich(t, s.Token)
		s.must(t, http.StatusCreated, "POST", "/scim/v2/Groups", map[string]any{
			"schemas": []string{groupSchema}, "displayName": "Empty", "externalId": "+ext",
		})
		// A nested group and a user: members lists user ids only.
		s.must(t, http.StatusCreated, "POST", "/scim/v2/Groups", map[string]any{
			"schemas": []string{groupSchema}, "displayName": "Parent",
			"members": []map[string]any{{"value": gids["Engineering"], "type": "Group"}, {"value": ids["carol"]}},
		})
		tab, r := s.exportTable(t, "/scim/v2/Groups/.export")
		if want := []string{"id", "displayName", "externalId", "members"}; !slices.Equal(tab.Header, want) {
			t.Fatalf("header %v, want %v", tab.Header, want)
		}
		rows := tab.by(t, "displayName")
		if len(rows) != 5 {
			t.Fatalf("%d groups: %v", len(tab.Rows), tab.Rows)
		}
		members := func(names ...string) string {
			var out []string
			for _, n := range names {
				out = append(out, ids[n])
			}
			slices.Sort(out)
			return strings.Join(out, ";")
		}
		for name, want := range map[string][]string{
			"Engineering": {"id", gids["Engineering"], "members", members("alice", "bob")},
			"'=Admins":    {"id", gids["=Admins"], "members", members("alice")},
			"Sales;EU":    {"members", members("alice", "carol")},
			"Empty":       {"members", "", "externalId", "'+ext"},
			"Parent":      {"members", members("carol")},
		} {
			row, ok := rows[name]
			if !ok {
				t.Errorf("no row for group %q", name)
				continue
			}
			for i := 0; i+1 < len(want); i += 2 {
				if row[want[i]] != want[i+1] {
					t.Errorf("group %q %s = %q, want %q", name, want[i], row[want[i]], want[i+1])
				}
			}
		}
		expectJSON(t, s.exportJob(t, s.Token, r), `{"type":"groups-export","status":"succeeded","total":5,"processed":5}`)

		raw, _ := s.exportTable(t, "/scim/v2/Groups/.export?raw=true")
		if _, ok := raw.by(t, "displayName")["=Admins"]; !ok {
			t.Errorf("raw=true: %v", raw.Rows)
		}
	})
}

// A client that reads the start of a large export and hangs up stops the
// export: the database scan ends, the server keeps serving, and the export
// is recorded as a failed users-export job.
func TestExportClientDisconnect(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 50,000 users")
	}
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		const n = 50_000
		dsn := testdb.DSN(t, kind)
		seedStore(t, dsn, n, benchUserAttrs)
		s := startServer(t, serverOpts{kind: kind, dsn: dsn})

		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/scim/v2/Users/.export?attributes=*", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		start := time.Now()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		jobID := resp.Header.Get("X-Scimd-Job")
		buf := make([]byte, 256<<10) // the header and a few hundred rows
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("first 256 KiB after %v", d)
		}
		cancel()
		resp.Body.Close()

		j := s.waitExportJob(t, jobID, 30*time.Second)
		expectJSON(t, j, `{"type":"users-export","status":"failed"}`)
		if total := jobCounts(j, "total")["total"]; total <= 0 || total >= n {
			t.Errorf("aborted export recorded %d rows, want some but not all %d", total, n)
		}
		if e := fmt.Sprint(j["error"]); !strings.Contains(e, "client") {
			t.Errorf("error %q does not say the client went away", e)
		}
		// The server is healthy and exports again.
		s.must(t, http.StatusOK, "GET", "/healthz", nil)
		tab, _ := s.exportTable(t, "/scim/v2/Users/.export?filter="+url.QueryEscape(`userName eq "user0000007@example.com"`))
		if len(tab.Rows) != 1 {
			t.Errorf("export after the disconnect: %v", tab.Rows)
		}
		if strings.Contains(s.stderr.String(), "panic") {
			t.Errorf("server log mentions a panic:\n%s", s.logTail(40))
		}
	})
}

// waitExportJob waits until an export's job record exists (it is written
// when the export ends).
func (s *server) waitExportJob(t testing.TB, id string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := s.do(t, "GET", "/scim/v2/Jobs/"+id, nil)
		if r.Status == http.StatusOK {
			return r.JSON(t)
		}
		if r.Status != http.StatusNotFound || time.Now().After(deadline) {
			t.Fatalf("GET /Jobs/%s: %d %s", id, r.Status, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The export CLI streams the same bytes as the endpoint and exits non-zero
// with the SCIM error detail when the server refuses.
func TestExportCLI(t *testing.T) {
	s := startServer(t, serverOpts{kind: testdb.SQLite})
	s.seedRich(t, s.Token)
	cli := func(args ...string) (stdout, stderr string, code int) {
		cmd := exec.Command(binary, append(args, "--url", s.URL, "--progress=false")...)
		cmd.Env = append(os.Environ(), "SCIMD_TOKEN="+s.Token)
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}
	want := s.export(t, s.Token, "/scim/v2/Users/.export?attributes=userName,emails,groups&filter="+url.QueryEscape(`active eq true`), http.StatusOK)
	out, errOut, code := cli("export", "users", "--attributes", "userName,emails,groups", "--filter", "active eq true")
	if code != 0 || out != string(want.Body) {
		t.Errorf("export users: exit %d, stdout %q (want %q), stderr %s", code, out, want.Body, errOut)
	}
	if !strings.Contains(errOut, "exported 2 rows") || !strings.Contains(errOut, "1 values did not fit") {
		t.Errorf("stderr %q", errOut)
	}
	file := filepath.Join(t.TempDir(), "groups.csv")
	if _, errOut, code := cli("export", "groups", "-o", file); code != 0 {
		t.Errorf("export groups: exit %d: %s", code, errOut)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if tab := parseCSVTable(t, raw); len(tab.Rows) != 3 || tab.Header[3] != "members" {
		t.Errorf("groups file: %v", tab)
	}
	out, errOut, code = cli("export", "users", "--attributes", "userName,password")
	if code == 0 || out != "" || !strings.Contains(errOut, "password") || !strings.Contains(errOut, "400") {
		t.Errorf("refused export: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if _, _, code := cli("export", "users", "--group", "nope", "-o", bad); code == 0 {
		t.Errorf("unknown group: exit 0")
	}
	if _, err := os.Stat(bad); err == nil {
		t.Errorf("a refused export left %s behind", bad)
	}
}
