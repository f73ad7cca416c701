package test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/testdb"
)

// Files that cannot be imported at all (SPEC §5): refused at once with a
// 4xx SCIM error naming the problem, no job created, no 5xx, no hang; and
// files whose problems only show row by row: a bad row fails that row only.

// refusalSmallLimit is the --import-max-size of the server the size
// refusals run against. It is larger than the 2 MiB the upload handler
// reads before creating the job, so the limit is hit both while checking
// the header and while storing the file.
const refusalSmallLimit = 3 << 20

type importRefusal struct {
	name      string
	params    string
	body      func() []byte
	multipart bool   // send as multipart/form-data field "file"
	chunked   bool   // no Content-Length
	small     bool   // against the server with --import-max-size 3MiB
	token     string // "users": a token with users:manage only
	status    int
	detail    []string // substrings of the error detail (case-insensitive)
}

func constBody(s string) func() []byte { return func() []byte { return []byte(s) } }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	b[n/2] = 0 // surely binary
	return b
}

// paddedFile is a valid native file of about size bytes.
func paddedFile(size int) func() []byte {
	return func() []byte {
		var b bytes.Buffer
		b.WriteString("userName,title\n")
		for i := 0; b.Len() < size; i++ {
			fmt.Fprintf(&b, "pad%09d@example.com,%s\n", i, strings.Repeat("t", 60))
		}
		return b.Bytes()
	}
}

