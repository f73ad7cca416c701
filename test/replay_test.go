package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// TestIdPReplay replays every provisioning cycle under testdata/idp/<idp>/
// against a fresh server, once per database kind. A new file is a new test.
//
// A file is {"description": "...", "headers": {...}, "steps": [step, ...]}
// (headers go with every step); a step is
//
//	name          what the IdP is doing
//	method, path  the request; path may hold {var}; its query is sent
//	              percent-encoded with %20 for spaces, as Entra and Okta do
//	              (write it readable: ?filter=userName eq "{u}")
//	headers       extra request headers ({var} allowed)
//	token         "" = the tenant token; "none" = no Authorization header
//	body          JSON (may hold {var} inside strings)
//	status        expected status: a number, or a list of acceptable ones
//	capture       {"var": "json.path"} or {"var": "header:Name"}; runs
//	              before expect, so expect may use what it captured
//	expect        JSON pattern the response body must match (rules in
//	              jsonmatch_test.go: objects/arrays as subsets, $exact,
//	              $ordered, $empty, $absent, $ne, $type, $regex, ...)
//	expectHeaders {"Header": pattern} (string patterns and operators)
//	expectAbsent  paths that must not resolve in the response ("*" fans
//	              out over arrays: "Resources.*.password")
//
// Built-in variables: {baseURL} (the server's http://127.0.0.1:port) and
// any {rand…} name (a fresh random hex string per run, stable within it).
// Every response is also checked generically: a body is
// application/scim+json, a 4xx/5xx body is a SCIM error whose status is
// the HTTP status as a string.
func TestIdPReplay(t *testing.T) {
	files, err := filepath.Glob("testdata/idp/*/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no replay files under testdata/idp")
	}
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		for _, file := range files {
			name := strings.TrimSuffix(filepath.ToSlash(strings.TrimPrefix(file, "testdata/idp/")), ".json")
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				cycle := loadReplay(t, file)
				s := startServer(t, serverOpts{kind: kind})
				runReplay(t, s, cycle)
			})
		}
	})
}

type replayFile struct {
	Description string            `json:"description"`
	Headers     map[string]string `json:"headers"` // sent with every step (a step's own headers win)
	Steps       []replayStep      `json:"steps"`
}

type replayStep struct {
	Name          string                     `json:"name"`
	Method        string                     `json:"method"`
	Path          string                     `json:"path"`
	Token         string                     `json:"token"`
	Headers       map[string]string          `json:"headers"`
	Body          json.RawMessage            `json:"body"`
	Status        statusSet                  `json:"status"`
	Capture       map[string]string          `json:"capture"`
	Expect        json.RawMessage            `json:"expect"`
	ExpectHeaders map[string]json.RawMessage `json:"expectHeaders"`
	ExpectAbsent  []string                   `json:"expectAbsent"`
}

// statusSet is a status code or a list of acceptable ones.
type statusSet []int

func (s *statusSet) UnmarshalJSON(b []byte) error {
	var one int
	if err := json.Unmarshal(b, &one); err == nil {
		*s = statusSet{one}
		return nil
	}
	var many []int
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("status: want a number or a list of numbers: %w", err)
	}
	*s = many
	return nil
}

func (s statusSet) has(code int) bool {
	for _, c := range s {
		if c == code {
			return true
		}
	}
	return false
}

func loadReplay(t *testing.T, file string) replayFile {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields() // a misspelt key must not silently skip a check
	var f replayFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for i, st := range f.Steps {
		if st.Method == "" || st.Path == "" || len(st.Status) == 0 {
			t.Fatalf("%s: step %d (%s) needs method, path and status", file, i+1, st.Name)
		}
	}
	return f
}

func runReplay(t *testing.T, s *server, f replayFile) {
	vars := map[string]string{"baseURL": s.URL}
	for i, st := range f.Steps {
		label := fmt.Sprintf("step %d %q: %s %s", i+1, st.Name, st.Method, st.Path)
		if len(f.Headers) > 0 {
			h := make(map[string]string, len(f.Headers)+len(st.Headers))
			for k, v := range f.Headers {
				h[k] = v
			}
			for k, v := range st.Headers {
				h[k] = v
			}
			st.Headers = h
		}
		if !runStep(t, s, st, vars, label) {
			t.Fatalf("%s: stopping the cycle here (later steps depend on it)\nserver log (tail):\n%s", label, s.logTail(15))
		}
	}
}

