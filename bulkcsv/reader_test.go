package bulkcsv

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func readAll(t *testing.T, rd *Reader) (rows [][]string, errs []error) {
	t.Helper()
	for {
		_, rec, err := rd.Read()
		if err == io.EOF {
			return rows, errs
		}
		if err != nil {
			errs = append(errs, err)
			if IsFileError(err) {
				return rows, errs
			}
			continue
		}
		rows = append(rows, append([]string(nil), rec...))
	}
}

func wantFileError(t *testing.T, err error, contains string) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a *FileError", err, err)
	}
	if !strings.Contains(fe.Msg, contains) {
		t.Fatalf("file error %q does not say %q", fe.Msg, contains)
	}
}

// TestReaderManyColumns: a 100,000-column header is refused at once, in
// linear time, for either delimiter.
func TestReaderManyColumns(t *testing.T) {
	for _, sep := range []string{",", ";"} {
		header := strings.Repeat("userName"+sep, 99_999) + "userName\n"
		input := header + strings.Repeat("x"+sep, 99_999) + "x\n"
		start := time.Now()
		_, err := NewReader(strings.NewReader(input), ReaderOptions{})
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("refusing %d bytes of header took %v", len(header), d)
		}
		wantFileError(t, err, "too many columns")
	}
	// Within the limit is fine.
	header := strings.Repeat("a,", 999) + "a\n"
	rd, err := NewReader(strings.NewReader(header), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Header()) != 1000 {
		t.Fatalf("%d columns", len(rd.Header()))
	}
}

// TestReaderRowTooLong: a row over the size limit ends the file with a
// *FileError, whether it is one long line, a quoted cell spanning many
// short lines, or an unterminated quote; memory stays bounded.
func TestReaderRowTooLong(t *testing.T) {
	const limit = 64 << 10
	cases := map[string]string{
		"long line":           "userName,title\nu1,t1\nu2," + strings.Repeat("x", 3*limit) + "\nu3,t3\n",
		"quoted short lines":  "userName,title\nu1,t1\nu2,\"" + strings.Repeat("line\n", limit) + "\"\nu3,t3\n",
		"unterminated quote":  "userName,title\nu1,t1\nu2,\"" + strings.Repeat("a,b\n", limit),
		"just over the limit": "userName,title\nu1,t1\nu2," + strings.Repeat("y", limit) + "\n",
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			rd, err := NewReader(strings.NewReader(input), ReaderOptions{MaxRowBytes: limit})
			if err != nil {
				t.Fatal(err)
			}
			rows, errs := readAll(t, rd)
			if len(rows) != 1 || rows[0][0] != "u1" {
				t.Fatalf("rows before the long one: %q", rows)
			}
			if len(errs) != 1 {
				t.Fatalf("errors %v", errs)
			}
			wantFileError(t, errs[0], "row 2 is longer than the limit")
			if _, _, err := rd.Read(); !IsFileError(err) {
				t.Fatalf("read after the file error: %v", err)
			}
		})
	}
	// Invalid UTF-8 in a header longer than the sniffed start.
	_, err := NewReader(strings.NewReader(strings.Repeat("h,", sniffSize)+"\xff\n"), ReaderOptions{MaxColumns: sniffSize + 10})
	wantFileError(t, err, "header row is not valid UTF-8")
	// A header over the limit.
	_, err = NewReader(strings.NewReader(strings.Repeat("h", 2*limit)+"\n"), ReaderOptions{MaxRowBytes: limit})
	wantFileError(t, err, "header row is longer")
	// The default limit lets a 900 KiB cell through.
	big := strings.Repeat("z", 900<<10)
	rd, err := NewReader(strings.NewReader("userName,title\nu1,"+big+"\n"), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows, errs := readAll(t, rd)
	if len(errs) != 0 || len(rows) != 1 || rows[0][1] != big {
		t.Fatalf("big cell: %d rows, %v", len(rows), errs)
	}
}

