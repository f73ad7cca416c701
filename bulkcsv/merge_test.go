package bulkcsv

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// mapOne maps the single data row of a small CSV text.
func mapOne(t *testing.T, csvText string, opts MapperOptions) Row {
	t.Helper()
	reg := registry(t)
	rd, err := NewReader(strings.NewReader(csvText), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMapper(reg, DetectDialect(reg, rd.Header()), rd.Header(), opts)
	if err != nil {
		t.Fatal(err)
	}
	num, rec, err := rd.Read()
	if err != nil {
		t.Fatal(err)
	}
	row, err := m.Map(num, rec)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

func fromJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestApplyTo(t *testing.T) {
	clear := MapperOptions{EmptyCells: EmptyClear}
	cases := []struct {
		name   string
		csv    string
		opts   MapperOptions
		stored string
		want   string
	}{
		{
			name:   "absent columns and empty cells leave attributes alone",
			csv:    "id,userName,displayName,name.givenName\n1,,New,\n",
			stored: `{"userName":"u","displayName":"Old","name":{"givenName":"G","familyName":"F"},"title":"T"}`,
			want:   `{"userName":"u","displayName":"New","name":{"givenName":"G","familyName":"F"},"title":"T"}`,
		},
		{
			name:   "sub-attributes merge",
			csv:    "userName,name.givenName\nu,Gina\n",
			stored: `{"userName":"u","name":{"givenName":"G","familyName":"F"}}`,
			want:   `{"userName":"u","name":{"givenName":"Gina","familyName":"F"}}`,
		},
		{
			name:   "emails[0] is the stored primary, emails[1] the first other",
			csv:    "userName,emails[0].value,emails[1].type\nu,new@x,home\n",
			stored: `{"userName":"u","emails":[{"value":"a@x","type":"work"},{"value":"p@x","primary":true}]}`,
			want:   `{"userName":"u","emails":[{"value":"a@x","type":"home"},{"value":"new@x","primary":true}]}`,
		},
		{
			name:   "an index beyond the stored values appends",
			csv:    "userName,emails[2].value\nu,c@x\n",
			stored: `{"userName":"u","emails":[{"value":"a@x"}]}`,
			want:   `{"userName":"u","emails":[{"value":"a@x"},{"value":"c@x"}]}`,
		},
		{
			name:   "a new primary takes the flag from the old one",
			csv:    "userName,emails[1].primary\nu,true\n",
			stored: `{"userName":"u","emails":[{"value":"a@x","primary":true},{"value":"b@x"}]}`,
			want:   `{"userName":"u","emails":[{"value":"a@x"},{"value":"b@x","primary":true}]}`,
		},
		{
			name:   "clearing a value removes the e-mail; clearing the last sub-attribute removes the attribute",
			csv:    "id,emails[1].value,name.givenName,title\n1,,,\n",
			opts:   clear,
			stored: `{"userName":"u","emails":[{"value":"a@x","primary":true},{"value":"b@x","type":"home"}],"name":{"givenName":"G"},"title":"T"}`,
			want:   `{"userName":"u","emails":[{"value":"a@x","primary":true}]}`,
		},
		{
			name:   "clearing what is not there changes nothing",
			csv:    "id,emails[2].value,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department\n1,,\n",
			opts:   clear,
			stored: `{"userName":"u","emails":[{"value":"a@x"}]}`,
			want:   `{"userName":"u","emails":[{"value":"a@x"}]}`,
		},
		{
			name:   "extension attributes merge and clear under their URN",
			csv:    "id,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value\n1,Sales,,m2\n",
			opts:   clear,
			stored: `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"C","organization":"O","manager":{"value":"m1","displayName":"Boss"}}}`,
			want:   `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales","organization":"O","manager":{"value":"m2","displayName":"Boss"}}}`,
		},
		{
			name:   "an extension left empty goes",
			csv:    "id,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter\n1,\n",
			opts:   clear,
			stored: `{"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"C"}}`,
			want:   `{"userName":"u"}`,
		},
		{
			name:   "simple multi-valued extension attribute by index",
			csv:    "id,urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[0],urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[1],urn:acme:params:scim:schemas:extension:acme:2.0:User:tags[5]\n1,A,,F\n",
			opts:   clear,
			stored: `{"userName":"u","urn:acme:params:scim:schemas:extension:acme:2.0:User":{"tags":["a","b","c"],"remote":true}}`,
			want:   `{"userName":"u","urn:acme:params:scim:schemas:extension:acme:2.0:User":{"tags":["A","c","F"],"remote":true}}`,
		},
		{
			name:   "SAP custom attributes match by name",
			csv:    "status,mail,lastName,spCustomAttribute1,spCustomAttribute2,spCustomAttribute3\nactive,a@x,L,one,,three\n",
			opts:   clear,
			stored: `{"userName":"u","emails":[{"value":"a@x","type":"work","primary":true}],"urn:sap:cloud:scim:schemas:extension:custom:2.0:User":{"attributes":[{"name":"customAttribute3","value":"old3"},{"name":"customAttribute2","value":"old2"},{"name":"customAttribute7","value":"seven"}]}}`,
			want:   `{"userName":"u","active":true,"name":{"familyName":"L"},"emails":[{"value":"a@x","type":"work","primary":true}],"urn:sap:cloud:scim:schemas:extension:custom:2.0:User":{"attributes":[{"name":"customAttribute3","value":"three"},{"name":"customAttribute7","value":"seven"},{"name":"customAttribute1","value":"one"}]}}`,
		},
		{
			name:   "SAP: an update keeps the stored userName when loginName is empty",
			csv:    "status,loginName,mail,lastName\ninactive,,a@x,L\n",
			stored: `{"userName":"EID1","emails":[{"value":"other@x"},{"value":"a@x","primary":true}]}`,
			want:   `{"userName":"EID1","active":false,"name":{"familyName":"L"},"emails":[{"value":"other@x"},{"value":"a@x","primary":true,"type":"work"}]}`,
		},
		{
			name:   "SAP: the mail is matched by address, never overwrites another one",
			csv:    "status,mail,lastName\nactive,A@X,L\n",
			stored: `{"userName":"u","emails":[{"value":"p@x","primary":true},{"value":"a@x","type":"home"}]}`,
			want:   `{"userName":"u","active":true,"name":{"familyName":"L"},"emails":[{"value":"p@x"},{"value":"A@X","type":"work","primary":true}]}`,
		},
		{
			name:   "SAP: a mail the user does not have is added",
			csv:    "status,loginName,mail,lastName\nactive,EID1,new@x,L\n",
			stored: `{"userName":"EID1","emails":[{"value":"p@x","primary":true}]}`,
			want:   `{"userName":"EID1","active":true,"name":{"familyName":"L"},"emails":[{"value":"p@x"},{"value":"new@x","type":"work","primary":true}]}`,
		},
		{
			name:   "names are matched case-insensitively in stored data",
			csv:    "userName,name.givenName,displayName\nu,G,D\n",
			stored: `{"username":"u","Name":{"givenname":"x","familyName":"F"},"DISPLAYNAME":"old"}`,
			want:   `{"userName":"u","name":{"givenName":"G","familyName":"F"},"displayName":"D"}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			row := mapOne(t, c.csv, c.opts)
			stored := fromJSON(t, c.stored)
			before, _ := json.Marshal(stored)
			got := row.ApplyTo(stored)
			after, _ := json.Marshal(stored)
			if string(before) != string(after) {
				t.Errorf("ApplyTo modified stored:\n%s\n%s", before, after)
			}
			// Compare through JSON so that numbers and bools compare alike.
			gotJSON, _ := json.Marshal(got)
			if !reflect.DeepEqual(fromJSON(t, string(gotJSON)), fromJSON(t, c.want)) {
				t.Errorf("got  %s\nwant %s", gotJSON, c.want)
			}
		})
	}
}

func TestNewUser(t *testing.T) {
	row := mapOne(t, "status,mail,lastName\nactive,a@x,L\n", MapperOptions{})
	u := row.NewUser()
	if u["userName"] != "a@x" || row.UserName() != "a@x" {
		t.Fatalf("SAP user without loginName: %v", u)
	}
	if _, ok := row.Attrs["userName"]; ok {
		t.Fatal("Attrs must not set userName (an update keeps it)")
	}
	row = mapOne(t, "status,loginName,mail,lastName\nactive,EID1,a@x,L\n", MapperOptions{})
	if u := row.NewUser(); u["userName"] != "EID1" || row.Fallback != (Match{MatchUserName, "EID1"}) || row.Match != (Match{MatchEmails, "a@x"}) {
		t.Fatalf("SAP user with loginName: %v %+v %+v", u, row.Match, row.Fallback)
	}
}

func TestCheckCreate(t *testing.T) {
	row := mapOne(t, "userName,externalId,title\n,X-1,T\n", MapperOptions{MatchBy: MatchExternalID})
	var re *RowError
	if err := row.CheckCreate(); !errors.As(err, &re) || re.Num != 1 || re.Column != "userName" {
		t.Fatalf("no userName: %v", err)
	}
	row = mapOne(t, "userName\nu\n", MapperOptions{})
	if err := row.CheckCreate(); err != nil {
		t.Fatal(err)
	}
}
