package test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// binary is the scimd executable built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	// SCIMD_TEST_BINARY runs the suite against a prebuilt scimd (e.g. a
	// release build) instead of building ../cmd/scimd.
	if b := os.Getenv("SCIMD_TEST_BINARY"); b != "" {
		abs, err := filepath.Abs(b)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		binary = abs
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "scimd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "scimd")
	build := exec.Command("go", "build", "-o", binary, "../cmd/scimd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build scimd:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running scimd process.
type server struct {
	t       testing.TB
	URL     string // http://127.0.0.1:port
	Token   string // bearer token of tenant "default" with every scope
	Admin   string // admin token
	DSN     string
	cmd     *exec.Cmd
	stderr  *syncBuffer
	exited  chan struct{}
	waitErr error
}

type serverOpts struct {
	kind       testdb.Kind
	dsn        string   // reuse an existing database (restart tests)
	schemasDir string   // --schemas-dir
	extraArgs  []string // more flags
	env        []string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listenRe = regexp.MustCompile(`msg=listening addr=(\S+)`)

const testToken = "scimd_e2e_bootstrap_token_0123456789"
const testAdminToken = "scimd_e2e_admin_token_0123456789"

// startServer starts scimd on 127.0.0.1:0 and waits until it listens.
func startServer(t testing.TB, o serverOpts) *server {
	t.Helper()
	if o.kind == "" {
		o.kind = testdb.SQLite
	}
	if o.dsn == "" {
		o.dsn = testdb.DSN(t, o.kind)
	}
	// Info level: the "listening" line the harness waits for is logged at
	// info, and per-request lines make failure reports useful.
	args := []string{"serve", "--addr", "127.0.0.1:0", "--database", o.dsn,
		"--bootstrap-token", testToken, "--admin-token", testAdminToken, "--log-level", "info"}
	if o.schemasDir != "" {
		args = append(args, "--schemas-dir", o.schemasDir)
	}
	args = append(args, o.extraArgs...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), o.env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, Token: testToken, Admin: testAdminToken, DSN: o.dsn, cmd: cmd, stderr: &syncBuffer{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, stdout)
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderrPipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.stderr.Write([]byte(line + "\n"))
			if m := listenRe.FindStringSubmatch(line); m != nil {
				select {
				case addrc <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { s.waitErr = cmd.Wait(); close(s.exited) }()
	select {
	case addr := <-addrc:
		s.URL = "http://" + addr
	case <-s.exited:
		t.Fatalf("scimd exited before listening: %v\n%s", s.waitErr, s.stderr.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("scimd did not start:\n%s", s.stderr.String())
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// stop sends SIGTERM and waits for a graceful exit.
func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	// Idle keep-alive connections the client dialled but never used look
	// "new" to the server, and http.Server.Shutdown waits 5 s for those.
	client.CloseIdleConnections()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// kill ends the process with SIGKILL (crash simulation).
func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// response is a decoded HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map.
func (r *response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object (%d): %v\n%s", r.Status, err, r.Body)
	}
	return m
}

var client = &http.Client{Timeout: 120 * time.Second}

// do sends a request with the tenant token (or token override) and returns
// the response. body may be nil, []byte, string or any JSON value.
func (s *server) do(t testing.TB, method, path string, body any, hdr ...string) *response {
	t.Helper()
	return s.doToken(t, s.Token, method, path, body, hdr...)
}

func (s *server) doToken(t testing.TB, token, method, path string, body any, hdr ...string) *response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	case io.Reader:
		rd = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v\nserver log:\n%s", method, path, err, s.stderr.String())
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// must asserts the status and returns the response.
func (s *server) must(t testing.TB, want int, method, path string, body any, hdr ...string) *response {
	t.Helper()
	r := s.do(t, method, path, body, hdr...)
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, want, r.Body)
	}
	return r
}

// forEachDB runs f once per database kind (SQLite always, PostgreSQL when
// SCIMD_TEST_POSTGRES_DSN is set).
func forEachDB(t *testing.T, f func(t *testing.T, kind testdb.Kind)) {
	for _, k := range testdb.Kinds() {
		t.Run(string(k), func(t *testing.T) { f(t, k) })
	}
}
