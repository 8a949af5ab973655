package node

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// infoSectionsOf parses an INFO text into its sections: the header names in order, and each section's lines.
func infoSectionsOf(text string) ([]string, map[string][]string) {
	var names []string
	lines := make(map[string][]string)
	cur := ""
	for _, line := range strings.Split(text, "\r\n") {
		switch {
		case strings.HasPrefix(line, "# "):
			cur = strings.TrimPrefix(line, "# ")
			names = append(names, cur)
		case line != "":
			lines[cur] = append(lines[cur], line)
		}
	}
	return names, lines
}

func fieldName(line string) string {
	name, _, _ := strings.Cut(line, ":")
	return name
}

// infoText sends INFO args to c and returns the text.
func infoText(t *testing.T, c *difftest.Conn, args ...string) string {
	t.Helper()
	v := c.Do(append([]string{"INFO"}, args...)...)
	require.Contains(t, []resp.Type{resp.TypeBulk, resp.TypeVerbatim}, v.Type, difftest.Format(v))
	return string(v.Str)
}

// dynamicSections list fields that depend on what ran (commands, error codes, databases): compared as sets.
var dynamicSections = map[string]bool{"Commandstats": true, "Errorstats": true, "Latencystats": true, "Keyspace": true}

// TestDiffInfoFields runs INFO everything on both servers after the same commands and checks that every field
// Redis 7.0 reports, in the sections Carmine has, appears in Carmine's output in the same order (values
// ignored).
func TestDiffInfoFields(t *testing.T) {
	p := startPair(t, "")
	for _, c := range [][]string{{"SET", "a", "1"}, {"GET", "a"}, {"GET", "nokey"}, {"FOO"}, {"GET"}, {"INCR", "a", "b"}} {
		p.Redis.Do(c...)
		p.Carmine.Do(c...)
	}
	rNames, rLines := infoSectionsOf(infoText(t, p.Redis, "everything"))
	cNames, cLines := infoSectionsOf(infoText(t, p.Carmine, "everything"))
	assert.Equal(t, rNames, cNames, "sections of INFO everything")
	for _, sec := range rNames {
		var rf, cf []string
		for _, l := range rLines[sec] {
			rf = append(rf, fieldName(l))
		}
		for _, l := range cLines[sec] {
			cf = append(cf, fieldName(l))
		}
		if dynamicSections[sec] {
			assert.ElementsMatch(t, rf, cf, "fields of %s", sec)
			continue
		}
		i := 0
		for _, f := range cf {
			if i < len(rf) && f == rf[i] {
				i++
			}
		}
		if i < len(rf) {
			t.Errorf("section %s: Redis's field %q (and any after it) missing or out of order in Carmine's %q", sec, rf[i], cf)
		}
	}

	// The default sections and "all", and section names in any case.
	for _, args := range [][]string{nil, {"default"}, {"all"}, {"SERVER", "keyspace"}, {"stats", "nosuch"}, {"nosuch"}} {
		rn, _ := infoSectionsOf(infoText(t, p.Redis, args...))
		cn, _ := infoSectionsOf(infoText(t, p.Carmine, args...))
		assert.Equal(t, rn, cn, "sections of INFO %q", args)
	}
}

// TestDiffInfoCounters compares the counters that follow from the commands run: keyspace hits and misses,
// commandstats calls/rejected/failed, errorstats and the keyspace line.
func TestDiffInfoCounters(t *testing.T) {
	p := startPair(t, "")
	cmds := [][]string{
		{"SET", "a", "1"}, {"SET", "s", "x", "EX", "100"}, {"GET", "a"}, {"GET", "nokey"}, {"MGET", "a", "nokey", "s"},
		{"EXISTS", "a", "nokey"}, {"TYPE", "a"}, {"TYPE", "nokey"}, {"TTL", "a"}, {"PTTL", "nokey"}, {"STRLEN", "a"},
		{"GETRANGE", "a", "0", "1"}, {"TOUCH", "a", "nokey"}, {"GETEX", "a"}, {"GETDEL", "nokey"}, {"GETSET", "x", "1"},
		{"SET", "a", "2", "GET"}, {"APPEND", "a", "x"}, {"INCR", "a"}, {"INCR", "nokey2"}, {"GET"}, {"FOO"},
		{"CONFIG", "FOO"}, {"CONFIG", "GET"}, {"SELECT", "99"}, {"EXPIRETIME", "s"},
	}
	for _, c := range cmds {
		p.Redis.Do(c...)
		p.Carmine.Do(c...)
	}
	pick := func(text string) []string {
		_, lines := infoSectionsOf(text)
		var out []string
		for _, l := range lines["Stats"] {
			if f := fieldName(l); f == "keyspace_hits" || f == "keyspace_misses" || f == "total_error_replies" {
				out = append(out, l)
			}
		}
		usec := regexp.MustCompile(`usec=\d+,usec_per_call=[\d.]+,`)
		for _, l := range lines["Commandstats"] {
			if !strings.HasPrefix(l, "cmdstat_info:") && !strings.HasPrefix(l, "cmdstat_hello:") {
				out = append(out, usec.ReplaceAllString(l, ""))
			}
		}
		out = append(out, lines["Errorstats"]...)
		avgTTL := regexp.MustCompile(`avg_ttl=\d+`) // Redis's is an estimate from its expiry sampling
		for _, l := range lines["Keyspace"] {
			out = append(out, avgTTL.ReplaceAllString(l, "avg_ttl=*"))
		}
		return out
	}
	assert.ElementsMatch(t, pick(infoText(t, p.Redis, "everything")), pick(infoText(t, p.Carmine, "everything")))

	// CONFIG RESETSTAT clears them.
	p.Check("CONFIG", "RESETSTAT")
	assert.ElementsMatch(t, pick(infoText(t, p.Redis, "everything")), pick(infoText(t, p.Carmine, "everything")))
}

