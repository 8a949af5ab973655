package node

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/rdbfmt"
	"github.com/carminedb/carmine/server/difftest"
)

// fillKeys stores n string keys "fill:<i>" with 16-byte values in database 0, directly in the keyspace.
func fillKeys(s *Server, n int) {
	val := []byte("0123456789abcdef")
	for i := range n {
		k := []byte("fill:" + strconv.Itoa(i))
		tx := s.ks.Begin(0, k)
		tx.SetString(k, val, 0)
		tx.End()
	}
}

// readRDB decodes a whole file into key -> string value (strings only) per database.
func readRDB(t testing.TB, path string) map[string]string {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	d := rdbfmt.NewDecoder(f)
	out := map[string]string{}
	for {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		if e, ok := rec.(*rdbfmt.Entry); ok {
			if v, ok := e.Value.(rdbfmt.String); ok {
				out[strconv.FormatUint(e.DB, 10)+":"+string(e.Key)] = string(v)
			}
		}
	}
}

// waitSaved waits until no save runs.
func waitSaved(t testing.TB, s *Server) {
	deadline := time.Now().Add(30 * time.Second)
	for s.saving() {
		require.True(t, time.Now().Before(deadline), "BGSAVE did not finish")
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBGSaveConsistent moves amounts between accounts in MULTI/EXEC blocks and increments pairs of counters
// together while BGSAVE runs; every file must show the total unchanged and every pair equal.
func TestBGSaveConsistent(t *testing.T) {
	dir := t.TempDir()
	srv, addr := startServer(t, func(c *Config) { c.Dir = dir })
	const accounts, each, pairs = 1000, 100, 100
	fill := 200_000
	if raceEnabled {
		fill = 20_000
	}
	fillKeys(srv, fill)
	c := difftest.Dial(t, addr)
	for i := range accounts {
		c.Send("SET", "acct:"+strconv.Itoa(i), strconv.Itoa(each))
	}
	for range accounts {
		c.Receive()
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var txns atomic.Int64
	for w := range 4 {
		wg.Add(1)
		wc := difftest.Dial(t, addr)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for !stop.Load() {
				a, b, p := r.IntN(accounts), r.IntN(accounts), strconv.Itoa(r.IntN(pairs))
				wc.Send("MULTI")
				wc.Send("DECRBY", "acct:"+strconv.Itoa(a), "3")
				wc.Send("INCRBY", "acct:"+strconv.Itoa(b), "3")
				wc.Send("INCR", "pair:a:"+p)
				wc.Send("INCR", "pair:b:"+p)
				wc.Send("EXEC")
				for range 5 {
					wc.Receive()
				}
				// and single commands on other keys, which lock one shard each
				wc.Do("SET", "fill:"+strconv.Itoa(r.IntN(fill)), "changed")
				txns.Add(1)
			}
		}()
	}
	for round := range 5 {
		require.Equal(t, "Background saving started", string(c.Do("BGSAVE").Str))
		waitSaved(t, srv)
		kv := readRDB(t, filepath.Join(dir, "dump.rdb"))
		total := 0
		for i := range accounts {
			n, err := strconv.Atoi(kv["0:acct:"+strconv.Itoa(i)])
			require.NoError(t, err)
			total += n
		}
		assert.Equal(t, accounts*each, total, "round %d", round)
		for i := range pairs {
			p := strconv.Itoa(i)
			assert.Equal(t, kv["0:pair:a:"+p], kv["0:pair:b:"+p], "round %d pair %d", round, i)
		}
		assert.GreaterOrEqual(t, len(kv), fill+accounts)
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d transactions ran during 5 BGSAVEs", txns.Load())
	checkRDB(t, filepath.Join(dir, "dump.rdb"))
}

// TestBGSaveReplies checks BGSAVE's and SAVE's replies and INFO persistence around a save.
func TestBGSaveReplies(t *testing.T) {
	dir := t.TempDir()
	srv, addr := startServer(t, func(c *Config) { c.Dir = dir })
	c := difftest.Dial(t, addr)
	assert.Equal(t, "ERR syntax error", string(c.Do("BGSAVE", "NOW").Str))
	c.Do("SET", "a", "1")
	c.Do("SET", "b", "2")
	assert.Contains(t, string(c.Do("INFO", "persistence").Str), "rdb_changes_since_last_save:2\r\n")

	assert.Equal(t, "Background saving started", string(c.Do("BGSAVE").Str))
	waitSaved(t, srv)
	info := string(c.Do("INFO", "persistence").Str)
	for _, f := range []string{"rdb_changes_since_last_save:0", "rdb_bgsave_in_progress:0", "rdb_last_bgsave_status:ok",
		"rdb_saves:1", "rdb_last_bgsave_time_sec:0", "rdb_current_bgsave_time_sec:-1"} {
		assert.Contains(t, info, f+"\r\n")
	}
	c.Do("MULTI")
	c.Do("BGSAVE")
	assert.Equal(t, "[+Background saving scheduled]", difftest.Format(c.Do("EXEC")))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(string(c.Do("INFO", "persistence").Str), "rdb_saves:2\r\n") {
		require.True(t, time.Now().Before(deadline), "the scheduled BGSAVE did not run")
		time.Sleep(20 * time.Millisecond)
	}
	c.Do("MULTI")
	c.Do("SET", "c", "3")
	c.Do("SAVE")
	assert.Equal(t, "[+OK, +OK]", difftest.Format(c.Do("EXEC")))
	kv := readRDB(t, filepath.Join(dir, "dump.rdb"))
	assert.Equal(t, map[string]string{"0:a": "1", "0:b": "2", "0:c": "3"}, kv)
}

// TestBGSaveInProgress: a second BGSAVE or SAVE while one runs gets Redis's error.
func TestBGSaveInProgress(t *testing.T) {
	srv, addr := startServer(t)
	fillKeys(srv, 100_000)
	c := difftest.Dial(t, addr)
	job, err := srv.startSave(true) // started, not yet running: the saver below is ours
	require.NoError(t, err)
	assert.Equal(t, "ERR Background save already in progress", string(c.Do("BGSAVE").Str))
	assert.Equal(t, "ERR Background save already in progress", string(c.Do("BGSAVE", "SCHEDULE").Str))
	assert.Equal(t, "ERR Background save already in progress", string(c.Do("SAVE").Str))
	assert.Contains(t, string(c.Do("INFO", "persistence").Str), "rdb_bgsave_in_progress:1\r\n")
	c.Do("SET", "fill:1", "x") // serialises its old value early
	require.NoError(t, srv.runSave(job))
	assert.Equal(t, 1, job.snap.EarlyKeys())
	assert.Zero(t, job.snap.Early())
	assert.Equal(t, "Background saving started", string(c.Do("BGSAVE").Str))
	waitSaved(t, srv)
}

// BenchmarkBGSaveLatency measures how long clients running GET and SET on random keys of a keyspace of
// 1,000,000 keys wait while BGSAVE runs, and the same for as long without a save for comparison. It prints
// the percentiles and the longest wait of each.
func BenchmarkBGSaveLatency(b *testing.B) {
	const keys = 1_000_000
	dir := b.TempDir()
	srv, addr := startServer(b, func(c *Config) { c.Dir = dir })
	fillKeys(srv, keys)
	measure := func(during func()) []time.Duration {
		var stop atomic.Bool
		var wg sync.WaitGroup
		var mu sync.Mutex
		var all []time.Duration
		for w := range 4 {
			wg.Add(1)
			c := difftest.Dial(b, addr)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), 2))
				var local []time.Duration
				for !stop.Load() {
					k := "fill:" + strconv.Itoa(r.IntN(keys))
					start := time.Now()
					if r.IntN(2) == 0 {
						c.Do("GET", k)
					} else {
						c.Do("SET", k, "v")
					}
					local = append(local, time.Since(start))
				}
				mu.Lock()
				all = append(all, local...)
				mu.Unlock()
			}()
		}
		time.Sleep(50 * time.Millisecond)
		during()
		stop.Store(true)
		wg.Wait()
		slices.Sort(all)
		return all
	}
	pct := func(d []time.Duration, p float64) time.Duration { return d[min(len(d)-1, int(float64(len(d))*p))] }
	show := func(d []time.Duration) string {
		return fmt.Sprintf("%d commands, p50 %v, p99 %v, p99.9 %v, max %v", len(d), pct(d, 0.5).Round(time.Microsecond),
			pct(d, 0.99).Round(time.Microsecond), pct(d, 0.999).Round(time.Microsecond), d[len(d)-1].Round(time.Microsecond))
	}
	for b.Loop() {
		var took time.Duration
		saving := measure(func() {
			start := time.Now()
			if err := srv.bgsave(); err != nil {
				b.Fatal(err)
			}
			waitSaved(b, srv)
			took = time.Since(start)
		})
		idle := measure(func() { time.Sleep(took) })
		b.ReportMetric(float64(saving[len(saving)-1].Microseconds())/1000, "max-ms-bgsave")
		b.ReportMetric(float64(pct(saving, 0.999).Microseconds())/1000, "p999-ms-bgsave")
		b.ReportMetric(float64(idle[len(idle)-1].Microseconds())/1000, "max-ms-idle")
		fmt.Printf("BGSAVE of %d keys took %v\n  during it: %s\n  no save:   %s\n", keys, took.Round(time.Millisecond),
			show(saving), show(idle))
	}
}

