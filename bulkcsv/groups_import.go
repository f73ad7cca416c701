package bulkcsv

import (
	"fmt"
	"strings"

	"github.com/scimd/scimd/schemas"
)

// DefaultMaxGroupsPerFile is the default limit of distinct groups in one
// group-assignment import (SPEC §6); the caller enforces it, since it needs
// the whole file.
const DefaultMaxGroupsPerFile = 25000

// GroupRow is one mapped data row of a group-assignment import (SPEC §6).
//
// How the caller resolves the user, by the non-empty identifiers: ID or
// UserUUID (either names exactly one user; if both are set they must be
// the same user) takes priority over UserName and Email. Otherwise, with
// UserName and Email both set, a user must match both; UserName alone
// matches that user; Email alone matches every user with that e-mail
// (any of their e-mail values). The user is added to each of Groups
// (creating missing groups); nobody is removed. An empty Groups is a row
// with nothing to do (a user export row of a user without groups).
type GroupRow struct {
	Num      int
	ID       string // SCIM id (column id)
	UserUUID string // urn:ietf:params:scim:schemas:extension:sap:2.0:User:userUuid
	UserName string
	Email    string   // emails[0].value
	Groups   []string // display names; never nil
}

// GroupMapper maps the rows of a group-assignment import file.
type GroupMapper struct {
	header                    []string
	groups                    int
	id, uuid, userName, email int // -1 when absent
	maxGroups                 int
}

// GroupMapperOptions configures a GroupMapper; zero values are defaults.
type GroupMapperOptions struct {
	MaxGroupsPerUser int // default 500
}

// NewGroupMapper checks a group-assignment import header: a groups column
// and at least one identifier column among id,
// urn:ietf:params:scim:schemas:extension:sap:2.0:User:userUuid, userName
// and emails[0].value are required. Every other column must be a column of
// the user format (so that a user export with a groups column is a valid
// file) and is ignored; an unknown or duplicated column refuses the file.
// Errors are *FileError.
func NewGroupMapper(reg *schemas.Registry, header []string, opts GroupMapperOptions) (*GroupMapper, error) {
	g := &GroupMapper{header: header, groups: -1, id: -1, uuid: -1, userName: -1, email: -1, maxGroups: opts.MaxGroupsPerUser}
	if g.maxGroups <= 0 {
		g.maxGroups = DefaultMaxGroupsPerUser
	}
	uuidName := schemas.SAPUserURN + ":userUuid"
	seen := make(map[string]int, len(header))
	for i, h := range header {
		if h == "" {
			return nil, fileErrorf("", "column %d has no name", i+1)
		}
		c, err := ParseColumn(reg, h)
		if err != nil {
			return nil, fileErrorf(h, "%v", err)
		}
		if j, dup := seen[c.Name]; dup {
			return nil, fileErrorf(h, "duplicated column %s (columns %d and %d)", c.Name, j+1, i+1)
		}
		seen[c.Name] = i
		switch c.Name {
		case ColumnGroups:
			g.groups = i
		case ColumnID:
			g.id = i
		case uuidName:
			g.uuid = i
		case "userName":
			g.userName = i
		case "emails[0].value":
			g.email = i
		}
	}
	if g.groups < 0 {
		return nil, fileErrorf(ColumnGroups, "missing mandatory column groups")
	}
	if g.id < 0 && g.uuid < 0 && g.userName < 0 && g.email < 0 {
		return nil, fileErrorf("", "missing identifier column: the file needs id, %s, userName or emails[0].value", uuidName)
	}
	return g, nil
}

// Map maps one data row. A row without any identifier value, or naming
// more groups than the per-user limit, is a *RowError.
func (g *GroupMapper) Map(num int, rec []string) (GroupRow, error) {
	if len(rec) != len(g.header) {
		return GroupRow{}, &RowError{Num: num, Msg: fmt.Sprintf("has %d cells, the header has %d columns", len(rec), len(g.header))}
	}
	cell := func(i int) string {
		if i < 0 {
			return ""
		}
		return strings.TrimSpace(unneutralise(rec[i]))
	}
	row := GroupRow{Num: num, ID: cell(g.id), UserUUID: cell(g.uuid), UserName: cell(g.userName), Email: cell(g.email)}
	row.Groups = splitList(unneutralise(rec[g.groups]))
	if len(row.Groups) > g.maxGroups {
		return GroupRow{}, &RowError{Num: num, Column: g.header[g.groups], Msg: fmt.Sprintf("%d groups; a user can be in at most %d", len(row.Groups), g.maxGroups)}
	}
	if row.ID == "" && row.UserUUID == "" && row.UserName == "" && row.Email == "" {
		return GroupRow{}, &RowError{Num: num, Msg: "no identifier: the user identifier cells are empty"}
	}
	return row, nil
}