// TestInfoRESP3 checks INFO's reply type: a verbatim "txt" string in RESP3 (as Redis 7), a bulk string in RESP2.
func TestInfoRESP3(t *testing.T) {
	p := startPair(t, "")
	norm := func(v resp.Value) resp.Value {
		if v.Type == resp.TypeVerbatim || v.Type == resp.TypeBulk {
			v.Str = []byte("text")
		}
		return v
	}
	p.CheckWith(norm, "INFO", "server")
	p.Redis.Do("HELLO", "3")
	p.Carmine.Do("HELLO", "3")
	p.CheckWith(norm, "INFO", "server")
	v := p.Carmine.Do("INFO", "server")
	assert.Contains(t, string(v.Str), "carmine_version:"+Version+"\r\n")
	assert.Contains(t, string(v.Str), "redis_version:"+RedisVersion+"\r\n")
	assert.Regexp(t, `run_id:[0-9a-f]{40}\r\n`, string(v.Str))
}

// sortPairs sorts the key-value pairs of a CONFIG GET reply (a map, or a flat array in RESP2), whose order
// Redis does not define.
func sortPairs(v resp.Value) resp.Value {
	if v.Type == resp.TypeArray {
		v.Type = resp.TypeMap
		v = difftest.SortElems(v)
		v.Type = resp.TypeArray
		return v
	}
	return difftest.SortElems(v)
}

