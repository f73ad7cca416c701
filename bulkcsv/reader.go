package bulkcsv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Reader limits (defaults; ReaderOptions overrides them).
const (
	DefaultMaxColumns  = 1000
	DefaultMaxRowBytes = 1 << 20 // 1 MiB per row (header included), quoted newlines included

	// sniffSize is how much of the file NewReader inspects up front: NUL
	// bytes or invalid UTF-8 in it refuse the whole file at once.
	sniffSize = 64 << 10
	// csvBufSize is the read-ahead of encoding/csv's own bufio.Reader.
	csvBufSize = 4096
)

// ReaderOptions configures a Reader. Zero values mean the defaults.
type ReaderOptions struct {
	MaxColumns  int // columns in the header (default 1,000)
	MaxRowBytes int // bytes of one row, quoted newlines included (default 1 MiB)
}

// Reader streams the data rows of a CSV file. It is not safe for
// concurrent use.
type Reader struct {
	cr      *csv.Reader
	lim     *limitReader
	header  []string
	comma   rune
	num     int
	lastOff int64
	maxRow  int64
	skipped int // blank lines before the header, not seen by encoding/csv
}

var errRowTooLong = errors.New("row too long")

// NewReader reads and checks the start of the file and its header row.
//
// It strips a UTF-8 byte order mark, refuses UTF-16, binary content (a NUL
// byte) and invalid UTF-8 in the first 64 KiB, an empty file, a header over
// the column or size limit, and a header that is not valid CSV; each with a
// *FileError. The delimiter (',' or ';') is the one that occurs more often
// outside quotes in the header line (',' on a tie). Leading blank lines are
// skipped. Header names are trimmed of surrounding white space.
func NewReader(r io.Reader, opts ReaderOptions) (*Reader, error) {
	maxCols := opts.MaxColumns
	if maxCols <= 0 {
		maxCols = DefaultMaxColumns
	}
	maxRow := opts.MaxRowBytes
	if maxRow <= 0 {
		maxRow = DefaultMaxRowBytes
	}
	br := bufio.NewReaderSize(r, sniffSize)
	if err := checkStart(br); err != nil {
		return nil, err
	}
	hdr, skipped, comma, err := scanHeader(br, maxCols, maxRow)
	if err != nil {
		return nil, err
	}
	if bytes.IndexByte(hdr, 0) >= 0 || !utf8.Valid(hdr) { // a header longer than the sniffed start
		return nil, fileErrorf("", "not a UTF-8 CSV file: the header row is not valid UTF-8 text")
	}
	lim := &limitReader{r: io.MultiReader(bytes.NewReader(hdr), br), max: int64(maxRow) + csvBufSize}
	cr := csv.NewReader(lim)
	cr.Comma = comma
	cr.ReuseRecord = true
	rec, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fileErrorf("", "not a CSV file: header row: %v", pe.Err)
		}
		return nil, fmt.Errorf("read CSV header: %w", err)
	}
	header := make([]string, len(rec))
	for i, h := range rec {
		header[i] = strings.TrimSpace(h)
	}
	cr.FieldsPerRecord = len(header)
	rd := &Reader{cr: cr, lim: lim, header: header, comma: comma, maxRow: int64(maxRow), skipped: skipped}
	rd.lastOff = cr.InputOffset()
	lim.base = rd.lastOff
	return rd, nil
}

// Header returns the header names, trimmed, as they appear in the file.
func (r *Reader) Header() []string { return r.header }

// Comma returns the detected delimiter.
func (r *Reader) Comma() rune { return r.comma }

// Read returns the next data row: its 1-based number (the header not
// counted; a row whose quoted cells hold newlines is still one row) and
// its cells. The cell slice is reused by the next call; the strings are not
// and may be kept. Blank lines and rows whose cells are all empty are
// skipped and not counted.
//
// Errors: io.EOF at the end; a *RowError for a row that is not well-formed
// (wrong number of cells, a stray quote, invalid UTF-8 or a NUL byte after
// the first 64 KiB), after which reading may go on; a *FileError for a row
// over the size limit, after which the file cannot be read further; any
// other error comes from the underlying reader.
func (r *Reader) Read() (int, []string, error) {
	for {
		rec, err := r.cr.Read()
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		off := r.cr.InputOffset()
		size := off - r.lastOff
		r.lastOff = off
		r.lim.base = off
		if errors.Is(err, errRowTooLong) || size > r.maxRow {
			r.lim.err = errRowTooLong
			return 0, nil, fileErrorf("", "row %d is longer than the limit of %d bytes", r.num+1, r.maxRow)
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return 0, nil, fmt.Errorf("read CSV: %w", err)
			}
			if pe.Err == csv.ErrFieldCount {
				if allEmpty(rec) {
					continue
				}
				r.num++
				return r.num, rec, &RowError{Num: r.num, Msg: fmt.Sprintf("has %d cells, the header has %d columns", len(rec), len(r.header))}
			}
			r.num++
			return r.num, nil, &RowError{Num: r.num, Msg: fmt.Sprintf("not valid CSV (line %d, column %d): %v", pe.Line+r.skipped, pe.Column, pe.Err)}
		}
		if allEmpty(rec) {
			continue
		}
		r.num++
		for i, f := range rec {
			if msg := checkText(f); msg != "" {
				return r.num, rec, &RowError{Num: r.num, Column: r.header[i], Msg: msg}
			}
		}
		return r.num, rec, nil
	}
}

