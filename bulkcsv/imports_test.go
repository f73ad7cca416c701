package bulkcsv

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the package within its place in the architecture: no
// store, no scim outside the Bulk engine, no HTTP or SQL.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbidden := func(path string) bool {
		switch {
		case path == "github.com/scimd/scimd/scim/bulk":
			return false
		case path == "net/http", path == "database/sql", strings.HasPrefix(path, "gorm.io/"),
			strings.HasPrefix(path, "github.com/labstack/echo"):
			return true
		}
		for _, p := range []string{"store", "scim", "cmd", "test"} {
			root := "github.com/scimd/scimd/" + p
			if path == root || strings.HasPrefix(path, root+"/") {
				return true
			}
		}
		return false
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if forbidden(path) {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}
