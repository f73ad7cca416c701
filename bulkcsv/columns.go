package bulkcsv

import (
	"strconv"
	"strings"

	"github.com/scimd/scimd/schemas"
)

// Number of column groups a multi-valued attribute flattens to: [0]..[2]
// for core attributes, [0]..[9] for extension attributes (SAP: "each
// multivalued attribute is limited to 3 fixed values, and each custom
// attribute is limited to 10 values").
const (
	CoreMultiValues      = 3
	ExtensionMultiValues = 10
)

// Special column names.
const (
	ColumnGroups   = "groups"
	ColumnPassword = "password"
	ColumnID       = "id"
)

// DefaultExportColumns is the column list of an export without attributes=
// (the SAP Cloud Identity Services default).
var DefaultExportColumns = []string{"active", "userName", "userType", "emails[0].display", "emails[0].primary", "emails[0].type", "emails[0].value"}

// ColumnKind tells what a column carries.
type ColumnKind uint8

const (
	// KindAttr is an attribute path of the User schema or an extension.
	KindAttr ColumnKind = iota
	// KindID is the SCIM id: an identifier on import, never written.
	KindID
	// KindGroups is the ';'-separated list of group display names.
	KindGroups
	// KindPassword is the write-only password: import only.
	KindPassword
)

// Column is one CSV column of the user format, resolved against the
// schemas.
type Column struct {
	Name  string       // canonical name, e.g. "emails[0].value", "urn:…:User:attributes[3].name"
	Kind  ColumnKind   //
	Path  schemas.Path // the attribute (and sub-attribute); zero for KindGroups
	Index int          // position within a multi-valued attribute, -1 otherwise
	// ImportOnly marks write-only attributes (password, writeOnly or
	// returned:never extension attributes): importable, never exported.
	ImportOnly bool
}

// maxValues returns how many column groups a multi-valued attribute of p
// flattens to.
func maxValues(p schemas.Path) int {
	if p.Ext {
		return ExtensionMultiValues
	}
	return CoreMultiValues
}

// columnName renders the canonical column name.
func columnName(p schemas.Path, index int) string {
	var b strings.Builder
	if p.Ext {
		b.WriteString(p.Schema.ID)
		b.WriteByte(':')
	}
	b.WriteString(p.Attr.Name)
	if index >= 0 {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(index))
		b.WriteByte(']')
	}
	if p.Sub != nil {
		b.WriteByte('.')
		b.WriteString(p.Sub.Name)
	}
	return b.String()
}

func importOnly(a *schemas.Attribute) bool {
	return a.Mutability == schemas.WriteOnly || a.Returned == schemas.ReturnedNever
}

func newColumn(p schemas.Path, index int) Column {
	c := Column{Name: columnName(p, index), Kind: KindAttr, Path: p, Index: index}
	c.ImportOnly = importOnly(p.Attr) || (p.Sub != nil && importOnly(p.Sub))
	switch {
	case p.Common && p.Attr == schemas.IDAttr:
		c.Kind = KindID
	case !p.Common && !p.Ext && strings.EqualFold(p.Attr.Name, ColumnPassword):
		c.Kind = KindPassword
	}
	return c
}

// Columns returns every exportable column of the User resource type in a
// stable order: id, externalId, the core attributes in schema order, each
// extension's attributes in registry order, then groups. Complex
// attributes flatten to their writable sub-attributes and multi-valued
// ones to [0]..[2] (core) or [0]..[9] (extension). Read-only attributes
// (meta, the groups sub-attributes, manager.displayName) and import-only
// ones (password) are not included. A custom extension loaded from the
// schemas dir contributes its columns with no code change.
func Columns(reg *schemas.Registry) []Column {
	rt := reg.Users
	out := []Column{
		newColumn(schemas.Path{Common: true, Attr: schemas.IDAttr}, -1),
		newColumn(schemas.Path{Common: true, Attr: schemas.ExternalIDAttr}, -1),
	}
	add := func(s *schemas.Schema, ext bool) {
		for _, a := range s.Attributes {
			out = append(out, expandAttr(schemas.Path{Schema: s, Ext: ext, Attr: a}, -2, nil, false)...)
		}
	}
	add(rt.Schema, false)
	for _, e := range rt.Extensions {
		add(e.Schema, true)
	}
	return append(out, Column{Name: ColumnGroups, Kind: KindGroups, Index: -1})
}