var importRefusals = []importRefusal{
	{name: "binary garbage", body: func() []byte { return randomBytes(4096) }, status: 400, detail: []string{"not a CSV"}},
	{name: "xlsx (zip) upload", body: func() []byte { return append([]byte("PK\x03\x04\x14\x00\x06\x00"), randomBytes(2048)...) }, status: 400, detail: []string{"not a CSV"}},
	{name: "JSON instead of CSV", body: constBody(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x"}`), status: 400, detail: []string{"not a CSV"}},
	{name: "Latin-1", body: constBody("userName,name.givenName\nj\xe9r\xf4me,J\xe9r\xf4me\n"), status: 400, detail: []string{"not a UTF-8", "line 2"}},
	{name: "UTF-16 with BOM", body: constBody("\xff\xfeu\x00s\x00e\x00r\x00N\x00a\x00m\x00e\x00\n\x00"), status: 400, detail: []string{"UTF-16"}},
	{name: "UTF-16 without BOM", body: constBody("u\x00s\x00e\x00r\x00N\x00a\x00m\x00e\x00\n\x00a\x00\n\x00"), status: 400, detail: []string{"NUL"}},
	{name: "empty file", body: constBody(""), status: 400, detail: []string{"empty"}},
	{name: "BOM only", body: constBody("\xef\xbb\xbf"), status: 400, detail: []string{"empty"}},
	{name: "blank lines only", body: constBody("\r\n\n   \n"), status: 400, detail: []string{"empty"}},
	{name: "empty multipart file", body: constBody(""), multipart: true, status: 400, detail: []string{"empty"}},
	{name: "unknown native column", body: constBody("userName,name.givnName\nx,y\n"), status: 400, detail: []string{"name.givnName"}},
	{name: "unknown column among valid ones", body: constBody("userName,title,departement,active\nx,y,z,true\n"), status: 400, detail: []string{"departement"}},
	{name: "multi-valued column without index", body: constBody("userName,emails.value\nx,x@example.com\n"), status: 400, detail: []string{"emails.value", "index"}},
	{name: "read-only column", body: constBody("userName,meta.created\nx,2024-01-01T00:00:00Z\n"), status: 400, detail: []string{"meta.created", "read-only"}},
	{name: "duplicated column", body: constBody("userName,title,USERNAME\nx,y,z\n"), status: 400, detail: []string{"duplicated", "userName"}},
	{name: "duplicated column in the multipart form", body: constBody("userName,title,title\nx,y,z\n"), multipart: true, status: 400, detail: []string{"duplicated", "title"}},
	{name: "column without a name", body: constBody("userName,,title\nx,,y\n"), status: 400, detail: []string{"column 2"}},
	{name: "native file without userName", body: constBody("name.givenName,title\nx,y\n"), status: 400, detail: []string{"userName"}},
	{name: "matchBy=externalId without the column", params: "matchBy=externalId", body: constBody("userName,title\nx,y\n"), status: 400, detail: []string{"externalId"}},
	{name: "matchBy=emails without an e-mail column", params: "matchBy=emails", body: constBody("userName,title\nx,y\n"), status: 400, detail: []string{"emails[0].value"}},
	{name: "SAP file without lastName", body: constBody("status,loginName,mail,firstName\nactive,a,a@example.com,A\n"), status: 400, detail: []string{"lastName"}},
	{name: "SAP file without mail", body: constBody("status,loginName,lastName\nactive,a,A\n"), status: 400, detail: []string{"mail"}},
	{name: "IDaaS file without organizationalUnitPath", body: constBody("username,displayName,email,phoneRegion,phoneNumber\na,A,a@example.com,86,1\n"), status: 400, detail: []string{"organizationalUnitPath"}},
	{name: "IDaaS file without username", body: constBody("displayName,organizationalUnitPath\nA,Co\n"), status: 400, detail: []string{"username"}},
	{name: "IDaaS phoneNumber without phoneRegion column", body: constBody("username,organizationalUnitPath,phoneNumber\na,Co,1\n"), status: 400, detail: []string{"phoneRegion"}},
	{name: "undefined customFieldMap key", body: constBody("username,organizationalUnitPath,customFieldMap.nope\na,Co,1\n"), status: 400, detail: []string{"customFieldMap.nope"}},
	{name: "unknown IDaaS column", body: constBody("username,organizationalUnitPath,mobile\na,Co,1\n"), status: 400, detail: []string{"mobile"}},
	{name: "100,000-column header", body: func() []byte {
		var b bytes.Buffer
		b.WriteString("userName")
		for i := 0; i < 100_000; i++ {
			fmt.Fprintf(&b, ",c%d", i)
		}
		b.WriteString("\nx\n")
		return b.Bytes()
	}, status: 400, detail: []string{"too many columns"}},
	{name: "header row over the row size limit", body: func() []byte {
		return []byte("userName,\"" + strings.Repeat("x", 3<<20) + "\"\nx,y\n")
	}, status: 400, detail: []string{"header row is longer"}},
	{name: "header with an unterminated quote", body: constBody("userName,\"title\nx,y\n"), status: 400, detail: []string{"not a CSV"}},
	{name: "bad mode", params: "mode=merge", body: constBody("userName\nx\n"), status: 400, detail: []string{"mode", "merge"}},
	{name: "bad matchBy", params: "matchBy=phone", body: constBody("userName\nx\n"), status: 400, detail: []string{"matchBy", "phone"}},
	{name: "bad dryRun", params: "dryRun=maybe", body: constBody("userName\nx\n"), status: 400, detail: []string{"dryRun"}},
	{name: "bad emptyCells", params: "emptyCells=zero", body: constBody("userName\nx\n"), status: 400, detail: []string{"emptyCells"}},
	{name: "bad groups", params: "groups=yes", body: constBody("userName,groups\nx,g\n"), status: 400, detail: []string{"groups"}},
	{name: "description over 1000 characters", params: "description=" + strings.Repeat("d", 1001), body: constBody("userName\nx\n"), status: 400, detail: []string{"description"}},
	{name: "groups column without groups:manage", token: "users", body: constBody("userName,groups\nx,g\n"), status: 403, detail: []string{"groups:manage"}},
	{name: "over the size limit with Content-Length", small: true, body: paddedFile(4 << 20), status: 413, detail: []string{"limit"}},
	{name: "over the size limit, chunked", small: true, chunked: true, body: paddedFile(4 << 20), status: 413, detail: []string{"limit"}},
	{name: "far over the size limit, chunked", small: true, chunked: true, body: paddedFile(24 << 20), status: 413, detail: []string{"limit"}},
	{name: "over the size limit, multipart", small: true, multipart: true, body: paddedFile(4 << 20), status: 413, detail: []string{"limit"}},
	{name: "over the size limit, multipart chunked", small: true, multipart: true, chunked: true, body: paddedFile(4 << 20), status: 413, detail: []string{"limit"}},
}

// sendImport uploads body as the client would (text/csv or multipart,
// with or without Content-Length) with a deadline of its own.
func sendImport(t testing.TB, s *server, token, params string, body []byte, asMultipart, chunked bool) (*response, error) {
	t.Helper()
	ct := "text/csv"
	if asMultipart {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("description", "multipart upload")
		fw, err := mw.CreateFormFile("file", "users.csv")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(body)
		mw.Close()
		body, ct = buf.Bytes(), mw.FormDataContentType()
	}
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(rd) // unknown length: chunked transfer encoding
	}
	path := "/scim/v2/Users/.import"
	if params != "" {
		path += "?" + params
	}
	req, err := http.NewRequest("POST", s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if !chunked {
		req.ContentLength = int64(len(body))
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ct)
	return s.send(t, req, 60*time.Second)
}

func TestImportRefusals(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		dflt := startServer(t, serverOpts{kind: kind, schemasDir: importSchemasDir})
		small := startServer(t, serverOpts{kind: kind, extraArgs: []string{"--import-max-size", fmt.Sprint(refusalSmallLimit)}})
		_, usersOnly := dflt.newToken(t, "default", "users:manage", "users:read")
		for _, c := range importRefusals {
			t.Run(c.name, func(t *testing.T) {
				s := dflt
				if c.small {
					s = small
				}
				tok := s.Token
				if c.token == "users" {
					tok = usersOnly
				}
				jobs, users := s.impJobCount(t), s.impUserCount(t)
				start := time.Now()
				r, err := sendImport(t, s, tok, c.params, c.body(), c.multipart, c.chunked)
				if err != nil {
					t.Fatalf("no answer after %v: %v\nserver log:\n%s", time.Since(start).Round(time.Millisecond), err, s.logTail(20))
				}
				mustSCIMError(t, r, c.status)
				if r.Status >= 400 && r.Status < 500 {
					detail := strings.ToLower(jstr(r.JSON(t), "detail"))
					for _, want := range c.detail {
						if !strings.Contains(detail, strings.ToLower(want)) {
							t.Errorf("detail %q does not name %q", detail, want)
						}
					}
				}
				if n := s.impJobCount(t); n != jobs {
					t.Errorf("a refused upload created a job: %d jobs, %d before", n, jobs)
				}
				if n := s.impUserCount(t); n != users {
					t.Errorf("a refused upload changed the users: %d, %d before", n, users)
				}
			})
		}
		t.Run("servers healthy afterwards", func(t *testing.T) {
			for _, s := range []*server{dflt, small} {
				s.must(t, http.StatusOK, "GET", "/scim/v2/Users?count=1", nil)
				if strings.Contains(s.stderr.String(), "internal error") || strings.Contains(s.stderr.String(), "panic") {
					t.Errorf("server logged an internal error or panic:\n%s", s.logTail(40))
				}
			}
			j := small.runImport(t, "Users", "", paddedFile(refusalSmallLimit-4096)())
			if j.Status != "succeeded" || j.Failed != 0 {
				t.Errorf("a file just under the size limit: %s %q %s", j.Status, j.Error, j.counts())
			}
			// Uploads refused while being stored leave no file chunks
			// behind (the finished job's own file is deleted too).
			db := impOpenDB(t, kind, small.DSN)
			var chunks, jobs int
			if err := db.QueryRow("SELECT COUNT(*) FROM job_files").Scan(&chunks); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow("SELECT COUNT(*) FROM jobs").Scan(&jobs); err != nil {
				t.Fatal(err)
			}
			if chunks != 0 || jobs != 1 {
				t.Errorf("after the refusals and one finished job: %d job_files rows (want 0), %d jobs rows (want 1)", chunks, jobs)
			}
		})
	})
}

