package bulkcsv

import (
	"strconv"
	"strings"

	"github.com/scimd/scimd/schemas"
)

// dialectColumns indexes the header of an SAP or IDaaS file by lower-cased
// name. known decides which names are columns of the dialect; the others
// are passed to unknown.
func (m *Mapper) dialectColumns(known func(l string) bool, unknown func(i int, h string) error) (map[string]int, error) {
	cols := make(map[string]int, len(m.header))
	for i, h := range m.header {
		l := strings.ToLower(h)
		if !known(l) {
			if err := unknown(i, h); err != nil {
				return nil, err
			}
			continue
		}
		if j, dup := cols[l]; dup {
			return nil, fileErrorf(h, "duplicated column %s (columns %d and %d)", h, j+1, i+1)
		}
		cols[l] = i
	}
	return cols, nil
}

func (m *Mapper) requireColumns(cols map[string]int, names ...string) error {
	for _, n := range names {
		if _, ok := cols[strings.ToLower(n)]; !ok {
			return fileErrorf(n, "missing mandatory column %s (%s)", n, m.dialect)
		}
	}
	return nil
}

// addLeaf binds the cell of column lower (if present) to key in parent.
func (m *Mapper) addLeaf(cols map[string]int, lower string, parent *node, key string, conv converter, clear string) *leaf {
	i, ok := cols[lower]
	if !ok {
		return nil
	}
	lf := &leaf{cell: i, key: key, conv: conv, column: m.header[i], clear: clear}
	parent.leaves = append(parent.leaves, lf)
	return lf
}

// primaryWork are the constant sub-attributes of the e-mail the SAP mail
// and IDaaS email columns set.
var primaryWork = []constKV{{"type", "work"}, {"primary", true}}

// initSAP prepares the SAP application import mapping (SPEC §5):
//   - status → active (active/inactive or a boolean);
//   - loginName → userName; an empty loginName makes the mail the userName
//     of a created user (Row.Defaults) and leaves an existing one alone;
//   - mail → emails[0] {value, type work, primary}; on update it merges
//     into the stored e-mail with that address, else is added (SAP cannot
//     change the e-mail of an existing user);
//   - firstName/lastName → name.givenName/familyName;
//   - language → preferredLanguage (xx_XX stored as xx-XX);
//   - validFrom/validTo → the SAP extension, as yyyyMMddHHmmss'Z';
//   - spCustomAttributeN → the SAP custom attribute customAttributeN;
//   - groups.
//
// Strings are limited to 64 characters. Unknown columns are ignored. Rows
// match by mail, then by loginName; MapperOptions.MatchBy does not apply.
func (m *Mapper) initSAP() error {
	cols, err := m.dialectColumns(
		func(l string) bool { return sapOnly(l) || l == sapGroups },
		func(int, string) error { return nil })
	if err != nil {
		return err
	}
	if err := m.requireColumns(cols, "status", "mail", "lastName"); err != nil {
		return err
	}
	root := m.plan.root
	m.addLeaf(cols, sapColStatus, root, "active", convSAPStatus, "").mandatory = true
	m.addLeaf(cols, sapLoginName, root, "userName", convSAPString, "")
	mails := root.list("emails")
	mails.byKey = "value" // an update never overwrites another address
	mail := mails.elem(0)
	mail.consts = primaryWork
	m.addLeaf(cols, sapMail, mail, "value", convSAPString, "").mandatory = true
	name := root.kid("name")
	m.addLeaf(cols, sapFirstName, name, "givenName", convSAPString, "name.givenName")
	m.addLeaf(cols, sapLastName, name, "familyName", convSAPString, "").mandatory = true
	m.addLeaf(cols, sapColLanguage, root, "preferredLanguage", convSAPLanguage, "preferredLanguage")
	sap := root.kid(schemas.SAPUserURN)
	m.addLeaf(cols, sapValidFrom, sap, "validFrom", convZulu, schemas.SAPUserURN+":validFrom")
	m.addLeaf(cols, sapValidTo, sap, "validTo", convZulu, schemas.SAPUserURN+":validTo")
	custom := root.kid(schemas.SAPCustomURN).list("attributes")
	custom.byKey = "name"
	for n := 1; n <= sapCustomColumns; n++ {
		attr := "customAttribute" + strconv.Itoa(n)
		lower := sapCustomPfx + strconv.Itoa(n)
		if _, ok := cols[lower]; !ok {
			continue
		}
		e := custom.elem(n - 1)
		e.consts = []constKV{{"name", attr}}
		m.addLeaf(cols, lower, e, "value", convSAPString, schemas.SAPCustomURN+`:attributes[name eq "`+attr+`"]`)
	}
	if i, ok := cols[sapGroups]; ok {
		m.groupsCell = i
	}
	m.matchKey, m.matchCell = MatchEmails, cols[sapMail]
	m.sapMail, m.sapLogin = cols[sapMail], -1
	if i, ok := cols[sapLoginName]; ok {
		m.sapLogin = i
	}
	return nil
}

// sapIdentity sets the SAP fallback match (loginName) or, when loginName
// is empty, the userName a created user gets (the mail).
func (m *Mapper) sapIdentity(cells []string, row *Row) {
	if m.sapLogin >= 0 && cells[m.sapLogin] != "" {
		row.Fallback = Match{Key: MatchUserName, Value: strings.TrimSpace(cells[m.sapLogin])}
		return
	}
	row.Defaults = map[string]any{"userName": cells[m.sapMail]}
}

