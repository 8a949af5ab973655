package node

import (
	"io"
	"testing"

	"github.com/carminedb/carmine/resp"
)

// benchClient returns a client of a fresh server whose replies go nowhere, for benchmarks of the dispatcher
// and the handlers without the network.
func benchClient(tb testing.TB) *client {
	srv, err := New(DefaultConfig(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	c := srv.newClient("127.0.0.1:1", "127.0.0.1:6379", -1, func(*client) {})
	c.w = resp.NewWriter(io.Discard)
	return c
}

// benchCommand is one sub-benchmark of runBenchCommands: a command run again and again.
type benchCommand struct {
	name string
	args [][]byte
}

// runBenchCommands runs each command as a sub-benchmark on c.
func runBenchCommands(b *testing.B, c *client, cmds []benchCommand) {
	c.w.Discard()
	for _, bc := range cmds {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.execute(bc.args)
				c.w.Discard()
			}
		})
	}
}

// BenchmarkExecute measures the dispatcher's cost per command (lookup, statistics, slow log check, handler)
// without the network, for comparing changes to execute.
func BenchmarkExecute(b *testing.B) {
	c := benchClient(b)
	c.execute(bs("SET", "key", "value"))
	runBenchCommands(b, c, []benchCommand{
		{"get", bs("GET", "key")},
		{"set", bs("SET", "key", "value")},
	})
}

// BenchmarkExecuteCluster is BenchmarkExecute in cluster mode, the node serving every slot: the cost of the
// slot check in the dispatcher.
func BenchmarkExecuteCluster(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Dir, cfg.ClusterEnabled = b.TempDir(), true
	srv, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := srv.newClient("127.0.0.1:1", "127.0.0.1:6379", -1, func(*client) {})
	c.w = resp.NewWriter(io.Discard)
	c.execute(bs("CLUSTER", "ADDSLOTSRANGE", "0", "16383"))
	c.execute(bs("SET", "key", "value"))
	runBenchCommands(b, c, []benchCommand{
		{"get", bs("GET", "key")},
		{"set", bs("SET", "key", "value")},
		{"mget", bs("MGET", "{k}1", "{k}2", "{k}3")},
	})
}