// TestSavePoints: a save point reached starts a BGSAVE; FLUSHALL with save points saves the empty dataset;
// Close saves with save points.
func TestSavePoints(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dump.rdb")
	srv, addr := startServer(t, func(c *Config) { c.Dir = dir })
	c := difftest.Dial(t, addr)
	c.Do("SET", "a", "1")
	time.Sleep(300 * time.Millisecond)
	_, err := os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "no save points, no save")
	require.Equal(t, "OK", string(c.Do("CONFIG", "SET", "save", "1 2").Str))
	time.Sleep(1200 * time.Millisecond)
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "one change, the save point wants two")
	c.Do("SET", "b", "2")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the save point did not save")
		time.Sleep(20 * time.Millisecond)
	}
	waitSaved(t, srv)
	assert.Equal(t, map[string]string{"0:a": "1", "0:b": "2"}, readRDB(t, path))
	assert.Contains(t, string(c.Do("INFO", "persistence").Str), "rdb_changes_since_last_save:0\r\n")

	require.Equal(t, "OK", string(c.Do("FLUSHALL").Str))
	assert.Empty(t, readRDB(t, path))
	c.Do("SET", "c", "3")
	require.NoError(t, srv.Close())
	assert.Equal(t, map[string]string{"0:c": "3"}, readRDB(t, path))
}

