package node

import (
	"io"
	"testing"

	"github.com/carminedb/carmine/resp"
)

// BenchmarkHashSetCommands measures the hash and set handlers through the dispatcher, without the network.
func BenchmarkHashSetCommands(b *testing.B) {
	srv, err := New(DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	c := srv.newClient("127.0.0.1:1", "127.0.0.1:6379", func(*client) {})
	c.w = resp.NewWriter(io.Discard)
	args := func(s ...string) [][]byte {
		out := make([][]byte, len(s))
		for i, a := range s {
			out[i] = []byte(a)
		}
		return out
	}
	c.execute(args("HSET", "h", "f1", "v1", "f2", "v2", "f3", "v3"))
	c.execute(args("SADD", "s", "a", "b", "c"))
	c.execute(args("SADD", "i", "1", "2", "3"))
	for _, bc := range []struct {
		name string
		args [][]byte
	}{
		{"hset", args("HSET", "h", "f2", "xx")},
		{"hget", args("HGET", "h", "f2")},
		{"hincrby", args("HINCRBY", "h", "n", "1")},
		{"hgetall", args("HGETALL", "h")},
		{"sadd", args("SADD", "s", "b")},
		{"sismember", args("SISMEMBER", "s", "c")},
		{"sadd-intset", args("SADD", "i", "2")},
		{"smembers", args("SMEMBERS", "i")},
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