// initIDaaS prepares the IDaaS EIAM 2.0 template mapping (SPEC §5):
// username→userName, displayName, email→emails[0] {value, type work,
// primary}, phoneRegion+phoneNumber→phoneNumbers[0] {value "+<region>
// <number>", type mobile}, organizationalUnitPath→the enterprise
// organization (the whole path), customFieldMap.<key>→the custom extension
// attribute <key>. Mandatory: username, organizationalUnitPath; a
// phoneNumber column needs a phoneRegion column. Unknown columns refuse
// the file. Rows match by MapperOptions.MatchBy (userName or emails).
func (m *Mapper) initIDaaS(reg *schemas.Registry) error {
	var customs []int
	cols, err := m.dialectColumns(
		func(l string) bool {
			switch l {
			case idaasUsername, idaasDisplay, idaasOUPath, idaasEmail, idaasRegion, idaasPhone:
				return true
			}
			return false
		},
		func(i int, h string) error {
			if strings.HasPrefix(strings.ToLower(h), idaasCustom) {
				customs = append(customs, i)
				return nil
			}
			if h == "" {
				return fileErrorf("", "column %d has no name", i+1)
			}
			return fileErrorf(h, "unknown column %q: not a column of the %s (username, displayName, organizationalUnitPath, email, phoneRegion, phoneNumber, customFieldMap.<key>)", h, m.dialect)
		})
	if err != nil {
		return err
	}
	if err := m.requireColumns(cols, "username", "organizationalUnitPath"); err != nil {
		return err
	}
	_, hasRegion := cols[idaasRegion]
	if _, ok := cols[idaasPhone]; ok && !hasRegion {
		return fileErrorf("phoneRegion", "column phoneNumber needs a phoneRegion column (%s)", m.dialect)
	}
	root := m.plan.root
	m.addLeaf(cols, idaasUsername, root, "userName", convString, "").mandatory = true
	m.addLeaf(cols, idaasDisplay, root, "displayName", convString, "displayName")
	m.addLeaf(cols, idaasOUPath, root.kid(schemas.EnterpriseURN), "organization", convString, "").mandatory = true
	if _, ok := cols[idaasEmail]; ok {
		e := root.list("emails").elem(0)
		e.consts = primaryWork
		m.addLeaf(cols, idaasEmail, e, "value", convString, "emails[0].value")
	}
	if phone, ok := cols[idaasPhone]; ok {
		region := cols[idaasRegion]
		virt := len(m.header) + m.nvirt
		m.nvirt++
		e := root.list("phoneNumbers").elem(0)
		e.consts = []constKV{{"type", "mobile"}}
		e.leaves = append(e.leaves, &leaf{cell: virt, key: "value", conv: convString, column: m.header[phone], clear: "phoneNumbers[0].value"})
		m.pre = func(m *Mapper, cells []string, num int) error {
			number := strings.TrimSpace(cells[phone])
			if number == "" {
				cells[virt] = ""
				return nil
			}
			code := strings.TrimPrefix(strings.TrimSpace(cells[region]), "+")
			if code == "" {
				return &RowError{Num: num, Column: m.header[region], Msg: "a phoneRegion is required when phoneNumber is set"}
			}
			if len(code) > 4 || strings.Trim(code, "0123456789") != "" {
				return &RowError{Num: num, Column: m.header[region], Msg: "not a country calling code (1 to 4 digits): " + quoteCell(cells[region])}
			}
			cells[virt] = "+" + code + " " + number
			return nil
		}
	}
	for _, i := range customs {
		if err := m.customField(reg, i); err != nil {
			return err
		}
	}
	switch m.opts.MatchBy {
	case MatchEmails:
		i, ok := cols[idaasEmail]
		if !ok {
			return fileErrorf("email", "missing identifier column email (matchBy=emails, %s)", m.dialect)
		}
		m.matchCell = i
	case MatchExternalID:
		return fileErrorf("", "matchBy=externalId: the %s has no externalId column; use userName or emails", m.dialect)
	default:
		m.matchCell = cols[idaasUsername]
	}
	return nil
}

// customField binds an IDaaS customFieldMap.<key> column to the custom
// extension attribute named <key>.
func (m *Mapper) customField(reg *schemas.Registry, i int) error {
	h := m.header[i]
	key := strings.TrimSpace(h[len(idaasCustom):])
	var found schemas.Path
	for _, s := range reg.Custom() {
		if reg.Users.Extension(s.ID) == nil {
			continue
		}
		a := s.Attr(key)
		if a == nil {
			continue
		}
		if found.Attr != nil {
			return fileErrorf(h, "column %s: attribute %q is defined by two custom extensions (%s, %s)", h, key, found.Schema.ID, s.ID)
		}
		found = schemas.Path{Schema: s, Ext: true, Attr: a}
	}
	switch {
	case found.Attr == nil:
		return fileErrorf(h, "column %s: no attribute %q in any custom extension schema", h, key)
	case found.Attr.Mutability == schemas.ReadOnly:
		return fileErrorf(h, "column %s: attribute %q is read-only", h, key)
	case found.Attr.IsComplex():
		return fileErrorf(h, "column %s: attribute %q is complex; customFieldMap takes simple attributes only", h, key)
	}
	index := -1
	if found.Attr.MultiValued {
		index = 0
	}
	c := newColumn(found, index)
	for j := 0; j < i; j++ {
		if strings.EqualFold(m.header[j], h) {
			return fileErrorf(h, "duplicated column %s (columns %d and %d)", h, j+1, i+1)
		}
	}
	m.attrLeaf(c, i, h)
	return nil
}