// TestShutdownSave: SHUTDOWN saves with save points or SAVE, not with NOSAVE; a failed save keeps the server
// up unless FORCE.
func TestShutdownSave(t *testing.T) {
	for _, tt := range []struct {
		name   string
		points bool
		args   []string
		saved  bool
	}{
		{"default no points", false, nil, false},
		{"default with points", true, nil, true},
		{"save", false, []string{"SAVE"}, true},
		{"nosave", true, []string{"NOSAVE"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			srv, addr := startServer(t, func(c *Config) {
				c.Dir = dir
				if tt.points {
					c.Save = []SavePoint{{3600, 1}}
				}
			})
			c := difftest.Dial(t, addr)
			c.Do("SET", "k", "v")
			c.Send(append([]string{"SHUTDOWN"}, tt.args...)...)
			_, err := c.ReceiveErr(5 * time.Second)
			assert.ErrorIs(t, err, io.EOF)
			<-srv.done
			_, err = os.Stat(filepath.Join(dir, "dump.rdb"))
			assert.Equal(t, tt.saved, err == nil, "saved")
		})
	}
	t.Run("failure", func(t *testing.T) {
		dir := t.TempDir()
		_, addr := startServer(t, func(c *Config) { c.Dir = dir })
		c := difftest.Dial(t, addr)
		// dump.rdb is a directory that is not empty: the rename fails (even for root)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "dump.rdb", "x"), 0o700))
		assert.Equal(t, "ERR Errors trying to SHUTDOWN. Check logs.", string(c.Do("SHUTDOWN", "SAVE").Str))
		assert.Equal(t, "ERR", string(c.Do("SAVE").Str))
		assert.Equal(t, "PONG", string(c.Do("PING").Str))
		c.Send("SHUTDOWN", "SAVE", "FORCE")
		_, err := c.ReceiveErr(5 * time.Second)
		assert.ErrorIs(t, err, io.EOF)
	})
}

