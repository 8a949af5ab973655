// Command bench compares Carmine's throughput with a real redis-server on the same machine.
//
// It starts both servers on free loopback ports, runs each redis-benchmark workload against one, then the
// other, alternating for several rounds, and prints the median ops/s and p99 latency of each with the
// Carmine/Redis ratio. Ratios, not absolute numbers, are what carry from one machine to another.
//
//	go run ./tools/bench                        # builds ./server first
//	go run ./tools/bench -server bin/carmine-server -rounds 5 -only ping
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// workload is one row of the table: a redis-benchmark run.
type workload struct {
	name string
	args []string // redis-benchmark arguments besides host, port, -n and --csv
}

var workloads = []workload{
	{"PING_INLINE c=50", []string{"-t", "ping_inline", "-c", "50"}},
	{"PING_MBULK c=50", []string{"-t", "ping_mbulk", "-c", "50"}},
	{"PING_INLINE c=50 P=16", []string{"-t", "ping_inline", "-c", "50", "-P", "16"}},
	{"PING_MBULK c=50 P=16", []string{"-t", "ping_mbulk", "-c", "50", "-P", "16"}},
	{"SET c=50", []string{"-t", "set", "-c", "50", "-r", "100000"}},
	{"GET c=50", []string{"-t", "get", "-c", "50", "-r", "100000"}},
	{"INCR c=50", []string{"-t", "incr", "-c", "50", "-r", "100000"}},
	{"MSET c=50", []string{"-t", "mset", "-c", "50", "-r", "100000"}},
	{"SET c=50 P=16", []string{"-t", "set", "-c", "50", "-P", "16", "-r", "100000"}},
	{"GET c=50 P=16", []string{"-t", "get", "-c", "50", "-P", "16", "-r", "100000"}},
	{"INCR c=50 P=16", []string{"-t", "incr", "-c", "50", "-P", "16", "-r", "100000"}},
	{"MSET c=50 P=16", []string{"-t", "mset", "-c", "50", "-P", "16", "-r", "100000"}},
	{"GET c=1000", []string{"-t", "get", "-c", "1000", "-r", "100000"}},
	{"SET c=1000", []string{"-t", "set", "-c", "1000", "-r", "100000"}},
}

func main() {
	var (
		serverBin = flag.String("server", "", "Carmine server binary (default: build ./server into a temporary directory)")
		redisBin  = flag.String("redis", "redis-server", "redis-server binary")
		benchBin  = flag.String("redis-benchmark", "redis-benchmark", "redis-benchmark binary")
		requests  = flag.Int("n", 200000, "requests per run")
		rounds    = flag.Int("rounds", 3, "runs of each workload on each server (the median is shown)")
		only      = flag.String("only", "", "run only workloads whose name contains this (case-insensitive)")
	)
	flag.Parse()
	if err := run(*serverBin, *redisBin, *benchBin, *requests, *rounds, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(serverBin, redisBin, benchBin string, requests, rounds int, only string) error {
	tmp, err := os.MkdirTemp("", "carmine-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if serverBin == "" {
		serverBin = filepath.Join(tmp, "carmine-server")
		fmt.Fprintln(os.Stderr, "building ./server ...")
		build := exec.Command("go", "build", "-o", serverBin, "./server")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building the server: %w", err)
		}
	}
	redis, err := startServer("redis", redisBin, filepath.Join(tmp, "redis"), func(port int, dir string) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}
	})
	if err != nil {
		return err
	}
	defer redis.stop()
	carmine, err := startServer("carmine", serverBin, filepath.Join(tmp, "carmine"), func(port int, dir string) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--loglevel", "warning"}
	})
	if err != nil {
		return err
	}
	defer carmine.stop()

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\tredis ops/s\tcarmine ops/s\tratio\tredis p99 ms\tcarmine p99 ms\t\n")
	for _, wl := range workloads {
		if only != "" && !strings.Contains(strings.ToLower(wl.name), strings.ToLower(only)) {
			continue
		}
		var r, c []result
		for i := 0; i < rounds; i++ { // alternate, so drift in the machine's speed hits both alike
			for _, s := range []*server{redis, carmine} {
				res, err := benchmark(benchBin, s.port, requests, wl.args)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", wl.name, s.name, err)
				}
				if s == redis {
					r = append(r, res)
				} else {
					c = append(c, res)
				}
			}
		}
		rm, cm := median(r), median(c)
		fmt.Fprintf(os.Stderr, "%s: redis %.0f ops/s, carmine %.0f ops/s\n", wl.name, rm.rps, cm.rps)
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.2f\t%.3f\t%.3f\t\n", wl.name, rm.rps, cm.rps, cm.rps/rm.rps, rm.p99, cm.p99)
	}
	return tw.Flush()
}

type server struct {
	name string
	port int
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
}

func startServer(name, bin, dir string, args func(port int, dir string) []string) (*server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{name: name, port: port, done: make(chan struct{})}
	s.cmd = exec.Command(bin, args(port, dir)...)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping(port) == nil {
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("%s exited: %s", name, s.out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.stop()
	return nil, fmt.Errorf("%s did not answer PING within 10s: %s", name, s.out.String())
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func ping(port int) error {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

type result struct{ rps, p99 float64 }

// benchmark runs redis-benchmark once and reads its CSV line: test, rps, avg, min, p50, p95, p99, max.
func benchmark(bin string, port, requests int, args []string) (result, error) {
	all := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-n", strconv.Itoa(requests), "--csv"}, args...)
	cmd := exec.Command(bin, all...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("%w: %s", err, stderr.String())
	}
	rd := csv.NewReader(bytes.NewReader(out))
	rd.FieldsPerRecord = -1
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return result{}, fmt.Errorf("no result in redis-benchmark output: %q", out)
		}
		if err != nil {
			return result{}, fmt.Errorf("reading redis-benchmark output: %w", err)
		}
		if len(rec) < 7 || rec[0] == "test" {
			continue
		}
		rps, err1 := strconv.ParseFloat(rec[1], 64)
		p99, err2 := strconv.ParseFloat(rec[6], 64)
		if err1 != nil || err2 != nil {
			return result{}, fmt.Errorf("unexpected redis-benchmark line %q", rec)
		}
		return result{rps: rps, p99: p99}, nil
	}
}

// median returns the run with the median throughput.
func median(rs []result) result {
	sort.Slice(rs, func(i, j int) bool { return rs[i].rps < rs[j].rps })
	return rs[len(rs)/2]
}
