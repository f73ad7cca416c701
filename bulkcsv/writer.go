package bulkcsv

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/scimd/scimd/schemas"
)

// WriterOptions configures a Writer or GroupsWriter.
type WriterOptions struct {
	// Raw turns formula neutralisation off (raw=true); see the package
	// documentation for the exact rule.
	Raw bool
	// Comma is the delimiter: ',' (the default) or ';'.
	Comma rune
}

func (o WriterOptions) csvWriter(w io.Writer) (*csv.Writer, error) {
	cw := csv.NewWriter(w)
	switch o.Comma {
	case 0, ',':
	case ';':
		cw.Comma = ';'
	default:
		return nil, fmt.Errorf("bulkcsv: delimiter %q: want ',' or ';'", o.Comma)
	}
	return cw, nil
}

// Writer streams a user export: a header row, then one row per user. It
// buffers; the caller decides when to Flush. Not safe for concurrent use.
type Writer struct {
	cw   *csv.Writer
	raw  bool
	cols []wcol
	mvs  []wmv
	rec  []string
	// Per row, each extension object (urns → exts) and each single-valued
	// attribute the columns read (slotKeys → slots) is looked up once, not
	// once per column: name.givenName, name.familyName, … share "name".
	urns     []string
	exts     []map[string]any
	slotKeys []slotKey
	slots    []any
}

// slotKey names a single-valued attribute: ext indexes Writer.urns, -1
// for core and common attributes.
type slotKey struct {
	ext  int
	attr string
}

type wcol struct {
	kind     ColumnKind
	urn      string // extension URN, "" for core and common attributes
	attr     string
	sub      string
	boolean  bool // boolean leaf: TRUE/FALSE
	validity bool // SAP validFrom/validTo: only yyyyMMddHHmmss'Z' is written
	mv       int  // index into Writer.mvs, -1 when single-valued
	slot     int  // index into Writer.slots when single-valued
	index    int
}

// wmv is a multi-valued attribute some columns read: its values are put in
// export order once per user.
type wmv struct {
	urn, attr string
	ext       int // index into Writer.urns, -1 for core attributes
	n         int // highest exported index + 1
	cur       []any
}

// NewWriter writes the header for cols (from ExportColumns or Columns)
// and returns the writer. Columns that are never exported (password,
// write-only attributes) are refused.
func NewWriter(w io.Writer, cols []Column, opts WriterOptions) (*Writer, error) {
	cw, err := opts.csvWriter(w)
	if err != nil {
		return nil, err
	}
	wr := &Writer{cw: cw, raw: opts.Raw, rec: make([]string, len(cols))}
	for i, c := range cols {
		if c.ImportOnly || c.Kind == KindPassword {
			return nil, &ColumnError{Column: c.Name, Reason: "write-only attribute, never exported"}
		}
		wc := wcol{kind: c.Kind, mv: -1, index: c.Index}
		if c.Kind == KindAttr {
			p := c.Path
			wc.urn, wc.attr = p.URN(), p.Attr.Name
			if p.Sub != nil {
				wc.sub = p.Sub.Name
			}
			wc.boolean = p.Leaf().Type == schemas.TypeBoolean
			wc.validity = isValidity(p)
			if p.Attr.MultiValued {
				wc.mv = wr.mvIndex(wc.urn, wc.attr)
				if c.Index+1 > wr.mvs[wc.mv].n {
					wr.mvs[wc.mv].n = c.Index + 1
				}
			} else {
				wc.slot = wr.slotIndex(wc.urn, wc.attr)
			}
		}
		wr.cols = append(wr.cols, wc)
		wr.rec[i] = c.Name
	}
	if err := cw.Write(wr.rec); err != nil {
		return nil, err
	}
	return wr, nil
}

func (w *Writer) mvIndex(urn, attr string) int {
	for i, m := range w.mvs {
		if m.urn == urn && m.attr == attr {
			return i
		}
	}
	w.mvs = append(w.mvs, wmv{urn: urn, attr: attr, ext: w.extIndex(urn)})
	return len(w.mvs) - 1
}

func (w *Writer) slotIndex(urn, attr string) int {
	k := slotKey{ext: w.extIndex(urn), attr: attr}
	for i, sk := range w.slotKeys {
		if sk == k {
			return i
		}
	}
	w.slotKeys = append(w.slotKeys, k)
	w.slots = append(w.slots, nil)
	return len(w.slotKeys) - 1
}

// extIndex returns the index of an extension URN in w.urns, -1 for "".
func (w *Writer) extIndex(urn string) int {
	if urn == "" {
		return -1
	}
	for i, u := range w.urns {
		if u == urn {
			return i
		}
	}
	w.urns = append(w.urns, urn)
	w.exts = append(w.exts, nil)
	return len(w.urns) - 1
}

