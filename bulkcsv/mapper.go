package bulkcsv

import (
	"fmt"
	"strings"

	"github.com/scimd/scimd/schemas"
)

// MatchBy is the identifier a row without id is matched by (SPEC §5).
type MatchBy string

const (
	MatchUserName   MatchBy = "userName"   // the default
	MatchEmails     MatchBy = "emails"     // the row's primary (else first) e-mail value
	MatchExternalID MatchBy = "externalId" //
)

// ParseMatchBy parses the matchBy query parameter (case-insensitive; ""
// is userName).
func ParseMatchBy(s string) (MatchBy, error) {
	switch {
	case s == "" || strings.EqualFold(s, string(MatchUserName)):
		return MatchUserName, nil
	case strings.EqualFold(s, string(MatchEmails)):
		return MatchEmails, nil
	case strings.EqualFold(s, string(MatchExternalID)):
		return MatchExternalID, nil
	}
	return "", fmt.Errorf("matchBy %q: want userName, emails or externalId", s)
}

// EmptyCells says what an empty cell of a present column means.
type EmptyCells uint8

const (
	// EmptyKeep: the attribute is left unchanged (the default, as IDaaS).
	EmptyKeep EmptyCells = iota
	// EmptyClear: the attribute is removed (as SAP's full-profile import).
	EmptyClear
)

// DefaultMaxGroupsPerUser is the default limit of the groups column.
const DefaultMaxGroupsPerUser = 500

// MapperOptions configures a Mapper. The zero value is the default:
// emptyCells=keep, matchBy=userName, 500 groups per user.
type MapperOptions struct {
	EmptyCells       EmptyCells
	MatchBy          MatchBy
	MaxGroupsPerUser int
}

// Match is a user identifier to look an existing user up by.
type Match struct {
	Key   MatchBy `json:"key"` // userName, emails (any of the user's e-mail values) or externalId
	Value string  `json:"value"`
}

// Row is one mapped data row of a user import.
//
// How the caller applies it (SPEC §5): if ID is set, the row updates that
// user only (an unknown id fails the row, never creates). Otherwise the
// user is looked up by Match, then (SAP only) by Fallback; with no match
// the row creates a user from NewUser(); CheckCreate says whether it can
// (a new user needs a userName). An update replaces the stored attributes
// with ApplyTo(stored).
type Row struct {
	Num      int            // 1-based data row number
	ID       string         // SCIM id, when the id column is present and non-empty
	Match    Match          // identifier for rows without ID; Value "" = nothing to match by
	Fallback Match          // second identifier (SAP: loginName after mail); usually empty
	Attrs    map[string]any // canonical SCIM attributes of the present, non-empty cells; never nil
	// Defaults are attributes set only when the row creates a user and
	// Attrs does not set them (SAP: userName = mail when loginName is
	// empty). Usually nil.
	Defaults map[string]any
	// Clear lists the attributes to remove (emptyCells=clear and an empty
	// cell), as canonical column paths such as "name.givenName",
	// "emails[1].value" or `…:attributes[name eq "customAttribute3"]`.
	// ApplyTo applies them.
	Clear       []string
	Groups      []string // nil: no groups column; empty: the cell is empty
	Password    string
	HasPassword bool // the password column is present and the cell is not empty

	plan    *plan
	present bitset
	cleared []int32
}

// NewUser returns the attributes of a user created from the row: Attrs
// plus Defaults. The result may share maps with Attrs.
func (r *Row) NewUser() map[string]any {
	if len(r.Defaults) == 0 {
		return r.Attrs
	}
	out := make(map[string]any, len(r.Attrs)+len(r.Defaults))
	for k, v := range r.Defaults {
		out[k] = v
	}
	for k, v := range r.Attrs {
		out[k] = v
	}
	return out
}

// CheckCreate returns a *RowError if the row cannot create a user (the
// caller found no user to update): a new user needs a userName.
func (r *Row) CheckCreate() error {
	if r.UserName() == "" {
		return &RowError{Num: r.Num, Column: "userName", Msg: "no existing user matches and a new user needs a userName"}
	}
	return nil
}

// UserName returns the userName the row sets or would create the user
// with, or "".
func (r *Row) UserName() string {
	if s, ok := r.Attrs["userName"].(string); ok {
		return s
	}
	s, _ := r.Defaults["userName"].(string)
	return s
}

// Mapper turns the rows of one user import file into Rows. It is built
// once per file (per-column setters are computed from the header) and is
// not safe for concurrent use.
type Mapper struct {
	dialect Dialect
	opts    MapperOptions
	header  []string
	plan    *plan
	nvirt   int // virtual cells after the header's (computed values)

	idCell, groupsCell, passwordCell int // -1 when absent
	matchCell                        int // cell holding the Match value; -1: see emailMatch
	matchKey                         MatchBy
	emailMatch                       []emailLeaves // matchBy=emails in the native dialect

	// pre computes virtual cells (IDaaS phone number) before the leaves
	// are read; it does not see the Row, which therefore stays on the stack.
	pre func(m *Mapper, cells []string, num int) error
	// SAP: cells of loginName (-1 if absent) and mail.
	sapLogin, sapMail int

	cells []string
	vals  []any
	strs  strArena
}

