package test

import (
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeExamples runs the README's SCIM examples — the quick start,
// /Bulk and CSV export shell blocks — command by command against a real
// server, as a reader would paste them: only the server address, the
// `go run ./cmd/scimd` of the CLI (the built binary) and the placeholders
// the README tells the reader to fill in (<id>, <job id>) are replaced.
// curl runs with --fail-with-body, so an HTTP error fails the command.
// Then it checks what the examples did.
func TestReadmeExamples(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(string(raw))
	if len(blocks) < 5 {
		t.Fatalf("found %d runnable README blocks, want the quick start, /Bulk and export ones", len(blocks))
	}
	s := startServer(t, serverOpts{})
	u, _ := url.Parse(s.URL)
	dir := t.TempDir()
	env := append(os.Environ(), "TOKEN="+s.Token, "SCIM="+s.URL+"/scim/v2", "SCIMD_URL="+s.URL)
	placeholders := map[string]func() string{
		"<id>": func() string {
			return jstr(firstResource(t, s, "/scim/v2/Users"+q("filter", `userName eq "bjensen@example.com"`)), "id")
		},
		"<job id>": func() string { return jstr(firstResource(t, s, "/scim/v2/Jobs?count=1"), "id") },
	}
	for _, b := range blocks {
		for _, cmd := range shellCommands(b) {
			for ph, value := range placeholders {
				if strings.Contains(cmd, ph) {
					cmd = strings.ReplaceAll(cmd, ph, value())
				}
			}
			cmd = strings.ReplaceAll(cmd, "go run ./cmd/scimd", binary)
			cmd = strings.ReplaceAll(cmd, "localhost:8080", u.Host)
			c := exec.Command("bash", "-o", "pipefail", "-c", "curl() { command curl --fail-with-body \"$@\"; }\n"+cmd)
			c.Dir, c.Env = dir, env
			var out bytes.Buffer
			c.Stdout, c.Stderr = &out, &out
			if err := c.Run(); err != nil {
				t.Fatalf("README command failed (%v):\n%s\noutput:\n%s", err, cmd, out.String())
			}
		}
	}

	// What the examples did.
	if n := s.totalResults(t, "/scim/v2/Users"+q("filter", `userName eq "bjensen@example.com"`)); n != 0 {
		t.Errorf("bjensen still exists after the README's DELETE")
	}
	for _, name := range []string{"alice", "bob", "carol@example.com"} {
		if n := s.totalResults(t, "/scim/v2/Users"+q("filter", `userName eq "`+name+`"`)); n != 1 {
			t.Errorf("user %s: %d found, want 1", name, n)
		}
	}
	eng := firstResource(t, s, "/scim/v2/Groups"+q("filter", `displayName eq "Engineering"`))
	if m, _ := eng["members"].([]any); len(m) != 2 {
		t.Errorf("group Engineering has %d members, want alice and bob: %v", len(m), eng["members"])
	}
	sales := firstResource(t, s, "/scim/v2/Groups"+q("filter", `displayName eq "Sales"`))
	if m, _ := sales["members"].([]any); len(m) != 1 {
		t.Errorf("the /Bulk example's group Sales has members %v, want carol", sales["members"])
	}
	for file, header := range map[string]string{
		"users-export.csv": "id,userName,", "engineering.csv": "id,userName,", "users.csv": "",
		"groups.csv": "",
	} {
		raw, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Errorf("the README examples wrote no %s: %v", file, err)
			continue
		}
		if !strings.HasPrefix(strings.TrimPrefix(string(raw), "\ufeff"), header) || len(bytes.Split(raw, []byte("\n"))) < 2 {
			t.Errorf("%s: %.200q, want a %q… header and rows", file, raw, header)
		}
	}
}

// firstResource returns the first resource of a list response.
func firstResource(t testing.TB, s *server, path string) map[string]any {
	t.Helper()
	rs, _ := s.list(t, path)["Resources"].([]any)
	if len(rs) == 0 {
		t.Fatalf("GET %s: no resources", path)
	}
	m, _ := rs[0].(map[string]any)
	return m
}

// readmeBlocks returns the README's shell blocks that speak to the SCIM
// API of the default tenant ($SCIM or `scimd import|export`), leaving out
// the admin API, second-tenant and cursor examples (placeholders a reader
// fills from earlier answers of another server).
func readmeBlocks(readme string) []string {
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(readme, -1) {
		b := m[1]
		runnable := strings.Contains(b, "$SCIM") || regexp.MustCompile(`scimd (import|export) `).MatchString(b)
		skip := strings.Contains(b, "$TARGET_TOKEN") || strings.Contains(b, "cursor=") || strings.Contains(b, "$A")
		if runnable && !skip {
			out = append(out, b)
		}
	}
	return out
}

// shellCommands splits a shell block into commands: a command goes on
// over lines ending in "\", over an open quote and over a here-document;
// comments are dropped.
func shellCommands(block string) []string {
	var cmds []string
	var cur strings.Builder
	inSingle, inDouble := false, false
	heredoc := ""
	hd := regexp.MustCompile(`<<-?'?([A-Za-z_]+)'?`)
	for _, line := range strings.Split(block, "\n") {
		if cur.Len() == 0 {
			if tl := strings.TrimSpace(line); tl == "" || strings.HasPrefix(tl, "#") {
				continue
			}
		}
		if heredoc != "" {
			cur.WriteString(line + "\n")
			if strings.TrimSpace(line) == heredoc {
				heredoc = ""
				cmds = append(cmds, cur.String())
				cur.Reset()
			}
			continue
		}
		code := line
	scan:
		for i, c := range line {
			switch {
			case c == '\'' && !inDouble:
				inSingle = !inSingle
			case c == '"' && !inSingle:
				inDouble = !inDouble
			case c == '#' && !inSingle && !inDouble:
				code = line[:i] // a trailing comment
				break scan
			}
		}
		line = strings.TrimRight(code, " ")
		cur.WriteString(line + "\n")
		if inSingle || inDouble {
			continue
		}
		if m := hd.FindStringSubmatch(line); m != nil {
			heredoc = m[1]
			continue
		}
		if !strings.HasSuffix(line, "\\") {
			cmds = append(cmds, cur.String())
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		cmds = append(cmds, cur.String())
	}
	return cmds
}