// runStep sends one step and checks it; false when later steps cannot run.
func runStep(t *testing.T, s *server, st replayStep, vars map[string]string, label string) bool {
	t.Helper()
	path, err := substitute(st.Path, vars, identity)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	target := encodePath(path)
	if target != st.Path {
		label += " (sent " + target + ")"
	}
	var body []byte
	if len(st.Body) > 0 {
		b, err := substitute(string(st.Body), vars, jsonEscape)
		if err != nil {
			t.Fatalf("%s: body: %v", label, err)
		}
		body = []byte(b)
	}
	req, err := http.NewRequest(st.Method, s.URL+target, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	if body == nil {
		req.Body = http.NoBody
		req.ContentLength = 0
	} else {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	switch st.Token {
	case "":
		req.Header.Set("Authorization", "Bearer "+s.Token)
	case "none":
	default:
		tok, err := substitute(st.Token, vars, identity)
		if err != nil {
			t.Fatalf("%s: token: %v", label, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range st.Headers {
		v, err := substitute(v, vars, identity)
		if err != nil {
			t.Fatalf("%s: header %s: %v", label, k, err)
		}
		req.Header.Set(k, v)
	}
	r, err := s.send(t, req, 60*time.Second)
	if err != nil {
		t.Errorf("%s: %v", label, err)
		return false
	}
	var doc any
	if len(bytes.TrimSpace(r.Body)) > 0 {
		if err := json.Unmarshal(r.Body, &doc); err != nil {
			t.Errorf("%s: response body is not JSON (%d): %v\n%s", label, r.Status, err, r.Body)
			return false
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
			t.Errorf("%s: Content-Type %q, want application/scim+json", label, ct)
		}
	}
	if !st.Status.has(r.Status) {
		t.Errorf("%s: status %d, want %v\nresponse: %s", label, r.Status, []int(st.Status), r.Body)
		return false
	}
	if r.Status >= 400 {
		if p := scimErrorProblems(r, r.Status); len(p) > 0 {
			t.Errorf("%s: error response is not a SCIM error: %s\n%s", label, strings.Join(p, "; "), r.Body)
		}
	}
	ok := true
	for name, from := range st.Capture {
		var v any
		var found bool
		if h, isHeader := strings.CutPrefix(from, "header:"); isHeader {
			v, found = r.Header.Get(h), r.Header.Get(h) != ""
		} else {
			v, found = lookup(doc, from)
		}
		if !found || v == nil {
			t.Errorf("%s: capture %s: nothing at %q in %s", label, name, from, r.Body)
			ok = false
			continue
		}
		if str, isStr := v.(string); isStr {
			vars[name] = str
		} else {
			raw, _ := json.Marshal(v)
			vars[name] = string(raw)
		}
	}
	if len(st.Expect) > 0 {
		w, err := substitute(string(st.Expect), vars, jsonEscape)
		if err != nil {
			t.Fatalf("%s: expect: %v", label, err)
		}
		var want any
		if err := json.Unmarshal([]byte(w), &want); err != nil {
			t.Fatalf("%s: expect is not JSON: %v", label, err)
		}
		if doc == nil {
			t.Errorf("%s: expected a body matching %s, got none", label, w)
		} else if errs := match(want, doc, "$"); len(errs) > 0 {
			t.Errorf("%s:\n  %s\nresponse: %s", label, strings.Join(errs, "\n  "), r.Body)
		}
	}
	for h, pat := range st.ExpectHeaders {
		w, err := substitute(string(pat), vars, jsonEscape)
		if err != nil {
			t.Fatalf("%s: expectHeaders %s: %v", label, h, err)
		}
		var want any
		if err := json.Unmarshal([]byte(w), &want); err != nil {
			t.Fatalf("%s: expectHeaders %s is not JSON: %v", label, h, err)
		}
		vals := r.Header.Values(h)
		var got any
		if len(vals) > 0 {
			got = vals[0]
		}
		errs := match(map[string]any{h: want}, headerDoc(h, vals), "headers")
		if len(errs) > 0 {
			t.Errorf("%s: header %s = %v: %s", label, h, got, strings.Join(errs, "; "))
		}
	}
	for _, p := range st.ExpectAbsent {
		if got := lookupAll(doc, p); len(got) > 0 {
			t.Errorf("%s: %q must not be in the response, found %s", label, p, short(got))
		}
	}
	return ok
}

func headerDoc(name string, vals []string) map[string]any {
	if len(vals) == 0 {
		return map[string]any{}
	}
	return map[string]any{name: vals[0]}
}

// encodePath percent-encodes the query of a readable path (spaces as %20,
// quotes, brackets), leaving already-encoded sequences alone.
func encodePath(p string) string {
	base, query, ok := strings.Cut(p, "?")
	if !ok {
		return p
	}
	var parts []string
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.PathUnescape(v); err == nil {
			v = dv
		}
		parts = append(parts, url.QueryEscape(k)+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
	}
	return base + "?" + strings.Join(parts, "&")
}

// TestReplayFilesWellFormed checks every replay file decodes, so a broken
// golden file fails loudly even when the server is not reachable.
func TestReplayFilesWellFormed(t *testing.T) {
	err := filepath.WalkDir("testdata/idp", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if filepath.Ext(p) != ".json" {
			t.Errorf("%s: replay files must be .json", p)
			return nil
		}
		t.Run(p, func(t *testing.T) { loadReplay(t, p) })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