// TestDebugReload: DEBUG RELOAD saves and loads back, so the data survives; rdbcompression and rdbchecksum
// shape the file.
func TestDebugReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dump.rdb")
	_, addr := startServer(t, func(c *Config) {
		c.Dir = dir
		c.DebugCommand = "yes"
	})
	c := difftest.Dial(t, addr)
	long := strings.Repeat("abc", 100)
	c.Do("SET", "s", long)
	c.Do("RPUSH", "l", "a", "b")
	c.Do("SET", "t", "v", "EX", "1000")
	require.Equal(t, "OK", string(c.Do("DEBUG", "RELOAD").Str))
	assert.Equal(t, long, string(c.Do("GET", "s").Str))
	assert.Equal(t, `["a", "b"]`, difftest.Format(c.Do("LRANGE", "l", "0", "-1")))
	assert.Greater(t, c.Do("TTL", "t").Int, int64(990))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(data), long, "compressed")
	assert.NotEqual(t, make([]byte, 8), data[len(data)-8:], "checksum")

	require.Equal(t, "OK", string(c.Do("CONFIG", "SET", "rdbcompression", "no").Str))
	assert.Equal(t, "ERR CONFIG SET failed (possibly related to argument 'rdbcompression') - argument must be 'yes' or 'no'",
		string(c.Do("CONFIG", "SET", "rdbcompression", "maybe").Str))
	require.Equal(t, "OK", string(c.Do("SAVE").Str))
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), long, "not compressed")
	c.Do("DEL", "s")
	require.Equal(t, "OK", string(c.Do("DEBUG", "RELOAD", "NOSAVE").Str))
	assert.Equal(t, long, string(c.Do("GET", "s").Str), "NOSAVE reloads the file as saved")
}

// TestRDBNoChecksum: with rdbchecksum no the file ends with a zero checksum, which Redis and Carmine accept.
func TestRDBNoChecksum(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dump.rdb")
	_, addr := startServer(t, func(c *Config) {
		c.Dir = dir
		c.RDBChecksum = false
	})
	c := difftest.Dial(t, addr)
	c.Do("SET", "k", "v")
	require.Equal(t, "OK", string(c.Do("SAVE").Str))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, 8), data[len(data)-8:])
	assert.Equal(t, map[string]string{"0:k": "v"}, readRDB(t, path))
	checkRDB(t, path)
}

// BenchmarkRDBLoad loads a file of 1,000,000 string keys (16-byte values) into a fresh server.
func BenchmarkRDBLoad(b *testing.B) {
	const keys = 1_000_000
	dir := b.TempDir()
	f, err := os.Create(filepath.Join(dir, "dump.rdb"))
	require.NoError(b, err)
	e := rdbfmt.NewEncoder(f, rdbfmt.DefaultConfig())
	r := rdbfmt.NewRecords(rdbfmt.DefaultConfig())
	for i := range keys {
		r.String(0, []byte("key:"+strconv.Itoa(i)), []byte("0123456789abcdef"), 0)
		if r.Len() > 1<<20 {
			require.NoError(b, e.Records(r.Bytes()))
			r.Reset()
		}
	}
	require.NoError(b, e.Records(r.Bytes()))
	require.NoError(b, e.Close())
	require.NoError(b, f.Close())
	cfg := DefaultConfig()
	cfg.Dir, cfg.Save = dir, nil
	for b.Loop() {
		srv, err := New(cfg, nil)
		require.NoError(b, err)
		tx := srv.ks.Begin(0)
		require.Equal(b, keys, tx.Len())
		tx.End()
	}
}