// TestImportBadRows: problems that only show row by row fail those rows
// (with a reason) and nothing else; a problem that makes the rest of the
// file unreadable ends the job failed with nothing written.
func TestImportBadRows(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind testdb.Kind) {
		s := startServer(t, serverOpts{kind: kind, extraArgs: []string{"--import-chunk", "100"}})

		t.Run("late invalid bytes and broken rows fail alone", func(t *testing.T) {
			// Past the first 64 KiB the reader no longer refuses the file:
			// a Latin-1 cell, a NUL byte, a stray quote and a short row
			// each fail their row only.
			var b bytes.Buffer
			b.WriteString("userName,title\n")
			n := 0
			row := func(format string, args ...any) { n++; fmt.Fprintf(&b, format+"\n", args...) }
			for b.Len() < 100<<10 {
				row("late%05d,ok", n)
			}
			bad := map[int]string{}
			row("late.latin1,caf\xe9")
			bad[n] = "UTF-8"
			row("late%05d,ok", n)
			row("late.nul,a\x00b")
			bad[n] = "NUL"
			row("late.quote,a\"b")
			bad[n] = "not valid CSV"
			row("late.short")
			bad[n] = "cells"
			row("late%05d,ok", n)
			j := s.runImport(t, "Users", "", b.Bytes())
			rep := s.report(t, j.ID)
			checkJobInvariants(t, j, rep)
			if j.Status != "succeeded" || j.Total != int64(n) || j.Failed != int64(len(bad)) || j.Created != int64(n-len(bad)) {
				t.Fatalf("job: %s %q %s; want succeeded, total %d, %d failed", j.Status, j.Error, j.counts(), n, len(bad))
			}
			for _, l := range rep {
				want, isBad := bad[int(l.Row)]
				switch {
				case isBad && (l.Status != "failed" || !strings.Contains(l.Error, want)):
					t.Errorf("row %d: %s %q, want failed naming %q", l.Row, l.Status, l.Error, want)
				case !isBad && l.Status != "created":
					t.Errorf("row %d: %s %q, want created", l.Row, l.Status, l.Error)
				}
			}
		})

		t.Run("row over the size limit fails the job before any write", func(t *testing.T) {
			users := s.impUserCount(t)
			var b bytes.Buffer
			b.WriteString("userName,title\n")
			for i := 0; i < 500; i++ {
				fmt.Fprintf(&b, "huge%04d,ok\n", i)
			}
			fmt.Fprintf(&b, "huge.row,\"%s\"\n", strings.Repeat("x", 2<<20))
			b.WriteString("huge.after,ok\n")
			j := s.runImport(t, "Users", "", b.Bytes())
			if j.Status != "failed" || !strings.Contains(j.Error, "row 501") {
				t.Errorf("job: %s %q %s; want failed naming row 501", j.Status, j.Error, j.counts())
			}
			if n := s.impUserCount(t); n != users {
				t.Errorf("%d users after a failed job, %d before: rows were written", n, users)
			}
			checkJobInvariants(t, j, s.report(t, j.ID))
		})
	})
}
