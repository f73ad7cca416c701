package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// Helpers on top of harness_test.go shared by the end-to-end tests.

const (
	errorSchema  = "urn:ietf:params:scim:api:messages:2.0:Error"
	listSchema   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	patchSchema  = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	userSchema   = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchema  = "urn:ietf:params:scim:schemas:core:2.0:Group"
	entSchema    = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	searchSchema = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// logTail returns the last n lines of the server log, for failure
// messages; if the process crashed, the crash message and its first
// scimd stack frames come first.
func (s *server) logTail(n int) string {
	all := s.stderr.String()
	lines := strings.Split(strings.TrimRight(all, "\n"), "\n")
	var crash []string
	for i, l := range lines {
		if strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "panic:") {
			crash = append(crash, "CRASH: "+l)
			for _, f := range lines[i+1:] {
				if strings.Contains(f, "scimd/scimd/") || strings.Contains(f, "elimity-com/scim") {
					crash = append(crash, "  "+strings.TrimSpace(f))
				}
				if len(crash) > 12 {
					break
				}
			}
			break
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(append(crash, lines...), "\n")
}

// adminDo sends a request to the admin API with the admin token.
func (s *server) adminDo(t testing.TB, method, path string, body any) *response {
	t.Helper()
	return s.doToken(t, s.Admin, method, path, body)
}

// newToken creates a token for tenant with scopes through the admin API
// and returns its id and secret.
func (s *server) newToken(t testing.TB, tenant string, scopes ...string) (id, token string) {
	t.Helper()
	r := s.adminDo(t, "POST", "/admin/v1/tenants/"+url.PathEscape(tenant)+"/tokens",
		map[string]any{"scopes": scopes, "description": "e2e"})
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		t.Fatalf("create token for %s: %d %s", tenant, r.Status, r.Body)
	}
	m := r.JSON(t)
	id, token = fmt.Sprint(m["id"]), fmt.Sprint(m["token"])
	if token == "" || m["token"] == nil {
		t.Fatalf("create token: no token in %s", r.Body)
	}
	return id, token
}

// newTenant creates tenant name through the admin API and returns a token
// holding every scope.
func (s *server) newTenant(t testing.TB, name string) string {
	t.Helper()
	r := s.adminDo(t, "POST", "/admin/v1/tenants", map[string]any{"name": name})
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		t.Fatalf("create tenant %s: %d %s", name, r.Status, r.Body)
	}
	_, tok := s.newToken(t, name, "users:read", "users:manage", "groups:read", "groups:manage", "tenant:manage")
	return tok
}

// scimErrorProblems lists how r fails to be a SCIM error with the given
// status (and, when scimTypes is not empty, one of these scimTypes).
func scimErrorProblems(r *response, status int, scimTypes ...string) []string {
	var out []string
	if r.Status != status {
		out = append(out, fmt.Sprintf("status %d, want %d", r.Status, status))
		if r.Status < 400 {
			return out // a success: the body is not an error at all
		}
	}
	if r.Status >= 500 && status < 500 {
		out = append(out, "5xx is never acceptable for client input")
	}
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/scim+json") && !strings.HasPrefix(ct, "application/json") {
		out = append(out, fmt.Sprintf("Content-Type %q, want application/scim+json", ct))
	}
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		return append(out, fmt.Sprintf("body is not a JSON object: %v", err))
	}
	if !slices.Contains(toStrings(m["schemas"]), errorSchema) {
		out = append(out, fmt.Sprintf("schemas %v lacks %s", m["schemas"], errorSchema))
	}
	if st, ok := m["status"].(string); !ok || st != fmt.Sprint(r.Status) {
		out = append(out, fmt.Sprintf("status member %#v, want the string %q", m["status"], fmt.Sprint(r.Status)))
	}
	if len(scimTypes) > 0 {
		st, _ := m["scimType"].(string)
		if !slices.Contains(scimTypes, st) {
			out = append(out, fmt.Sprintf("scimType %q, want one of %v", st, scimTypes))
		}
	}
	return out
}

