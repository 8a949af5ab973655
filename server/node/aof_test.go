package node

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

func TestParseManifest(t *testing.T) {
	// As Redis 7.0 wrote it during a rewrite, with a comment and a quoted name added.
	in := "file appendonly.aof.1.base.rdb seq 1 type b\n" +
		"# a comment\n" +
		"file appendonly.aof.1.incr.aof seq 1 type h\n" +
		"seq 2 type i file appendonly.aof.2.incr.aof\n" +
		"file \"my file.3.incr.aof\" seq 3 type i unknown key\n"
	m, err := parseManifest([]byte(in))
	require.NoError(t, err)
	require.NotNil(t, m.base)
	assert.Equal(t, aofFile{"appendonly.aof.1.base.rdb", 1, 'b'}, *m.base)
	assert.Equal(t, []aofFile{{"appendonly.aof.1.incr.aof", 1, 'h'}}, m.history)
	assert.Equal(t, []aofFile{{"appendonly.aof.2.incr.aof", 2, 'i'}, {"my file.3.incr.aof", 3, 'i'}}, m.incr)
	assert.Equal(t, int64(1), m.baseSeq)
	assert.Equal(t, int64(3), m.incrSeq)
	out := string(m.bytes())
	assert.Equal(t, "file appendonly.aof.1.base.rdb seq 1 type b\n"+
		"file appendonly.aof.1.incr.aof seq 1 type h\n"+
		"file appendonly.aof.2.incr.aof seq 2 type i\n"+
		"file \"my file.3.incr.aof\" seq 3 type i\n", out)
	again, err := parseManifest([]byte(out))
	require.NoError(t, err)
	assert.Equal(t, m, again)

	for _, bad := range []string{
		"",
		"file a seq 1 type b",         // no newline
		"file a seq 1\n",              // no type
		"file a seq 1 type b extra\n", // odd words
		"file a seq x type b\n",       // bad seq
		"file a seq 1 type q\n",       // bad type
		"file a/b seq 1 type i\n",     // a path
		"file a seq 1 type b\nfile b seq 2 type b\n", // two bases
		"file a seq 2 type i\nfile b seq 1 type i\n", // not monotonic
		"file " + strings.Repeat("x", 1100) + " seq 1 type i\n",
	} {
		_, err := parseManifest([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

func TestAOFReader(t *testing.T) {
	in := "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n#TS:1700000000\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$5\r\nv\r\nx!\r\n"
	r := newAOFReader(bufio.NewReader(strings.NewReader(in)), 0)
	argv, err := r.next()
	require.NoError(t, err)
	assert.Equal(t, [][]byte{[]byte("SELECT"), []byte("0")}, argv)
	assert.Equal(t, int64(23), r.off)
	argv, err = r.next()
	require.NoError(t, err)
	assert.Equal(t, [][]byte{[]byte("set"), []byte("k"), []byte("v\r\nx!")}, argv)
	assert.Equal(t, int64(len(in)), r.off)
	_, err = r.next()
	assert.ErrorIs(t, err, io.EOF)

	for i := 1; i < len(in); i++ {
		if in[i-1] == '\n' { // cut at a command boundary is a clean end (or an annotation)
			continue
		}
		r := newAOFReader(bufio.NewReader(strings.NewReader(in[:i])), 0)
		var err error
		for err == nil {
			_, err = r.next()
		}
		assert.ErrorIs(t, err, errAOFTorn, "cut at %d", i)
	}
	for _, bad := range []string{"x\r\n", "*0\r\n", "*1\r\n+x\r\n", "*1\r\n$-1\r\n", "*a\r\n"} {
		r := newAOFReader(bufio.NewReader(strings.NewReader(bad)), 0)
		_, err := r.next()
		var fe *aofFormatError
		assert.True(t, errors.As(err, &fe), "%q: %v", bad, err)
	}
}

// aofCmd is a command as Redis writes it in an AOF.
func aofCmd(args ...string) string {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"+a+"\r\n"...)
	}
	return string(b)
}

// newAOFTestServer builds a server (not listening) whose dir holds the given AOF parts and manifest.
func newAOFTestServer(t *testing.T, files map[string]string) *Server {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Dir = t.TempDir()
	cfg.Save = nil
	require.NoError(t, os.Mkdir(filepath.Join(cfg.Dir, cfg.AOF.DirName), 0o755))
	for name, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(cfg.Dir, cfg.AOF.DirName, name), []byte(data), 0o644))
	}
	s, err := New(cfg, testLogger(t))
	require.NoError(t, err)
	return s
}

