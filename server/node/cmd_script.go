package node

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/internal/cmdspec"
	"github.com/carminedb/carmine/server/internal/script"
)

// Server-side scripting: EVAL, EVALSHA, their _RO variants and SCRIPT (FUNCTION and FCALL are in
// cmd_function.go). The Lua side (sandbox, conversions, libraries) is package script.
//
// Atomicity. A script runs the way EXEC runs its queue: holding the keyspace exclusively (keyspace.BeginAll),
// with c.exec set so that each command it calls takes a share of that Txn through c.begin. redis.call goes through
// c.call, with the checks a script adds (noscript, read-only scripts, ACL), and its reply is captured in a
// writer of its own and converted to Lua.
//
// BUSY, and why a long script freezes no event loop. Clients share event loops (loop_linux.go), and a script runs
// on its client's loop goroutine, so two things must hold for Redis's BUSY to work:
//
//  1. No loop goroutine may sit in a shard lock that a script holds: it could not serve its other clients, who
//     must get BUSY once the script passes busy-reply-threshold. So a script announces itself before it locks
//     (s.script.running, compare-and-swap: one script at a time), and every command checks that pointer in
//     dispatch before it runs: while a script runs, the command waits, not in a lock but on the script's
//     channels, until the script ends (then it runs) or passes the threshold (then it is refused with BUSY,
//     unless its spec has allow_busy: SCRIPT KILL, FUNCTION KILL, SHUTDOWN, AUTH ...). A command could have
//     checked just before the script announced itself; each loop marks (eventLoop.inBatch) while it serves a
//     wake-up and clears the mark while it waits for a script, and the script, after announcing itself, waits
//     for every other loop's mark to clear or for the loop to reach its next check (a Dekker handshake with
//     sequentially consistent atomics: either the loop sees the script, or the script sees the loop's mark).
//     Only then does it lock. Clients on their own goroutines (the fallback I/O mode) skip the handshake: one
//     that lost the race waits in the lock, which stalls only itself. An EXEC whose queue runs a script locks
//     before the script starts, so it announces a placeholder the same way first (holdForScripts), which the
//     script replaces while it runs.
//  2. The script's own loop: its goroutine runs the script. When the threshold passes, a helper goroutine takes
//     the loop's epoll set over (loop goroutine is inside the script, so the helper is its only user) and serves
//     the loop's other clients, whose commands the dispatch check answers with BUSY; SCRIPT KILL from them
//     cancels the script's context, which gopher-lua checks at every instruction. The script waits for the
//     helper to hand the loop back before it returns.
//
// Effects: with c.exec set, the writes of a script propagate as its effects wrapped in MULTI/EXEC, as Redis 7
// replicates scripts.

var _ = register(map[string]handler{
	"eval":          cmdEval,
	"evalsha":       cmdEvalSHA,
	"eval_ro":       cmdEvalRO,
	"evalsha_ro":    cmdEvalSHARO,
	"script|load":   cmdScriptLoad,
	"script|exists": cmdScriptExists,
	"script|flush":  cmdScriptFlush,
	"script|kill":   cmdScriptKill,
	"script|help":   cmdScriptHelp,
})

var (
	errBusyScript   = &resp.Error{Code: "BUSY", Msg: "Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."}
	errBusyFunction = &resp.Error{Code: "BUSY", Msg: "Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."}
	errNotBusy      = &resp.Error{Code: "NOTBUSY", Msg: "No scripts in execution right now."}
	errUnkillable   = &resp.Error{Code: "UNKILLABLE", Msg: "Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."}
	errNoScript     = &resp.Error{Code: "NOSCRIPT", Msg: "No matching script. Please use EVAL."}
)