// expandAttr lists the writable columns of attribute p.Attr. index -2
// means every index of a multi-valued attribute; sub nil means every
// sub-attribute of a complex one. Import-only columns are left out unless
// withImportOnly.
func expandAttr(p schemas.Path, index int, sub *schemas.Attribute, withImportOnly bool) []Column {
	a := p.Attr
	if a.Mutability == schemas.ReadOnly || (!withImportOnly && importOnly(a)) {
		return nil
	}
	if !p.Ext && !p.Common && strings.EqualFold(a.Name, "groups") {
		return nil // the special groups column stands for it
	}
	indexes := []int{-1}
	if a.MultiValued {
		if index >= 0 {
			indexes = []int{index}
		} else {
			indexes = make([]int, maxValues(p))
			for i := range indexes {
				indexes[i] = i
			}
		}
	}
	var subs []*schemas.Attribute
	switch {
	case !a.IsComplex():
		subs = []*schemas.Attribute{nil}
	case sub != nil:
		subs = []*schemas.Attribute{sub}
	default:
		for _, s := range a.SubAttributes {
			if s.Mutability == schemas.ReadOnly || (!withImportOnly && importOnly(s)) {
				continue
			}
			subs = append(subs, s)
		}
	}
	var out []Column
	for _, i := range indexes {
		for _, s := range subs {
			q := p
			q.Sub = s
			out = append(out, newColumn(q, i))
		}
	}
	return out
}

// parsedName is a column name split into its parts, resolved.
type parsedName struct {
	path     schemas.Path
	index    int  // -1 when no [N] was given
	hasIndex bool //
}

// parseName resolves name against the User resource type without applying
// the column rules (index required, sub-attribute required, writable).
func parseName(reg *schemas.Registry, name string) (parsedName, error) {
	rt := reg.Users
	rest, urn := name, ""
	for _, id := range rt.SchemaURNs() {
		if len(rest) > len(id) && strings.EqualFold(rest[:len(id)], id) && rest[len(id)] == ':' {
			urn, rest = rest[:len(id)], rest[len(id)+1:]
			break
		}
	}
	pn := parsedName{index: -1}
	attr, sub := rest, ""
	if i := strings.IndexByte(rest, '['); i >= 0 {
		j := strings.IndexByte(rest, ']')
		if j < i+2 {
			return pn, &ColumnError{Column: name, Reason: "malformed index; write e.g. emails[0].value"}
		}
		n, err := strconv.Atoi(rest[i+1 : j])
		if err != nil || n < 0 || rest[i+1] == '+' {
			return pn, &ColumnError{Column: name, Reason: "malformed index; write e.g. emails[0].value"}
		}
		attr, pn.index, pn.hasIndex = rest[:i], n, true
		switch tail := rest[j+1:]; {
		case tail == "":
		case tail[0] == '.':
			sub = tail[1:]
			if sub == "" {
				return pn, &ColumnError{Column: name, Reason: "empty sub-attribute name"}
			}
		default:
			return pn, &ColumnError{Column: name, Reason: "unexpected text after the index"}
		}
	} else if i := strings.IndexByte(rest, '.'); i >= 0 {
		attr, sub = rest[:i], rest[i+1:]
		if sub == "" {
			return pn, &ColumnError{Column: name, Reason: "empty sub-attribute name"}
		}
	}
	if attr == "" {
		return pn, &ColumnError{Column: name, Reason: "empty attribute name"}
	}
	if urn == "" && strings.HasPrefix(strings.ToLower(attr), "urn:") {
		return pn, &ColumnError{Column: name, Reason: "no such schema (not the User schema or one of its extensions)", Unknown: true}
	}
	p, err := rt.Resolve(urn, attr, sub)
	if err != nil {
		reason := err.Error()
		if pe, ok := err.(*schemas.PathError); ok {
			reason = pe.Reason
		}
		return pn, &ColumnError{Column: name, Reason: reason, Unknown: true}
	}
	if p.Schema == rt.Schema {
		p.Ext = false
	}
	pn.path = p
	if pn.hasIndex {
		if !p.Attr.MultiValued {
			return pn, &ColumnError{Column: name, Reason: p.Attr.Name + " is single-valued and takes no index"}
		}
		if max := maxValues(p); pn.index >= max {
			return pn, &ColumnError{Column: name, Reason: "index out of range: " + p.Attr.Name + " has columns [0].." + "[" + strconv.Itoa(max-1) + "]"}
		}
	}
	return pn, nil
}

