package resp_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/carminedb/carmine/resp"
)

func BenchmarkParseCommand(b *testing.B) {
	buf := []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
	args := make([][]byte, 0, 8)
	lim := resp.DefaultLimits()
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		args, _, _ = resp.ParseCommand(buf, args, lim)
	}
}

func BenchmarkParseCommandInline(b *testing.B) {
	buf := []byte("SET key value\r\n")
	args := make([][]byte, 0, 8)
	lim := resp.DefaultLimits()
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		args, _, _ = resp.ParseCommand(buf, args, lim)
	}
}

// BenchmarkCommandReader reads a pipeline of 100 SET commands per read.
func BenchmarkCommandReader(b *testing.B) {
	cmd := []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
	r := resp.NewCommandReader(&loopReader{data: bytes.Repeat(cmd, 100)})
	b.ReportAllocs()
	b.SetBytes(int64(len(cmd)))
	for b.Loop() {
		if _, err := r.ReadCommand(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriterBulk(b *testing.B) {
	w := resp.NewWriter(io.Discard)
	val := bytes.Repeat([]byte("x"), 64)
	b.ReportAllocs()
	b.SetBytes(int64(len(val)))
	for b.Loop() {
		w.WriteBulk(val)
	}
}

func BenchmarkWriterSimple(b *testing.B) {
	w := resp.NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		w.WriteSimple("OK")
	}
}

func BenchmarkWriterError(b *testing.B) {
	w := resp.NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		w.WriteError("ERR wrong number of arguments for 'get' command")
	}
}

func BenchmarkAppendInt(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = resp.AppendInt(buf[:0], 1234567890)
	}
}

func BenchmarkAppendDouble(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = resp.AppendDouble(buf[:0], 1.1)
	}
}

func BenchmarkParse(b *testing.B) {
	buf := []byte("*3\r\n$3\r\nfoo\r\n:42\r\n%1\r\n+k\r\n,1.5\r\n")
	lim := resp.DefaultLimits()
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		_, _, _ = resp.Parse(buf, lim)
	}
}