// scripting is the server's scripting state.
type scripting struct {
	mu sync.Mutex        // guards the VMs and the function libraries; held while a script runs
	vm *script.VM        // EVAL scripts, made on first use
	fn *script.Functions // FUNCTION libraries, made on first use
	// The numbers of libraries and functions, for FUNCTION STATS (allowed while a script holds mu).
	libCount, funcCount atomic.Int64
	// For INFO: EVAL scripts cached, and the bytes of their and the libraries' source.
	cached, evalBytes, fnBytes atomic.Int64
	codes                      atomic.Pointer[[][]byte] // every library's code, for saving
	// Reused by every script (under mu): the context a kill cancels (made anew after one), the threshold's
	// timer, the host with its reply writer.
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	host    *scriptHost
	running atomic.Pointer[scriptRun]
	flags   map[string]evalScript // each EVAL script compiled, by SHA1
	tx      keyspace.Txn          // the running script's Txn (kept here, so it is not allocated anew)
}

// evalScript is a compiled EVAL script's SHA1 (lower-case hex, its name in the VM) and shebang.
type evalScript struct {
	sha string
	sb  shebang
}

// remember records a compiled script's flags; s.script.mu must be held.
func (sc *scripting) remember(sha string, body []byte, sb shebang) {
	if sc.flags == nil {
		sc.flags = make(map[string]evalScript)
	}
	if _, ok := sc.flags[sha]; !ok {
		sc.cached.Add(1)
		sc.evalBytes.Add(int64(len(body)))
	}
	sc.flags[sha] = evalScript{sha: sha, sb: sb}
}

// flagsOf returns a compiled script's SHA1 as the VM names it and its flags, for a SHA1 in either case;
// s.script.mu must be held.
func (sc *scripting) flagsOf(sha []byte) (string, shebang, bool) {
	if len(sha) != 40 {
		return "", shebang{}, false
	}
	es, ok := sc.flags[string(sha)]
	if !ok {
		var lower [40]byte
		for i, b := range sha {
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			lower[i] = b
		}
		es, ok = sc.flags[string(lower[:])]
	}
	return es.sha, es.sb, ok
}

// scriptRun is a running script, as other clients see it.
type scriptRun struct {
	c       *client
	argv    [][]byte // FCALL: the command running it (FUNCTION STATS)
	eval    bool     // EVAL (SCRIPT KILL) rather than FCALL (FUNCTION KILL)
	name    string
	startNs atomic.Int64  // when the script started (Unix ns), 0 before
	done    chan struct{} // made by the first waiter, closed when the script ends or passes the threshold
	isBusy  atomic.Bool
	wrote   atomic.Bool
	cancel  context.CancelCauseFunc
	helper  chan struct{} // closed by the script to take its loop back
	handed  chan struct{} // closed by the helper once it stopped serving the loop
	mu      sync.Mutex    // orders the threshold's timer, waiters and kills against the script's end
	ended   bool
	started bool // the helper was started
	hold    bool // not a script: an EXEC whose queue runs one holds the place (see holdForScripts)
}

// scriptVM returns the EVAL VM; s.script.mu must be held.
func (s *Server) scriptVM() *script.VM {
	if s.script.vm == nil {
		s.script.vm = script.New()
	}
	return s.script.vm
}

// waitScript runs in dispatch when another client's script is running: it waits for the script to end (and
// reports nil) or to pass the threshold (and reports BUSY). Commands allowed while busy do not wait.
func (c *client) waitScript(cmd *command) error {
	for spins := 0; ; spins++ {
		r := c.srv.script.running.Load()
		if r == nil || r.c == c {
			return nil
		}
		if cmd.spec.Has(cmdspec.FlagAllowBusy) {
			return nil
		}
		if r.isBusy.Load() {
			if r.eval {
				return errBusyScript
			}
			return errBusyFunction
		}
		if c.loop != nil {
			c.loop.leaveBatch()
		}
		if spins < 50 {
			runtime.Gosched() // most scripts take microseconds: cheaper than parking
		} else {
			r.wait()
		}
		if c.loop != nil {
			c.loop.enterBatch()
		}
	}
}