// TestReaderEncodingAfterSniff: bad bytes past the first 64 KiB fail that
// row only.
func TestReaderEncodingAfterSniff(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("userName,title\n")
	for b.Len() < sniffSize+1000 {
		b.WriteString("user,title\n")
	}
	b.WriteString("m\xfcller,latin1\n")
	b.WriteString("nul,a\x00b\n")
	b.WriteString("last,ok\n")
	rd, err := NewReader(&b, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows, errs := readAll(t, rd)
	if len(errs) != 2 {
		t.Fatalf("errors %v", errs)
	}
	var re *RowError
	if !errors.As(errs[0], &re) || !strings.Contains(re.Msg, "UTF-8") || re.Column != "userName" || re.Num != len(rows)-1+1 {
		t.Fatalf("first error %#v", errs[0])
	}
	if !errors.As(errs[1], &re) || !strings.Contains(re.Msg, "NUL") || re.Column != "title" {
		t.Fatalf("second error %#v", errs[1])
	}
	if last := rows[len(rows)-1]; last[0] != "last" {
		t.Fatalf("last row %q", last)
	}
}

// TestReaderSniffBoundary: a multi-byte rune cut by the end of the sniff
// window is not mistaken for invalid UTF-8.
func TestReaderSniffBoundary(t *testing.T) {
	for pad := 0; pad < 4; pad++ {
		var b bytes.Buffer
		b.WriteString("userName\n")
		for b.Len() < sniffSize-8-pad {
			b.WriteString("u\n")
		}
		for b.Len() < sniffSize+10 {
			b.WriteString("日本\n")
		}
		rd, err := NewReader(&b, ReaderOptions{})
		if err != nil {
			t.Fatalf("pad %d: %v", pad, err)
		}
		if _, errs := readAll(t, rd); len(errs) != 0 {
			t.Fatalf("pad %d: %v", pad, errs)
		}
	}
}

func TestReaderRowNumbers(t *testing.T) {
	input := "\r\n\r\nuserName,title\r\n" + // leading blank lines
		"u1,\"a\r\nb\r\nc\"\r\n" + // row 1 spans three lines
		"\r\n" + // blank: skipped, not counted
		",\r\n" + // all cells empty: skipped, not counted
		"u2,x,extra\r\n" + // row 2: wrong cell count
		"u3,\"bad\"quote\r\n" + // row 3: not valid CSV
		"u4,\"\"\"q\"\"\"\r\n" // row 4: doubled quotes
	rd, err := NewReader(strings.NewReader(input), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rd.Comma() != ',' {
		t.Fatalf("comma %q", rd.Comma())
	}
	type res struct {
		num int
		rec string
		err string
	}
	var got []res
	for {
		num, rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		r := res{num: num, rec: strings.Join(rec, "|")}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatal(err)
			}
			r.num, r.err = re.Num, re.Msg
			r.rec = ""
		}
		got = append(got, r)
	}
	want := []res{
		{1, "u1|a\nb\nc", ""},
		{2, "", "has 3 cells, the header has 2 columns"},
		{3, "", "not valid CSV (line 10, column 8): extraneous or missing \" in quoted-field"},
		{4, "u4|\"q\"", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: got %+v, want %+v", i+1, got[i], want[i])
		}
	}
}

func TestReaderDelimiter(t *testing.T) {
	cases := map[string]rune{
		"userName\n":                     ',',
		"userName;title\n":               ';',
		"userName,title\n":               ',',
		"\"a,b\";\"c,d\";e\n":            ';', // commas inside quotes do not count
		"\"a;b\",\"c;d\",e\n":            ',',
		"userName;title,x\n":             ',', // a tie goes to ','
		"\xef\xbb\xbfuserName;title\r\n": ';',
	}
	for input, want := range cases {
		rd, err := NewReader(strings.NewReader(input), ReaderOptions{})
		if err != nil {
			t.Fatalf("%q: %v", input, err)
		}
		if rd.Comma() != want {
			t.Errorf("%q: delimiter %q, want %q", input, rd.Comma(), want)
		}
	}
	rd, _ := NewReader(strings.NewReader("\xef\xbb\xbf userName ; title \r\n"), ReaderOptions{})
	if h := rd.Header(); len(h) != 2 || h[0] != "userName" || h[1] != "title" {
		t.Fatalf("header %q", h)
	}
}

func TestReaderHeaderErrors(t *testing.T) {
	cases := map[string]string{
		"":                          "empty file",
		"\xef\xbb\xbf":              "empty file",
		"\n\n":                      "empty file",
		"\"userName,title\n":        "unterminated quoted field",
		"user\"Name,title\nu,t\n":   "not a CSV file",
		"user\"Name\",title\n":      "not a CSV file: header row: bare \"",
		"\xfe\xff\x00u":             "UTF-16",
		"userName\n\x89PNG\x00\x01": "NUL byte at line 2",
		"userName\nbad\xc3(\n":      "invalid byte 0xC3 at line 2",
	}
	for input, want := range cases {
		_, err := NewReader(strings.NewReader(input), ReaderOptions{})
		wantFileError(t, err, want)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReaderIOError(t *testing.T) {
	_, err := NewReader(io.MultiReader(strings.NewReader("userName\nu1\n"), errReader{}), ReaderOptions{})
	if err == nil || IsFileError(err) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("error %v", err)
	}
}