// mustSCIMError fails t unless r is a SCIM error with status (and scimType).
func mustSCIMError(t testing.TB, r *response, status int, scimTypes ...string) {
	t.Helper()
	if p := scimErrorProblems(r, status, scimTypes...); len(p) > 0 {
		t.Errorf("not the expected SCIM error: %s\nbody: %s", strings.Join(p, "; "), r.Body)
	}
}

func toStrings(v any) []string {
	a, _ := v.([]any)
	out := make([]string, 0, len(a))
	for _, e := range a {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// send issues req with its own client timeout (so a hanging server fails
// the test instead of blocking it).
func (s *server) send(t testing.TB, req *http.Request, timeout time.Duration) (*response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), timeout)
	defer cancel()
	resp, err := http.DefaultTransport.RoundTrip(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// try is do for goroutines: it never calls t.Fatal. A transport error
// (e.g. the server died) comes back as status 0 with the error as body.
func (s *server) try(method, path string, body any, hdr ...string) *response {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return &response{Body: []byte(err.Error())}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		return &response{Body: []byte(err.Error())}
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return &response{Body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// q builds a query string with %20 for spaces, as IdPs send it.
func q(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[i]))
		b.WriteByte('=')
		b.WriteString(strings.ReplaceAll(url.QueryEscape(kv[i+1]), "+", "%20"))
	}
	return "?" + b.String()
}

// user is a compact way to build a User body.
func userBody(userName string, extra map[string]any) map[string]any {
	m := map[string]any{"schemas": []string{userSchema}, "userName": userName}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// createUser POSTs a user and returns the decoded response body.
func (s *server) createUser(t testing.TB, userName string, extra map[string]any) map[string]any {
	t.Helper()
	return s.must(t, http.StatusCreated, "POST", "/scim/v2/Users", userBody(userName, extra)).JSON(t)
}

// createGroup POSTs a group with the given member ids.
func (s *server) createGroup(t testing.TB, displayName string, members ...string) map[string]any {
	t.Helper()
	ms := make([]map[string]any, 0, len(members))
	for _, id := range members {
		ms = append(ms, map[string]any{"value": id})
	}
	return s.must(t, http.StatusCreated, "POST", "/scim/v2/Groups",
		map[string]any{"schemas": []string{groupSchema}, "displayName": displayName, "members": ms}).JSON(t)
}

// patchOps builds a PatchOp body.
func patchOps(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{patchSchema}, "Operations": ops}
}

// seedUsers creates n users named prefix0000… and returns their ids in
// name order. It writes sequentially on purpose: seeding is not what the
// callers test, and concurrency has its own test (concurrency_test.go).
func (s *server) seedUsers(t testing.TB, prefix string, n int, extra func(i int) map[string]any) []string {
	t.Helper()
	ids := make([]string, n)
	for i := 0; i < n; i++ {
		var ex map[string]any
		if extra != nil {
			ex = extra(i)
		}
		r := s.do(t, "POST", "/scim/v2/Users", userBody(fmt.Sprintf("%s%04d", prefix, i), ex))
		if r.Status != http.StatusCreated {
			t.Fatalf("seed user %d: %d %s", i, r.Status, r.Body)
		}
		var m map[string]any
		_ = json.Unmarshal(r.Body, &m)
		ids[i], _ = m["id"].(string)
	}
	return ids
}

// list GETs path (a list URL) and returns the decoded ListResponse.
func (s *server) list(t testing.TB, path string) map[string]any {
	t.Helper()
	return s.must(t, http.StatusOK, "GET", path, nil).JSON(t)
}

// resourceIDs returns the ids of a ListResponse's Resources, in order.
func resourceIDs(lr map[string]any) []string {
	var out []string
	for _, r := range lookupAll(lr, "Resources.*.id") {
		out = append(out, fmt.Sprint(r))
	}
	return out
}

// expectJSON fails t when got does not match the JSON pattern want (see
// the rules in jsonmatch_test.go).
func expectJSON(t testing.TB, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad pattern %s: %v", want, err)
	}
	if errs := match(w, got, "$"); len(errs) > 0 {
		t.Errorf("response does not match %s:\n  %s\nresponse: %s", want, strings.Join(errs, "\n  "), short(got))
	}
}