type emailLeaves struct{ value, primary *leaf }

// Dialect returns the dialect the mapper reads.
func (m *Mapper) Dialect() Dialect { return m.dialect }

// NewMapper checks a user import header for dialect d and prepares the
// row mapping. Every problem that makes the file unusable is a *FileError
// naming the column: an unknown column (native and IDaaS; SAP ignores
// unknown columns), a duplicated column, a missing mandatory or identifier
// column, an undefined customFieldMap.<key>, phoneNumber without
// phoneRegion.
func NewMapper(reg *schemas.Registry, d Dialect, header []string, opts MapperOptions) (*Mapper, error) {
	var err error
	if opts.MatchBy, err = ParseMatchBy(string(opts.MatchBy)); err != nil {
		return nil, err
	}
	if opts.MaxGroupsPerUser <= 0 {
		opts.MaxGroupsPerUser = DefaultMaxGroupsPerUser
	}
	m := &Mapper{
		dialect: d, opts: opts, header: header, plan: newPlan(),
		idCell: -1, groupsCell: -1, passwordCell: -1, matchCell: -1, matchKey: opts.MatchBy,
	}
	switch d {
	case SAP:
		err = m.initSAP()
	case IDaaS:
		err = m.initIDaaS(reg)
	default:
		err = m.initNative(reg)
	}
	if err != nil {
		return nil, err
	}
	m.plan.finish()
	m.cells = make([]string, len(header)+m.nvirt)
	m.vals = make([]any, len(m.plan.leaves))
	return m, nil
}

func (m *Mapper) clearing() bool { return m.opts.EmptyCells == EmptyClear }

// attrLeaf adds the leaf for a native column at its place in the plan.
func (m *Mapper) attrLeaf(c Column, cell int, column string) *leaf {
	p := c.Path
	leafAttr := p.Leaf()
	lf := &leaf{cell: cell, column: column, clear: c.Name, conv: converterFor(leafAttr)}
	if isValidity(p) {
		lf.conv = convZulu
	}
	lf.required = p.Attr.Required || (p.Sub != nil && p.Sub.Required)
	parent := m.plan.root
	if p.Ext {
		parent = parent.kid(p.Schema.ID)
	}
	switch {
	case p.Attr.MultiValued && p.Sub != nil:
		lf.key = p.Sub.Name
		e := parent.list(p.Attr.Name).elem(c.Index)
		e.leaves = append(e.leaves, lf)
	case p.Attr.MultiValued:
		parent.list(p.Attr.Name).addSimple(c.Index, lf)
	case p.Sub != nil:
		lf.key = p.Sub.Name
		k := parent.kid(p.Attr.Name)
		k.leaves = append(k.leaves, lf)
	default:
		lf.key = p.Attr.Name
		parent.leaves = append(parent.leaves, lf)
	}
	return lf
}

func (m *Mapper) initNative(reg *schemas.Registry) error {
	seen := make(map[string]int, len(m.header))
	var userName *leaf
	var extIDCell = -1
	emails := map[int]*emailLeaves{}
	for i, h := range m.header {
		if h == "" {
			return fileErrorf("", "column %d has no name", i+1)
		}
		c, err := ParseColumn(reg, h)
		if err != nil {
			return fileErrorf(h, "%v", err)
		}
		if j, dup := seen[c.Name]; dup {
			return fileErrorf(h, "duplicated column %s (columns %d and %d)", c.Name, j+1, i+1)
		}
		seen[c.Name] = i
		switch c.Kind {
		case KindID:
			m.idCell = i
		case KindGroups:
			m.groupsCell = i
		case KindPassword:
			m.passwordCell = i
		default:
			lf := m.attrLeaf(c, i, h)
			p := c.Path
			switch {
			case !p.Ext && !p.Common && p.Attr.Name == "userName":
				userName = lf
			case p.Common && p.Attr == schemas.ExternalIDAttr:
				extIDCell = i
			case !p.Ext && !p.Common && p.Attr.Name == "emails" && p.Sub != nil:
				e := emails[c.Index]
				if e == nil {
					e = &emailLeaves{}
					emails[c.Index] = e
				}
				switch p.Sub.Name {
				case "value":
					e.value = lf
				case "primary":
					e.primary = lf
				}
			}
		}
	}
	hasMatch := false
	switch m.opts.MatchBy {
	case MatchUserName:
		if userName != nil {
			m.matchCell, hasMatch = userName.cell, true
		}
	case MatchExternalID:
		m.matchCell, hasMatch = extIDCell, extIDCell >= 0
	case MatchEmails:
		for i := 0; i < CoreMultiValues; i++ {
			if e := emails[i]; e != nil && e.value != nil {
				m.emailMatch = append(m.emailMatch, *e)
			}
		}
		hasMatch = len(m.emailMatch) > 0
	}
	if m.idCell < 0 && !hasMatch {
		want := string(m.opts.MatchBy)
		if m.opts.MatchBy == MatchEmails {
			want = "emails[0].value"
		}
		return fileErrorf(want, "missing identifier column: the file needs an id column or a %s column (matchBy=%s)", want, m.opts.MatchBy)
	}
	if m.idCell < 0 && userName == nil {
		return fileErrorf("userName", "missing column userName: without an id column rows may create users, and a user needs a userName")
	}
	return nil
}