// TestBGSaveBigValues saves big values of every collection kind, which are encoded after their shard's lock is
// released (valueStash), while writers change them in MULTI/EXEC blocks that keep their sizes: every file must
// show each at its constant size, and the race detector watches the copies.
func TestBGSaveBigValues(t *testing.T) {
	dir := t.TempDir()
	srv, addr := startServer(t, func(c *Config) { c.Dir = dir })
	fillKeys(srv, 2000)
	c := difftest.Dial(t, addr)
	const n = 1000
	for i := range n {
		s := strconv.Itoa(i)
		c.Send("RPUSH", "blist", "e"+s)
		c.Send("HSET", "bhash", "f"+s, "v"+s)
		c.Send("ZADD", "bzset", s, "m"+s)
		c.Send("SADD", "bset", "m"+s)
		c.Send("XADD", "bstream", "*", "f", s)
	}
	for range 5 * n {
		c.Receive()
	}
	c.Do("XGROUP", "CREATE", "bstream", "g", "0")
	c.Do("XREADGROUP", "GROUP", "g", "alice", "COUNT", "10", "STREAMS", "bstream", ">")
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	wc := difftest.Dial(t, addr)
	go func() {
		defer wg.Done()
		for i := n; !stop.Load(); i++ {
			s := strconv.Itoa(i)
			for _, cmd := range [][]string{
				{"MULTI"}, {"RPUSH", "blist", "e" + s}, {"LPOP", "blist"},
				{"HSET", "bhash", "f" + s, "v" + s}, {"HDEL", "bhash", "f" + strconv.Itoa(i-n)},
				{"ZADD", "bzset", s, "m" + s}, {"ZPOPMIN", "bzset"},
				{"SADD", "bset", "m" + s}, {"SREM", "bset", "m" + strconv.Itoa(i-n)},
				{"XADD", "bstream", "MAXLEN", "=", strconv.Itoa(n), "*", "f", s},
				{"EXEC"},
			} {
				wc.Send(cmd...)
			}
			for range 11 {
				wc.Receive()
			}
		}
	}()
	for round := range 3 {
		require.Equal(t, "Background saving started", string(c.Do("BGSAVE").Str))
		waitSaved(t, srv)
		assert.Zero(t, srv.ks.SharedValues(), "the big values' shares ended with the save")
		f, err := os.Open(filepath.Join(dir, "dump.rdb"))
		require.NoError(t, err)
		d := rdbfmt.NewDecoder(f)
		sizes := map[string]int{}
		for {
			rec, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			e, ok := rec.(*rdbfmt.Entry)
			if !ok {
				continue
			}
			switch v := e.Value.(type) {
			case rdbfmt.List:
				sizes[string(e.Key)] = len(v)
			case rdbfmt.Hash:
				sizes[string(e.Key)] = len(v)
			case rdbfmt.ZSet:
				sizes[string(e.Key)] = len(v)
			case rdbfmt.Set:
				sizes[string(e.Key)] = len(v)
			case *rdbfmt.Stream:
				sizes[string(e.Key)] = len(v.Entries)
				require.Len(t, v.Groups, 1)
				assert.Equal(t, "g", string(v.Groups[0].Name))
			}
		}
		f.Close()
		assert.Equal(t, map[string]int{"blist": n, "bhash": n, "bzset": n, "bset": n, "bstream": n}, sizes, "round %d", round)
	}
	stop.Store(true)
	wg.Wait()
	checkRDB(t, filepath.Join(dir, "dump.rdb"))
}