func TestLoadAOFTornTail(t *testing.T) {
	manifest := "file appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
	one := aofCmd("SELECT", "0") + aofCmd("SET", "a", "1")
	whole := aofCmd("SET", "b", "2")
	tests := []struct {
		name          string
		first, last   string
		loadTruncated bool
		want          []string // commands applied
		wantSize      int      // of the last file afterwards
		wantErr       string
	}{
		{"clean", one, whole, true, []string{"SELECT", "SET a", "SET b"}, len(whole), ""},
		{"torn last", one, whole + "*3\r\n$3\r\nSET\r\n$1\r\nc", true, []string{"SELECT", "SET a", "SET b"}, len(whole), ""},
		{"torn last refused", one, whole + "*3\r\n$3\r\nSET", false, nil, 0, "unexpected end of file reading the append only file appendonly.aof.2.incr.aof (the last whole command ends at offset 27)"},
		{"torn first", one + "*1", whole, true, nil, 0, "appendonly.aof.1.incr.aof"},
		{"multi without exec", one, whole + aofCmd("MULTI") + aofCmd("SET", "c", "3"), true, []string{"SELECT", "SET a", "SET b", "MULTI", "SET c"}, len(whole), ""},
		{"multi with exec", one, aofCmd("MULTI") + whole + aofCmd("EXEC"), true, []string{"SELECT", "SET a", "MULTI", "SET b", "EXEC"}, len(aofCmd("MULTI") + whole + aofCmd("EXEC")), ""},
		{"bad format", one, whole + "+OK\r\n", true, nil, 0, "bad file format reading the append only file appendonly.aof.2.incr.aof at offset 27"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newAOFTestServer(t, map[string]string{"appendonly.aof.manifest": manifest,
				"appendonly.aof.1.incr.aof": tt.first, "appendonly.aof.2.incr.aof": tt.last})
			m, err := s.readManifest()
			require.NoError(t, err)
			var got []string
			_, err = s.loadAOF(m, func() aofApplier {
				return func(argv [][]byte) error {
					w := string(argv[0])
					if len(argv) > 1 && w == "SET" {
						w += " " + string(argv[1])
					}
					got = append(got, w)
					return nil
				}
			}, tt.loadTruncated)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			data, err := os.ReadFile(filepath.Join(s.aofDir(), "appendonly.aof.2.incr.aof"))
			require.NoError(t, err)
			assert.Len(t, data, tt.wantSize)
			assert.True(t, bytes.HasPrefix([]byte(tt.last), data))
		})
	}
}

// readManifestFile reads dir's manifest as text.
func readManifestFile(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	require.NoError(t, err)
	return string(data)
}

