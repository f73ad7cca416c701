package bulkcsv

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/scimd/scimd/schemas"
)

func columnNames(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

func TestColumns(t *testing.T) {
	reg := registry(t)
	cols := Columns(reg)
	names := columnNames(cols)
	const acme = "urn:acme:params:scim:schemas:extension:acme:2.0:User:"
	for _, want := range []string{
		"userName", "name.givenName", "name.honorificSuffix", "active", "profileUrl",
		"emails[0].value", "emails[2].primary", "phoneNumbers[1].type", "addresses[2].postalCode",
		"ims[0].value", "photos[2].value", "entitlements[1].display", "roles[0].value", "x509Certificates[2].value",
		schemas.EnterpriseURN + ":manager.value", schemas.EnterpriseURN + ":manager.$ref", schemas.EnterpriseURN + ":costCenter",
		schemas.SAPUserURN + ":userUuid", schemas.SAPUserURN + ":validTo", schemas.SAPUserURN + ":mailVerified",
		schemas.SAPCustomURN + ":attributes[0].name", schemas.SAPCustomURN + ":attributes[9].value",
		// The custom extension from testdata/schemas, with no code for it.
		acme + "badgeNumber", acme + "tags[0]", acme + "tags[9]", acme + "building.floor", acme + "devices[9].primary",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("Columns lacks %s", want)
		}
	}
	for _, not := range []string{
		"password", "groups[0].display", "groups[0].value", "meta.created", "emails[3].value",
		schemas.EnterpriseURN + ":manager.displayName", schemas.SAPCustomURN + ":attributes[10].name",
		acme + "pin", acme + "score", acme + "tags[10]",
	} {
		if slices.Contains(names, not) {
			t.Errorf("Columns has %s", not)
		}
	}
	if names[0] != "id" || names[1] != "externalId" || names[len(names)-1] != "groups" {
		t.Errorf("order: first %v, last %s", names[:2], names[len(names)-1])
	}
	seen := map[string]bool{}
	for _, c := range cols {
		if seen[c.Name] {
			t.Errorf("duplicate column %s", c.Name)
		}
		seen[c.Name] = true
		// Every exported column imports as itself, in any letter case.
		for _, variant := range []string{c.Name, strings.ToUpper(c.Name), strings.ToLower(c.Name)} {
			p, err := ParseColumn(reg, variant)
			if err != nil {
				t.Errorf("ParseColumn(%q): %v", variant, err)
				continue
			}
			if p.Name != c.Name || p.Kind != c.Kind || p.Index != c.Index {
				t.Errorf("ParseColumn(%q) = %+v, want %+v", variant, p, c)
			}
		}
	}
}

func TestParseColumn(t *testing.T) {
	reg := registry(t)
	ok := map[string]string{
		"userName": "userName",
		"USERNAME": "userName",
		"urn:ietf:params:scim:schemas:core:2.0:User:userName": "userName",
		"Emails[1].Value": "emails[1].value",
		"externalid":      "externalId",
		"ID":              "id",
		"Groups":          "groups",
		"Password":        "password",
		"urn:acme:params:scim:schemas:extension:acme:2.0:User:PIN": "urn:acme:params:scim:schemas:extension:acme:2.0:User:pin",
	}
	for in, want := range ok {
		c, err := ParseColumn(reg, in)
		if err != nil || c.Name != want {
			t.Errorf("ParseColumn(%q) = %q, %v; want %q", in, c.Name, err, want)
		}
	}
	if c, _ := ParseColumn(reg, "password"); c.Kind != KindPassword || !c.ImportOnly {
		t.Errorf("password column %+v", c)
	}
	bad := map[string]string{
		"emial":             "unknown column",
		"emails":            "needs an index, e.g. emails[0].value",
		"emails.value":      "needs an index",
		"emails[0]":         "needs a sub-attribute",
		"emails[3].value":   "index out of range",
		"emails[-1].value":  "malformed index",
		"emails[x].value":   "malformed index",
		"emails[0]value":    "unexpected text",
		"emails[0].":        "empty sub-attribute",
		"name":              "needs a sub-attribute",
		"name[0].givenName": "single-valued",
		"name.nope":         "no sub-attribute",
		"userName.x":        "has no sub-attributes",
		"meta.created":      "read-only",
		"groups[0].display": "read-only",
		"urn:nope:x:y":      "no such schema",
		schemas.EnterpriseURN + ":manager.displayName": "read-only",
		schemas.SAPCustomURN + ":attributes[10].value": "[0]..[9]",
	}
	for in, want := range bad {
		_, err := ParseColumn(reg, in)
		var ce *ColumnError
		if !errors.As(err, &ce) || !strings.Contains(ce.Error(), want) {
			t.Errorf("ParseColumn(%q) error %v, want one saying %q", in, err, want)
		}
	}
}

