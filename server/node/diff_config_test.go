package node

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// elsewhere matches parameters the tests below leave out: none now that every branch has landed.
var elsewhere = regexp.MustCompile(`^$`)

// carmineOnly are the parameters Carmine has and Redis 7.0 has not: Carmine's own, and Redis 7.2's.
var carmineOnly = map[string]bool{
	"event-loops":    true,
	"locale-collate": true, "set-max-listpack-entries": true, "set-max-listpack-value": true, // 7.2
}

// configNames returns the parameter names of CONFIG GET *, sorted, without those of elsewhere and carmineOnly.
func configNames(t *testing.T, c *difftest.Conn) []string {
	t.Helper()
	v := c.Do("CONFIG", "GET", "*")
	require.Contains(t, []resp.Type{resp.TypeArray, resp.TypeMap}, v.Type, difftest.Format(v))
	var names []string
	for i := 0; i < len(v.Elems); i += 2 {
		if n := string(v.Elems[i].Str); !elsewhere.MatchString(n) && !carmineOnly[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// TestDiffConfigNames checks that CONFIG GET * lists the parameters real Redis lists, and no others but
// Carmine's own, and that each has Redis's default value.
func TestDiffConfigNames(t *testing.T) {
	p := startPair(t, "")
	assert.Equal(t, configNames(t, p.Redis), configNames(t, p.Carmine))
	for i := range compatParams {
		if name := compatParams[i].name; !carmineOnly[name] {
			p.CheckWith(sortPairs, "CONFIG", "GET", name)
		}
	}
}

// TestDiffConfigCompat compares CONFIG SET and GET of the parameters of config_compat.go with real Redis: round
// trips, Redis's range checks and error texts, and immutable parameters, a sample of each kind.
func TestDiffConfigCompat(t *testing.T) {
	p := startPair(t, "")
	var cases [][]string
	set := func(name string, values ...string) {
		for _, v := range values {
			cases = append(cases, []string{"CONFIG", "SET", name, v}, []string{"CONFIG", "GET", name})
		}
	}
	// Booleans, numbers with ranges, memory values, enums.
	set("stop-writes-on-bgsave-error", "no", "YES", "x", "")
	set("lazyfree-lazy-eviction", "yes", "no", "1")
	set("lazyfree-lazy-user-flush", "yes", "no")
	set("activedefrag", "yes", "no")
	set("dynamic-hz", "no", "yes", "maybe")
	set("active-defrag-cycle-max", "99", "100", "0", "25", "x", "2.5")
	set("active-defrag-cycle-min", "0", "5", "1")
	set("active-defrag-threshold-upper", "1000", "1001", "100")
	set("active-defrag-max-scan-fields", "0", "9223372036854775807", "1000")
	set("active-expire-effort", "10", "11", "0", "1")
	set("active-defrag-ignore-bytes", "1mb", "1k", "-1", "x", "100mb")
	set("maxmemory-eviction-tenacity", "100", "101", "-1", "10")
	set("shutdown-timeout", "0", "-1", "2147483647", "2147483648", "10")
	set("tracking-table-max-keys", "0", "-1", "5", "1000000")
	set("acl-pubsub-default", "ALLCHANNELS", "nope", "resetchannels")
	set("oom-score-adj", "Relative", "absolute", "maybe", "no")
	set("propagation-error-behavior", "panic-on-replicas", "panic", "x", "ignore")
	set("sanitize-dump-payload", "clients", "yes", "x", "no")
	set("tls-auth-clients", "optional", "x", "yes")
	set("tls-session-cache-size", "0", "-1", "20480")
	set("tls-prefer-server-ciphers", "yes", "no")
	// Lists of words.
	set("oom-score-adj-values", "1 2 3", "-2000 0 2000", "-2001 0 0", "1 2", "1 2 3 4", "a b c", "0 200 800")
	set("latency-tracking-info-percentiles", "", "50", "0.1234567 5.0 05 100", "1e1", "101", "-1", "x", "50 x",
		"50 99 99.9")
	set("shutdown-on-sigint", "save now", "NOW Default", "force force", "now force", "force save", "save nosave",
		"", "x", "default")
	set("shutdown-on-sigterm", "nosave", "default")
	set("maxmemory-clients", "0", "0%", "0mb", "101%", "-1", "x")
	set("proc-title-template", "{title}", "x", "{port}", "{title} {port} {tls-port} {unixsocket} {config-file}",
		"{title", "{title}}", "a{title}b", "{{title}}", " {title}", "{server-mode}", "{unixsocket}", "{{", "}",
		"{}", "{{}", "a{", "{TITLE}", "", "{title} {listen-addr} {server-mode}")
	// Strings that nothing checks.
	set("bind-source-addr", "127.0.0.1", "")
	set("ignore-warnings", "ARM64-COW-BUG", "")
	set("tls-cert-file", "/nonexistent/cert.pem", "")
	set("tls-ciphers", "DEFAULT:!MEDIUM", "")
	// Immutable.
	for _, name := range []string{"always-show-logo", "disable-thp", "set-proc-title", "io-threads-do-reads",
		"server_cpulist", "bgsave_cpulist", "socket-mark-id", "syslog-enabled", "syslog-facility", "syslog-ident",
		"unixsocketperm"} {
		cases = append(cases, []string{"CONFIG", "SET", name, "x"})
	}
	// TLS off: the off values round trip; errors come before the refusal of a valid on value.
	set("tls-port", "0", "x", "-1")
	set("tls-replication", "no", "x")
	set("tls-cluster", "no", "x")
	// Several at once, atomically.
	cases = append(cases,
		[]string{"CONFIG", "SET", "activedefrag", "yes", "active-defrag-cycle-max", "200"},
		[]string{"CONFIG", "GET", "activedefrag"},
		[]string{"CONFIG", "SET", "lazyfree-lazy-expire", "yes", "lazyfree-lazy-server-del", "yes"},
		[]string{"CONFIG", "GET", "lazyfree-*"},
		[]string{"CONFIG", "GET", "active-defrag-*"},
		[]string{"CONFIG", "GET", "tls-*"},
		[]string{"CONFIG", "GET", "*_cpulist"},
	)
	for _, c := range cases {
		p.CheckWith(sortPairs, c...)
	}
	// What Redis refuses at startup, Carmine refuses when loading the file.
	for _, line := range []string{"unixsocketperm bad", "unixsocketperm 999", "unixsocketperm 1000",
		"socket-mark-id -1", "socket-mark-id 4294967296", "syslog-facility bad", "syslog-ident x y",
		"always-show-logo x", "proc-title-template {x}", "activedefrag yes"} {
		cfg := DefaultConfig()
		assert.Error(t, cfg.Load([]byte(line)), line)
	}
	for _, line := range []string{"unixsocketperm 0777", "socket-mark-id 4294967295", "syslog-facility LOCAL7",
		"server_cpulist 0-7:2", "set-proc-title no", "locale-collate C", "locale-collate \"\""} {
		cfg := DefaultConfig()
		assert.NoError(t, cfg.Load([]byte(line)), line)
	}
	// Matches Redis: a several-word parameter given as one argument is split at spaces.
	cfg, err := ParseArgs([]string{"--save", "3600 1 60 5", "--oom-score-adj-values", "1 2 3", "--bind", "127.0.0.1 ::1",
		"--latency-tracking-info-percentiles", "50 90"}, nil)
	require.NoError(t, err)
	assert.Equal(t, []SavePoint{{3600, 1}, {60, 5}}, cfg.Save)
	assert.Equal(t, [3]int{1, 2, 3}, cfg.OOMScoreAdjValues)
	assert.Equal(t, []string{"127.0.0.1", "::1"}, cfg.Bind)
	assert.Equal(t, []float64{50, 90}, cfg.LatencyTrackingPercentiles)
	// Missing features: only their off values load.
	for _, line := range []string{"tls-port 6380", "tls-replication yes", "tls-cluster yes", "maxmemory-clients 10%",
		"maxmemory-clients 1gb", "locale-collate en_US.UTF-8"} {
		cfg := DefaultConfig()
		err := cfg.Load([]byte(line))
		assert.ErrorIs(t, err, errNotSupported, line)
	}
}

// debianElsewhere are directives of Debian's redis.conf that TestDebianRedisConf comments out: none, now that
// every branch has landed.
var debianElsewhere = map[string]bool{}

// TestDebianRedisConf checks that the redis.conf that Debian's redis-server package installs loads in Carmine
// unchanged, but for the directives other branches are adding (commented out), and that the server then
// reports the file's values. The test server listens and keeps its files elsewhere, set by arguments after the
// file as an operator would; daemonize, pidfile and logfile are for the carmine-server command, which a
// Server started in-process ignores.
func TestDebianRedisConf(t *testing.T) {
	const path = "/etc/redis/redis.conf"
	data, err := os.ReadFile(path)
	if err != nil {
		if _, lookErr := exec.LookPath("redis-server"); lookErr == nil || os.Getenv(difftest.RequireEnv) != "" {
			t.Fatalf("redis-server is installed (or %s is set) but %s cannot be read: %v", difftest.RequireEnv, path, err)
		}
		t.Skipf("%s: %v (install redis-server)", path, err)
	}
	dir := t.TempDir()
	var out, commented []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 0 && !strings.HasPrefix(fields[0], "#") {
			if name := strings.ToLower(fields[0]); debianElsewhere[name] {
				line = "# " + line
				commented = append(commented, name)
			}
		}
		out = append(out, line)
	}
	assert.Len(t, commented, len(debianElsewhere), "commented out: %v", commented)
	conf := filepath.Join(dir, "redis.conf")
	require.NoError(t, os.WriteFile(conf, []byte(strings.Join(out, "\n")), 0o600))
	cfg, err := ParseArgs([]string{conf, "--port", "0", "--bind", "127.0.0.1", "--dir", dir}, os.ReadFile)
	require.NoError(t, err)
	assert.True(t, cfg.Daemonize)
	assert.Equal(t, "/run/redis/redis-server.pid", cfg.PidFile)
	assert.Equal(t, "/var/log/redis/redis-server.log", cfg.LogFile)
	srv, err := Start(cfg, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	c := difftest.Dial(t, srv.Addr().String())
	for name, want := range map[string]string{
		"stop-writes-on-bgsave-error": "yes", "lazyfree-lazy-user-flush": "no", "oom-score-adj-values": "0 200 800",
		"proc-title-template": "{title} {listen-addr} {server-mode}", "jemalloc-bg-thread": "yes",
		"client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
		"save":                       "3600 1 300 100 60 10000", "dir": dir,
	} {
		assert.Equal(t, `["`+name+`", "`+want+`"]`, difftest.Format(c.Do("CONFIG", "GET", name)), name)
	}
	// CONFIG REWRITE keeps the file loadable.
	assert.Equal(t, "+OK", difftest.Format(c.Do("CONFIG", "SET", "activerehashing", "no", "oom-score-adj", "absolute")))
	assert.Equal(t, "+OK", difftest.Format(c.Do("CONFIG", "REWRITE")))
	again, err := ParseArgs([]string{conf}, os.ReadFile)
	require.NoError(t, err)
	assert.False(t, again.ActiveRehashing)
	assert.Equal(t, "absolute", again.OOMScoreAdj)
}

// TestDiffStopWritesOnBgsaveError compares the MISCONF refusals after a failed BGSAVE with real Redis: writes,
// PING and transactions holding a write are refused while stop-writes-on-bgsave-error is yes and save points
// are set; reads and other commands run.
func TestDiffStopWritesOnBgsaveError(t *testing.T) {
	p := startPair(t, "")
	for _, c := range []*difftest.Conn{p.Redis, p.Carmine} {
		require.Equal(t, "+OK", difftest.Format(c.Do("CONFIG", "SET", "save", "3600 1")))
		require.Equal(t, "+OK", difftest.Format(c.Do("SET", "a", "1")))
		v := c.Do("CONFIG", "GET", "dir")
		require.Len(t, v.Elems, 2)
		require.NoError(t, os.RemoveAll(string(v.Elems[1].Str))) // the save cannot create its temporary file
		require.Equal(t, "+Background saving started", difftest.Format(c.Do("BGSAVE")))
		require.Eventually(t, func() bool {
			info := string(c.Do("INFO", "persistence").Str)
			return strings.Contains(info, "rdb_bgsave_in_progress:0") && strings.Contains(info, "rdb_last_bgsave_status:err")
		}, 10*time.Second, 10*time.Millisecond)
	}
	cases := [][]string{
		{"SET", "b", "1"}, {"PING"}, {"GET", "a"}, {"DEL", "a"}, {"ECHO", "x"}, {"PUBLISH", "ch", "m"},
		{"MULTI"}, {"GET", "a"}, {"EXEC"},
		{"MULTI"}, {"GET", "a"}, {"SET", "a", "2"}, {"EXEC"},
		{"CONFIG", "SET", "stop-writes-on-bgsave-error", "no"}, {"SET", "b", "2"}, {"PING"},
		{"CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"}, {"SET", "b", "3"},
		{"CONFIG", "SET", "save", ""}, {"SET", "b", "4"},
		{"CONFIG", "SET", "save", "3600 1"}, {"INCR", "c"}, {"GET", "b"},
		{"INFO", "errorstats"},
	}
	for _, c := range cases {
		p.Check(c...)
	}
}

// TestDiffACLPubsubDefault compares the channels of new users under acl-pubsub-default with real Redis: users
// of the configuration file, of ACL SETUSER, their selectors and reset.
func TestDiffACLPubsubDefault(t *testing.T) {
	args := []string{"--acl-pubsub-default", "allchannels", "--user", "cfg", "on", "nopass", "+@all", "~*"}
	redis := difftest.StartRedis(t, args...)
	parsed, err := ParseArgs(args, nil)
	require.NoError(t, err)
	_, addr := startServer(t, func(c *Config) { c.Users, c.ACLPubsubDefault = parsed.Users, parsed.ACLPubsubDefault })
	p := difftest.NewPair(t, redis.Addr, addr)
	for _, c := range [][]string{
		{"ACL", "LIST"}, {"CONFIG", "GET", "acl-pubsub-default"},
		{"ACL", "SETUSER", "u1"}, {"ACL", "SETUSER", "u2", "resetchannels", "(~a +get)"},
		{"ACL", "SETUSER", "u3", "&x", "reset"}, {"ACL", "LIST"},
		{"CONFIG", "SET", "acl-pubsub-default", "resetchannels"},
		{"ACL", "SETUSER", "u4"}, {"ACL", "SETUSER", "u1", "(~b)"}, {"ACL", "SETUSER", "u3", "reset"},
		{"ACL", "SETUSER", "cfg", "(~c)"}, {"ACL", "LIST"}, {"ACL", "GETUSER", "u1"},
	} {
		p.Check(c...)
	}
}

// TestDiffTrackingTableMaxKeys compares tracking-table-max-keys with real Redis: once more keys are tracked than
// the limit, keys are forgotten at random and their readers invalidated. Which keys is random, and Carmine
// writes pushes apart from replies, so the replies and the number of invalidations are compared.
func TestDiffTrackingTableMaxKeys(t *testing.T) {
	p := startPair(t, "")
	run := func(c *difftest.Conn) (replies []string, pushes int) {
		c.Do("HELLO", "3")
		for _, cmd := range [][]string{
			{"CLIENT", "TRACKING", "on"}, {"CONFIG", "SET", "tracking-table-max-keys", "2"},
			{"GET", "a"}, {"GET", "b"}, {"GET", "a"}, {"GET", "c"}, {"MGET", "d", "e"}, {"GET", "f"},
			{"CONFIG", "SET", "tracking-table-max-keys", "0"}, {"MGET", "g", "h", "i"},
		} {
			v := c.Do(cmd...)
			for ; v.Type == resp.TypePush; v = c.Receive() {
				pushes++
			}
			replies = append(replies, difftest.Format(v))
		}
		for i := 0; i < 100 && pushes < 4; i++ { // Carmine's pushes may trail its replies
			for v := c.Do("PING"); v.Type == resp.TypePush; v = c.Receive() {
				pushes++
			}
			time.Sleep(time.Millisecond)
		}
		return replies, pushes
	}
	wantReplies, wantPushes := run(p.Redis)
	gotReplies, gotPushes := run(p.Carmine)
	assert.Equal(t, wantReplies, gotReplies)
	assert.Equal(t, 4, wantPushes, "Redis: a b c, then d e f leave 2 of 6 keys")
	assert.Equal(t, wantPushes, gotPushes)
}

// TestConfigInclude checks include lines: a glob's files in name order (none is fine), a plain path that must
// exist, save lines adding up across files, and a file including itself failing.
func TestConfigInclude(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
		return path
	}
	write("a.conf", "hz 20\nsave 100 1\n")
	write("b.conf", "hz 30\nmaxmemory-samples 7\nsave 200 2\n")
	main := write("main.conf", "hz 5\ninclude "+filepath.Join(dir, "*.conf.d")+"\ninclude "+filepath.Join(dir, "?.conf")+
		"\nsave 300 3\n")
	cfg, err := ParseArgs([]string{main}, os.ReadFile)
	require.NoError(t, err)
	assert.Equal(t, 30, cfg.HZ)
	assert.Equal(t, 7, cfg.MaxMemorySamples)
	assert.Equal(t, []SavePoint{{100, 1}, {200, 2}, {300, 3}}, cfg.Save)

	missing := write("missing.conf", "include "+filepath.Join(dir, "nofile.conf")+"\n")
	_, err = ParseArgs([]string{missing}, os.ReadFile)
	assert.ErrorIs(t, err, os.ErrNotExist)
	self := filepath.Join(dir, "self.conf")
	write("self.conf", "include "+self+"\n")
	_, err = ParseArgs([]string{self}, os.ReadFile)
	assert.ErrorContains(t, err, "nested more than")
	bad := write("bad.conf", "include\n")
	_, err = ParseArgs([]string{bad}, os.ReadFile)
	assert.Error(t, err)
}

// TestDiffRenameCommand compares rename-command with real Redis: a renamed command answers to its new name only
// (subcommands included, inside MULTI too), a command renamed to "" is gone, and bad lines fail.
func TestDiffRenameCommand(t *testing.T) {
	args := []string{"--rename-command", "config", "cfg", "--rename-command", "FLUSHALL", "", "--rename-command", "get", "Fetch",
		"--rename-command", "set", "set"}
	redis := difftest.StartRedis(t, args...)
	parsed, err := ParseArgs(args, nil)
	require.NoError(t, err)
	_, addr := startServer(t, func(c *Config) { c.RenameCommands = parsed.RenameCommands })
	p := difftest.NewPair(t, redis.Addr, addr)
	for _, c := range [][]string{
		{"CONFIG", "GET", "hz"}, {"CFG", "GET", "hz"}, {"cfg", "nosuch"}, {"FLUSHALL"}, {"SET", "k", "v"},
		{"GET", "k"}, {"FETCH", "k"}, {"fetch"}, {"MULTI"}, {"fetch", "k"}, {"EXEC"},
		// COMMAND describes a renamed command under its own name, found by the new one; a removed one is gone.
		{"COMMAND", "INFO", "get", "fetch", "flushall", "cfg|get", "config|get"}, {"COMMAND", "DOCS", "FETCH", "get", "flushall"},
		{"COMMAND", "GETKEYS", "fetch", "k"}, {"COMMAND", "GETKEYS", "get", "k"}, {"COMMAND", "GETKEYS", "flushall"},
		{"COMMAND", "GETKEYSANDFLAGS", "fetch", "k"},
	} {
		p.Check(c...)
	}
	listed := func(c *difftest.Conn) []string {
		var out []string
		for _, v := range c.Do("COMMAND", "LIST").Elems {
			if n := string(v.Str); slices.Contains([]string{"get", "fetch", "flushall", "config", "cfg", "config|get", "set"}, n) {
				out = append(out, n)
			}
		}
		slices.Sort(out)
		return out
	}
	assert.Equal(t, listed(p.Redis), listed(p.Carmine))
	assert.Equal(t, int64(len(implementedSpecs())-1), p.Carmine.Do("COMMAND", "COUNT").Int, "FLUSHALL is not counted")
	assert.Len(t, p.Carmine.Do("COMMAND").Elems, len(implementedSpecs())-1)
	for _, bad := range [][]string{{"--rename-command", "nosuch", "x"}, {"--rename-command", "get", "set"},
		{"--rename-command", "get"}, {"--rename-command", "get", "", "--rename-command", "get", "x"}} {
		_, err := ParseArgs(bad, nil)
		assert.Error(t, err, "%q", bad)
	}
}

// TestParamNamesUnique checks that no two parameters (or aliases) share a name: lookupParam would find only
// the first.
func TestParamNamesUnique(t *testing.T) {
	seen := make(map[string]bool)
	for _, p := range params {
		assert.False(t, seen[p.name], "parameter %s defined twice", p.name)
		seen[p.name] = true
	}
	for old := range paramAliases {
		assert.False(t, seen[old], "alias %s is also a parameter", old)
	}
}

// TestDiffConfigRewriteMemory compares the lines CONFIG REWRITE writes for parameters that hold bytes: in the
// largest unit that divides the value (gb, mb, kb), else in bytes; client-output-buffer-limit a line per class.
func TestDiffConfigRewriteMemory(t *testing.T) {
	rconf := filepath.Join(t.TempDir(), "redis.conf")
	require.NoError(t, os.WriteFile(rconf, []byte("# test\n"), 0o600))
	r := difftest.StartRedisConf(t, rconf)
	cconf := filepath.Join(t.TempDir(), "carmine.conf")
	require.NoError(t, os.WriteFile(cconf, []byte("# test\n"), 0o600))
	cfg, err := ParseArgs([]string{cconf, "--port", "0", "--bind", "127.0.0.1", "--dir", t.TempDir()}, os.ReadFile)
	require.NoError(t, err)
	srv, err := Start(cfg, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	p := difftest.NewPair(t, r.Addr, srv.Addr().String())

	sets := [][]string{
		{"maxmemory", "3000000"}, {"proto-max-bulk-len", "1049600"}, {"repl-backlog-size", "1073741824"},
		{"client-query-buffer-limit", "2gb"}, {"auto-aof-rewrite-min-size", "64mb"},
		{"client-output-buffer-limit", "replica 536870912 1000 60 pubsub 64mb 8mb 60"},
	}
	for _, kv := range sets {
		p.Check("CONFIG", "SET", kv[0], kv[1])
	}
	p.Check("CONFIG", "REWRITE")
	lines := func(path string) []string {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var out []string
		for _, l := range strings.Split(string(b), "\n") {
			for _, kv := range sets {
				if strings.HasPrefix(l, kv[0]+" ") {
					out = append(out, l)
				}
			}
		}
		sort.Strings(out)
		return out
	}
	want := lines(rconf)
	// Redis writes the changed parameters (auto-aof-rewrite-min-size is its default), a line per changed class.
	assert.Len(t, want, len(sets))
	assert.Equal(t, want, lines(cconf))

	// Output limits back at their defaults: the file's two lines take the first two classes, default or not.
	p.Check("CONFIG", "SET", "client-output-buffer-limit", "replica 256mb 64mb 60 pubsub 32mb 8mb 60")
	p.Check("CONFIG", "REWRITE")
	want = lines(rconf)
	assert.Contains(t, want, "client-output-buffer-limit normal 0 0 0")
	assert.Equal(t, want, lines(cconf))
}
