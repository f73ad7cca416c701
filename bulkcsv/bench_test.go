package bulkcsv

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"testing"

	"github.com/scimd/scimd/schemas"
)

const benchRows = 100_000

// benchFile builds a CSV file of benchRows rows for one dialect.
func benchFile(dialect string) []byte {
	var b bytes.Buffer
	switch dialect {
	case "native":
		b.WriteString("userName,name.givenName,name.familyName,displayName,active,emails[0].value,emails[0].type,emails[0].primary,externalId,title\n")
		for i := 0; i < benchRows; i++ {
			fmt.Fprintf(&b, "user%07d,Given%d,Family%d,Given Family %d,%s,user%07d@example.com,work,TRUE,ext-%d,Engineer\n",
				i, i, i, i, []string{"TRUE", "FALSE"}[i%2], i, i)
		}
	case "sap":
		b.WriteString("status,loginName,mail,firstName,lastName,language,validFrom,validTo,spCustomAttribute1,groups\n")
		for i := 0; i < benchRows; i++ {
			fmt.Fprintf(&b, "active,EID%07d,user%07d@example.com,Given%d,Family%d,en-US,20240101000000Z,20991231235959Z,cost-%d,Employees;Team%d\n",
				i, i, i, i, i%100, i%50)
		}
	case "idaas":
		b.WriteString("username,displayName,organizationalUnitPath,email,phoneRegion,phoneNumber,customFieldMap.badgeNumber,customFieldMap.remote\n")
		for i := 0; i < benchRows; i++ {
			fmt.Fprintf(&b, "user%07d,Given Family %d,Company/R&D/Team%d,user%07d@example.com,86,1380000%04d,%d,true\n",
				i, i, i%50, i, i%10000, i)
		}
	}
	return b.Bytes()
}

// BenchmarkReadMap measures streaming parse + map throughput (rows/s) on
// one goroutine: "encoding-csv" is the bare yardstick (encoding/csv with
// ReuseRecord on the same 10-column native file), "read" is our Reader
// alone, the others read and map every row.
func BenchmarkReadMap(b *testing.B) {
	reg, err := schemas.Load("testdata/schemas")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encoding-csv", func(b *testing.B) {
		data := benchFile("native")
		b.SetBytes(int64(len(data)))
		rows := 0
		for b.Loop() {
			cr := csv.NewReader(bytes.NewReader(data))
			cr.ReuseRecord = true
			for {
				if _, err := cr.Read(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
				rows++
			}
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	})
	for _, name := range []string{"read", "native", "sap", "idaas"} {
		dialect := name
		if name == "read" {
			dialect = "native"
		}
		data := benchFile(dialect)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			rows := 0
			for b.Loop() {
				rd, err := NewReader(bytes.NewReader(data), ReaderOptions{})
				if err != nil {
					b.Fatal(err)
				}
				var m *Mapper
				if name != "read" {
					if m, err = NewMapper(reg, DetectDialect(reg, rd.Header()), rd.Header(), MapperOptions{}); err != nil {
						b.Fatal(err)
					}
				}
				for {
					num, rec, err := rd.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if m != nil {
						if _, err := m.Map(num, rec); err != nil {
							b.Fatal(err)
						}
					}
					rows++
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkWrite measures export throughput (rows/s): stored-form users
// written with the default columns and with all columns.
func BenchmarkWrite(b *testing.B) {
	reg, err := schemas.Load("testdata/schemas")
	if err != nil {
		b.Fatal(err)
	}
	users := make([]map[string]any, 1000)
	for i := range users {
		users[i] = map[string]any{
			"id": "0190a1b2-c3d4-7e5f-8a9b-" + fmt.Sprintf("%012d", i), "userName": "user" + strconv.Itoa(i), "active": i%2 == 0,
			"userType": "employee", "displayName": "Given Family " + strconv.Itoa(i), "title": "Engineer",
			"name": map[string]any{"givenName": "Given", "familyName": "Family"},
			"emails": []any{
				map[string]any{"value": "home" + strconv.Itoa(i) + "@example.com", "type": "home"},
				map[string]any{"value": "user" + strconv.Itoa(i) + "@example.com", "type": "work", "primary": true},
			},
			schemas.EnterpriseURN: map[string]any{"employeeNumber": strconv.Itoa(i), "department": "R&D"},
		}
	}
	groups := []string{"Employees", "R&D"}
	for _, set := range []struct {
		name string
		cols []string
	}{
		{"default", nil},
		{"10cols", []string{"id", "userName", "name.givenName", "name.familyName", "displayName", "active", "emails[0].value", "emails[0].type", "title", "groups"}},
		{"all", nil},
	} {
		cols, err := ExportColumns(reg, set.cols)
		if set.name == "all" {
			cols = Columns(reg)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.Run(set.name, func(b *testing.B) {
			b.ReportAllocs()
			w, err := NewWriter(io.Discard, cols, WriterOptions{})
			if err != nil {
				b.Fatal(err)
			}
			rows := 0
			for b.Loop() {
				if _, err := w.Write(users[rows%len(users)], groups); err != nil {
					b.Fatal(err)
				}
				rows++
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
