// Command bench compares Carmine's throughput with a real redis-server on the same machine.
//
// It starts both servers on free loopback ports, runs each redis-benchmark workload against one, then the
// other, alternating for several rounds, and prints the median ops/s and p99 latency of each with the
// Carmine/Redis ratio. Ratios, not absolute numbers, are what carry from one machine to another. Further rows
// measure PUBLISH fan-out, the latency from XADD to delivery with 1,000 consumers blocked in XREADGROUP
// (-stream-consumers), SET and GET on a 3-primary cluster of each (-only cluster), and memory.
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
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// workload is one row of the table: a redis-benchmark run.
type workload struct {
	name  string
	args  []string   // redis-benchmark arguments besides host, port, -n and --csv
	test  string     // the CSV line to read, by the start of its test name; "" for the first
	setup [][]string // commands run on each server before the workload (keys a custom command reads)
}

// geoSetup adds 10,000 points on a 100 x 100 grid over central Europe to the key geo.
var geoSetup = func() [][]string {
	var cmds [][]string
	for i := 0; i < 100; i++ {
		cmd := []string{"GEOADD", "geo"}
		for j := 0; j < 100; j++ {
			lon := 5 + float64(j)*0.2
			lat := 45 + float64(i)*0.1
			cmd = append(cmd, strconv.FormatFloat(lon, 'f', 4, 64), strconv.FormatFloat(lat, 'f', 4, 64), fmt.Sprintf("p%d:%d", i, j))
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}()

// zsetSetup adds 1,000 members with scores 0 to 999 to the key zset.
var zsetSetup = func() [][]string {
	cmd := []string{"ZADD", "zset"}
	for i := 0; i < 1000; i++ {
		cmd = append(cmd, strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	return [][]string{cmd}
}()

// streamSetup adds 1,000 entries with ids 1-0 to 1000-0 and one field to the key stream.
var streamSetup = func() [][]string {
	var cmds [][]string
	for i := 1; i <= 1000; i++ {
		cmds = append(cmds, []string{"XADD", "stream", strconv.Itoa(i) + "-0", "f", "v" + strconv.Itoa(i)})
	}
	return cmds
}()

// scriptSetup loads the script of the EVALSHA row, redis.call('INCR', KEYS[1]), whose SHA1 the row names.
var scriptSetup = [][]string{{"SCRIPT", "LOAD", "return redis.call('INCR', KEYS[1])"}}

var workloads = []workload{
	{"PING_INLINE c=50", []string{"-t", "ping_inline", "-c", "50"}, "", nil},
	{"PING_MBULK c=50", []string{"-t", "ping_mbulk", "-c", "50"}, "", nil},
	{"PING_INLINE c=50 P=16", []string{"-t", "ping_inline", "-c", "50", "-P", "16"}, "", nil},
	{"PING_MBULK c=50 P=16", []string{"-t", "ping_mbulk", "-c", "50", "-P", "16"}, "", nil},
	{"SET c=50", []string{"-t", "set", "-c", "50", "-r", "100000"}, "", nil},
	{"GET c=50", []string{"-t", "get", "-c", "50", "-r", "100000"}, "", nil},
	{"INCR c=50", []string{"-t", "incr", "-c", "50", "-r", "100000"}, "", nil},
	{"MSET c=50", []string{"-t", "mset", "-c", "50", "-r", "100000"}, "", nil},
	{"SET c=50 P=16", []string{"-t", "set", "-c", "50", "-P", "16", "-r", "100000"}, "", nil},
	{"GET c=50 P=16", []string{"-t", "get", "-c", "50", "-P", "16", "-r", "100000"}, "", nil},
	{"INCR c=50 P=16", []string{"-t", "incr", "-c", "50", "-P", "16", "-r", "100000"}, "", nil},
	{"MSET c=50 P=16", []string{"-t", "mset", "-c", "50", "-P", "16", "-r", "100000"}, "", nil},
	{"GET c=1000", []string{"-t", "get", "-c", "1000", "-r", "100000"}, "", nil},
	{"SET c=1000", []string{"-t", "set", "-c", "1000", "-r", "100000"}, "", nil},
	{"LPUSH c=50", []string{"-t", "lpush", "-c", "50", "-r", "100000"}, "", nil},
	{"RPOP c=50", []string{"-t", "rpop", "-c", "50", "-r", "100000"}, "", nil},
	{"LRANGE_100 c=50", []string{"-t", "lrange_100", "-c", "50"}, "LRANGE_100", nil},
	{"SADD c=50", []string{"-t", "sadd", "-c", "50", "-r", "100000"}, "", nil},
	{"HSET c=50", []string{"-t", "hset", "-c", "50", "-r", "100000"}, "", nil},
	{"ZADD c=50", []string{"-t", "zadd", "-c", "50", "-r", "100000"}, "", nil},
	{"ZRANGEBYSCORE 100 of 1000 c=50", []string{"-c", "50", "ZRANGEBYSCORE", "zset", "400", "499"}, "", zsetSetup},
	{"XADD c=50", []string{"-c", "50", "XADD", "xs", "*", "field", "value"}, "", nil},
	{"XRANGE 100 of 1000 c=50", []string{"-c", "50", "XRANGE", "stream", "400-0", "499-0"}, "", streamSetup},
	{"EVALSHA INCR c=50", []string{"-c", "50", "-r", "100000", "EVALSHA", "61636018f4e6b5817b89791bbed242f93fa089e3", "1", "counter:__rand_int__"}, "", scriptSetup},
	{"GEOSEARCH 50 km COUNT 10 c=50", []string{"-c", "50", "GEOSEARCH", "geo", "FROMLONLAT", "13.4", "50.5", "BYRADIUS", "50", "km", "COUNT", "10", "ASC"}, "", geoSetup},
}

func main() {
	var (
		serverBin = flag.String("server", "", "Carmine server binary (default: build ./server into a temporary directory)")
		redisBin  = flag.String("redis", "redis-server", "redis-server binary")
		benchBin  = flag.String("redis-benchmark", "redis-benchmark", "redis-benchmark binary")
		cliBin    = flag.String("redis-cli", "redis-cli", "redis-cli binary, which forms the clusters of the cluster rows")
		requests  = flag.Int("n", 200000, "requests per run")
		rounds    = flag.Int("rounds", 3, "runs of each workload on each server (the median is shown)")
		only      = flag.String("only", "", "run only workloads and memory rows whose name contains this (case-insensitive); \"memory\": every memory row")
		memKeys   = flag.Int("memory-keys", 1000000, "keys of 16-byte values to load for the first memory row (0: skip that row, -1: skip every memory row)")
		fanSubs   = flag.Int("fanout-subscribers", 50, "subscribers of the PUBLISH fan-out row (0: skip it)")
		pin       = flag.Bool("pin", false, "pin the servers to CPU 0 and redis-benchmark to CPU 1 with taskset, for steadier numbers")
		streamCon = flag.Int("stream-consumers", 1000, "consumers blocked in XREADGROUP for the stream latency row (0: skip it)")
		streamMsg = flag.Int("stream-messages", 10000, "entries the stream latency row adds, one XADD at a time")
		replicas  = flag.Int("replicas", 2, "replicas attached for the SET-with-replicas row, which also prints the largest replica lag in bytes (0: skip it)")
		saveKeys  = flag.Int("bgsave-keys", 1000000, "keys loaded for the BGSAVE pause row, which measures command latency while a snapshot is written (0: skip it)")
	)
	flag.Parse()
	if *pin {
		pinServer, pinClient = []string{"taskset", "-c", "0"}, []string{"taskset", "-c", "1"}
	}
	if err := run(*serverBin, *redisBin, *benchBin, *cliBin, *requests, *rounds, *only, *memKeys, *fanSubs, *streamCon, *streamMsg, *replicas, *saveKeys); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(serverBin, redisBin, benchBin, cliBin string, requests, rounds int, only string, memKeys, fanSubs, streamCons, streamMsgs, replicas, saveKeys int) error {
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
	redis, err := startServer("redis", redisBin, filepath.Join(tmp, "redis"), redisArgs)
	if err != nil {
		return err
	}
	defer redis.stop()
	carmine, err := startServer("carmine", serverBin, filepath.Join(tmp, "carmine"), carmineArgs)
	if err != nil {
		return err
	}
	defer carmine.stop()

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\tredis ops/s\tcarmine ops/s\tratio\tround ratios\tredis p99 ms\tcarmine p99 ms\t\n")
	for _, wl := range workloads {
		if only != "" && !strings.Contains(strings.ToLower(wl.name), strings.ToLower(only)) {
			continue
		}
		for _, s := range []*server{redis, carmine} {
			if err := runCommands(s.port, wl.setup); err != nil {
				return fmt.Errorf("%s setup on %s: %w", wl.name, s.name, err)
			}
		}
		r, c, err := alternate(rounds, redis, carmine, func(s *server) (result, error) {
			res, err := benchmark(benchBin, s.port, requests, wl.args, wl.test)
			if err != nil {
				return res, fmt.Errorf("%s on %s: %w", wl.name, s.name, err)
			}
			return res, nil
		})
		if err != nil {
			return err
		}
		rm, cm := median(r), median(c)
		fmt.Fprintf(os.Stderr, "%s: redis %.0f ops/s, carmine %.0f ops/s\n", wl.name, rm.rps, cm.rps)
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.2f\t%s\t%.3f\t%.3f\t\n", wl.name, rm.rps, cm.rps, cm.rps/rm.rps, ratioRange(r, c), rm.p99, cm.p99)
	}
	if fanSubs > 0 && (only == "" || strings.Contains("publish fan-out", strings.ToLower(only))) {
		const messages = 20000
		r, c, err := alternate(rounds, redis, carmine, func(s *server) (result, error) {
			rate, err := fanout(s.port, fanSubs, messages)
			if err != nil {
				return result{}, fmt.Errorf("fan-out on %s: %w", s.name, err)
			}
			return result{rps: rate}, nil
		})
		if err != nil {
			return err
		}
		rm, cm := median(r), median(c)
		fmt.Fprintf(tw, "\npub/sub\tredis msgs/s\tcarmine msgs/s\tratio\t\t\t\n")
		fmt.Fprintf(tw, "PUBLISH fan-out to %d subscribers\t%.0f\t%.0f\t%.2f\t\t\t\n", fanSubs, rm.rps, cm.rps, cm.rps/rm.rps)
	}
	if streamCons > 0 && (only == "" || strings.Contains("xreadgroup stream latency", strings.ToLower(only))) {
		r, c, err := alternate(rounds, redis, carmine, func(s *server) (streamLatency, error) {
			res, err := streamFanout(s.port, streamCons, streamMsgs)
			if err != nil {
				return res, fmt.Errorf("stream latency on %s: %w", s.name, err)
			}
			return res, nil
		})
		if err != nil {
			return err
		}
		rm, cm := medianLatency(r), medianLatency(c)
		fmt.Fprintf(tw, "\nstream latency, XADD to delivery\tredis p50 ms\tcarmine p50 ms\tredis p99 ms\tcarmine p99 ms\tredis entries/s\tcarmine entries/s\t\n")
		fmt.Fprintf(tw, "%d XREADGROUP consumers blocked\t%.3f\t%.3f\t%.3f\t%.3f\t%.0f\t%.0f\t\n", streamCons,
			rm.p50, cm.p50, rm.p99, cm.p99, rm.rate, cm.rate)
	}
	if only == "" || strings.Contains("cluster", strings.ToLower(only)) {
		if err := clusterRows(tw, redisBin, serverBin, cliBin, benchBin, tmp, requests, rounds); err != nil {
			return err
		}
	}
	if replicas > 0 && (only == "" || strings.Contains("set with replicas", strings.ToLower(only))) {
		r, c, err := alternate(rounds, redis, carmine, func(s *server) (replicatedResult, error) {
			bin, args := redisBin, redisArgs
			if s == carmine {
				bin, args = serverBin, carmineArgs
			}
			res, err := replicated(s, bin, benchBin, tmp, args, replicas, requests)
			if err != nil {
				return res, fmt.Errorf("SET with replicas on %s: %w", s.name, err)
			}
			return res, nil
		})
		if err != nil {
			return err
		}
		var rr, cr []result
		var lag [2]int64
		for i := range r {
			rr, cr = append(rr, r[i].result), append(cr, c[i].result)
			lag[0], lag[1] = max(lag[0], r[i].lag), max(lag[1], c[i].lag)
		}
		rm, cm := median(rr), median(cr)
		fmt.Fprintf(tw, "\nreplication\tredis ops/s\tcarmine ops/s\tratio\tround ratios\tredis max lag B\tcarmine max lag B\t\n")
		fmt.Fprintf(tw, "SET c=50 with %d replicas\t%.0f\t%.0f\t%.2f\t%s\t%d\t%d\t\n", replicas, rm.rps, cm.rps, cm.rps/rm.rps, ratioRange(rr, cr), lag[0], lag[1])
	}
	if saveKeys > 0 && (only == "" || strings.Contains("bgsave pause", strings.ToLower(only))) {
		for _, s := range []*server{redis, carmine} {
			if err := loadSaveKeys(s.port, saveKeys); err != nil {
				return fmt.Errorf("loading keys for BGSAVE on %s: %w", s.name, err)
			}
		}
		r, c, err := alternate(rounds, redis, carmine, func(s *server) (savePause, error) {
			res, err := bgsavePause(s.port, saveKeys)
			if err != nil {
				return res, fmt.Errorf("BGSAVE pause on %s: %w", s.name, err)
			}
			return res, nil
		})
		if err != nil {
			return err
		}
		rt, rs, ri := medianPause(r)
		ct, cs, ci := medianPause(c)
		fmt.Fprintf(tw, "\nBGSAVE, %d keys, %d clients\tredis\tcarmine\tredis idle\tcarmine idle\t\t\n", saveKeys, saveClients)
		fmt.Fprintf(tw, "save took ms\t%.0f\t%.0f\t\t\t\t\n", float64(rt.Milliseconds()), float64(ct.Milliseconds()))
		for i, name := range []string{"p99 ms", "p99.9 ms", "max ms"} {
			fmt.Fprintf(tw, "latency %s\t%.3f\t%.3f\t%.3f\t%.3f\t\t\n", name, rs[i], cs[i], ri[i], ci[i])
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if memKeys < 0 {
		return nil
	}
	// Memory: fresh servers for each load, so the benchmarks' keys and buffers do not count.
	redis.stop()
	carmine.stop()
	fmt.Fprintf(tw, "\nmemory\tredis RSS MiB\tcarmine RSS MiB\tratio\tredis used MiB\tcarmine used MiB\tratio\t\n")
	for _, ml := range memoryLoads(memKeys) {
		if only != "" && !strings.EqualFold(only, "memory") && !strings.Contains(strings.ToLower(ml.name), strings.ToLower(only)) {
			continue
		}
		var rss, used [2]int64
		for i, s := range []struct {
			name, bin string
			args      func(int, string) []string
		}{{"redis", redisBin, redisArgs}, {"carmine", serverBin, carmineArgs}} {
			srv, err := startServer(s.name, s.bin, filepath.Join(tmp, s.name+"-mem"), s.args)
			if err != nil {
				return err
			}
			before, err := serverRSS(srv)
			if err == nil {
				err = load(srv.port, ml.n, ml.cmd)
			}
			if err == nil {
				time.Sleep(memSettle) // let background work (Go's GC and memory policy, Redis's cron) settle
				rss[i], err = serverRSS(srv)
			}
			if err == nil {
				used[i], err = usedMemory(srv.port)
			}
			srv.stop()
			if err != nil {
				return fmt.Errorf("memory %s on %s: %w", ml.name, s.name, err)
			}
			fmt.Fprintf(os.Stderr, "%s: RSS %d KiB empty, %d KiB with %s\n", s.name, before>>10, rss[i]>>10, ml.name)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.2f\t%.1f\t%.1f\t%.2f\t\n", ml.name,
			float64(rss[0])/(1<<20), float64(rss[1])/(1<<20), float64(rss[1])/float64(rss[0]),
			float64(used[0])/(1<<20), float64(used[1])/(1<<20), float64(used[1])/float64(used[0]))
	}
	return tw.Flush()
}

// alternate runs measure rounds times on each server, alternating, so that drift in the machine's speed hits
// both alike, and returns the results of each.
func alternate[T any](rounds int, redis, carmine *server, measure func(*server) (T, error)) (r, c []T, err error) {
	for range rounds {
		for _, s := range []*server{redis, carmine} {
			res, err := measure(s)
			if err != nil {
				return nil, nil, err
			}
			if s == redis {
				r = append(r, res)
			} else {
				c = append(c, res)
			}
		}
	}
	return r, c, nil
}

// memSettle is how long the memory rows wait after loading before reading RSS.
const memSettle = 3 * time.Second

// memoryLoad is a row of the memory table: n commands, the i-th written by cmd.
type memoryLoad struct {
	name string
	n    int
	cmd  func(w *bufio.Writer, i int)
}

// memoryLoads are the memory rows: strKeys string keys (the first row; none when 0), then the 1 million
// small hash fields and 1 million sorted-set members, and small intsets. Aggregates grow one element per command,
// as applications fill them.
func memoryLoads(strKeys int) []memoryLoad {
	var loads []memoryLoad
	if strKeys > 0 {
		loads = append(loads, memoryLoad{fmt.Sprintf("%d keys, 16-byte values", strKeys), strKeys, func(w *bufio.Writer, i int) {
			writeCommand(w, "SET", fmt.Sprintf("key:%07d", i), fmt.Sprintf("%016d", i))
		}})
	}
	return append(loads,
		memoryLoad{"100k hashes x 10 fields", 1_000_000, func(w *bufio.Writer, i int) {
			writeCommand(w, "HSET", fmt.Sprintf("hash:%d", i/10), fmt.Sprintf("field:%d", i%10), fmt.Sprintf("value:%d", i%10))
		}},
		memoryLoad{"1 zset of 1M members", 1_000_000, func(w *bufio.Writer, i int) {
			writeCommand(w, "ZADD", "zset", strconv.Itoa(i), fmt.Sprintf("member:%d", i))
		}},
		memoryLoad{"100k zsets x 10 members", 1_000_000, func(w *bufio.Writer, i int) {
			writeCommand(w, "ZADD", fmt.Sprintf("zset:%d", i/10), strconv.Itoa(i%10), fmt.Sprintf("member:%d", i%10))
		}},
		memoryLoad{"100k sets x 10 integers", 1_000_000, func(w *bufio.Writer, i int) {
			writeCommand(w, "SADD", fmt.Sprintf("set:%d", i/10), strconv.Itoa((i%10)*1000+i/10))
		}},
	)
}

// writeCommand writes a command as a RESP array of bulk strings.
func writeCommand(w *bufio.Writer, args ...string) {
	fmt.Fprintf(w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(w, "$%d\r\n%s\r\n", len(a), a)
	}
}

func redisArgs(port int, dir string) []string {
	return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}
}

func carmineArgs(port int, dir string) []string {
	return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--loglevel", "warning"}
}

// serverRSS reads the resident set size of a server process from /proc.
func serverRSS(s *server) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// load sends n commands written by cmd, pipelined in batches of 1,000, and checks that none failed.
func load(port, n int, cmd func(w *bufio.Writer, i int)) error {
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return err
	}
	defer conn.Close()
	w := bufio.NewWriterSize(conn, 64<<10)
	r := bufio.NewReader(conn)
	const batch = 1000
	for i := 0; i < n; i += batch {
		m := min(batch, n-i)
		for j := i; j < i+m; j++ {
			cmd(w, j)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		for j := 0; j < m; j++ {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if line[0] != '+' && line[0] != ':' {
				return fmt.Errorf("command %d answered %q", i+j, line)
			}
		}
	}
	return nil
}

// usedMemory asks a server for INFO memory's used_memory.
func usedMemory(port int) (int64, error) {
	info, err := infoSection(port, "memory")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, errors.New("no used_memory in INFO memory")
}

// infoSection returns a server's reply to INFO section.
func infoSection(port int, section string) (string, error) { return bulkCommand(port, "INFO", section) }

// bulkCommand runs one command whose reply is a bulk string (INFO, CLUSTER INFO) and returns the string.
func bulkCommand(port int, args ...string) (string, error) {
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(respCommand(args...))); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	head, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	size, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(head, "$")))
	if err != nil {
		return "", fmt.Errorf("%s answered %q", args[0], head)
	}
	body := make([]byte, size+2)
	if _, err := io.ReadFull(r, body); err != nil {
		return "", err
	}
	return string(body), nil
}

// fanout measures pub/sub delivery: subs connections subscribe to one channel, one connection publishes
// messages 64-byte messages to it, pipelined, and the result is messages delivered per second, from the first
// PUBLISH until every subscriber has read every message.
func fanout(port, subs, messages int) (float64, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	channel := fmt.Sprintf("fan%d", time.Now().UnixNano())
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	subscribe := fmt.Sprintf("*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n", len(channel), channel)
	for i := 0; i < subs; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return 0, err
		}
		conns = append(conns, c)
		if _, err := c.Write([]byte(subscribe)); err != nil {
			return 0, err
		}
		// The confirmation is 6 lines: *3, $9, subscribe, $n, channel, :1.
		if err := readLines(c, 6, nil); err != nil {
			return 0, err
		}
	}
	pub, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer pub.Close()
	payload := strings.Repeat("x", 64)
	frame := fmt.Sprintf("*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n$64\r\n%s\r\n", len(channel), channel, payload)
	errs := make(chan error, subs+1)
	start := time.Now()
	for _, c := range conns {
		go func() { errs <- readLines(c, 7*messages, nil) }() // a message is 7 lines
	}
	go func() { errs <- readLines(pub, messages, nil) }()
	w := bufio.NewWriterSize(pub, 64<<10)
	for i := 0; i < messages; i++ {
		w.WriteString(frame)
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	for i := 0; i < subs+1; i++ {
		if err := <-errs; err != nil {
			return 0, err
		}
	}
	return float64(subs*messages) / time.Since(start).Seconds(), nil
}

// readLines reads from c until it has seen n newlines, within a minute.
func readLines(c net.Conn, n int, buf []byte) error {
	c.SetReadDeadline(time.Now().Add(time.Minute))
	if buf == nil {
		buf = make([]byte, 64<<10)
	}
	for n > 0 {
		k, err := c.Read(buf)
		if err != nil {
			return err
		}
		n -= bytes.Count(buf[:k], []byte{'\n'})
	}
	return nil
}

// runCommands sends cmds pipelined and reads one reply line each, failing on an error reply. It is for setup
// commands whose replies are one line (integers, OK).
func runCommands(port int, cmds [][]string) error {
	if len(cmds) == 0 {
		return nil
	}
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return err
	}
	defer conn.Close()
	w := bufio.NewWriter(conn)
	for _, cmd := range cmds {
		w.WriteString(respCommand(cmd...))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	r := bufio.NewReader(conn)
	for range cmds {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "-") {
			return fmt.Errorf("setup command failed: %s", strings.TrimSpace(line))
		}
	}
	return nil
}

type server struct {
	name    string
	port    int
	cmd     *exec.Cmd
	out     bytes.Buffer
	done    chan struct{}
	stopped bool
}

func startServer(name, bin, dir string, args func(port int, dir string) []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return startServerOn(name, bin, dir, port, args)
}

// startServerOn starts a server on port and waits until it answers PING.
func startServerOn(name, bin, dir string, port int, args func(port int, dir string) []string) (*server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s := &server{name: name, port: port, done: make(chan struct{})}
	s.cmd = command(pinServer, bin, args(port, dir)...)
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
	if s.stopped {
		return
	}
	s.stopped = true
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

// pinServer and pinClient prefix the server and redis-benchmark commands (-pin).
var pinServer, pinClient []string

// command runs bin with args, under the prefix command if there is one (taskset).
func command(prefix []string, bin string, args ...string) *exec.Cmd {
	if len(prefix) == 0 {
		return exec.Command(bin, args...)
	}
	return exec.Command(prefix[0], append(append(prefix[1:len(prefix):len(prefix)], bin), args...)...)
}

type result struct{ rps, p99 float64 }

// benchmark runs redis-benchmark once and reads its CSV line: test, rps, avg, min, p50, p95, p99, max.
func benchmark(bin string, port, requests int, args []string, test string) (result, error) {
	all := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-n", strconv.Itoa(requests), "--csv"}, args...)
	cmd := command(pinClient, bin, all...)
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
		if len(rec) < 7 || rec[0] == "test" || !strings.HasPrefix(rec[0], test) {
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
// ratioRange is the lowest and highest Carmine/Redis ratio of the rounds, each round's two runs taken back to back
// (see alternate): a range that spans 1.0 is a tie within this machine's noise.
func ratioRange(r, c []result) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range min(len(r), len(c)) {
		x := c[i].rps / r[i].rps
		lo, hi = min(lo, x), max(hi, x)
	}
	return fmt.Sprintf("%.2f-%.2f", lo, hi)
}

// median returns the result of median ops/s. It sorts a copy: rs stays in round order, which ratioRange pairs by.
func median(rs []result) result {
	rs = slices.Clone(rs)
	sort.Slice(rs, func(i, j int) bool { return rs[i].rps < rs[j].rps })
	return rs[len(rs)/2]
}
