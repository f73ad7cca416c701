package test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// TestOpsEndpoints: /healthz, /readyz and /metrics answer without a SCIM
// token; /metrics counts requests.
func TestOpsEndpoints(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		s.must(t, http.StatusOK, "GET", "/scim/v2/Users", nil)
		cases := []struct {
			path     string
			contains []string
		}{
			{"/healthz", nil},
			{"/readyz", nil},
			{"/metrics", []string{"scimd_http_requests_total"}},
		}
		for _, c := range cases {
			t.Run(c.path, func(t *testing.T) {
				r := s.doToken(t, "", "GET", c.path, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				for _, want := range c.contains {
					if !strings.Contains(string(r.Body), want) {
						t.Errorf("%s lacks %q", c.path, want)
					}
				}
			})
		}
		t.Run("request counter has samples", func(t *testing.T) {
			body := string(s.doToken(t, "", "GET", "/metrics", nil).Body)
			re := regexp.MustCompile(`(?m)^scimd_http_requests_total\{[^}]*\} ([0-9.e+]+)$`)
			m := re.FindAllStringSubmatch(body, -1)
			if len(m) == 0 {
				t.Fatalf("no scimd_http_requests_total samples in:\n%s", grepLines(body, "scimd_"))
			}
			if !strings.Contains(body, `status="200"`) && !strings.Contains(body, `code="200"`) {
				t.Errorf("no sample for status 200:\n%s", grepLines(body, "scimd_http_requests_total"))
			}
		})
		// serve's garbage-collector default (cmd/scimd/gc.go), unless the
		// environment sets GOGC.
		t.Run("GC target", func(t *testing.T) {
			want := "go_gc_gogc_percent 200"
			if v := os.Getenv("GOGC"); v != "" {
				want = "go_gc_gogc_percent " + v
			}
			body := string(s.doToken(t, "", "GET", "/metrics", nil).Body)
			if !strings.Contains(body, want+"\n") {
				t.Errorf("/metrics lacks %q:\n%s", want, grepLines(body, "gogc"))
			}
		})
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestGracefulShutdown: SIGTERM while requests are in flight lets them
// finish (a slowly uploaded POST and a large list), refuses new
// connections, and the process exits 0.
func TestGracefulShutdown(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind})
		s.seedUsers(t, "shutdown", 1000, func(i int) map[string]any {
			return map[string]any{"displayName": strings.Repeat("d", 200), "emails": []any{map[string]any{"value": fmt.Sprintf("s%d@example.com", i), "type": "work"}}}
		})

		// A POST whose body arrives in two halves, SIGTERM in between: the
		// request is certainly in flight when the signal lands.
		body := []byte(`{"schemas":["` + userSchema + `"],"userName":"inflight@example.com","displayName":"In Flight"}`)
		pr, pw := io.Pipe()
		req, _ := http.NewRequest("POST", s.URL+"/scim/v2/Users", pr)
		req.ContentLength = int64(len(body))
		req.Header.Set("Authorization", "Bearer "+s.Token)
		req.Header.Set("Content-Type", "application/scim+json")
		type result struct {
			r   *response
			err error
		}
		slow := make(chan result, 1)
		go func() {
			r, err := s.send(t, req, 60*time.Second)
			slow <- result{r, err}
		}()
		if _, err := pw.Write(body[:20]); err != nil {
			t.Fatal(err)
		}
		// Large lists, in flight at the same time.
		lists := make(chan result, 4)
		for i := 0; i < 4; i++ {
			go func() {
				lr, _ := http.NewRequest("GET", s.URL+"/scim/v2/Users?count=1000", nil)
				lr.Header.Set("Authorization", "Bearer "+s.Token)
				r, err := s.send(t, lr, 60*time.Second)
				lists <- result{r, err}
			}()
		}
		time.Sleep(300 * time.Millisecond)
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		select {
		case <-s.exited:
			t.Fatalf("the server exited with a request in flight: %v\n%s", s.waitErr, s.logTail(20))
		default:
		}
		if _, err := pw.Write(body[20:]); err != nil {
			t.Fatalf("finish the upload: %v", err)
		}
		pw.Close()

		res := <-slow
		if res.err != nil {
			t.Fatalf("in-flight POST: %v\n%s", res.err, s.logTail(20))
		}
		if res.r.Status != http.StatusCreated {
			t.Errorf("in-flight POST: %d %s", res.r.Status, res.r.Body)
		}
		for i := 0; i < 4; i++ {
			res := <-lists
			if res.err != nil {
				t.Errorf("in-flight list: %v", res.err)
				continue
			}
			if res.r.Status != http.StatusOK {
				t.Errorf("in-flight list: %d %s", res.r.Status, cut(res.r.Body, 200))
				continue
			}
			var lr any = res.r.JSON(t)
			if n := jlen(lr, "Resources"); n != 1000 {
				t.Errorf("in-flight list: %d resources, want 1000", n)
			}
		}
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			t.Fatalf("no exit 30 s after SIGTERM\n%s", s.logTail(20))
		}
		if s.waitErr != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0\n%s", s.waitErr, s.logTail(20))
		}
		if _, err := http.Get(s.URL + "/healthz"); err == nil {
			t.Errorf("still accepting connections after shutdown")
		}

		// The user created during shutdown was committed.
		s2 := startServer(t, serverOpts{kind: kind, dsn: s.DSN})
		expectJSON(t, s2.list(t, "/scim/v2/Users"+q("filter", `userName eq "inflight@example.com"`)), `{"totalResults":1}`)
	})
}