func allEmpty(rec []string) bool {
	for _, f := range rec {
		if f != "" {
			return false
		}
	}
	return true
}

// checkText returns why s is not acceptable text, or "".
func checkText(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			return "contains a NUL byte (binary data)"
		}
		if c >= utf8.RuneSelf {
			if !utf8.ValidString(s[i:]) {
				return "not valid UTF-8 text"
			}
			if strings.IndexByte(s[i:], 0) >= 0 {
				return "contains a NUL byte (binary data)"
			}
			return ""
		}
	}
	return ""
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// checkStart strips a UTF-8 BOM and checks the first sniffSize bytes.
func checkStart(br *bufio.Reader) error {
	b, err := br.Peek(3)
	if err != nil && err != io.EOF {
		return fmt.Errorf("read CSV: %w", err)
	}
	switch {
	case bytes.HasPrefix(b, utf8BOM):
		_, _ = br.Discard(3)
	case len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF):
		return fileErrorf("", "not a UTF-8 file: it is UTF-16 (byte order mark); save it as CSV UTF-8")
	}
	peek, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return fmt.Errorf("read CSV: %w", err)
	}
	full := len(peek) == sniffSize
	if len(bytes.TrimSpace(peek)) == 0 && !full {
		return fileErrorf("", "empty file")
	}
	if i := bytes.IndexByte(peek, 0); i >= 0 {
		return fileErrorf("", "not a CSV text file: NUL byte at line %d (binary data, or UTF-16 without a byte order mark)", 1+bytes.Count(peek[:i], []byte{'\n'}))
	}
	if full {
		// Do not judge a rune cut by the end of the window.
		for k := 1; k <= utf8.UTFMax && k <= len(peek); k++ {
			if utf8.RuneStart(peek[len(peek)-k]) {
				if !utf8.FullRune(peek[len(peek)-k:]) {
					peek = peek[:len(peek)-k]
				}
				break
			}
		}
	}
	if !utf8.Valid(peek) {
		i := invalidUTF8At(peek)
		return fileErrorf("", "not a UTF-8 file: invalid byte 0x%02X at line %d; save it as CSV UTF-8", peek[i], 1+bytes.Count(peek[:i], []byte{'\n'}))
	}
	return nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return 0
}

// scanHeader reads the header line (up to the first newline outside
// quotes, skipping leading blank lines) in one linear pass, chooses the
// delimiter and enforces the column and size limits before any CSV
// parsing. It returns the raw header bytes, to be replayed to encoding/csv.
func scanHeader(br *bufio.Reader, maxCols, maxRow int) (hdr []byte, skipped int, comma rune, err error) {
	inQuote := false
	commas, semis := 0, 0
	for {
		var chunk []byte
		chunk, err = br.ReadSlice('\n')
		for _, c := range chunk {
			switch {
			case c == '"':
				inQuote = !inQuote
			case inQuote:
			case c == ',':
				commas++
			case c == ';':
				semis++
			}
		}
		hdr = append(hdr, chunk...)
		if len(hdr) > maxRow {
			return nil, 0, 0, fileErrorf("", "header row is longer than the limit of %d bytes", maxRow)
		}
		if commas >= maxCols && semis >= maxCols {
			return nil, 0, 0, fileErrorf("", "too many columns (more than %d)", maxCols)
		}
		switch {
		case err == nil || err == io.EOF:
			if inQuote {
				if err == io.EOF {
					return nil, 0, 0, fileErrorf("", "not a CSV file: the header row has an unterminated quoted field")
				}
				continue
			}
			if len(bytes.TrimRight(hdr, "\r\n")) == 0 {
				if err == io.EOF {
					return nil, 0, 0, fileErrorf("", "empty file")
				}
				hdr = hdr[:0]
				skipped++
				continue
			}
			delim, n := ',', commas
			if semis > commas {
				delim, n = ';', semis
			}
			if n+1 > maxCols {
				return nil, 0, 0, fileErrorf("", "too many columns (%d; the limit is %d)", n+1, maxCols)
			}
			return hdr, skipped, delim, nil
		case err == bufio.ErrBufferFull:
			continue
		default:
			return nil, 0, 0, fmt.Errorf("read CSV header: %w", err)
		}
	}
}

// limitReader sits between encoding/csv and the input and refuses to feed
// more than max bytes past the end of the last record returned, so one
// pathological row (a line without end, an unterminated quote) cannot make
// encoding/csv buffer an unbounded amount of memory.
type limitReader struct {
	r    io.Reader
	n    int64 // bytes delivered
	base int64 // InputOffset after the last record returned
	max  int64
	err  error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if l.n-l.base > l.max {
		l.err = errRowTooLong
		return 0, l.err
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}