// Write writes one user. attrs is the user in its stored form: canonical
// attribute names, extension attributes in a map under their URN,
// multi-valued attributes as []any, the SCIM id under "id". groups are the
// display names for the groups column. Multi-valued values are written in
// export order (primary first, then as stored); truncated is how many
// values did not fit in the columns (a job sums it).
func (w *Writer) Write(attrs map[string]any, groups []string) (truncated int, err error) {
	for i, urn := range w.urns {
		w.exts[i], _ = attrs[urn].(map[string]any)
	}
	container := func(ext int) map[string]any {
		if ext < 0 {
			return attrs
		}
		return w.exts[ext]
	}
	for i, k := range w.slotKeys {
		w.slots[i] = container(k.ext)[k.attr]
	}
	for i := range w.mvs {
		mv := &w.mvs[i]
		list, _ := container(mv.ext)[mv.attr].([]any)
		mv.cur = orderInto(mv.cur[:0], list)
		if len(list) > mv.n {
			truncated += len(list) - mv.n
		}
	}
	for i := range w.cols {
		c := &w.cols[i]
		var v any
		switch c.kind {
		case KindID:
			v = attrs["id"]
		case KindGroups:
			w.rec[i] = neutralise(cleanCell(joinList(groups)), w.raw)
			continue
		default:
			if c.mv >= 0 {
				if cur := w.mvs[c.mv].cur; c.index < len(cur) {
					v = cur[c.index]
				}
			} else {
				v = w.slots[c.slot]
			}
			if c.sub != "" && v != nil {
				m, _ := v.(map[string]any)
				v = m[c.sub]
			}
		}
		if v == nil {
			w.rec[i] = ""
			continue
		}
		s := formatValue(v, c.boolean)
		if c.validity && !isZulu(s) {
			s = ""
		}
		w.rec[i] = neutralise(cleanCell(s), w.raw)
	}
	return truncated, w.cw.Write(w.rec)
}

// Flush writes buffered rows to the underlying writer and reports any
// write error.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}

// orderInto appends list to dst in export order: the first primary value,
// then the others as stored.
func orderInto(dst, list []any) []any {
	p := -1
	for i, v := range list {
		if isPrimary(v) {
			p = i
			break
		}
	}
	if p < 0 {
		return append(dst, list...)
	}
	dst = append(dst, list[p])
	dst = append(dst, list[:p]...)
	return append(dst, list[p+1:]...)
}

// formatValue renders an attribute value as cell text. Booleans are TRUE
// or FALSE.
func formatValue(v any, boolean bool) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if boolean {
			if b, ok := parseBool(x); ok {
				return formatBool(b)
			}
		}
		return x
	case bool:
		return formatBool(x)
	case json.Number:
		return x.String()
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func formatBool(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

// formatFloat writes plain decimals where a spreadsheet would, exponent
// notation only for very large or small magnitudes; either parses back to
// the same float64.
func formatFloat(f float64) string {
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// cleanCell makes s a cell text the reader returns unchanged: NUL bytes
// and invalid UTF-8 become U+FFFD, and CR LF becomes LF (encoding/csv
// reads CR LF in a quoted cell as LF; neutralisation must judge the text
// the reader will see).
func cleanCell(s string) string {
	if checkText(s) != "" {
		s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	}
	if strings.Contains(s, "\r\n") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	return s
}

// GroupsColumns is the header of the groups export.
var GroupsColumns = []string{"id", "displayName", "externalId", "members"}

// GroupsWriter streams a groups export: id,displayName,externalId,members
// with members as ';'-separated user ids (escaped like group lists).
type GroupsWriter struct {
	cw  *csv.Writer
	raw bool
	rec [4]string
}

// NewGroupsWriter writes the header and returns the writer.
func NewGroupsWriter(w io.Writer, opts WriterOptions) (*GroupsWriter, error) {
	cw, err := opts.csvWriter(w)
	if err != nil {
		return nil, err
	}
	if err := cw.Write(GroupsColumns); err != nil {
		return nil, err
	}
	return &GroupsWriter{cw: cw, raw: opts.Raw}, nil
}

// Write writes one group.
func (g *GroupsWriter) Write(id, displayName, externalID string, members []string) error {
	g.rec = [4]string{id, displayName, externalID, joinList(members)}
	for i, s := range g.rec {
		g.rec[i] = neutralise(cleanCell(s), g.raw)
	}
	return g.cw.Write(g.rec[:])
}

// Flush writes buffered rows to the underlying writer and reports any
// write error.
func (g *GroupsWriter) Flush() error {
	g.cw.Flush()
	return g.cw.Error()
}