// TestDiffConfig compares CONFIG GET, SET, RESETSTAT, REWRITE and HELP with real Redis.
func TestDiffConfig(t *testing.T) {
	for _, proto := range []string{"2", "3"} {
		t.Run("resp"+proto, func(t *testing.T) {
			p := startPair(t, "")
			p.Redis.Do("HELLO", proto)
			p.Carmine.Do("HELLO", proto)
			cases := [][]string{
				{"CONFIG"}, {"CONFIG", "FOO"}, {"CONFIG", "HELP"}, {"CONFIG", "HELP", "x"},
				{"CONFIG", "GET"}, {"CONFIG", "GET", "hz"}, {"CONFIG", "GET", "HZ"}, {"CONFIG", "GET", "nosuch"},
				{"CONFIG", "GET", "hz", "hz"}, {"CONFIG", "GET", "h?"}, {"CONFIG", "GET", "Hz*"},
				{"CONFIG", "GET", "save", "appendonly", "timeout", "tcp-keepalive", "maxclients", "databases"},
				{"CONFIG", "GET", "slowlog-*"}, {"CONFIG", "GET", "latency-monitor-threshold"},
				{"CONFIG", "GET", "requirepass", "loglevel", "dbfilename"},
				{"CONFIG", "SET"}, {"CONFIG", "SET", "hz"}, {"CONFIG", "SET", "hz", "10", "port"},
				{"CONFIG", "SET", "foo", "bar"}, {"CONFIG", "SET", "hz", "5", "foo", "1"},
				{"CONFIG", "SET", "hz", "10", "hz", "20"}, {"CONFIG", "SET", "hz", "abc"}, {"CONFIG", "SET", "hz", "-1"},
				{"CONFIG", "SET", "databases", "3"}, {"CONFIG", "SET", "databases", "3", "foo", "1"},
				{"CONFIG", "SET", "foo", "1", "databases", "3"}, {"CONFIG", "SET", "hz", "5", "databases", "1", "hz", "6"},
				{"CONFIG", "SET", "daemonize", "no"}, {"CONFIG", "SET", "dir", "/tmp"}, {"CONFIG", "SET", "dbfilename", "x.rdb"},
				{"CONFIG", "SET", "appendonly", "no"}, {"CONFIG", "SET", "save", ""}, {"CONFIG", "SET", "maxclients", "abc"},
				{"CONFIG", "SET", "slowlog-log-slower-than", "-5"}, {"CONFIG", "SET", "slowlog-max-len", "-1"},
				{"CONFIG", "SET", "slowlog-max-len", "x"}, {"CONFIG", "SET", "timeout", "0"}, {"CONFIG", "SET", "tcp-keepalive", "300"},
				{"CONFIG", "SET", "hz", "1000"}, {"CONFIG", "GET", "hz"}, {"CONFIG", "SET", "hz", "0"}, {"CONFIG", "GET", "hz"},
				{"CONFIG", "SET", "hz", "15", "slowlog-max-len", "64", "latency-monitor-threshold", "100"},
				{"CONFIG", "GET", "hz", "slowlog-max-len", "latency-monitor-threshold"},
				// Atomic: the first value is undone when the second one fails.
				{"CONFIG", "SET", "hz", "20", "slowlog-max-len", "x"}, {"CONFIG", "GET", "hz"},
				{"CONFIG", "SET", "loglevel", "WARNING"}, {"CONFIG", "GET", "loglevel"}, {"CONFIG", "SET", "loglevel", "notice"},
				{"CONFIG", "SET", "requirepass", "secret"}, {"CONFIG", "GET", "requirepass"}, {"CONFIG", "SET", "requirepass", ""},
				{"CONFIG", "RESETSTAT"}, {"CONFIG", "RESETSTAT", "x"}, {"CONFIG", "REWRITE"}, {"CONFIG", "REWRITE", "x"},
				{"CONFIG", "GET", "hash-max-*"}, {"CONFIG", "GET", "zset-max-*"}, {"CONFIG", "GET", "list-*"},
				{"CONFIG", "GET", "set-max-intset-entries", "hll-sparse-max-bytes", "HASH-MAX-ZIPLIST-VALUE"},
				{"CONFIG", "SET", "hash-max-ziplist-entries", "64"}, {"CONFIG", "GET", "hash-max-listpack-entries"},
				{"CONFIG", "SET", "zset-max-listpack-value", "1kb"}, {"CONFIG", "GET", "zset-max-ziplist-value"},
				{"CONFIG", "SET", "hash-max-listpack-value", "-1"}, {"CONFIG", "SET", "set-max-intset-entries", "-1"},
				{"CONFIG", "SET", "set-max-intset-entries", "x"}, {"CONFIG", "SET", "hll-sparse-max-bytes", "4000"},
				{"CONFIG", "SET", "list-max-listpack-size", "-2"}, {"CONFIG", "SET", "list-compress-depth", "0"},
			}
			for _, c := range cases {
				p.CheckWith(sortPairs, c...)
			}
		})
	}
}

