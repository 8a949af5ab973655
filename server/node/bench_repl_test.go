package node

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/carminedb/carmine/replproto"
	"github.com/carminedb/carmine/server/difftest"
)

// BenchmarkSetReplicas measures SET through 50 connections, one request in flight each (redis-benchmark -c 50
// -t set), on a primary with 0 and 2 in-process replicas attached. Everything runs in this process, so a CPU
// profile (-cpuprofile) shows the primary's and the replicas' costs together: the bench row "SET c=50 with 2
// replicas" runs them as separate processes on the same cores.
func BenchmarkSetReplicas(b *testing.B) {
	for _, n := range []int{0, 2} {
		b.Run("replicas="+strconv.Itoa(n), func(b *testing.B) {
			addr := quietServer(b)
			for range n {
				raddr := quietServer(b, replicaOf(addr))
				rc := difftest.Dial(b, raddr)
				for deadline := time.Now().Add(20 * time.Second); replInfo(rc, "replication", "master_link_status") != "up"; {
					if time.Now().After(deadline) {
						b.Fatal("replica never connected")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			const conns = 50
			var cs []net.Conn
			for range conns {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { c.Close() })
				cs = append(cs, c)
			}
			b.ReportAllocs()
			cpu0 := processCPU()
			b.ResetTimer()
			var wg sync.WaitGroup
			per := b.N/conns + 1
			for i, c := range cs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rd := bufio.NewReader(c)
					for j := range per {
						cmd := appendCommandStrs(nil, "SET", "key:"+strconv.Itoa((i*per+j)%100000), "xxx")
						if _, err := c.Write(cmd); err != nil {
							b.Error(err)
							return
						}
						if _, err := rd.ReadSlice('\n'); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			// CPU time of the whole process per SET: steadier than ns/op on a shared machine, and the clients'
			// part is the same with or without replicas.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// quietServer is startServer without logs: benchmarks would print every line.
func quietServer(b *testing.B, opts ...func(*Config)) string {
	cfg := DefaultConfig()
	cfg.Port, cfg.Bind, cfg.Save, cfg.Dir = 0, []string{"127.0.0.1"}, nil, b.TempDir()
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := Start(cfg, hclog.NewNullLogger())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv.Addr().String()
}

// processCPU returns the user and system CPU time this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReplicaApply measures a replica applying its primary's stream (replLink.apply), without the network:
// SETs of 100,000 keys, as the bench row "SET c=50 with 2 replicas" sends them, read from memory 16 KiB at a
// time. The replica keeps a backlog, as one does after its full sync.
func BenchmarkReplicaApply(b *testing.B) {
	srv, err := New(DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	srv.ensureBacklog(false)
	srv.resetStream(0)
	l := &replLink{s: srv, log: hclog.NewNullLogger(), ctx: context.Background()}
	l.master = srv.newFakeClient()
	l.master.prop.mute = toRepl
	const keys = 100000
	var round []byte
	for i := range keys {
		round = appendCommandStrs(round, "SET", "key:"+strconv.Itoa(i), "xxx")
	}
	src := &chunkedStream{round: round, left: (b.N + keys - 1) / keys}
	b.ReportAllocs()
	b.ResetTimer()
	err = l.apply(replproto.NewConn(src), 0, &linkConn{})
	b.StopTimer()
	if err != io.EOF {
		b.Fatal(err)
	}
	if got, want := srv.repl.offset.Load(), int64(len(round)*((b.N+keys-1)/keys)); got != want {
		b.Fatalf("replication offset %d, want %d", got, want)
	}
}

// chunkedStream reads round left times, at most 16 KiB at a time, then io.EOF; writes vanish.
type chunkedStream struct {
	round []byte
	pos   int
	left  int
}

func (s *chunkedStream) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 16<<10)], s.round[s.pos:])
	if s.pos += n; s.pos == len(s.round) {
		s.pos, s.left = 0, s.left-1
	}
	return n, nil
}

func (s *chunkedStream) Write(p []byte) (int, error) { return len(p), nil }
