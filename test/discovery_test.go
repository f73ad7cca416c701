package test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/testdb"
)

// TestDiscovery: /ServiceProviderConfig, /Schemas, /ResourceTypes and /Me.
func TestDiscovery(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind, extraArgs: []string{"--max-body", "3MiB"}})
		sap := "urn:ietf:params:scim:schemas:extension:sap:2.0:User"
		sapCustom := "urn:sap:cloud:scim:schemas:extension:custom:2.0:User"
		cases := []struct {
			name string
			path string
			want string
		}{
			{"ServiceProviderConfig", "/scim/v2/ServiceProviderConfig", `{
				"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
				"patch":{"supported":true},
				"bulk":{"supported":true,"maxOperations":1000,"maxPayloadSize":3145728},
				"filter":{"supported":true,"maxResults":1000},
				"sort":{"supported":true},
				"etag":{"supported":true},
				"changePassword":{"supported":{"$type":"boolean"}},
				"authenticationSchemes":[{"type":"oauthbearertoken"}]}`},
			{"Schemas", "/scim/v2/Schemas", `{
				"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
				"totalResults":{"$type":"integer"},
				"Resources":[
					{"id":"urn:ietf:params:scim:schemas:core:2.0:User","attributes":[
						{"name":"userName","uniqueness":"server","required":true,"caseExact":false},
						{"name":"password","mutability":"writeOnly","returned":"never"},
						{"name":"groups","mutability":"readOnly","multiValued":true},
						{"name":"emails","multiValued":true,"subAttributes":[{"name":"value"},{"name":"type"},{"name":"primary"}]}]},
					{"id":"urn:ietf:params:scim:schemas:core:2.0:Group","attributes":[{"name":"displayName"},{"name":"members","multiValued":true}]},
					{"id":"` + entSchema + `","attributes":[{"name":"employeeNumber"},{"name":"manager","type":"complex","subAttributes":[{"name":"value"}]}]},
					{"id":"` + sap + `","attributes":[{"name":"userUuid"},{"name":"validFrom"},{"name":"validTo"},{"name":"mailVerified","type":"boolean"}]},
					{"id":"` + sapCustom + `","attributes":[{"name":"attributes","multiValued":true,"subAttributes":[{"name":"name"},{"name":"value"}]}]}]}`},
			{"Schemas/User", "/scim/v2/Schemas/" + userSchema, `{"id":"` + userSchema + `","attributes":[{"name":"userName"}]}`},
			{"Schemas/Enterprise", "/scim/v2/Schemas/" + entSchema, `{"id":"` + entSchema + `"}`},
			{"ResourceTypes", "/scim/v2/ResourceTypes", `{
				"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
				"Resources":{"$exact":[
					{"id":"User","name":"User","endpoint":"/Users","schema":"` + userSchema + `",
					 "schemaExtensions":[{"schema":"` + entSchema + `","required":false},{"schema":"` + sap + `"},{"schema":"` + sapCustom + `"}]},
					{"id":"Group","name":"Group","endpoint":"/Groups","schema":"urn:ietf:params:scim:schemas:core:2.0:Group"}]}}`},
			{"ResourceTypes/User", "/scim/v2/ResourceTypes/User", `{"id":"User","endpoint":"/Users"}`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := s.must(t, http.StatusOK, "GET", c.path, nil)
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
					t.Errorf("Content-Type %q, want application/scim+json", ct)
				}
				expectJSON(t, r.JSON(t), c.want)
			})
		}
		t.Run("advertised Bulk endpoint exists", func(t *testing.T) {
			r := s.do(t, "POST", "/scim/v2/Bulk", map[string]any{
				"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
				"Operations": []any{map[string]any{"method": "POST", "path": "/Users", "bulkId": "b1",
					"data": userBody("bulk.user@example.com", nil)}},
			})
			if r.Status != http.StatusOK {
				t.Fatalf("POST /Bulk (advertised as supported): %d %s", r.Status, r.Body)
			}
			expectJSON(t, r.JSON(t), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkResponse"],"Operations":[{"bulkId":"b1","status":"201"}]}`)
		})
		t.Run("Me is 501", func(t *testing.T) {
			for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
				var body any
				if m != "GET" && m != "DELETE" {
					body = userBody("me@example.com", nil)
				}
				mustSCIMError(t, s.do(t, m, "/scim/v2/Me", body), http.StatusNotImplemented)
			}
		})
		t.Run("unknown schema is 404", func(t *testing.T) {
			mustSCIMError(t, s.do(t, "GET", "/scim/v2/Schemas/"+url.PathEscape("urn:nope"), nil), http.StatusNotFound)
			mustSCIMError(t, s.do(t, "GET", "/scim/v2/ResourceTypes/Nope", nil), http.StatusNotFound)
		})
	})
}