func TestExportColumns(t *testing.T) {
	reg := registry(t)
	cases := []struct {
		in   []string
		want []string
	}{
		{nil, DefaultExportColumns},
		{[]string{"userName", " NAME "}, []string{"userName", "name.formatted", "name.familyName", "name.givenName", "name.middleName", "name.honorificPrefix", "name.honorificSuffix"}},
		{[]string{"emails"}, []string{
			"emails[0].value", "emails[0].display", "emails[0].type", "emails[0].primary",
			"emails[1].value", "emails[1].display", "emails[1].type", "emails[1].primary",
			"emails[2].value", "emails[2].display", "emails[2].type", "emails[2].primary"}},
		{[]string{"emails.value", "emails[1]", "emails[0].value"}, []string{
			"emails[0].value", "emails[1].value", "emails[2].value", "emails[1].display", "emails[1].type", "emails[1].primary"}},
		{[]string{"id", "groups", "", "active"}, []string{"id", "groups", "active"}},
		{[]string{"urn:acme:params:scim:schemas:extension:acme:2.0:User:tags"}, []string{
			"urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[0]", "urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[1]",
			"urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[2]", "urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[3]",
			"urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[4]", "urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[5]",
			"urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[6]", "urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[7]",
			"urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[8]", "urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[9]"}},
	}
	for _, c := range cases {
		cols, err := ExportColumns(reg, c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := columnNames(cols); !slices.Equal(got, c.want) {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	if cols, _ := ExportColumns(reg, []string{schemas.SAPCustomURN + ":attributes"}); len(cols) != 20 {
		t.Errorf("custom attributes expand to %d columns, want 20", len(cols))
	}
	for _, bad := range []string{"password", "meta", "meta.created", "groups[0].value", "urn:acme:params:scim:schemas:extension:acme:2.0:User:pin", "nope"} {
		if _, err := ExportColumns(reg, []string{"userName", bad}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestDetectDialect(t *testing.T) {
	reg := registry(t)
	cases := []struct {
		header string
		want   Dialect
	}{
		{"userName", Native},
		{"userName,displayName,groups", Native},
		{"active,userName,userType,emails[0].display,emails[0].primary,emails[0].type,emails[0].value", Native},
		{"groups,urn:ietf:params:scim:schemas:extension:sap:2.0:User:userUuid,emails[0].value", Native},
		{"status,loginName,mail,firstName,lastName,language,validFrom,validTo,spCustomAttribute1,groups", SAP},
		{"STATUS,MAIL,LASTNAME", SAP},
		{"status,mail,lastName,userName,emails[0].value", SAP}, // all mandatory SAP columns: SAP (others ignored)
		{"status,mail,firstName", SAP},                         // SAP names only: SAP, missing lastName reported
		{"mail,groups", SAP},
		{"userName,emails[0].value,lastName", Native}, // a native file with a typo stays native
		{"username,displayName,organizationalUnitPath,email,phoneRegion,phoneNumber", IDaaS},
		{"userName,customFieldMap.badgeNumber", IDaaS},
		{"username,email,phoneRegion", IDaaS},
		{"userName,email,emails[0].value", Native},
		{"mail,email", Native}, // both dialects' names: not decidable, native names them unknown
	}
	for _, c := range cases {
		if got := DetectDialect(reg, strings.Split(c.header, ",")); got != c.want {
			t.Errorf("%s: %v, want %v", c.header, got, c.want)
		}
	}
}
