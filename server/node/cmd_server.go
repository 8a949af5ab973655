package node

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"debug":             cmdDebug,
	"latency|doctor":    cmdLatencyDoctor,
	"latency|graph":     cmdLatencyGraph,
	"latency|help":      cmdLatencyHelp,
	"module|help":       cmdModuleHelp,
	"module|list":       cmdModuleList,
	"module|load":       cmdModuleDenied,
	"module|loadex":     cmdModuleDenied,
	"module|unload":     cmdModuleDenied,
	"latency|histogram": cmdLatencyHistogram,
	"latency|history":   cmdLatencyHistory,
	"latency|latest":    cmdLatencyLatest,
	"latency|reset":     cmdLatencyReset,
	"shutdown":          cmdShutdown,
	"slowlog|get":       cmdSlowlogGet,
	"slowlog|help":      cmdSlowlogHelp,
	"slowlog|len":       cmdSlowlogLen,
	"slowlog|reset":     cmdSlowlogReset,
	"time":              cmdTime,
})

// TIME: the server's clock as Unix seconds and microseconds, two bulk strings.
func cmdTime(c *client, args [][]byte) error {
	now := time.Now()
	c.w.WriteArrayLen(2)
	c.w.WriteBulkString(strconv.FormatInt(now.Unix(), 10))
	c.w.WriteBulkString(strconv.Itoa(now.Nanosecond() / 1000))
	return nil
}

// subcommandSyntaxError is Redis's addReplySubcommandSyntaxError.
func subcommandSyntaxError(container string, sub []byte) error {
	return errorf(fmt.Sprintf("unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.", sub, container))
}

// SLOWLOG GET [count]: the newest count entries (10 by default, -1 for all).
func cmdSlowlogGet(c *client, args [][]byte) error {
	if len(args) > 3 {
		return subcommandSyntaxError("SLOWLOG", args[1])
	}
	count := int64(10)
	if len(args) == 3 {
		n, ok := keyspace.ParseInt(args[2])
		if !ok || n < -1 {
			return errorf("count should be greater than or equal to -1")
		}
		count = n
	}
	entries := c.srv.slowlog.newest(count)
	w := c.w
	w.WriteArrayLen(len(entries))
	for _, e := range entries {
		w.WriteArrayLen(6)
		w.WriteInt(e.id)
		w.WriteInt(e.at)
		w.WriteInt(e.usec)
		w.WriteArrayLen(len(e.args))
		for _, a := range e.args {
			w.WriteBulkString(a)
		}
		w.WriteBulkString(e.addr)
		w.WriteBulkString(e.name)
	}
	return nil
}

// SLOWLOG LEN
func cmdSlowlogLen(c *client, args [][]byte) error {
	c.w.WriteInt(int64(c.srv.slowlog.len()))
	return nil
}

// SLOWLOG RESET
func cmdSlowlogReset(c *client, args [][]byte) error {
	c.srv.slowlog.reset()
	c.w.WriteSimple("OK")
	return nil
}

// SLOWLOG HELP
func cmdSlowlogHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "SLOWLOG", []string{
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	})
	return nil
}

// The latency monitor has no event sources yet (Redis's come from fork, AOF fsync, expiry and eviction
// cycles and commands slower than latency-monitor-threshold), so its replies are those of an empty monitor.

// Carmine loads no modules: MODULE LIST is empty and enable-module-command is fixed at "no", so MODULE LOAD,
// LOADEX and UNLOAD get Redis's refusal.
func cmdModuleList(c *client, args [][]byte) error {
	c.w.WriteArrayLen(0)
	return nil
}

func cmdModuleDenied(c *client, args [][]byte) error { return errModuleNotAllowed }

func cmdModuleHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "MODULE", []string{
		"LIST",
		"    Return a list of loaded modules.",
		"LOAD <path> [<arg> ...]",
		"    Load a module library from <path>, passing to it any optional arguments.",
		"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
		"    Load a module library from <path>, while passing it module configurations and optional arguments.",
		"UNLOAD <name>",
		"    Unload a module.",
	})
	return nil
}

