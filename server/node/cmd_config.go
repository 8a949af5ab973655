package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"config|get":       cmdConfigGet,
	"config|help":      cmdConfigHelp,
	"config|resetstat": cmdConfigResetStat,
	"config|rewrite":   cmdConfigRewrite,
	"config|set":       cmdConfigSet,
})

// liveConfig is the configuration as CONFIG SET leaves it. The whole of it is guarded by mu; the values that
// hot paths read are also kept in atomics.
type liveConfig struct {
	setMu sync.Mutex // serialises CONFIG SET calls from different event loops
	mu    sync.Mutex
	cfg   Config

	hz               atomic.Int64
	slowlogSlower    atomic.Int64
	busyThreshold    atomic.Int64 // busy-reply-threshold, ms
	latencyThreshold atomic.Int64 // latency-monitor-threshold, ms; 0 = off
	slowlogMax       atomic.Int64
	maxClients       atomic.Int64
	protoMaxBulk     atomic.Int64 // proto-max-bulk-len
	queryBufLimit    atomic.Int64 // client-query-buffer-limit
	timeoutMs        atomic.Int64 // timeout, in ms; 0 = off
	keepAlive        atomic.Int64 // tcp-keepalive, in seconds
	aofTimestamps    atomic.Bool  // aof-timestamp-enabled
}

func (l *liveConfig) store(c Config) {
	l.mu.Lock()
	l.cfg = c
	l.mu.Unlock()
	l.hz.Store(int64(c.HZ))
	l.maxClients.Store(int64(c.MaxClients))
	l.protoMaxBulk.Store(c.ProtoMaxBulkLen)
	l.queryBufLimit.Store(c.QueryBufLimit)
	l.timeoutMs.Store(int64(c.Timeout) * 1000)
	l.keepAlive.Store(int64(c.TCPKeepAlive))
	l.slowlogSlower.Store(c.SlowlogSlowerThan)
	l.busyThreshold.Store(c.BusyReplyThreshold)
	l.latencyThreshold.Store(c.LatencyThreshold)
	l.slowlogMax.Store(c.SlowlogMaxLen)
	l.aofTimestamps.Store(c.AOF.Timestamps)
}

// config returns a copy of the live configuration.
func (s *Server) config() Config {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	return s.live.cfg
}

// CONFIG GET parameter [parameter ...]: the parameters whose names match the glob patterns, with their values,
// as a map. A name without glob characters is looked up as written and replied as written, as Redis does.
func cmdConfigGet(c *client, args [][]byte) error {
	cfg := c.srv.config()
	var out []string
	seen := make(map[string]bool)
	add := func(name string, p *param) {
		if !seen[name] {
			seen[name] = true
			out = append(out, name, p.get(&cfg))
		}
	}
	for _, pat := range args[2:] {
		if !strings.ContainsAny(string(pat), "*?[") {
			if p := lookupParam(string(pat)); p != nil {
				add(string(pat), p)
			}
			continue
		}
		for i := range params {
			if keyspace.Match(toLowerBytes(pat), []byte(params[i].name)) {
				add(params[i].name, &params[i])
			}
		}
		for old, main := range paramAliases {
			if keyspace.Match(toLowerBytes(pat), []byte(old)) {
				add(old, lookupParam(main))
			}
		}
	}
	c.w.WriteMapLen(len(out) / 2)
	for _, s := range out {
		c.w.WriteBulkString(s)
	}
	return nil
}

func toLowerBytes(b []byte) []byte { return appendLower(nil, b) }

// CONFIG SET parameter value [parameter value ...]: all or nothing, with Redis 7's checks in Redis's order.
func cmdConfigSet(c *client, args [][]byte) error {
	if len(args)%2 != 0 {
		return errSyntax
	}
	if err := c.srv.configSet(args[2:]); err != nil {
		return err
	}
	if c.exec == nil { // Matches Redis: appendonly yes starts its rewrite at once, outside MULTI
		c.srv.startScheduledRewrite()
	}
	c.w.WriteSimple("OK")
	return nil
}