// TestDiffAdmin compares TIME, LASTSAVE, SLOWLOG, LATENCY and DEBUG with real Redis, normalising times,
// durations, addresses and pointers.
func TestDiffAdmin(t *testing.T) {
	redis := difftest.StartRedis(t, "--enable-debug-command", "yes")
	_, addr := startServer(t, func(c *Config) { c.DebugCommand = "yes" })
	p := difftest.NewPair(t, redis.Addr, addr)

	digits := func(v resp.Value) resp.Value {
		if v.Type == resp.TypeInt {
			v.Int = 1
		}
		if v.Type == resp.TypeBulk && regexp.MustCompile(`^\d+$`).Match(v.Str) {
			v.Str = []byte("N")
		}
		for i := range v.Elems {
			v.Elems[i].Str = regexp.MustCompile(`^\d+$`).ReplaceAll(v.Elems[i].Str, []byte("N"))
		}
		return v
	}
	for _, c := range [][]string{{"TIME"}, {"TIME", "x"}, {"LASTSAVE"}, {"LASTSAVE", "x"}} {
		p.CheckWith(digits, c...)
	}

	// The slow log, with every command logged; times, durations and client ports normalised.
	slowNorm := func(v resp.Value) resp.Value {
		for i := range v.Elems {
			e := &v.Elems[i]
			if e.Type == resp.TypeArray && len(e.Elems) == 6 {
				e.Elems[1].Int, e.Elems[2].Int = 0, 0
				e.Elems[4].Str = []byte("addr")
			}
		}
		return v
	}
	long := strings.Repeat("x", 200)
	many := []string{"DEL"}
	for i := 0; i < 40; i++ {
		many = append(many, "k")
	}
	cases := [][]string{
		{"SLOWLOG"}, {"SLOWLOG", "HELP"}, {"SLOWLOG", "FOO"}, {"SLOWLOG", "LEN", "x"}, {"SLOWLOG", "RESET", "x"},
		{"SLOWLOG", "GET", "x"}, {"SLOWLOG", "GET", "-2"}, {"SLOWLOG", "GET", "1", "2"},
		{"CONFIG", "SET", "slowlog-log-slower-than", "0"}, {"SLOWLOG", "RESET"},
		{"SET", "a", long}, {"CLIENT", "SETNAME", "me"}, many, {"AUTH", "user", "pass"},
		{"HELLO", "2", "AUTH", "default", "pw"}, {"CONFIG", "SET", "requirepass", "", "hz", "10"},
		{"SLOWLOG", "LEN"}, {"SLOWLOG", "GET"}, {"SLOWLOG", "GET", "2"}, {"SLOWLOG", "GET", "-1"}, {"SLOWLOG", "GET", "0"},
		{"CONFIG", "SET", "slowlog-max-len", "3"}, {"PING"}, {"SLOWLOG", "LEN"}, {"SLOWLOG", "GET", "-1"},
		{"CONFIG", "SET", "slowlog-log-slower-than", "-1"}, {"SLOWLOG", "RESET"}, {"PING"}, {"SLOWLOG", "LEN"},
		{"CONFIG", "SET", "slowlog-log-slower-than", "10000000"}, {"PING"}, {"SLOWLOG", "LEN"},
	}
	for _, c := range cases {
		if c[0] == "HELLO" { // its reply names the server version: only the slow log entry is compared
			p.Redis.Do(c...)
			p.Carmine.Do(c...)
			continue
		}
		p.CheckWith(slowNorm, c...)
	}

	for _, c := range [][]string{
		{"LATENCY"}, {"LATENCY", "LATEST"}, {"LATENCY", "LATEST", "x"}, {"LATENCY", "HISTORY"},
		{"LATENCY", "HISTORY", "command"}, {"LATENCY", "HISTORY", "foo"}, {"LATENCY", "RESET"},
		{"LATENCY", "RESET", "command", "foo"}, {"LATENCY", "FOO"},
	} {
		p.Check(c...)
	}

	objNorm := func(v resp.Value) resp.Value {
		v.Str = regexp.MustCompile(`Value at:0x[0-9a-f]+`).ReplaceAll(v.Str, []byte("Value at:0x0"))
		v.Str = regexp.MustCompile(`lru:\d+ lru_seconds_idle:\d+`).ReplaceAll(v.Str, []byte("lru:0 lru_seconds_idle:0"))
		return v
	}
	for _, c := range [][]string{
		{"DEBUG"}, {"DEBUG", "FOO"}, {"DEBUG", "OBJECT"}, {"DEBUG", "OBJECT", "nokey"}, {"DEBUG", "OBJECT", "a", "b"},
		{"SET", "n", "12"}, {"DEBUG", "OBJECT", "n"}, {"SET", "n", "-200"}, {"DEBUG", "OBJECT", "n"},
		{"SET", "n", "100000"}, {"DEBUG", "OBJECT", "n"}, {"SET", "n", "12345678901"}, {"DEBUG", "OBJECT", "n"},
		{"SET", "n", "12345678901234567890"}, {"DEBUG", "object", "n"}, {"SET", "n", "hello"}, {"DEBUG", "OBJECT", "n"},
		{"SET", "n", "007"}, {"DEBUG", "OBJECT", "n"},
		{"DEBUG", "SLEEP"}, {"DEBUG", "SLEEP", "0"}, {"DEBUG", "SLEEP", "x"}, {"DEBUG", "sleep", "0.01"},
		{"DEBUG", "SLEEP", "1", "2"},
	} {
		p.CheckWith(objNorm, c...)
	}
}

// TestDiffDebugDisabled checks DEBUG's refusal with Redis 7's default enable-debug-command no.
func TestDiffDebugDisabled(t *testing.T) {
	p := startPair(t, "")
	p.Check("DEBUG", "SLEEP", "0")
	p.Check("DEBUG", "HELP")
}

// TestDiffShutdownErrors compares SHUTDOWN's argument errors with real Redis (none of which stop a server).
func TestDiffShutdownErrors(t *testing.T) {
	p := startPair(t, "")
	for _, c := range [][]string{
		{"SHUTDOWN", "foo"}, {"SHUTDOWN", "ABORT"}, {"SHUTDOWN", "NOSAVE", "SAVE"}, {"SHUTDOWN", "abort", "now"},
		{"SHUTDOWN", "SAVE", "ABORT"}, {"PING"},
	} {
		p.Check(c...)
	}
}

