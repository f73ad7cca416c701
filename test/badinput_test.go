package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// badInputCase is one file under testdata/badinput/ (a new file is a new
// case):
//
//	description  what is wrong with the request
//	method, path the request; path may hold {uid} / {gid} (a seeded user
//	             and group) and a readable query (encoded like IdPs do)
//	headers      extra request headers
//	body         the raw body, sent byte for byte (may be invalid JSON);
//	             {uid}, {gid} and {pad} (bodyPad × "x") are expanded
//	bodyPad      length of {pad}
//	chunked      send without Content-Length (chunked transfer encoding)
//	status       expected status, a number or a list of acceptable ones
//	scimType     expected scimType: one string or a list of acceptable ones
//
// Every response must be a SCIM error (schemas holds the Error URN, status
// is the HTTP status as a string), never a 5xx, and must arrive before the
// client timeout. The server runs with --max-body 64KiB.
type badInputCase struct {
	Description string            `json:"description"`
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	Headers     map[string]string `json:"headers"`
	Body        *string           `json:"body"`
	BodyPad     int               `json:"bodyPad"`
	Chunked     bool              `json:"chunked"`
	Status      statusSet         `json:"status"`
	ScimType    stringSet         `json:"scimType"`
}

// stringSet is a string or a list of strings.
type stringSet []string

func (s *stringSet) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = stringSet{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*s = many
	return nil
}

const badInputMaxBody = 64 << 10

func loadBadInput(t *testing.T) map[string]badInputCase {
	t.Helper()
	files, err := filepath.Glob("testdata/badinput/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no cases under testdata/badinput")
	}
	out := map[string]badInputCase{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var c badInputCase
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Method == "" || c.Path == "" || len(c.Status) == 0 {
			t.Fatalf("%s: method, path and status are required", f)
		}
		for _, st := range c.Status {
			if st < 400 || st >= 500 {
				t.Fatalf("%s: bad input must expect a 4xx, not %d", f, st)
			}
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = c
	}
	return out
}

// TestBadInput sends every case in testdata/badinput, then checks the
// server still serves.
func TestBadInput(t *testing.T) {
	cases := loadBadInput(t)
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind, extraArgs: []string{"--max-body", "64KiB"}})
		u := s.createUser(t, "bad.input@example.com", map[string]any{"nickName": "Before"})
		g := s.createGroup(t, "Bad Input Group", jstr(u, "id"))
		vars := map[string]string{"uid": jstr(u, "id"), "gid": jstr(g, "id")}
		uBefore := s.must(t, http.StatusOK, "GET", "/scim/v2/Users/"+vars["uid"], nil).JSON(t)
		gBefore := s.must(t, http.StatusOK, "GET", "/scim/v2/Groups/"+vars["gid"], nil).JSON(t)

		// Cases wrongly answered 201 already fail on their own; count them so
		// the final totals only flag writes made by requests that were
		// refused.
		var mu sync.Mutex
		accepted := map[string]int{}
		t.Run("cases", func(t *testing.T) {
			for name, c := range cases {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					r, err := sendBadInput(t, s, c, vars)
					if err != nil {
						t.Fatalf("%s: %s %s: %v (hung or connection dropped)\nserver log (tail):\n%s", c.Description, c.Method, c.Path, err, s.logTail(10))
					}
					if r.Status == http.StatusCreated {
						mu.Lock()
						accepted[c.Path]++
						mu.Unlock()
					}
					want := c.Status[0]
					if c.Status.has(r.Status) {
						want = r.Status
					}
					if p := scimErrorProblems(r, want, c.ScimType...); len(p) > 0 {
						t.Errorf("%s: %s %s:\n  %s\nbody: %s", c.Description, c.Method, c.Path, strings.Join(p, "\n  "), cut(r.Body, 500))
						if r.Status >= 500 {
							t.Logf("server log (tail):\n%s", s.logTail(10))
						}
					}
				})
			}
		})

		t.Run("nothing changed and the server keeps serving", func(t *testing.T) {
			select {
			case <-s.exited:
				t.Fatalf("server exited: %v\n%s", s.waitErr, s.logTail(30))
			default:
			}
			for _, p := range []string{"/healthz", "/readyz"} {
				if r := s.doToken(t, "", "GET", p, nil); r.Status != http.StatusOK {
					t.Errorf("%s: %d", p, r.Status)
				}
			}
			uAfter := s.must(t, http.StatusOK, "GET", "/scim/v2/Users/"+vars["uid"], nil).JSON(t)
			gAfter := s.must(t, http.StatusOK, "GET", "/scim/v2/Groups/"+vars["gid"], nil).JSON(t)
			if jstr(uAfter, "meta.version") != jstr(uBefore, "meta.version") {
				t.Errorf("rejected requests changed the user:\nbefore %s\nafter  %s", short(uBefore), short(uAfter))
			}
			if jstr(gAfter, "meta.version") != jstr(gBefore, "meta.version") {
				t.Errorf("rejected requests changed the group:\nbefore %s\nafter  %s", short(gBefore), short(gAfter))
			}
			expectJSON(t, s.list(t, "/scim/v2/Users"), fmt.Sprintf(`{"totalResults":%d}`, 1+accepted["/scim/v2/Users"]))
			expectJSON(t, s.list(t, "/scim/v2/Groups"), fmt.Sprintf(`{"totalResults":%d}`, 1+accepted["/scim/v2/Groups"]))
			s.createUser(t, "after.bad.input@example.com", nil)
			if strings.Contains(s.stderr.String(), "level=ERROR msg=panic") {
				t.Errorf("the server logged a panic:\n%s", s.logTail(40))
			}
		})

		t.Run("just under the body limit is accepted", func(t *testing.T) {
			head := `{"schemas":["` + userSchema + `"],"userName":"limit@example.com","displayName":"`
			tail := `"}`
			body := head + strings.Repeat("x", badInputMaxBody-len(head)-len(tail)) + tail
			r := s.do(t, "POST", "/scim/v2/Users", body)
			if r.Status != http.StatusCreated {
				t.Errorf("a %d-byte body (the limit): %d %s", len(body), r.Status, cut(r.Body, 300))
			}
		})
	})
}