// configSet applies name value pairs to the live configuration, all of them or, on any error, none.
func (s *Server) configSet(pairs [][]byte) error {
	type change struct {
		p     *param
		name  string
		value string
	}
	var changes []change
	var refused error
	for i := 0; i+1 < len(pairs); i += 2 {
		name := string(pairs[i])
		p := lookupParam(name)
		if p == nil {
			if refused == nil {
				return errorf("Unknown option or number of arguments for CONFIG SET - '" + name + "'")
			}
			continue
		}
		if refused != nil {
			continue
		}
		switch {
		case p.flags&immutable != 0:
			refused = configSetFailed(name, "can't set immutable config")
		case p.flags&protected != 0:
			refused = configSetFailed(name, "can't set protected config")
		}
		for _, ch := range changes {
			if refused == nil && ch.p == p {
				refused = configSetFailed(name, "duplicate parameter")
			}
		}
		changes = append(changes, change{p, name, string(pairs[i+1])})
	}
	if refused != nil {
		return refused
	}
	s.live.setMu.Lock()
	defer s.live.setMu.Unlock()
	s.live.mu.Lock()
	cfg := s.live.cfg
	s.live.mu.Unlock()
	old := cfg
	oldLevel, oldAOF := cfg.LogLevel, cfg.AOF
	for _, ch := range changes {
		v := []string{ch.value}
		if ch.p.flags&words != 0 {
			v = strings.Fields(ch.value)
		}
		if err := ch.p.set(&cfg, v); err != nil {
			return configSetFailed(ch.name, err.Error())
		}
	}
	if cfg.MaxClients > old.MaxClients {
		// Matches Redis (updateMaxclients): the limit of open files is raised to fit, or the change refused.
		if fit := fitMaxClients(cfg.MaxClients, s.log); fit < cfg.MaxClients {
			name := "maxclients"
			for _, ch := range changes {
				if ch.p.name == name {
					name = ch.name // as the client wrote it
				}
			}
			return configSetFailed(name, fmt.Sprintf(
				"The operating system is not able to handle the specified number of clients, try with %d", fit))
		}
	}
	s.live.store(cfg)
	s.applyLiveConfig()
	for _, ch := range changes {
		if ch.p.name == "requirepass" {
			s.setRequirePass(cfg.RequirePass) // Matches Redis: it resets the default user's passwords
		}
	}
	if cfg.LogLevel != oldLevel {
		s.log.SetLevel(LogLevel(cfg.LogLevel))
	}
	if cfg.AOF.Fsync != oldAOF.Fsync {
		s.setAOFFsync(cfg.AOF.Fsync)
	}
	if cfg.AOF.Enabled != oldAOF.Enabled {
		s.setAppendOnly(cfg.AOF.Enabled)
	}
	return nil
}

func configSetFailed(name, why string) error {
	return errorf(fmt.Sprintf("CONFIG SET failed (possibly related to argument '%s') - %s", name, why))
}

// CONFIG RESETSTAT
func cmdConfigResetStat(c *client, args [][]byte) error {
	c.srv.stats.reset()
	c.w.WriteSimple("OK")
	return nil
}

var errNoConfigFile = errorf("The server is running without a config file")

// CONFIG REWRITE
func cmdConfigRewrite(c *client, args [][]byte) error {
	if c.srv.cfg.ConfigFile == "" {
		return errNoConfigFile
	}
	cfg := c.srv.config()
	cfg.Users = c.srv.configUsers()
	if err := rewriteConfigFile(c.srv.cfg.ConfigFile, cfg); err != nil {
		c.srv.log.Warn("CONFIG REWRITE failed", "error", err)
		return errorf("Rewriting config file: " + rewriteErrText(err))
	}
	c.srv.log.Info("CONFIG REWRITE executed with success")
	c.w.WriteSimple("OK")
	return nil
}

// rewriteErrText is the strerror-like text of a file error, as Redis puts it after "Rewriting config file: ".
func rewriteErrText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// rewriteMarker is the comment above the parameters that CONFIG REWRITE appends, as Redis writes it.
const rewriteMarker = "# Generated by CONFIG REWRITE"

