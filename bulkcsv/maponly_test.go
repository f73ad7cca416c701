package bulkcsv

import (
	"bytes"
	"testing"
	"github.com/scimd/scimd/schemas"
)

func BenchmarkMapOnly(b *testing.B) {
	reg, _ := schemas.Load("testdata/schemas")
	data := benchFile("native")[:2000]
	rd, _ := NewReader(bytes.NewReader(data), ReaderOptions{})
	m, _ := NewMapper(reg, Native, rd.Header(), MapperOptions{})
	num, rec, _ := rd.Read()
	rec = append([]string(nil), rec...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Map(num, rec); err != nil { b.Fatal(err) }
	}
}
