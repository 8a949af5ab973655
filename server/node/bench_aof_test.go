package node

import (
	"net"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/carminedb/carmine/resp"
)

// BenchmarkAOFSet measures SET from 32 parallel clients, without the AOF and with each appendfsync policy, and
// reports the fsyncs per write (group commit) for always.
func BenchmarkAOFSet(b *testing.B) {
	for _, policy := range []string{"off", "no", "everysec", "always"} {
		b.Run(policy, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Port, cfg.Bind, cfg.Save, cfg.Dir = 0, []string{"127.0.0.1"}, nil, b.TempDir()
			cfg.AOF.Enabled = policy != "off"
			if cfg.AOF.Enabled {
				cfg.AOF.Fsync = policy
			}
			srv, err := Start(cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { srv.Close() })
			addr := srv.Addr().String()
			var id atomic.Int64
			b.SetParallelism(16) // 16 x GOMAXPROCS clients
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					b.Error(err)
					return
				}
				defer conn.Close()
				w, r := resp.NewWriter(conn), resp.NewReader(conn)
				key := "k" + strconv.FormatInt(id.Add(1), 10)
				for pb.Next() {
					w.WriteArrayLen(3)
					w.WriteBulkString("SET")
					w.WriteBulkString(key)
					w.WriteBulkString("value")
					if err := w.Flush(); err != nil {
						b.Error(err)
						return
					}
					if _, err := r.ReadValue(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if policy == "always" {
				srv.aof.mu.Lock()
				b.ReportMetric(float64(srv.aof.w.fsyncs.Load())/float64(b.N), "fsyncs/op")
				srv.aof.mu.Unlock()
			}
		})
	}
}