// wait blocks until the script ends or passes the threshold. The channels are made only when someone waits.
func (r *scriptRun) wait() {
	r.mu.Lock()
	if r.ended || r.isBusy.Load() {
		r.mu.Unlock()
		return
	}
	if r.done == nil {
		r.done = make(chan struct{})
	}
	done := r.done
	r.mu.Unlock()
	<-done
}

// wake ends the waits of wait; r.mu must be held.
func (r *scriptRun) wake() {
	if r.done != nil {
		close(r.done)
		r.done = nil
	}
}

// announce makes run the running script, once no other is, and waits until every other loop has seen it or is
// not serving (the handshake above). It returns BUSY if another script passes the threshold meanwhile.
func (c *client) announce(run *scriptRun) error {
	s := c.srv
	for !s.script.running.CompareAndSwap(nil, run) {
		if err := c.waitScript(c.cmd); err != nil {
			return err
		}
	}
	for _, l := range s.loops {
		if c.loop != nil && l == c.loop {
			continue
		}
		for i := 0; l.inBatch.Load(); i++ {
			if i < 100 {
				runtime.Gosched()
			} else {
				time.Sleep(10 * time.Microsecond)
			}
		}
	}
	return nil
}

// holdForScripts is EXEC's part before it locks, when its queue runs a script: a placeholder takes the running
// script's place, announced as a script is, so that the commands of other clients wait in dispatch rather than
// in the keyspace's gate while EXEC runs. A loop waiting in the gate could not answer its clients BUSY once the
// script passes busy-reply-threshold. It returns nil when the queue runs no script; else EXEC ends with
// releaseHold.
func (c *client) holdForScripts(queue []queued) (*scriptRun, error) {
	for _, q := range queue {
		switch q.cmd.name {
		case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
			hold := &scriptRun{c: c, eval: true, hold: true}
			if err := c.announce(hold); err != nil {
				return nil, err
			}
			return hold, nil
		}
	}
	return nil, nil
}

// releaseHold ends EXEC's placeholder.
func (s *Server) releaseHold(hold *scriptRun) {
	s.endBusy(hold)
	s.script.running.Store(nil)
}

// runScript runs fn holding the keyspace exclusively (BeginAll), as the one running script, and writes its
// reply. It is the common part of EVAL and FCALL.
func (c *client) runScript(eval bool, name string, fn func(ctx context.Context, h *scriptHost) error) error {
	s := c.srv
	run := &scriptRun{c: c, eval: eval, name: name}
	if !eval {
		run.argv = copyArgs(c.argv) // FUNCTION STATS shows it from other goroutines
	}
	outer := c.exec // inside EXEC: the transaction's Txn, whose locks the script shares
	hold := s.script.running.Load()
	if outer != nil && hold != nil && hold.hold && hold.c == c {
		// EXEC's placeholder: the script takes its place, and who waits for it now waits for the script.
		s.script.running.Store(run)
		hold.mu.Lock()
		hold.wake()
		hold.mu.Unlock()
	} else {
		hold = nil
		if err := c.announce(run); err != nil {
			return err
		}
	}
	db := c.db
	s.script.mu.Lock()
	sc := &s.script
	if sc.ctx == nil || sc.ctx.Err() != nil { // one context until a script is killed
		sc.ctx, sc.cancel = context.WithCancelCause(context.Background())
	}
	run.mu.Lock()
	run.cancel = sc.cancel // read by kills, under run.mu
	run.mu.Unlock()
	run.startNs.Store(time.Now().UnixNano())
	if ms := s.live.busyThreshold.Load(); ms > 0 {
		if sc.timer == nil {
			sc.timer = time.AfterFunc(time.Hour, s.scriptTimerFired)
		}
		sc.timer.Reset(time.Duration(ms) * time.Millisecond)
	}
	if sc.host == nil {
		sc.host = &scriptHost{w: resp.NewWriter(nil)}
	}
	h := sc.host
	h.c, h.run, h.readOnly, h.allowOOM = c, run, false, false
	h.self, h.selfArgs = c.cmd, c.argv
	sc.tx = c.beginAll()
	c.exec = &sc.tx
	defer func() {
		c.exec = outer
		sc.tx.End()
		c.db = db
		c.cmd, c.argv = h.self, h.selfArgs
		h.c, h.run, h.self, h.selfArgs = nil, nil, nil, nil
		if sc.timer != nil {
			sc.timer.Stop()
		}
		s.script.mu.Unlock()
		s.endBusy(run)
		if hold != nil {
			s.script.running.Store(hold)
		} else {
			s.script.running.Store(nil)
		}
	}()
	return fn(sc.ctx, h)
}