// Map maps one data row (cells as returned by Reader.Read). The error is a
// *RowError naming the column and the reason. Map reuses internal buffers:
// call it from one goroutine; the returned Row does not share them.
func (m *Mapper) Map(num int, rec []string) (Row, error) {
	if len(rec) != len(m.header) {
		return Row{}, &RowError{Num: num, Msg: fmt.Sprintf("has %d cells, the header has %d columns", len(rec), len(m.header))}
	}
	cells := m.cells
	for i, f := range rec {
		cells[i] = unneutralise(f)
	}
	if m.pre != nil {
		if err := m.pre(m, cells, num); err != nil {
			return Row{}, err
		}
	}
	row := Row{Num: num, plan: m.plan}
	clear := m.clearing()
	vals := m.vals
	for _, lf := range m.plan.leaves {
		c := cells[lf.cell]
		if c == "" {
			vals[lf.id] = nil
			if lf.mandatory {
				return Row{}, &RowError{Num: num, Column: lf.column, Msg: "a value is required"}
			}
			if clear && lf.clear != "" {
				if lf.required {
					return Row{}, &RowError{Num: num, Column: lf.column, Msg: "required attribute; an empty cell cannot clear it (emptyCells=clear)"}
				}
				row.Clear = append(row.Clear, lf.clear)
				row.cleared = append(row.cleared, lf.id)
			}
			continue
		}
		v, str, msg := lf.conv(c)
		if msg != "" {
			return Row{}, &RowError{Num: num, Column: lf.column, Msg: msg}
		}
		if v == nil {
			v = m.strs.box(str)
		}
		vals[lf.id] = v
	}
	row.Attrs = m.buildNode(m.plan.root, &row)
	if row.Attrs == nil {
		row.Attrs = map[string]any{}
	}
	if m.idCell >= 0 {
		row.ID = strings.TrimSpace(cells[m.idCell])
	}
	if m.groupsCell >= 0 {
		row.Groups = splitList(cells[m.groupsCell])
		if len(row.Groups) > m.opts.MaxGroupsPerUser {
			return Row{}, &RowError{Num: num, Column: m.header[m.groupsCell], Msg: fmt.Sprintf("%d groups; a user can be in at most %d", len(row.Groups), m.opts.MaxGroupsPerUser)}
		}
	}
	if m.passwordCell >= 0 && cells[m.passwordCell] != "" {
		row.Password, row.HasPassword = cells[m.passwordCell], true
	}
	row.Match.Key = m.matchKey
	switch {
	case m.matchCell >= 0:
		row.Match.Value = strings.TrimSpace(cells[m.matchCell])
	case m.emailMatch != nil:
		row.Match.Value = m.matchEmail()
	}
	if m.dialect == SAP {
		m.sapIdentity(cells, &row)
	}
	if row.ID == "" && row.Match.Value == "" && row.Fallback.Value == "" && row.UserName() == "" {
		return Row{}, &RowError{Num: num, Msg: fmt.Sprintf("no identifier: the id and %s cells are empty", m.matchKey)}
	}
	return row, nil
}

// matchEmail returns the row's primary e-mail value, else its first.
func (m *Mapper) matchEmail() string {
	first := ""
	for _, e := range m.emailMatch {
		v, _ := m.vals[e.value.id].(string)
		if v == "" {
			continue
		}
		if e.primary != nil {
			if p, _ := m.vals[e.primary.id].(bool); p {
				return strings.TrimSpace(v)
			}
		}
		if first == "" {
			first = strings.TrimSpace(v)
		}
	}
	return first
}

func (m *Mapper) buildNode(n *node, row *Row) map[string]any {
	var out map[string]any
	for _, lf := range n.leaves {
		if v := m.vals[lf.id]; v != nil {
			if out == nil {
				out = make(map[string]any, n.size)
			}
			out[lf.key] = v
		}
	}
	for _, k := range n.kids {
		if km := m.buildNode(k, row); km != nil {
			if out == nil {
				out = make(map[string]any, n.size)
			}
			out[k.key] = km
		}
	}
	for _, l := range n.lists {
		if lv := m.buildList(l, row); lv != nil {
			if out == nil {
				out = make(map[string]any, n.size)
			}
			out[l.key] = lv
		}
	}
	if out != nil {
		for _, c := range n.consts {
			out[c.key] = c.val
		}
	}
	return out
}

func (m *Mapper) buildList(l *list, row *Row) []any {
	var out []any
	if l.simple != nil {
		for i, lf := range l.simple {
			if v := m.vals[lf.id]; v != nil {
				out = append(out, v)
				row.present.set(l.bit + i)
			}
		}
		return out
	}
	for i, e := range l.elems {
		if em := m.buildNode(e, row); em != nil {
			if out == nil {
				out = make([]any, 0, len(l.elems))
			}
			out = append(out, em)
			row.present.set(l.bit + i)
		}
	}
	return out
}
