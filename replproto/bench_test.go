package replproto_test

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/carminedb/carmine/replproto"
)

// BenchmarkPayload reads a 1 MiB payload in each form through a Conn-sized buffer.
func BenchmarkPayload(b *testing.B) {
	rdb := bytes.Repeat([]byte("REDIS0011 some payload bytes "), 1<<20/29)
	var mark replproto.EOFMark
	copy(mark[:], idA)
	for _, tc := range []struct {
		name string
		pre  replproto.Preamble
		in   []byte
	}{
		{"sized", replproto.Preamble{Size: int64(len(rdb))}, rdb},
		{"diskless", replproto.Preamble{Size: -1, Mark: mark}, append(append([]byte(nil), rdb...), mark[:]...)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			src := bytes.NewReader(tc.in)
			br := bufio.NewReaderSize(src, replproto.ConnBufferSize)
			buf := make([]byte, 32<<10)
			b.ReportAllocs()
			b.SetBytes(int64(len(rdb)))
			for b.Loop() {
				src.Reset(tc.in)
				br.Reset(src)
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{replproto.NewPayload(br, tc.pre)}, buf)
				if err != nil || n != int64(len(rdb)) {
					b.Fatal(n, err)
				}
			}
		})
	}
}
