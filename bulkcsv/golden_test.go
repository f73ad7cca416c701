package bulkcsv

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/scimd/scimd/schemas"
)

var update = flag.Bool("update", false, "rewrite the expected part of testdata golden files")

var (
	regOnce sync.Once
	testReg *schemas.Registry
	regErr  error
)

// registry returns the built-in schemas plus the custom extensions in
// testdata/schemas.
func registry(t testing.TB) *schemas.Registry {
	t.Helper()
	regOnce.Do(func() { testReg, regErr = schemas.Load(filepath.Join("testdata", "schemas")) })
	if regErr != nil {
		t.Fatal(regErr)
	}
	return testReg
}

// goldenOptions is the hand-written part of a golden file.
type goldenOptions struct {
	Kind       string `json:"kind,omitempty"` // "users" (default) or "groups"
	EmptyCells string `json:"emptyCells,omitempty"`
	MatchBy    string `json:"matchBy,omitempty"`
	MaxColumns int    `json:"maxColumns,omitempty"`
	MaxGroups  int    `json:"maxGroupsPerUser,omitempty"`
}

type goldenRow struct {
	Num         int            `json:"num"`
	Error       string         `json:"error,omitempty"`
	ID          string         `json:"id,omitempty"`
	Match       *Match         `json:"match,omitempty"`
	Fallback    *Match         `json:"fallback,omitempty"`
	Attrs       map[string]any `json:"attrs,omitempty"`
	Defaults    map[string]any `json:"defaults,omitempty"`
	Clear       []string       `json:"clear,omitempty"`
	Groups      *[]string      `json:"groups,omitempty"`
	Password    string         `json:"password,omitempty"`
	HasPassword bool           `json:"hasPassword,omitempty"`
	// group-assignment rows
	UserUUID string `json:"userUuid,omitempty"`
	UserName string `json:"userName,omitempty"`
	Email    string `json:"email,omitempty"`
}

type goldenFile struct {
	Options   goldenOptions `json:"options"`
	FileError string        `json:"fileError,omitempty"`
	Dialect   string        `json:"dialect,omitempty"`
	Header    []string      `json:"header,omitempty"`
	Rows      []goldenRow   `json:"rows"`
}

// TestGolden runs every testdata/import/*.csv through the reader and the
// mapper and compares the outcome with the .json beside it (whose
// "options" are the input settings). A new .csv file is a new case; run
// with -update to write the expected part.
func TestGolden(t *testing.T) {
	reg := registry(t)
	files, err := filepath.Glob(filepath.Join("testdata", "import", "*.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".csv")
		t.Run(name, func(t *testing.T) {
			jsonPath := strings.TrimSuffix(f, ".csv") + ".json"
			var want goldenFile
			raw, err := os.ReadFile(jsonPath)
			switch {
			case err == nil:
				if err := json.Unmarshal(raw, &want); err != nil {
					t.Fatalf("%s: %v", jsonPath, err)
				}
			case errors.Is(err, os.ErrNotExist) && *update:
			default:
				t.Fatal(err)
			}
			input, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := runGolden(t, reg, want.Options, input)
			out, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, '\n')
			if *update {
				if err := os.WriteFile(jsonPath, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !bytes.Equal(bytes.TrimSpace(out), bytes.TrimSpace(raw)) {
				t.Errorf("%s differs from the expected output; got:\n%s", jsonPath, out)
			}
		})
	}
}

func runGolden(t *testing.T, reg *schemas.Registry, o goldenOptions, input []byte) goldenFile {
	t.Helper()
	g := goldenFile{Options: o, Rows: []goldenRow{}}
	rd, err := NewReader(bytes.NewReader(input), ReaderOptions{MaxColumns: o.MaxColumns})
	if err != nil {
		g.FileError = fileErrorText(t, err)
		return g
	}
	g.Header = rd.Header()
	var mapRow func(num int, rec []string) (goldenRow, error)
	if o.Kind == "groups" {
		gm, err := NewGroupMapper(reg, rd.Header(), GroupMapperOptions{MaxGroupsPerUser: o.MaxGroups})
		if err != nil {
			g.FileError = fileErrorText(t, err)
			return g
		}
		mapRow = func(num int, rec []string) (goldenRow, error) {
			r, err := gm.Map(num, rec)
			groups := r.Groups
			return goldenRow{Num: r.Num, ID: r.ID, UserUUID: r.UserUUID, UserName: r.UserName, Email: r.Email, Groups: &groups}, err
		}
	} else {
		d := DetectDialect(reg, rd.Header())
		g.Dialect = d.String()
		opts := MapperOptions{MatchBy: MatchBy(o.MatchBy), MaxGroupsPerUser: o.MaxGroups}
		if o.EmptyCells == "clear" {
			opts.EmptyCells = EmptyClear
		}
		m, err := NewMapper(reg, d, rd.Header(), opts)
		if err != nil {
			g.FileError = fileErrorText(t, err)
			return g
		}
		mapRow = func(num int, rec []string) (goldenRow, error) {
			r, err := m.Map(num, rec)
			gr := goldenRow{Num: r.Num, ID: r.ID, Attrs: r.Attrs, Defaults: r.Defaults, Clear: r.Clear, Password: r.Password, HasPassword: r.HasPassword}
			if r.Match.Value != "" {
				gr.Match = &r.Match
			}
			if r.Fallback.Value != "" {
				gr.Fallback = &r.Fallback
			}
			if r.Groups != nil {
				gr.Groups = &r.Groups
			}
			return gr, err
		}
	}
	for {
		num, rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *RowError
			if errors.As(err, &re) {
				g.Rows = append(g.Rows, goldenRow{Num: re.Num, Error: re.Error()})
				continue
			}
			g.FileError = fileErrorText(t, err)
			return g
		}
		gr, err := mapRow(num, rec)
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("row %d: error %v is not a *RowError", num, err)
			}
			if re.Num != num {
				t.Errorf("row error number %d, want %d", re.Num, num)
			}
			gr = goldenRow{Num: num, Error: re.Error()}
		}
		g.Rows = append(g.Rows, gr)
	}
	return g
}

func fileErrorText(t *testing.T, err error) string {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FileError", err, err)
	}
	return fe.Error()
}