// aofFiles lists the files of dir's AOF directory.
func aofFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "appendonlydir"))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestAOFRestartAndRewrite(t *testing.T) {
	dir := t.TempDir()
	aofOn := func(c *Config) { c.Dir, c.AOF.Enabled, c.AOF.Fsync = dir, true, "always" }
	srv, addr := startServer(t, aofOn)
	c := difftest.Dial(t, addr)
	assert.Equal(t, "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
		readManifestFile(t, dir))
	c.Do("SET", "a", "1")
	c.Do("SET", "ex", "v", "EX", "1000")
	c.Do("SELECT", "2")
	c.Do("RPUSH", "l", "x", "y")
	c.Do("MULTI")
	c.Do("INCR", "n")
	c.Do("INCR", "n")
	c.Do("EXEC")
	info := string(c.Do("INFO", "persistence").Str)
	assert.Contains(t, info, "aof_enabled:1\r\n")
	assert.Contains(t, info, "aof_last_write_status:ok\r\n")
	srv.Close()

	check := func(c *difftest.Conn) {
		t.Helper()
		c.Do("SELECT", "0")
		assert.Equal(t, "1", string(c.Do("GET", "a").Str))
		assert.InDelta(t, 1000, c.Do("TTL", "ex").Int, 2)
		c.Do("SELECT", "2")
		assert.Equal(t, "2", string(c.Do("GET", "n").Str))
		assert.Len(t, c.Do("LRANGE", "l", "0", "-1").Elems, 2)
	}
	srv, addr = startServer(t, aofOn)
	c = difftest.Dial(t, addr)
	check(c)
	assert.Equal(t, "Background append only file rewriting started", string(c.Do("BGREWRITEAOF").Str))
	waitRewritten(t, c)
	assert.Equal(t, "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
		readManifestFile(t, dir))
	assert.ElementsMatch(t, []string{"appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"},
		aofFiles(t, dir))
	info = string(c.Do("INFO", "persistence").Str)
	assert.Contains(t, info, "aof_rewrites:1\r\n")
	assert.Contains(t, info, "aof_last_bgrewrite_status:ok\r\n")
	c.Do("SELECT", "0")
	c.Do("SET", "after", "yes")
	srv.Close()

	_, addr = startServer(t, aofOn)
	c = difftest.Dial(t, addr)
	check(c)
	c.Do("SELECT", "0")
	assert.Equal(t, "yes", string(c.Do("GET", "after").Str))
}

// TestAOFConfigSetAppendOnly: CONFIG SET appendonly yes at run time writes the data so far as a base, and
// later writes go to the incr file; a restart with appendonly yes loads both. appendonly no stops writing.
func TestAOFConfigSetAppendOnly(t *testing.T) {
	dir := t.TempDir()
	srv, addr := startServer(t, func(c *Config) { c.Dir = dir })
	c := difftest.Dial(t, addr)
	c.Do("SET", "before", "1")
	assert.Equal(t, "OK", string(c.Do("CONFIG", "SET", "appendonly", "yes").Str))
	assert.Contains(t, string(c.Do("INFO", "persistence").Str), "aof_enabled:1\r\n")
	c.Do("SET", "during", "2")
	waitRewritten(t, c)
	assert.Equal(t, "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
		readManifestFile(t, dir))
	c.Do("SET", "after", "3")
	assert.Equal(t, "OK", string(c.Do("CONFIG", "SET", "appendonly", "no").Str))
	c.Do("SET", "off", "4")
	srv.Close()

	srv, addr = startServer(t, func(c *Config) { c.Dir, c.AOF.Enabled = dir, true })
	c = difftest.Dial(t, addr)
	for k, v := range map[string]string{"before": "1", "during": "2", "after": "3"} {
		assert.Equal(t, v, string(c.Do("GET", k).Str), k)
	}
	assert.True(t, c.Do("GET", "off").Null)

	// Off and on again: the new base replaces the old files.
	assert.Equal(t, "OK", string(c.Do("CONFIG", "SET", "appendonly", "no").Str))
	c.Do("SET", "off", "5")
	assert.Equal(t, "OK", string(c.Do("CONFIG", "SET", "appendonly", "yes").Str))
	waitRewritten(t, c)
	c.Do("INCR", "n")
	assert.Equal(t, "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
		readManifestFile(t, dir))
	assert.ElementsMatch(t, []string{"appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"},
		aofFiles(t, dir))
	srv.Close()
	_, addr = startServer(t, func(c *Config) { c.Dir, c.AOF.Enabled = dir, true })
	c = difftest.Dial(t, addr)
	assert.Equal(t, "5", string(c.Do("GET", "off").Str))
	assert.Equal(t, "1", string(c.Do("GET", "n").Str))
}