// LATENCY HELP, listing the subcommands Carmine has.
func cmdLatencyHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "LATENCY", []string{
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	})
	return nil
}

var errDebugNotAllowed = errorf(`DEBUG command not allowed. If the enable-debug-command option is set to "local", ` +
	`you can run it from a local connection, otherwise you need to set this option in the configuration file, ` +
	`and then restart the server.`)

var errModuleNotAllowed = errorf(`MODULE command not allowed. If the enable-module-command option is set to "local", ` +
	`you can run it from a local connection, otherwise you need to set this option in the configuration file, ` +
	`and then restart the server.`)

// isProtected reports whether the command or subcommand called name is one of Redis's protected commands
// (CMD_PROTECTED), which enable-debug-command and enable-module-command allow.
func isProtected(name string) bool {
	switch name {
	case "debug", "module|load", "module|loadex", "module|unload":
		return true
	}
	return false
}

// protectedRefused reports whether the client may not run the protected command called name, and then sets
// *err to Redis's refusal. enable-module-command is always no here.
func (c *client) protectedRefused(name string, err *error) bool {
	if name == "debug" {
		if c.debugAllowed() {
			return false
		}
		*err = errDebugNotAllowed
		return true
	}
	*err = errModuleNotAllowed
	return true
}

// debugAllowed applies enable-debug-command: "yes", or "local" for a client on a loopback address.
func (c *client) debugAllowed() bool {
	switch c.srv.cfg.DebugCommand {
	case "yes":
		return true
	case "local":
		host, _, err := net.SplitHostPort(c.addr)
		ip := net.ParseIP(host)
		return err == nil && ip != nil && ip.IsLoopback()
	}
	return false
}

// DEBUG subcommand [arg ...]: HELP, SLEEP seconds, OBJECT key.
// enable-debug-command is checked by the dispatcher (a protected command).
func cmdDebug(c *client, args [][]byte) error {
	switch sub := strings.ToLower(string(args[1])); {
	case sub == "help" && len(args) == 2:
		writeHelp(c.w, "DEBUG", []string{
			"OBJECT <key>",
			"    Show low level info about the `key` and associated value.",
			"RELOAD [NOSAVE]",
			"    Save the RDB on disk and reload it back to memory. NOSAVE reloads without saving first.",
			"SLEEP <seconds>",
			"    Stop the server for <seconds>. Decimals allowed.",
		})
		return nil
	case sub == "sleep" && len(args) == 3:
		// Matches Redis: strtod, so an unparsable number sleeps 0 seconds. Like Redis, it stops this event
		// loop (Redis's whole server) for that long.
		secs, _ := strconv.ParseFloat(string(args[2]), 64)
		if secs > 0 && !math.IsInf(secs, 0) && !math.IsNaN(secs) {
			time.Sleep(time.Duration(secs * float64(time.Second)))
		}
		c.w.WriteSimple("OK")
		return nil
	case sub == "object" && len(args) == 3:
		return c.debugObject(args[2])
	case sub == "reload":
		return c.debugReload(args[2:])
	}
	return subcommandSyntaxError("DEBUG", args[1])
}

// debugObject is DEBUG OBJECT key: "Value at:... refcount:... encoding:... serializedlength:... lru:...
// lru_seconds_idle:...". serializedlength is the RDB size without LZF compression, which Carmine does not
// estimate.
func (c *client) debugObject(key []byte) error {
	tx := c.begin(key)
	defer tx.End()
	e, ok := tx.Peek(key)
	if !ok {
		return keyspace.ErrNoSuchKey
	}
	refcount, size := 1, int64(0)
	var buf [20]byte
	if e.Kind() == keyspace.KindString {
		v := e.Bytes(buf[:0])
		size = rdbStringLen(v)
		// Matches Redis: the integers 0 to 9999 are shared objects with OBJ_SHARED_REFCOUNT.
		if n, ok := keyspace.ParseInt(v); ok && e.Encoding() == keyspace.EncInt && n >= 0 && n < 10000 {
			refcount = math.MaxInt32
		}
	}
	idle := int64(tx.IdleTime(e) / time.Second)
	lru := (time.Now().Unix() - idle) & (1<<24 - 1)
	addr := "0x0"
	if k := e.Key(); len(k) > 0 {
		addr = fmt.Sprintf("%p", &k[0])
	}
	c.w.WriteSimple(fmt.Sprintf("Value at:%s refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
		addr, refcount, e.Encoding(), size, lru, idle))
	return nil
}