// rewriteConfigFile rewrites the configuration file at path to hold cfg, as Redis's CONFIG REWRITE does:
// comments, blank lines and unknown lines stay; each parameter's lines in the file, in order, take its current
// lines (see param.lines), and lines left over go; what a parameter still has to write and differs from the
// defaults is appended at the end, after a marker comment that is written once. The new file replaces the old
// one by a rename. A missing file is created.
func rewriteConfigFile(path string, cfg Config) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	def := DefaultConfig()
	var out []string
	hasMarker := false
	pending := make(map[*param][]paramLine) // what each parameter met in the file has left to write
	left := func(p *param) []paramLine {
		if l, met := pending[p]; met {
			return l
		}
		return p.lines(&cfg, &def)
	}
	users := cfg.Users // Matches Redis: user lines are rewritten in place, in order, the rest appended
	text := strings.TrimSuffix(string(old), "\n")
	if text != "" {
		for _, line := range strings.Split(text, "\n") {
			trimmed := strings.TrimSpace(line)
			hasMarker = hasMarker || trimmed == rewriteMarker
			fields := strings.Fields(trimmed)
			if len(fields) == 0 || trimmed[0] == '#' {
				out = append(out, line)
				continue
			}
			if strings.EqualFold(fields[0], "user") {
				if len(users) > 0 {
					out = append(out, "user "+strings.Join(users[0], " "))
					users = users[1:]
				}
				continue
			}
			p := lookupParam(fields[0])
			if p == nil {
				out = append(out, line)
				continue
			}
			l := left(p)
			if len(l) > 0 { // Matches Redis: a line in the file takes the next value, changed or not
				out = append(out, l[0].text)
				l = l[1:]
			}
			pending[p] = l
		}
	}
	var added []string
	for i := range params {
		for _, l := range left(&params[i]) {
			if l.changed {
				added = append(added, l.text)
			}
		}
	}
	for _, u := range users {
		added = append(added, "user "+strings.Join(u, " "))
	}
	if len(added) > 0 && !hasMarker {
		for len(out) > 0 && out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
		out = append(out, rewriteMarker)
	}
	out = append(out, added...)
	return writeFileAtomic(path, []byte(strings.Join(out, "\n")+"\n"))
}

// paramLine is one redis.conf line of a parameter, and whether it differs from the default.
type paramLine struct {
	text    string
	changed bool
}

// lines are the redis.conf lines that set p to its value in cfg: one, or those of its rewrite (a line per
// client class for client-output-buffer-limit).
func (p *param) lines(cfg, def *Config) []paramLine {
	if p.rewrite != nil {
		var out []paramLine
		for _, v := range p.rewrite(cfg, def) {
			out = append(out, paramLine{p.name + " " + v.text, v.changed})
		}
		return out
	}
	v := p.get(cfg)
	changed := v != p.get(def)
	if v == "" || p.flags&quoted != 0 {
		v = quoteRepr(v)
	}
	return []paramLine{{p.name + " " + v, changed}}
}

// formatMemory writes bytes as Redis's CONFIG REWRITE does: in the largest of gb, mb and kb that divides it
// (1073741824 is "1gb", 1049600 "1025kb"), else in bytes.
func formatMemory(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "gb"}, {1 << 20, "mb"}, {1 << 10, "kb"}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// quoteRepr quotes s as Redis's sdscatrepr does, which redis.conf's reader undoes.
func quoteRepr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if ch < ' ' || ch > '~' {
				fmt.Fprintf(&b, `\x%02x`, ch)
			} else {
				b.WriteByte(ch)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeFileAtomic writes data to a temporary file next to path, syncs it and renames it over path, keeping
// path's permissions.
func writeFileAtomic(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".carmine-rewrite-*.conf")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // fails harmlessly after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// CONFIG HELP
func cmdConfigHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "CONFIG", []string{
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
	})
	return nil
}