// TestAOFStartTorn: a torn last incr file is cut back at start-up with aof-load-truncated yes; with no, the
// server does not start and says which file and where.
func TestAOFStartTorn(t *testing.T) {
	dir := t.TempDir()
	aofOn := func(c *Config) { c.Dir, c.AOF.Enabled = dir, true }
	srv, addr := startServer(t, aofOn)
	c := difftest.Dial(t, addr)
	c.Do("SET", "a", "1")
	srv.Close()
	incr := filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
	whole, err := os.ReadFile(incr)
	require.NoError(t, err)
	torn := append(append([]byte(nil), whole...), aofCmd("SET", "b", "2")[:20]...)
	require.NoError(t, os.WriteFile(incr, torn, 0o644))

	cfg := DefaultConfig()
	cfg.Port, cfg.Bind, cfg.Save = 0, []string{"127.0.0.1"}, nil
	aofOn(&cfg)
	cfg.AOF.LoadTruncated = false
	_, err = New(cfg, testLogger(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "appendonly.aof.1.incr.aof")
	assert.Contains(t, err.Error(), "offset "+strconv.Itoa(len(whole)))

	_, addr = startServer(t, aofOn)
	c = difftest.Dial(t, addr)
	assert.Equal(t, "1", string(c.Do("GET", "a").Str))
	got, err := os.ReadFile(incr)
	require.NoError(t, err)
	assert.Equal(t, whole, got)
}

// TestAOFIgnoresRDB: Matches Redis: with appendonly yes and no AOF yet, dump.rdb is not loaded.
func TestAOFIgnoresRDB(t *testing.T) {
	dir := t.TempDir()
	srv, addr := startServer(t, func(c *Config) { c.Dir = dir })
	c := difftest.Dial(t, addr)
	c.Do("SET", "a", "1")
	c.Do("SAVE")
	srv.Close()
	_, addr = startServer(t, func(c *Config) { c.Dir, c.AOF.Enabled = dir, true })
	assert.Equal(t, int64(0), difftest.Dial(t, addr).Do("DBSIZE").Int)
}

// TestAOFGroupCommit: with appendfsync always, concurrent writers share fsyncs: each reply waits for an fsync
// covering its write, but one fsync covers the writes of many clients.
func TestAOFGroupCommit(t *testing.T) {
	ioModes(t, func(t *testing.T, mode func(*Config)) {
		srv, addr := startServer(t, mode, func(c *Config) { c.AOF.Enabled, c.AOF.Fsync = true, "always" })
		const clients, each = 16, 40
		var wg sync.WaitGroup
		for i := range clients {
			c := difftest.Dial(t, addr)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range each {
					c.Do("SET", fmt.Sprintf("k%d:%d", i, n), "v")
				}
			}()
		}
		wg.Wait()
		srv.aof.mu.Lock()
		fsyncs := srv.aof.w.fsyncs.Load()
		srv.aof.mu.Unlock()
		t.Logf("%d writes, %d fsyncs", clients*each, fsyncs)
		assert.Less(t, fsyncs, int64(clients*each*3/4))
	})
}

// TestAOFAutoRewrite: the files growing past auto-aof-rewrite-min-size by auto-aof-rewrite-percentage start a
// rewrite.
func TestAOFAutoRewrite(t *testing.T) {
	dir := t.TempDir()
	_, addr := startServer(t, func(c *Config) {
		c.Dir, c.AOF.Enabled, c.AOF.AutoRewriteMinSize, c.AOF.AutoRewritePercentage = dir, true, 4096, 100
	})
	c := difftest.Dial(t, addr)
	for i := range 100 {
		c.Do("SET", "key"+strconv.Itoa(i%10), strings.Repeat("x", 100))
	}
	require.Eventually(t, func() bool {
		return strings.Contains(string(c.Do("INFO", "persistence").Str), "aof_rewrites:1\r\n")
	}, 5*time.Second, 10*time.Millisecond)
	waitRewritten(t, c)
	info := string(c.Do("INFO", "persistence").Str)
	assert.Contains(t, info, "aof_last_bgrewrite_status:ok")
	assert.Equal(t, "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
		readManifestFile(t, dir))
}