// TestHostileInput: requests that are valid but built to hurt (deep
// filter nesting, SQL metacharacters, huge filters, concurrent garbage)
// get an answer below 500 and leave the server serving.
func TestHostileInput(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind, extraArgs: []string{"--max-body", "64KiB"}})
		victim := jstr(s.createUser(t, "victim@example.com", nil), "id")
		deep := strings.Repeat("(", 5000) + `userName eq "x"` + strings.Repeat(")", 5000)
		deepNot := strings.Repeat("not (", 2000) + `userName eq "x"` + strings.Repeat(")", 2000)
		long := `userName eq "` + strings.Repeat("a", 20000) + `"`
		var ors []string
		for i := 0; i < 1000; i++ {
			ors = append(ors, fmt.Sprintf(`userName eq "u%d"`, i))
		}
		manyOr := strings.Join(ors, " or ")
		injections := []string{
			`userName eq "x' OR '1'='1"`,
			`userName eq "x\" OR 1=1 --"`,
			`userName eq "'; DROP TABLE scim_users; --"`,
			`userName co "%"`,
			`userName co "_"`,
			`userName sw "\\"`,
			`externalId eq "x\u0000y"`,
			`emails[value co "'"]`,
			`name.familyName eq "\\\"; SELECT 1"`,
		}
		type hostile struct {
			name, method, path string
			body               any
			ok                 bool // 200 allowed (else 4xx only)
		}
		cases := []hostile{
			{"5000 nested parentheses", "GET", "/scim/v2/Users" + q("filter", deep), nil, true},
			{"2000 nested not", "GET", "/scim/v2/Users" + q("filter", deepNot), nil, true},
			{"20 KB string literal", "GET", "/scim/v2/Users" + q("filter", long), nil, true},
			{"1000 or-ed terms", "POST", "/scim/v2/Users/.search", map[string]any{"schemas": []string{searchSchema}, "filter": manyOr}, true},
			{"5000 attributes", "GET", "/scim/v2/Users" + q("attributes", strings.Repeat("userName,", 5000)+"userName"), nil, true},
			{"huge startIndex", "GET", "/scim/v2/Users?startIndex=99999999999999999999", nil, true},
			{"huge count", "GET", "/scim/v2/Users?count=99999999999999999999", nil, true},
			{"startIndex at int64 max", "GET", "/scim/v2/Users?startIndex=9223372036854775807&count=10", nil, true},
		}
		cases = append(cases,
			hostile{"NUL in a created userName", "POST", "/scim/v2/Users", userBody("nul\u0000user@example.com", nil), true},
			hostile{"NUL in a PATCH value", "PATCH", "/scim/v2/Users/" + victim, patchOps(map[string]any{"op": "replace", "path": "displayName", "value": "a\u0000b"}), true},
			hostile{"NUL in a group name", "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "g\u0000g"}, true},
		)
		for _, inj := range injections {
			cases = append(cases, hostile{"injection " + inj, "GET", "/scim/v2/Users" + q("filter", inj), nil, true})
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var rd io.Reader
				if c.body != nil {
					raw, _ := json.Marshal(c.body)
					rd = bytes.NewReader(raw)
				}
				req, _ := http.NewRequest(c.method, s.URL+c.path, rd)
				req.Header.Set("Authorization", "Bearer "+s.Token)
				req.Header.Set("Content-Type", "application/scim+json")
				r, err := s.send(t, req, 20*time.Second)
				if err != nil {
					t.Fatalf("%v\nserver log (tail):\n%s", err, s.logTail(10))
				}
				switch {
				case r.Status >= 200 && r.Status < 300 && c.ok:
					if strings.HasPrefix(c.name, "injection") {
						expectJSON(t, r.JSON(t), `{"totalResults":0}`)
					}
				case r.Status >= 400 && r.Status < 500:
					mustSCIMError(t, r, r.Status)
				default:
					t.Errorf("status %d: %s\nserver log (tail):\n%s", r.Status, cut(r.Body, 300), s.logTail(5))
				}
			})
		}
		t.Run("concurrent garbage", func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make(chan string, 200)
			for i := 0; i < 200; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					bodies := []string{`{`, `{"schemas":[]}`, `[]`, strings.Repeat(`{"a":`, 100), `{"Operations":"x"}`}
					method, path := "POST", "/scim/v2/Users"
					if i%2 == 1 {
						method, path = "PATCH", "/scim/v2/Users/x"
					}
					req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(bodies[i%len(bodies)]))
					req.Header.Set("Authorization", "Bearer "+s.Token)
					req.Header.Set("Content-Type", "application/scim+json")
					r, err := s.send(t, req, 20*time.Second)
					if err != nil {
						errs <- err.Error()
						return
					}
					if p := scimErrorProblems(r, r.Status); r.Status < 400 || r.Status >= 500 || len(p) > 0 {
						errs <- fmt.Sprintf("%s %s %q: %d %s", method, path, bodies[i%len(bodies)], r.Status, cut(r.Body, 200))
					}
				}(i)
			}
			wg.Wait()
			close(errs)
			n := 0
			for e := range errs {
				if n++; n <= 5 {
					t.Error(e)
				}
			}
		})
		t.Run("still serving", func(t *testing.T) {
			expectJSON(t, s.list(t, "/scim/v2/Users"), `{"Resources":[{"userName":"victim@example.com"}]}`)
			s.createUser(t, "after.hostile@example.com", nil)
		})
	})
}

func sendBadInput(t *testing.T, s *server, c badInputCase, vars map[string]string) (*response, error) {
	t.Helper()
	path, err := substitute(c.Path, vars, identity)
	if err != nil {
		t.Fatal(err)
	}
	var body []byte
	if c.Body != nil {
		v := map[string]string{"pad": strings.Repeat("x", c.BodyPad)}
		for k, x := range vars {
			v[k] = x
		}
		b, err := substitute(*c.Body, v, identity)
		if err != nil {
			t.Fatal(err)
		}
		body = []byte(b)
	}
	var rd io.Reader = http.NoBody
	if c.Body != nil {
		rd = bytes.NewReader(body)
		if c.Chunked {
			rd = io.MultiReader(bytes.NewReader(body)) // unknown length: chunked
		}
	}
	req, err := http.NewRequest(c.Method, s.URL+encodePath(path), rd)
	if err != nil {
		t.Fatal(err)
	}
	if c.Chunked {
		req.ContentLength = -1
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	return s.send(t, req, 20*time.Second)
}

func cut(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