// scriptTimerFired runs when the threshold's timer fires: the running script, if it has run that long, is now
// busy. (One timer serves every script; one that fires late for an ended script finds another or none.)
func (s *Server) scriptTimerFired() {
	r := s.script.running.Load()
	if r == nil || r.startNs.Load() == 0 {
		return
	}
	if ms := s.live.busyThreshold.Load(); ms <= 0 || time.Now().UnixNano()-r.startNs.Load() < ms*int64(time.Millisecond) {
		return
	}
	s.scriptTimedOut(r)
}

// scriptTimedOut marks a script that passed busy-reply-threshold: others get BUSY from now on, and a helper
// serves the script's loop.
func (s *Server) scriptTimedOut(run *scriptRun) {
	run.mu.Lock()
	defer run.mu.Unlock()
	if run.ended || run.isBusy.Load() {
		return
	}
	run.isBusy.Store(true)
	s.log.Warn("slow script detected: still in execution after the busy reply threshold", "script", run.name)
	run.wake()
	if l := run.c.loop; l != nil {
		run.helper = make(chan struct{})
		run.handed = make(chan struct{})
		run.started = true
		go l.serveBusy(run.c, run.helper, run.handed)
	}
}

// endBusy marks the script ended, wakes its waiters, and takes its loop back from the helper if one was
// started.
func (s *Server) endBusy(run *scriptRun) {
	run.mu.Lock()
	run.ended = true
	run.wake()
	started := run.started
	run.mu.Unlock()
	if started {
		close(run.helper)
		<-run.handed
	}
}

// killScript stops the running script: SCRIPT KILL (eval), FUNCTION KILL, or SHUTDOWN NOSAVE (force, even after
// writes).
func (s *Server) killScript(eval, force bool) error {
	r := s.script.running.Load()
	if r == nil || r.hold {
		return errNotBusy
	}
	if !force {
		// Matches Redis: the write check comes first, then the kind of script.
		if r.wrote.Load() {
			return errUnkillable
		}
		if r.eval != eval {
			if eval {
				return errBusyFunction
			}
			return errBusyScript
		}
	}
	r.mu.Lock()
	if !r.ended && r.cancel != nil {
		r.cancel(script.ErrKilled)
	}
	r.mu.Unlock()
	return nil
}

// shutdownScript is SHUTDOWN's part while another client's script runs: NOSAVE kills it; a SHUTDOWN that saves
// waits for it to end, and gets BUSY once it passed the threshold, as in Redis.
func (c *client) shutdownScript(nosave bool) error {
	for {
		r := c.srv.script.running.Load()
		if r == nil || r.c == c {
			return nil
		}
		if nosave {
			// Not waited for: this may be the helper serving the script's loop, which the script waits for.
			c.srv.killScript(r.eval, true)
			return nil
		}
		if r.isBusy.Load() {
			if r.eval {
				return errBusyScript
			}
			return errBusyFunction
		}
		r.wait()
	}
}

// scriptHost is what a running script calls back: commands, ACL checks, logging.
type scriptHost struct {
	c        *client
	run      *scriptRun
	w        *resp.Writer
	readOnly bool // EVAL_RO, FCALL_RO, or the no-writes flag
	allowOOM bool // the allow-oom flag
	self     *command
	selfArgs [][]byte
}

