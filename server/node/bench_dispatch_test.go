package node

import (
	"io"
	"testing"

	"github.com/carminedb/carmine/resp"
)

// BenchmarkExecute measures the dispatcher's cost per command (lookup, statistics, slow log check, handler)
// without the network, for comparing changes to execute.
func BenchmarkExecute(b *testing.B) {
	cfg := DefaultConfig()
	srv, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := srv.newClient("127.0.0.1:1", "127.0.0.1:6379", func(*client) {})
	c.w = resp.NewWriter(io.Discard)
	c.execute([][]byte{[]byte("SET"), []byte("key"), []byte("value")})
	for _, bc := range []struct {
		name string
		args [][]byte
	}{
		{"get", [][]byte{[]byte("GET"), []byte("key")}},
		{"set", [][]byte{[]byte("SET"), []byte("key"), []byte("value")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.execute(bc.args)
				c.w.Discard()
			}
		})
	}
}
