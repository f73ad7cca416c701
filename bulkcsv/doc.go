// Package bulkcsv owns the CSV formats of scimd's bulk user and group
// import/export: the streaming reader (BOM, delimiter and dialect
// detection, limits), the schema-generated column set, the row mappers
// (CSV row → SCIM attribute map, or a row error) and the writers. The job
// runner that wires them to the Bulk engine lives here too, in files of
// its own.
//
// The format files (reader, columns, dialect, values, plan, mapper*,
// merge, groups_import, writer, box) are pure (STYLE habit 12): they work
// on io.Reader, io.Writer, SCIM attribute maps and schemas.Registry, and
// know nothing of HTTP, the database or jobs. The package must not import
// store or scim (except the Bulk engine, scim/bulk), cmd or test.
//
// # Reading a user import
//
//	rd, err := bulkcsv.NewReader(body, bulkcsv.ReaderOptions{})
//	// err: a *FileError refuses the file at once (400, no job)
//	m, err := bulkcsv.NewMapper(reg, bulkcsv.DetectDialect(reg, rd.Header()), rd.Header(), opts)
//	// err: a *FileError as well
//	for {
//		num, rec, err := rd.Read()
//		if err == io.EOF {
//			break
//		}
//		// err: a *RowError fails that row, go on; anything else stops
//		row, err := m.Map(num, rec)
//		// err: a *RowError fails that row
//		// row.ID != "": update that user only (unknown id: the row fails);
//		// else look the user up by row.Match, then row.Fallback;
//		// create with row.NewUser(), update with row.ApplyTo(stored).
//	}
//
// A group-assignment import reads the same way with NewGroupMapper and
// GroupRow (SPEC §6). An export is NewWriter(w, cols, opts) with cols from
// ExportColumns (the attributes= list) or Columns (every column), one
// Write per user, Flush when the caller wants bytes on the wire;
// NewGroupsWriter writes the groups export.
//
// # Dialects
//
// The dialect is recognised from the header (see DetectDialect):
// native (attribute paths, the export format), SAP application import and
// IDaaS EIAM 2.0. Names compare case-insensitively in every dialect and
// native names are canonicalised ("EMAILS[0].VALUE" → "emails[0].value").
//
// # Cell escaping rules (writer and reader agree on them)
//
// Formula neutralisation: a cell whose text begins with zero or more single
// quotes followed by one of = + - @ TAB CR is written with one extra
// leading single quote. With WriterOptions.Raw the quote is added only when
// the text already begins with a single quote (one or more) followed by a
// formula character; plain formulas are written as they are. The reader,
// for every dialect, removes exactly one leading single quote from a cell
// that begins with one or more single quotes followed by a formula
// character, and leaves every other cell alone. Examples (value → cell →
// value read back):
//
//	=1+1    →  '=1+1   (raw: =1+1)  →  =1+1
//	-5      →  '-5     (raw: -5)    →  -5
//	'=x     →  ''=x    (raw: ''=x)  →  '=x
//	'abc    →  'abc                 →  'abc
//
// Group lists: display names are separated by ';'. Inside a name, the writer
// escapes '\' as `\\`, ';' as `\;`, and a leading or trailing space or tab
// as `\ ` or `\<TAB>`. The reader splits on unescaped ';', turns `\\`,
// `\;`, `\ ` and `\<TAB>` into the escaped character, keeps any other
// backslash literally (so "DOMAIN\admins" reads as written), trims
// unescaped spaces and tabs around each name, drops empty names and
// duplicates. Member lists of the groups export use the same escaping.
//
// Known limits of encoding/csv that the round trip inherits: CR LF inside a
// value reads back as LF (the writer writes it as LF), and a NUL byte is
// not valid in a file (the writer writes U+FFFD instead).
package bulkcsv
