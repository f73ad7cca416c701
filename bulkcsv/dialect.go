package bulkcsv

import (
	"strings"

	"github.com/scimd/scimd/schemas"
)

// Dialect is a user import file format, recognised from the header.
type Dialect uint8

const (
	// Native: attribute paths of the User schema (the export format).
	Native Dialect = iota
	// SAP: SAP Cloud Identity Services application import (status,
	// loginName, mail, firstName, lastName, language, validFrom, validTo,
	// spCustomAttribute1..5, groups).
	SAP
	// IDaaS: Alibaba Cloud IDaaS EIAM 2.0 account template (username,
	// displayName, organizationalUnitPath, email, phoneRegion, phoneNumber,
	// customFieldMap.<key>).
	IDaaS
)

func (d Dialect) String() string {
	switch d {
	case SAP:
		return "SAP application import"
	case IDaaS:
		return "IDaaS EIAM 2.0 template"
	default:
		return "native"
	}
}

// Lower-cased column names of the SAP and IDaaS dialects.
const (
	sapColStatus   = "status"
	sapLoginName   = "loginname"
	sapMail        = "mail"
	sapFirstName   = "firstname"
	sapLastName    = "lastname"
	sapColLanguage = "language"
	sapValidFrom   = "validfrom"
	sapValidTo     = "validto"
	sapCustomPfx   = "spcustomattribute"
	sapGroups      = "groups"
	idaasUsername  = "username"
	idaasDisplay   = "displayname"
	idaasOUPath    = "organizationalunitpath"
	idaasEmail     = "email"
	idaasRegion    = "phoneregion"
	idaasPhone     = "phonenumber"
	idaasCustom    = "customfieldmap."
)

// sapCustomColumns is how many spCustomAttributeN columns SAP documents.
const sapCustomColumns = 5

// sapOnly reports whether the lower-cased name is a column of the SAP
// dialect that is not also a native column.
func sapOnly(l string) bool {
	switch l {
	case sapColStatus, sapLoginName, sapMail, sapFirstName, sapLastName, sapColLanguage, sapValidFrom, sapValidTo:
		return true
	}
	return sapCustomIndex(l) > 0
}

// sapCustomIndex returns N for "spcustomattributeN" (1..5), else 0.
func sapCustomIndex(l string) int {
	if !strings.HasPrefix(l, sapCustomPfx) || len(l) != len(sapCustomPfx)+1 {
		return 0
	}
	n := int(l[len(sapCustomPfx)] - '0')
	if n < 1 || n > sapCustomColumns {
		return 0
	}
	return n
}

// idaasStrong reports whether the lower-cased name exists only in the
// IDaaS template and is one that every such file carries.
func idaasStrong(l string) bool {
	return l == idaasOUPath || strings.HasPrefix(l, idaasCustom)
}

// idaasOnly reports whether the lower-cased name is an IDaaS column that is
// not also a native column.
func idaasOnly(l string) bool {
	return idaasStrong(l) || l == idaasEmail || l == idaasRegion || l == idaasPhone
}

// DetectDialect recognises the dialect of a user import header. Names
// compare case-insensitively. In order:
//
//  1. IDaaS if a column is organizationalUnitPath (mandatory in every
//     IDaaS EIAM 2.0 file) or customFieldMap.<key>: names no SCIM
//     attribute path can take.
//  2. SAP if the header has all three SAP mandatory columns status, mail
//     and lastName, whatever else it has (SAP ignores unknown columns).
//  3. Otherwise count the dialect-only names: SAP's status, loginName,
//     mail, firstName, lastName, language, validFrom, validTo,
//     spCustomAttribute1..5; IDaaS's email, phoneRegion, phoneNumber; and
//     native names, i.e. columns ParseColumn accepts other than the ones
//     every dialect shares (userName/username, displayName, groups). If
//     only SAP names occur, SAP; if only IDaaS names, IDaaS (the mapper
//     then names the missing mandatory column). Anything else is native,
//     where an SAP or IDaaS name in a native file is reported as an
//     unknown column.
func DetectDialect(reg *schemas.Registry, header []string) Dialect {
	var sapN, idaasN, nativeN int
	var status, mail, last bool
	for _, h := range header {
		l := strings.ToLower(strings.TrimSpace(h))
		switch {
		case idaasStrong(l):
			return IDaaS
		case sapOnly(l):
			sapN++
			status = status || l == sapColStatus
			mail = mail || l == sapMail
			last = last || l == sapLastName
		case idaasOnly(l):
			idaasN++
		case l == idaasUsername || l == idaasDisplay || l == sapGroups || l == "":
		default:
			if _, err := ParseColumn(reg, h); err == nil {
				nativeN++
			}
		}
	}
	switch {
	case status && mail && last:
		return SAP
	case sapN > 0 && idaasN == 0 && nativeN == 0:
		return SAP
	case idaasN > 0 && sapN == 0 && nativeN == 0:
		return IDaaS
	}
	return Native
}
