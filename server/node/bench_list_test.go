package node

import (
	"io"
	"testing"

	"github.com/carminedb/carmine/resp"
)

// BenchmarkListCommands measures redis-benchmark's list workloads through the dispatcher, without the network:
// LPUSH of a 3-byte element to one growing list, LRANGE of its first 100 elements, and RPOP.
func BenchmarkListCommands(b *testing.B) {
	srv, err := New(DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	c := srv.newClient("127.0.0.1:1", "127.0.0.1:6379", func(*client) {})
	c.w = resp.NewWriter(io.Discard)
	for range 100000 {
		c.execute(bs("LPUSH", "mylist", "xxx"))
	}
	c.w.Discard()
	for _, bc := range []struct {
		name string
		args [][]byte
	}{
		{"lpush", bs("LPUSH", "mylist", "xxx")},
		{"lrange-100", bs("LRANGE", "mylist", "0", "99")},
		{"lrange-300", bs("LRANGE", "mylist", "0", "299")},
		{"rpop", bs("RPOP", "mylist")},
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