var (
	errScriptUnknown = errorf("Unknown Redis command called from script")
	errScriptArity   = errorf("Wrong number of args calling Redis command from script")
	errScriptDenied  = errorf("This Redis command is not allowed from script")
	errScriptWrite   = errorf("Write commands are not allowed from read-only scripts.")
	errScriptACL     = errorf("The user executing the script can't run this command or subcommand")
)

func (h *scriptHost) Call(args [][]byte, proto int) []byte {
	c := h.c
	h.w.Discard()
	h.w.SetProtocol(proto)
	cmd, err := c.lookup(args)
	switch {
	case cmd == nil || err != nil && cmd != nil && cmd.subs != nil:
		err = errScriptUnknown
	case err != nil:
		err = errScriptArity
	case cmd.spec.Has(cmdspec.FlagNoScript):
		err = errScriptDenied
	case h.readOnly && cmd.spec.Has(cmdspec.FlagWrite):
		err = errScriptWrite
	case !c.user.unrestricted.Load() && c.aclDenial(cmd, args, "lua") != 0:
		err = errScriptACL
	case !cmd.spec.Has(cmdspec.FlagStale) && c.srv.servingStale():
		err = errScriptStaleCall
	case c.oomAtStart && !h.allowOOM && !h.run.wrote.Load() && cmd.spec.Has(cmdspec.FlagDenyOOM) &&
		c.srv.maxMemory.Load() != 0:
		// Matches Redis: only the first write of a script can be refused, else it would stop half done.
		err = keyspace.ErrOOM
	case (cmd.name == "xread" || cmd.name == "xreadgroup") && blockOption(args):
		err = errorf(string(args[0]) + " command is not allowed with BLOCK option from scripts")
	}
	if err != nil {
		e := errorReply(err)
		c.srv.stats.countError(e.Code)
		h.w.WriteError(e.Error())
		return h.w.Bytes()
	}
	out := c.w
	c.w = h.w
	c.cmd, c.argv = cmd, args
	if cmd.spec.Has(cmdspec.FlagWrite) {
		h.run.wrote.Store(true)
	}
	if err := c.call(cmd, args); err != nil {
		c.writeError(err)
	}
	c.w = out
	c.cmd, c.argv = h.self, h.selfArgs
	return h.w.Bytes()
}

// blockOption reports whether an XREAD or XREADGROUP has a BLOCK option (before STREAMS).
func blockOption(args [][]byte) bool {
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "streams":
			return false
		case "block":
			return true
		}
	}
	return false
}

func (h *scriptHost) ACLCheck(args [][]byte) (bool, error) {
	c := h.c
	cmd, err := c.lookup(args)
	if cmd == nil || err != nil {
		return false, errorf("Invalid command passed to redis.acl_check_cmd()")
	}
	if c.user.unrestricted.Load() {
		return true, nil
	}
	return c.aclDenial(cmd, args, "lua") == 0, nil
}

func (h *scriptHost) Log(level int, msg string) {
	log := h.c.srv.log.Named("script")
	switch level {
	case script.LogDebug:
		log.Debug(msg)
	case script.LogVerbose:
		log.Debug(msg)
	case script.LogNotice:
		log.Info(msg)
	default:
		log.Warn(msg)
	}
}

func (h *scriptHost) SetRepl(int) {} // scripts replicate their effects, all of them

// shebang is what a script's "#!<engine> flags=..." line says, or a function's flags.
type shebang struct {
	noWrites   bool
	allowOOM   bool
	allowStale bool
	has        bool // declared: false for an EVAL script without a shebang (Redis's compatibility mode)
}

// functionFlags is a function's flags as a shebang.
func functionFlags(fn *script.Function) shebang {
	return shebang{noWrites: fn.NoWrites, allowOOM: fn.AllowOOM, allowStale: fn.Stale, has: true}
}