// ParseColumn resolves one import column name, case-insensitively, to its
// canonical column. A multi-valued attribute needs an index
// (emails[0].value), a complex attribute a sub-attribute (name.givenName);
// read-only attributes are refused; "groups", "password" and "id" are the
// special columns. The error is a *ColumnError that names the column and
// says why.
func ParseColumn(reg *schemas.Registry, name string) (Column, error) {
	switch {
	case strings.EqualFold(name, ColumnGroups):
		return Column{Name: ColumnGroups, Kind: KindGroups, Index: -1}, nil
	case strings.EqualFold(name, ColumnID):
		return newColumn(schemas.Path{Common: true, Attr: schemas.IDAttr}, -1), nil
	}
	pn, err := parseName(reg, name)
	if err != nil {
		return Column{}, err
	}
	p := pn.path
	a := p.Attr
	switch {
	case p.Common && a == schemas.MetaAttr, a.Mutability == schemas.ReadOnly, p.Sub != nil && p.Sub.Mutability == schemas.ReadOnly:
		return Column{}, &ColumnError{Column: name, Reason: "read-only attribute, not importable"}
	case a.MultiValued && !pn.hasIndex:
		hint := a.Name + "[0]"
		if a.IsComplex() {
			hint += "." + firstSub(a)
		}
		return Column{}, &ColumnError{Column: name, Reason: "multi-valued attribute needs an index, e.g. " + hint}
	case a.IsComplex() && p.Sub == nil:
		return Column{}, &ColumnError{Column: name, Reason: "complex attribute needs a sub-attribute, e.g. " + a.Name + "." + firstSub(a)}
	}
	return newColumn(p, pn.index), nil
}

func firstSub(a *schemas.Attribute) string {
	for _, s := range a.SubAttributes {
		if s.Mutability != schemas.ReadOnly {
			return s.Name
		}
	}
	return "value"
}

// ExportColumns resolves an export column list (the attributes= parameter,
// already split on ','). An empty list means DefaultExportColumns. Names
// compare case-insensitively; a multi-valued attribute named without index
// expands to [0]..[2] ([0]..[9] for an extension attribute), a complex one
// without sub-attribute to its writable sub-attributes (emails → 3 groups
// of value, display, type, primary; name → name.formatted, …). Repeated
// columns are kept once, first position. password (and other write-only
// attributes) and read-only attributes are refused with a *ColumnError.
func ExportColumns(reg *schemas.Registry, names []string) ([]Column, error) {
	if len(names) == 0 {
		names = DefaultExportColumns
	}
	var out []Column
	seen := map[string]bool{}
	for _, raw := range names {
		name := strings.TrimSpace(raw)
		if name == "" {
			continue
		}
		cols, err := exportColumn(reg, name)
		if err != nil {
			return nil, err
		}
		for _, c := range cols {
			if !seen[c.Name] {
				seen[c.Name] = true
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		return nil, &ColumnError{Column: "", Reason: "no columns to export"}
	}
	return out, nil
}

func exportColumn(reg *schemas.Registry, name string) ([]Column, error) {
	switch {
	case strings.EqualFold(name, ColumnGroups):
		return []Column{{Name: ColumnGroups, Kind: KindGroups, Index: -1}}, nil
	case strings.EqualFold(name, ColumnID):
		return []Column{newColumn(schemas.Path{Common: true, Attr: schemas.IDAttr}, -1)}, nil
	}
	pn, err := parseName(reg, name)
	if err != nil {
		return nil, err
	}
	p := pn.path
	if (p.Common && p.Attr == schemas.MetaAttr) || p.Attr.Mutability == schemas.ReadOnly || (p.Sub != nil && p.Sub.Mutability == schemas.ReadOnly) {
		return nil, &ColumnError{Column: name, Reason: "read-only attribute, not exportable as a CSV column"}
	}
	if importOnly(p.Attr) || (p.Sub != nil && importOnly(p.Sub)) {
		return nil, &ColumnError{Column: name, Reason: "write-only attribute, never exported"}
	}
	index := -2
	if pn.hasIndex {
		index = pn.index
	}
	return expandAttr(schemas.Path{Schema: p.Schema, Ext: p.Ext, Common: p.Common, Attr: p.Attr}, index, p.Sub, false), nil
}