// TestShutdown checks that SHUTDOWN stops the server: Run returns, the caller's connection and the other clients
// are closed, without a reply.
func TestShutdown(t *testing.T) {
	for _, args := range [][]string{{"SHUTDOWN"}, {"SHUTDOWN", "NOSAVE", "NOW", "FORCE"}, {"shutdown", "save"}} {
		ioModes(t, func(t *testing.T, mode func(*Config)) {
			srv, addr := startServer(t, mode)
			other := difftest.Dial(t, addr)
			c := difftest.Dial(t, addr)
			assert.Equal(t, "+PONG", difftest.Format(c.Do("PING")))
			c.Send(args...)
			assertClosed(t, c, "after "+strings.Join(args, " "))
			assertClosed(t, other, "the other client")
			<-srv.done
		})
	}
}

// TestConfigRewrite checks CONFIG REWRITE on a file: comments, unknown-order lines and blank lines stay, changed
// parameters are rewritten in place, duplicates go, and changed parameters the file lacks are appended.
func TestConfigRewrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "carmine.conf")
	orig := "# my config\nport 0\nbind 127.0.0.1\n\n# speed\nhz 10\nhz 12\nslowlog-max-len 128\nsave \"\"\n"
	require.NoError(t, os.WriteFile(path, []byte(orig), 0o600))
	cfg, err := ParseArgs([]string{path, "--dir", dir}, os.ReadFile)
	require.NoError(t, err)
	assert.Equal(t, path, cfg.ConfigFile)
	assert.Equal(t, 12, cfg.HZ)
	srv, err := Start(cfg, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	c := difftest.Dial(t, srv.Addr().String())

	for _, cmd := range [][]string{
		{"CONFIG", "SET", "hz", "50", "slowlog-log-slower-than", "5", "requirepass", "a \"b\""},
		{"CONFIG", "REWRITE"},
	} {
		assert.Equal(t, "+OK", difftest.Format(c.Do(cmd...)), cmd)
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	want := "# my config\nport 0\nbind 127.0.0.1\n\n# speed\nhz 50\nslowlog-max-len 128\nsave \"\"\n" +
		"# Generated by CONFIG REWRITE\ndir \"" + dir + "\"\nrequirepass \"a \\\"b\\\"\"\nslowlog-log-slower-than 5\n" +
		"user default on #" + passwordHash(`a "b"`) + " ~* &* +@all\n" // Matches Redis: users are rewritten too
	assert.Equal(t, want, string(got))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "permissions kept")

	// The rewritten file loads back to the same configuration, and a second rewrite changes nothing.
	again, err := ParseArgs([]string{path}, os.ReadFile)
	require.NoError(t, err)
	assert.Equal(t, 50, again.HZ)
	assert.Equal(t, "a \"b\"", again.RequirePass)
	assert.Equal(t, int64(5), again.SlowlogSlowerThan)
	assert.Equal(t, "+OK", difftest.Format(c.Do("AUTH", "a \"b\"")))
	assert.Equal(t, "+OK", difftest.Format(c.Do("CONFIG", "REWRITE")))
	got2, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(got), string(got2))
}

// TestDiffAdminReports compares MODULE, LATENCY DOCTOR/GRAPH and the MEMORY reports whose text does not
// depend on the allocator: the same replies, and MEMORY STATS with the same field names.
func TestDiffAdminReports(t *testing.T) {
	p := startPair(t, "")
	for _, c := range []string{
		"MODULE LIST", "MODULE HELP", "MODULE LOAD /nonexistent", "MODULE LOADEX /x", "MODULE UNLOAD foo", "MODULE NOSUCH",
		"LATENCY DOCTOR", "LATENCY GRAPH command", "LATENCY GRAPH", "CONFIG SET latency-monitor-threshold 100",
		"LATENCY DOCTOR", "MEMORY DOCTOR", "MEMORY PURGE", "MEMORY HELP", "MEMORY STATS x",
	} {
		p.Check(strings.Fields(c)...)
	}
	names := func(v resp.Value) []string {
		var out []string
		for i := 0; i+1 < len(v.Elems); i += 2 {
			out = append(out, string(v.Elems[i].Str))
		}
		return out
	}
	p.Check("SET", "k", "v")
	require.Equal(t, names(p.Redis.Do("MEMORY", "STATS")), names(p.Carmine.Do("MEMORY", "STATS")))
}