// scriptShebang returns the flags of the script that cmd (EVAL, EVALSHA, FCALL or a read-only form) would run,
// for the dispatcher's checks, which take them in place of the command's own as Redis's getCommandFlags does.
// It reports false for other commands, unknown scripts and shebangs that do not parse (the command replies
// the error itself).
func (c *client) scriptShebang(cmd *command, args [][]byte) (shebang, bool) {
	if len(args) < 2 {
		return shebang{}, false
	}
	s := c.srv
	switch cmd.name {
	case "eval", "eval_ro":
		sb, err := parseShebang(args[1])
		return sb, err == nil
	case "evalsha", "evalsha_ro":
		s.script.mu.Lock()
		_, sb, ok := s.script.flagsOf(args[1])
		s.script.mu.Unlock()
		return sb, ok
	case "fcall", "fcall_ro":
		s.script.mu.Lock()
		fn := s.functions().Function(string(args[1]))
		s.script.mu.Unlock()
		if fn == nil {
			return shebang{}, false
		}
		return functionFlags(fn), true
	}
	return shebang{}, false
}

// scriptDeniesOOM reports whether cmd runs a script that Redis counts as denyoom: one that declares its flags
// without allow-oom or no-writes. (A script without a shebang is checked at its first denyoom command.)
func (c *client) scriptDeniesOOM(cmd *command, args [][]byte) bool {
	sb, ok := c.scriptShebang(cmd, args)
	return ok && sb.has && !sb.allowOOM && !sb.noWrites
}

var errScriptStaleCall = errorf("Can not execute the command on a stale replica")

// servingStale reports Redis's running_stale: a replica whose link with its primary is down while
// replica-serve-stale-data is no.
func (s *Server) servingStale() bool {
	return s.isReplica() && !s.repl.serveStale.Load() && !s.linkUp()
}

// staleScript is the check before a script runs on a stale replica (servingStale): only a script that declares
// allow-stale runs. Matches Redis: without a shebang the script is refused by scriptPrepareForRun, with one by
// processCommand (its flags drop the command's stale flag), both with the same MASTERDOWN error.
func (s *Server) staleScript(sb shebang) error {
	if sb.has && sb.allowStale || !s.servingStale() {
		return nil
	}
	return errMasterDown
}

// parseShebang reads a script's first line, as Redis: the engine must be lua, the flags Redis's.
func parseShebang(body []byte) (shebang, error) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return shebang{}, nil
	}
	line := body
	if i := bytes.IndexByte(body, '\n'); i >= 0 {
		line = body[:i]
	}
	parts := strings.Fields(string(line))
	if len(parts) == 0 || parts[0] != "#!lua" {
		first := string(line)
		if len(parts) > 0 {
			first = parts[0]
		}
		return shebang{}, errorf("Unexpected engine in script shebang: " + first)
	}
	sb := shebang{has: true}
	for _, p := range parts[1:] {
		flags, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return shebang{}, errorf("Unknown lua shebang option: " + p)
		}
		for _, f := range strings.Split(flags, ",") {
			switch f {
			case "no-writes":
				sb.noWrites = true
			case "allow-oom":
				sb.allowOOM = true
			case "allow-stale":
				sb.allowStale = true
			case "no-cluster", "allow-cross-slot-keys", "":
			default:
				return shebang{}, errorf("Unexpected flag in script shebang: " + f)
			}
		}
	}
	return sb, nil
}

// evalKeys splits EVAL's numkeys, keys and args.
func evalKeys(args [][]byte) (keys, argv [][]byte, err error) {
	n, perr := strconv.ParseInt(string(args[2]), 10, 64)
	if perr != nil {
		return nil, nil, errNotInteger
	}
	if n < 0 {
		return nil, nil, errorf("Number of keys can't be negative")
	}
	if n > int64(len(args)-3) {
		return nil, nil, errorf("Number of keys can't be greater than number of args")
	}
	return args[3 : 3+n], args[3+n:], nil
}

func cmdEval(c *client, args [][]byte) error      { return c.eval(args, false, false) }
func cmdEvalSHA(c *client, args [][]byte) error   { return c.eval(args, true, false) }
func cmdEvalRO(c *client, args [][]byte) error    { return c.eval(args, false, true) }
func cmdEvalSHARO(c *client, args [][]byte) error { return c.eval(args, true, true) }

