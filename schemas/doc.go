// Package schemas owns the RFC 7643 resource model of scimd: the built-in
// schemas (core User and Group, Enterprise User, the SAP User extensions),
// custom extension schemas loaded from a directory, attribute path
// resolution, and the conversion to elimity-com/scim schema values.
//
// It is the single source of truth for input validation, /Schemas,
// filtering (column, JSON path and case rule) and the CSV column set.
//
// schemas is a leaf: it must not import any other scimd package.
package schemas
