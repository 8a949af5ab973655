package rdbfmt_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/carminedb/carmine/rdbfmt"
)

// BenchmarkDecoder reads the types fixture (every type and encoding Redis 7.0 writes), record by record.
func BenchmarkDecoder(b *testing.B) {
	data, err := readFixture("types")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		d := rdbfmt.NewDecoder(bytes.NewReader(data))
		for {
			if _, err := d.Next(); err != nil {
				if !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
				break
			}
		}
	}
}

// BenchmarkEncoder writes the entries of the types fixture.
func BenchmarkEncoder(b *testing.B) {
	data, err := readFixture("types")
	if err != nil {
		b.Fatal(err)
	}
	_, recs := decodeAll(b, data)
	var buf bytes.Buffer
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		buf.Reset()
		e := rdbfmt.NewEncoder(&buf, rdbfmt.DefaultConfig())
		for _, r := range recs {
			if ent, ok := r.(*rdbfmt.Entry); ok {
				e.Entry(ent)
			}
		}
		if err := e.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
