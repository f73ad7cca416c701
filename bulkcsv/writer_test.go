package bulkcsv

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimd/scimd/schemas"
)

func TestWriterDefaultColumns(t *testing.T) {
	reg := registry(t)
	cols, err := ExportColumns(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, cols, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	users := []string{
		`{"id":"1","userName":"EID00001","userType":"public","active":true,"emails":[{"value":"b@x","type":"home"},{"value":"michael.adams@example.com","type":"work","primary":true,"display":"Michael"}]}`,
		`{"id":"2","userName":"EID00004","userType":"customer","active":false}`,
		`{"id":"3","userName":"=cmd|' /C calc'!A0","active":"True","emails":[{"value":"@x","primary":"false"}]}`,
	}
	for _, u := range users {
		if _, err := w.Write(fromJSON(t, u), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "active,userName,userType,emails[0].display,emails[0].primary,emails[0].type,emails[0].value\n" +
		"TRUE,EID00001,public,Michael,TRUE,work,michael.adams@example.com\n" +
		"FALSE,EID00004,customer,,,,\n" +
		"TRUE,'=cmd|' /C calc'!A0,,,FALSE,,'@x\n"
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestWriterValues(t *testing.T) {
	reg := registry(t)
	cols, err := ExportColumns(reg, []string{"id", "userName", "emails.value", "urn:ietf:params:scim:schemas:extension:sap:2.0:User:validFrom",
		"urn:ietf:params:scim:schemas:extension:sap:2.0:User:validTo", "urn:acme:params:scim:schemas:extension:acme:2.0:User:badgeNumber",
		"urn:acme:params:scim:schemas:extension:acme:2.0:User:costFactor", "urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[0]", "groups"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, user string
		groups     []string
		raw        bool
		row        string
		truncated  int
	}{
		{
			name:      "more values than columns are cut and counted",
			user:      `{"userName":"u","emails":[{"value":"1"},{"value":"2"},{"value":"3"},{"value":"4","primary":true},{"value":"5"}],"urn:acme:params:scim:schemas:extension:acme:2.0:User":{"tags":["a","b","c"]}}`,
			row:       ",u,4,1,2,,,,,a,",
			truncated: 2 + 2,
		},
		{
			name: "validity only in yyyyMMddHHmmss'Z'",
			user: `{"userName":"u","urn:ietf:params:scim:schemas:extension:sap:2.0:User":{"validFrom":"20240101000000Z","validTo":"2024-12-31T00:00:00Z"}}`,
			row:  ",u,,,,20240101000000Z,,,,,",
		},
		{
			name: "numbers",
			user: `{"userName":"u","urn:acme:params:scim:schemas:extension:acme:2.0:User":{"badgeNumber":-12,"costFactor":1e-9}}`,
			row:  ",u,,,,,,'-12,1e-9,,", // json.Number as stored
		},
		{
			name: "numbers, raw",
			user: `{"userName":"u","urn:acme:params:scim:schemas:extension:acme:2.0:User":{"badgeNumber":-12,"costFactor":2.5}}`,
			raw:  true,
			row:  ",u,,,,,,-12,2.5,,",
		},
		{
			name:   "groups: ';' and '\\' escaped, formulas neutralised at the start of the cell",
			user:   `{"id":"x1","userName":"u"}`,
			groups: []string{"=SUM", "R&D;Labs", `C:\temp`, " pad "},
			row:    `x1,u,,,,,,,,,'=SUM;R&D\;Labs;C:\\temp;\ pad\ `,
		},
		{
			name:   "raw: formulas as they are, but a quote before a formula is doubled",
			user:   `{"id":"'=x","userName":"=1+1"}`,
			groups: []string{"-g"},
			raw:    true,
			row:    "''=x,=1+1,,,,,,,,,-g",
		},
		{
			name: "NUL and CR LF",
			user: `{"userName":"a\u0000b","emails":[{"value":"l1\r\nl2"}]}`,
			row:  ",a\uFFFDb,\"l1\nl2\",,,,,,,,",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, cols, WriterOptions{Raw: c.raw})
			if err != nil {
				t.Fatal(err)
			}
			d := json.NewDecoder(strings.NewReader(c.user))
			d.UseNumber() // the stored form
			var u map[string]any
			if err := d.Decode(&u); err != nil {
				t.Fatal(err)
			}
			n, err := w.Write(u, c.groups)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			_, got, _ := strings.Cut(strings.TrimSuffix(buf.String(), "\n"), "\n") // after the header
			if got != c.row {
				t.Errorf("row\n got %q\nwant %q", got, c.row)
			}
			if n != c.truncated {
				t.Errorf("truncated %d, want %d", n, c.truncated)
			}
		})
	}
}

func TestWriterRefusesPassword(t *testing.T) {
	reg := registry(t)
	pw, err := ParseColumn(reg, "password")
	if err != nil {
		t.Fatal(err)
	}
	pin, err := ParseColumn(reg, "urn:acme:params:scim:schemas:extension:acme:2.0:User:pin")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Column{pw, pin} {
		_, err := NewWriter(&bytes.Buffer{}, []Column{c}, WriterOptions{})
		var ce *ColumnError
		if !errors.As(err, &ce) {
			t.Errorf("%s: error %v", c.Name, err)
		}
	}
	if _, err := NewWriter(&bytes.Buffer{}, nil, WriterOptions{Comma: '\t'}); err == nil {
		t.Error("a tab delimiter was accepted")
	}
}

func TestGroupsWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewGroupsWriter(&buf, WriterOptions{Comma: ';'})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write("g1", "Admins", "", []string{"u1", "u2"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write("g2", "+Plus;Group", "ext", nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// With ';' as delimiter a members cell "u1;u2" is quoted.
	want := "id;displayName;externalId;members\ng1;Admins;;\"u1;u2\"\ng2;\"'+Plus;Group\";ext;\n"
	if buf.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", buf.String(), want)
	}
}

// TestCustomExtensionNoCode: a schema file dropped in a schemas dir gives
// importable and exportable columns.
func TestCustomExtensionNoCode(t *testing.T) {
	dir := t.TempDir()
	schema := `{"id":"urn:example:params:scim:schemas:extension:fresh:2.0:User","attributes":[
		{"name":"shoeSize","type":"integer"},{"name":"aliases","type":"string","multiValued":true}]}`
	if err := os.WriteFile(filepath.Join(dir, "fresh.json"), []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := schemas.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	const urn = "urn:example:params:scim:schemas:extension:fresh:2.0:User"
	cols, err := ExportColumns(reg, []string{"userName", urn + ":shoeSize", urn + ":aliases"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 12 {
		t.Fatalf("%d columns: %q", len(cols), columnNames(cols))
	}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, cols, WriterOptions{})
	user := map[string]any{"userName": "u", urn: map[string]any{"shoeSize": int64(44), "aliases": []any{"a", "b"}}}
	if _, err := w.Write(user, nil); err != nil {
		t.Fatal(err)
	}
	_ = w.Flush()
	rd, err := NewReader(&buf, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMapper(reg, DetectDialect(reg, rd.Header()), rd.Header(), MapperOptions{})
	if err != nil {
		t.Fatal(err)
	}
	num, rec, _ := rd.Read()
	row, err := m.Map(num, rec)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(row.Attrs)
	if string(got) != `{"urn:example:params:scim:schemas:extension:fresh:2.0:User":{"aliases":["a","b"],"shoeSize":44},"userName":"u"}` {
		t.Fatalf("imported %s", got)
	}
}
