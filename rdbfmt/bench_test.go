package rdbfmt_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/carminedb/carmine/rdbfmt"
)

// BenchmarkDecoder reads the types fixture (every type and encoding Redis 7.0 writes), record by record.
func BenchmarkDecoder(b *testing.B) {
	data, err := readFixture("types")
	if err != nil {
		b.Fatal(err)
	}
	benchDecode(b, data)
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

// manyKeys is a file of 20000 small keys of every type, as a cache or session store holds: strings, small hashes,
// lists, sets and sorted sets, a third with an expiry.
func manyKeys(b *testing.B) []byte {
	var buf bytes.Buffer
	e := rdbfmt.NewEncoder(&buf, rdbfmt.DefaultConfig())
	for i := range 20000 {
		key := fmt.Appendf(nil, "user:%d:%s", i, []string{"name", "profile", "feed", "tags", "rank"}[i%5])
		var v rdbfmt.Value
		switch i % 5 {
		case 0:
			v = rdbfmt.String(fmt.Appendf(nil, "value-%d-%s", i, strings.Repeat("x", i%40)))
		case 1:
			v = rdbfmt.Hash{{Name: []byte("name"), Value: fmt.Appendf(nil, "n%d", i)}, {Name: []byte("age"), Value: []byte(strconv.Itoa(i % 90))},
				{Name: []byte("email"), Value: fmt.Appendf(nil, "u%d@example.com", i)}}
		case 2:
			v = rdbfmt.List{fmt.Appendf(nil, "post-%d", i), fmt.Appendf(nil, "post-%d", i+1), []byte(strconv.Itoa(i))}
		case 3:
			v = rdbfmt.Set{[]byte("a"), []byte("b"), fmt.Appendf(nil, "t%d", i%100)}
		case 4:
			v = rdbfmt.ZSet{{Member: []byte("x"), Score: float64(i)}, {Member: []byte("y"), Score: 1.5}}
		}
		ent := &rdbfmt.Entry{Key: key, Value: v}
		if i%3 == 0 {
			ent.ExpireAtMs, ent.HasExpire = 4102444800000+int64(i), true
		}
		if err := e.Entry(ent); err != nil {
			b.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkDecoderManyKeys reads a file of many small keys, the common shape of a large RDB file.
func BenchmarkDecoderManyKeys(b *testing.B) {
	data := manyKeys(b)
	benchDecode(b, data)
}

// benchDecode decodes data, every record, b.N times.
func benchDecode(b *testing.B, data []byte) {
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