// eval is EVAL and its variants.
func (c *client) eval(args [][]byte, bySHA, readOnly bool) error {
	keys, argv, err := evalKeys(args)
	if err != nil {
		return err
	}
	s := c.srv
	var sha string
	var sb shebang
	if bySHA {
		if len(args[1]) != 40 {
			return errNoScript
		}
	} else {
		sha = script.SHA1Hex(args[1])
	}
	s.script.mu.Lock()
	vm := s.scriptVM()
	if !bySHA {
		if sb, err = parseShebang(args[1]); err != nil {
			s.script.mu.Unlock()
			return err
		}
		if err := vm.Compile(sha, args[1]); err != nil {
			s.script.mu.Unlock()
			return scriptError(err)
		}
		s.script.remember(sha, args[1], sb)
	} else {
		var ok bool
		if sha, sb, ok = s.script.flagsOf(args[1]); !ok {
			s.script.mu.Unlock()
			return errNoScript
		}
	}
	s.script.mu.Unlock()
	if err := s.staleScript(sb); err != nil {
		return err
	}
	if readOnly && sb.has && !sb.noWrites {
		return errorf("Can not execute a script with write flag using *_ro command.")
	}
	err = c.runScript(true, sha, func(ctx context.Context, h *scriptHost) error {
		h.readOnly = readOnly || sb.noWrites
		h.allowOOM = sb.allowOOM
		v, err := vm.Run(ctx, h, sha, keys, argv)
		if err != nil {
			return err
		}
		vm.WriteReply(c.w, v) // now, while the VM and its values are ours
		return nil
	})
	if err != nil {
		return scriptError(err)
	}
	return nil
}

// scriptError maps a script's failure to its reply.
func scriptError(err error) error {
	if se, ok := err.(*script.Error); ok {
		return resp.ParseErrorLine(se.Text)
	}
	return err
}

// SCRIPT LOAD script
func cmdScriptLoad(c *client, args [][]byte) error {
	s := c.srv
	sb, err := parseShebang(args[2])
	if err != nil {
		return err
	}
	sha := script.SHA1Hex(args[2])
	s.script.mu.Lock()
	defer s.script.mu.Unlock()
	if err := s.scriptVM().Compile(sha, args[2]); err != nil {
		return scriptError(err)
	}
	s.script.remember(sha, args[2], sb)
	c.w.WriteBulkString(sha)
	return nil
}

// SCRIPT EXISTS sha [sha ...]
func cmdScriptExists(c *client, args [][]byte) error {
	s := c.srv
	s.script.mu.Lock()
	defer s.script.mu.Unlock()
	c.w.WriteArrayLen(len(args) - 2)
	for _, a := range args[2:] {
		_, _, ok := s.script.flagsOf(a)
		if ok {
			c.w.WriteInt(1)
		} else {
			c.w.WriteInt(0)
		}
	}
	return nil
}

// SCRIPT FLUSH [ASYNC|SYNC]
func cmdScriptFlush(c *client, args [][]byte) error {
	if len(args) > 3 {
		return errorf("SCRIPT FLUSH only support SYNC|ASYNC option")
	}
	if len(args) == 3 {
		switch strings.ToLower(string(args[2])) {
		case "sync", "async":
		default:
			return errorf("SCRIPT FLUSH only support SYNC|ASYNC option")
		}
	}
	s := c.srv
	s.script.mu.Lock()
	if s.script.vm != nil {
		s.script.vm.Flush()
	}
	clear(s.script.flags)
	s.script.cached.Store(0)
	s.script.evalBytes.Store(0)
	s.script.mu.Unlock()
	c.w.WriteSimple("OK")
	return nil
}

// SCRIPT KILL
func cmdScriptKill(c *client, args [][]byte) error {
	if err := c.srv.killScript(true, false); err != nil {
		return err
	}
	c.w.WriteSimple("OK")
	return nil
}

func cmdScriptHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "SCRIPT", []string{
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
	})
	return nil
}