// rdbStringLen is the size of a string in an RDB file without compression: an integer encoding for short
// integers that fit 32 bits, else a length prefix and the bytes.
func rdbStringLen(v []byte) int64 {
	if len(v) <= 11 {
		if n, ok := keyspace.ParseInt(v); ok && strconv.FormatInt(n, 10) == string(v) {
			switch {
			case n >= math.MinInt8 && n <= math.MaxInt8:
				return 2
			case n >= math.MinInt16 && n <= math.MaxInt16:
				return 3
			case n >= math.MinInt32 && n <= math.MaxInt32:
				return 5
			}
		}
	}
	n := int64(len(v))
	switch {
	case n < 1<<6:
		return 1 + n
	case n < 1<<14:
		return 2 + n
	case n <= math.MaxUint32:
		return 5 + n
	}
	return 9 + n
}

// saveForShutdown saves before a shutdown, in a BeginAll Txn: with save, or with save points unless nosave. A
// failed save returns its error unless force. Then Run does not save again.
func (s *Server) saveForShutdown(tx *keyspace.Txn, save, nosave, force bool) error {
	if save || !nosave && len(s.config().Save) > 0 {
		if err := s.saveLocked(tx, false); err != nil && !force {
			return err
		}
	}
	s.shutdownSaved.Store(true)
	return nil
}

// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]: stop the server. Matches Redis: unless NOW, it first waits
// for the replicas to catch up (shutdownAfterReplicas), which ABORT cancels; it saves when there are save
// points (unless NOSAVE) or with SAVE, holding every key still meanwhile, and a failed save keeps the server
// running unless FORCE.
func cmdShutdown(c *client, args [][]byte) error {
	var save, nosave, abort, force, now, other bool
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave":
			nosave = true
		case "save":
			save = true
		case "now":
			now, other = true, true
		case "force":
			force, other = true, true
		case "abort":
			abort = true
		default:
			return errSyntax
		}
	}
	if (save && nosave) || (abort && (save || nosave || other)) {
		return errSyntax
	}
	s := c.srv
	if abort {
		if !s.abortShutdown() {
			return errorf("No shutdown in progress.")
		}
		c.w.WriteSimple("OK")
		return nil
	}
	if err := c.shutdownScript(nosave); err != nil {
		return err
	}
	c.srv.log.Info("user requested shutdown", "client-id", c.id)
	if s.shutdownWaiting() || s.mustWaitReplicas(now) {
		w := &waiter{c: c, cmd: c.cmd, args: copyArgs(args), db: c.db, proto: c.w.Protocol()}
		if c.conn != nil {
			w.reply = make(chan []byte, 1)
		}
		c.waiter = w
		s.shutdownAfterReplicas(w, func() error {
			tx := s.ks.BeginAll(0)
			err := s.saveForShutdown(&tx, save, nosave, force)
			tx.End()
			if err != nil {
				return errShutdownFailed
			}
			s.Shutdown()
			return nil
		})
		return nil
	}
	tx := c.beginAll()
	err := c.srv.saveForShutdown(&tx, save, nosave, force)
	tx.End()
	if err != nil {
		return errShutdownFailed
	}
	// Matches Redis: the client gets no reply; its connection closes with the others.
	c.closing = true
	c.srv.Shutdown()
	return nil
}