// TestAOFRewriteWhileOff: Matches Redis: BGREWRITEAOF with appendonly no writes a base and a manifest naming
// only it; BGSAVE meanwhile is refused, or scheduled with SCHEDULE.
func TestAOFRewriteWhileOff(t *testing.T) {
	dir := t.TempDir()
	_, addr := startServer(t, func(c *Config) { c.Dir = dir })
	c := difftest.Dial(t, addr)
	c.Do("SET", "a", "1")
	assert.Equal(t, "Background append only file rewriting started", string(c.Do("BGREWRITEAOF").Str))
	waitRewritten(t, c)
	assert.Equal(t, "file appendonly.aof.1.base.rdb seq 1 type b\n", readManifestFile(t, dir))
	assert.Contains(t, string(c.Do("INFO", "persistence").Str), "aof_enabled:0\r\n")
}

// TestAOFMigrateOld: Matches Redis: a Redis 6 appendonly.aof in dir becomes the base of the AOF directory.
func TestAOFMigrateOld(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "appendonly.aof"), []byte(aofCmd("SET", "a", "1")), 0o644))
	_, addr := startServer(t, func(c *Config) { c.Dir, c.AOF.Enabled = dir, true })
	assert.Equal(t, "1", string(difftest.Dial(t, addr).Do("GET", "a").Str))
	assert.Equal(t, "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n", readManifestFile(t, dir))
	assert.NoFileExists(t, filepath.Join(dir, "appendonly.aof"))
}

// failingFile fails its writes with ENOSPC while broken, else writes to f.
type failingFile struct {
	broken atomic.Bool
	f      *os.File
}

func (f *failingFile) Write(p []byte) (int, error) {
	if f.broken.Load() {
		return 0, &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}
	}
	return f.f.Write(p)
}
func (f *failingFile) Sync() error  { return f.f.Sync() }
func (f *failingFile) Close() error { return f.f.Close() }

// TestAOFWriteError: Matches Redis: while the AOF cannot be written, write commands get MISCONF (reads go on);
// once a retry succeeds they run again, and nothing was lost.
func TestAOFWriteError(t *testing.T) {
	dir := t.TempDir()
	aofOn := func(c *Config) { c.Dir, c.AOF.Enabled = dir, true }
	srv, addr := startServer(t, aofOn)
	c := difftest.Dial(t, addr)
	c.Do("SET", "a", "1")
	f, err := os.OpenFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	ff := &failingFile{f: f}
	ff.broken.Store(true)
	srv.aof.mu.Lock()
	srv.aof.w.cut(ff)
	srv.aof.mu.Unlock()
	assert.Equal(t, "OK", string(c.Do("SET", "b", "2").Str))
	require.Eventually(t, func() bool {
		v := c.Do("SET", "c", "3")
		return v.Type == resp.TypeError && string(v.Str) == "MISCONF Errors writing to the AOF file: No space left on device"
	}, 5*time.Second, 5*time.Millisecond)
	assert.Contains(t, string(c.Do("INFO", "persistence").Str), "aof_last_write_status:err\r\n")
	assert.Equal(t, "1", string(c.Do("GET", "a").Str))
	ff.broken.Store(false)
	require.Eventually(t, func() bool { return string(c.Do("SET", "c", "3").Str) == "OK" }, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, string(c.Do("INFO", "persistence").Str), "aof_last_write_status:ok\r\n")
	srv.Close()
	_, addr = startServer(t, aofOn)
	c = difftest.Dial(t, addr)
	for k, v := range map[string]string{"a": "1", "b": "2", "c": "3"} {
		assert.Equal(t, v, string(c.Do("GET", k).Str), k)
	}
}
