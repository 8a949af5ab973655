package node

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

// handler runs one command. args[0] is the command name as the client sent it. A handler writes its reply to
// c.w, or returns an error that the dispatcher turns into the error reply (see errorReply); it never does both.
type handler func(c *client, args [][]byte) error

// handlers lists every implemented command and subcommand by its full lower-case name ("client|setname").
// Each command family registers its own in its cmd_<family>.go file with register. Everything else about a
// command (arity, flags, ACL categories, key specs, docs) comes from cmdspec, the one command table.
var handlers = map[string]handler{}

// register adds a family's handlers. It is called from package-level variable declarations, which Go runs
// before init builds the dispatch table.
func register(hs map[string]handler) bool {
	for name, h := range hs {
		if handlers[name] != nil {
			panic(fmt.Sprintf("node: command %q registered twice", name))
		}
		handlers[name] = h
	}
	return true
}

// command is an entry of the dispatch table: a cmdspec entry with its handler.
type command struct {
	spec   *cmdspec.Spec
	name   string // full lower-case name
	idx    int    // index of the command's counters in a statShard
	arity  int
	noAuth bool // may run before AUTH
	// protected is Redis's CMD_PROTECTED (DEBUG, MODULE LOAD/LOADEX/UNLOAD), which COMMAND INFO does not
	// show: refused as enable-debug-command and enable-module-command say, before NOAUTH.
	protected bool
	// Flags read on every command, from the spec.
	mayWrite    bool // write or may_replicate: held back by CLIENT PAUSE WRITE
	write       bool // write: refused by a read-only replica
	keyspace    bool // reads or writes keys: refused to monitors and replicas
	skipMonitor bool // not shown to MONITOR (admin and skip_monitor)
	run         handler
	subs        map[string]*command // subcommands of a container ("client"), by lower-case name
	acl         aclCommand          // what the ACL check needs (see acl.go)
}

// commands is the dispatch table, by lower-case name. It is built in init because handlers such as COMMAND read
// it.
var commands map[string]*command

// commandList is every entry of the dispatch table, containers and subcommands, by idx.
var commandList []*command

func init() { commands, commandList = buildCommands(handlers) }

func buildCommands(hs map[string]handler) (map[string]*command, []*command) {
	table := make(map[string]*command)
	var list []*command
	entry := func(name string) *command {
		spec := cmdspec.Lookup(name)
		if spec == nil {
			panic(fmt.Sprintf("node: command %q has a handler but no cmdspec entry", name))
		}
		cmd := &command{
			spec: spec, name: name, idx: len(list), arity: spec.Arity,
			noAuth:      spec.Has(cmdspec.FlagNoAuth),
			protected:   isProtected(name),
			mayWrite:    spec.Has(cmdspec.FlagWrite) || spec.Has(cmdspec.FlagMayReplicate),
			write:       spec.Has(cmdspec.FlagWrite),
			keyspace:    spec.Has(cmdspec.FlagWrite) || spec.Has(cmdspec.FlagMayReplicate) || spec.Has(cmdspec.FlagReadonly),
			skipMonitor: spec.Has(cmdspec.FlagAdmin) || spec.Has(cmdspec.FlagSkipMonitor),
			acl:         newACLCommand(spec),
		}
		list = append(list, cmd)
		return cmd
	}
	names := make([]string, 0, len(hs))
	for name := range hs {
		names = append(names, name)
	}
	sort.Strings(names) // containers ("command") before their subcommands ("command|count")
	for _, name := range names {
		parent, sub, isSub := strings.Cut(name, "|")
		if !isSub {
			cmd := entry(name)
			cmd.run = hs[name]
			table[name] = cmd
			continue
		}
		p := table[parent]
		if p == nil {
			p = entry(parent)
			table[parent] = p
		}
		if p.subs == nil {
			p.subs = make(map[string]*command)
		}
		cmd := entry(name)
		cmd.run = hs[name]
		p.subs[sub] = cmd
	}
	return table, list
}

// implemented reports whether a cmdspec entry has a handler here (COMMAND lists only those).
func implemented(s *cmdspec.Spec) bool {
	parent, sub, isSub := strings.Cut(s.Name, "|")
	cmd := commands[parent]
	if cmd == nil {
		return false
	}
	if !isSub {
		return true
	}
	return cmd.subs[sub] != nil
}

// lookup finds the command for args, checking the name and the arity as Redis does, in Redis's order. When the
// arity is wrong it returns the command too, whose rejected calls INFO counts.
func (c *client) lookup(args [][]byte) (*command, error) {
	c.lower = appendLower(c.lower[:0], args[0])
	cmd := c.srv.cmdTable[string(c.lower)]
	if cmd == nil {
		return nil, c.notImplemented(args, unknownCommand(args))
	}
	if cmd.subs != nil && len(args) >= 2 {
		c.lower = appendLower(c.lower[:0], args[1])
		sub := cmd.subs[string(c.lower)]
		if sub == nil {
			return nil, c.notImplemented(args, errorf(fmt.Sprintf("unknown subcommand '%.128s'. Try %s HELP.", args[1], strings.ToUpper(string(args[0])))))
		}
		cmd = sub
	}
	if n := len(args); (cmd.arity > 0 && n != cmd.arity) || n < -cmd.arity {
		return cmd, arityError(cmd.name)
	}
	return cmd, nil
}

// notImplemented returns the error for a command that Carmine does not implement: err, or NOAUTH for a client
// that must still authenticate when Redis 7.2 knows the command and its number of arguments fits, as Redis
// answers any command it knows. So an unauthenticated client learns nothing of what is implemented.
func (c *client) notImplemented(args [][]byte, err error) error {
	spec := cmdspec.LookupArgs(args)
	if spec == nil || spec.IsContainer() || spec.Has(cmdspec.FlagNoAuth) {
		return err
	}
	if n := len(args); (spec.Arity > 0 && n != spec.Arity) || n < -spec.Arity {
		return err
	}
	if isProtected(spec.Name) && c.protectedRefused(spec.Name, &err) {
		return err
	}
	if c.authed || c.srv.acl.open.Load() {
		return err
	}
	return errNoAuth
}

// unknownCommand is Redis's reply to a command it does not know, quoting the first arguments (128 characters at
// most in all).
func unknownCommand(args [][]byte) error {
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		fmt.Fprintf(&b, "'%.*s' ", 128-b.Len(), a)
	}
	return errorf(fmt.Sprintf("unknown command '%.128s', with args beginning with: %s", args[0], b.String()))
}

// execute runs one command and writes its reply, or parks the client until a pause ends or its keys are ready.
func (c *client) execute(args [][]byte) {
	if c.reply == replyOn {
		c.dispatch(args)
		return
	}
	// CLIENT REPLY OFF or SKIP: replies, errors included, go to a writer that discards them.
	if c.reply == replySkipNext {
		c.reply = replySkipThis
	}
	if c.sink == nil {
		c.sink = resp.NewWriter(nil)
	}
	out := c.w
	c.sink.SetProtocol(out.Protocol())
	c.w = c.sink
	c.dispatch(args)
	out.SetProtocol(c.w.Protocol()) // HELLO
	c.w = out
	if c.reply == replyOn {
		out.WriteRaw(c.sink.Bytes()) // CLIENT REPLY ON: its own reply goes out
	}
	c.sink.Discard()
	if c.reply == replySkipThis {
		c.reply = replyOn
		if c.parked != nil {
			c.reply = replySkipNext // the command runs again later: skip its reply then
		}
	}
}

// prefetchArgs loads the first keys of the next commands buffered in rd (a client's pipeline, the primary's
// stream) into the CPU's cache together (see keyspace.Prefetch), which roughly halves what GET or SET in a
// pipeline of 16 spend waiting for memory. It returns how many commands it looked at, so the caller runs that
// many before it looks again. Argument 1 is the first key of most commands; for the others the prefetch is
// wasted but harmless.
func prefetchArgs(ks *keyspace.Keyspace, db int, rd *resp.CommandReader) int {
	var buf [16][]byte
	keys := rd.PeekArgs(buf[:0], 1, len(buf))
	if len(keys) > 1 && keys[0] != nil { // a pipeline of PINGs has no keys to look at
		ks.Prefetch(db, keys)
	}
	return len(keys)
}

// dispatch checks and runs one command, writing its reply and counting it in the statistics and the slow log.
// Inside MULTI it queues the command instead, and an error while checking dooms the transaction.
func (c *client) dispatch(args [][]byte) {
	if c.srv.cluster != nil {
		defer c.ungate()
	}
	cmd, err := c.lookup(args)
	if err != nil {
		if cmd != nil {
			c.stats.cmds[cmd.idx].rejected.Add(1) // arity
		}
		c.refuse(cmd, err)
		return
	}
	c.cmd, c.argv = cmd, args
	switch {
	case cmd.protected && c.protectedRefused(cmd.name, &err): // Matches Redis: checked before NOAUTH
	case !c.authed && !cmd.noAuth && !c.srv.acl.open.Load():
		err = errNoAuth
	case !c.user.unrestricted.Load() && c.denied(cmd, args, &err):
	case c.flags&flagMonitor != 0 && cmd.keyspace:
		err = errReplicaKeyspace
	case c.srv.cluster != nil && c.redirected(cmd, args, &err):
		c.stats.cmds[cmd.idx].rejected.Add(1)
		if cmd.name == "exec" && c.multi != nil {
			// Matches Redis: the redirection itself is the reply (no EXECABORT), and the transaction is gone.
			c.endMulti()
			c.unwatchAll()
			c.writeError(err)
			return
		}
		c.refuse(cmd, err)
		return
	case cmd.write && !c.srv.enoughReplicas():
		err = errNoReplicas
	case cmd.write && c.srv.repl.readOnly.Load() && c.srv.isReplica():
		err = errReadOnlyReplica
	case c.flags&flagPubSub != 0 && c.w.Protocol() == 2 && !allowedSubscribed(cmd):
		err = errorf(fmt.Sprintf("Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", cmd.name))
	case c.srv.isReplica() && c.staleRefused(cmd):
		err = errMasterDown
	default:
		if c.srv.script.running.Load() != nil {
			if err = c.waitScript(cmd); err != nil {
				break
			}
		}
		if err = c.checkMemory(cmd, args); err != nil {
			break
		}
		if err = c.checkDiskError(cmd); err != nil {
			break
		}
		if c.srv.pause.mode.Load() != pauseOff {
			if c.heldByPause(cmd, args) {
				return // parked: runs again when the pause ends
			}
			// A manual failover paused writes: the slot may have moved meanwhile.
			if c.srv.cluster != nil && c.redirected(cmd, args, &err) {
				break
			}
		}
		if c.multi != nil && queuesInMulti(cmd) {
			c.queue(cmd, args)
			return
		}
		err = c.call(cmd, args)
		if c.asking && cmd.name != "asking" {
			c.asking = false // Matches Redis: ASKING covers one command
		}
		if err != nil {
			c.writeError(err)
		} else if c.waiter != nil && c.parked == nil {
			c.awaitReply() // the command blocked
		}
		return
	}
	c.stats.cmds[cmd.idx].rejected.Add(1)
	c.refuse(cmd, err)
}

// call runs a command that passed the dispatcher's checks, timed for the statistics and the slow log, then
// serves the waiters its writes made ready and shows it to MONITOR. Inside EXEC the waiters are served after
// the whole transaction.
func (c *client) call(cmd *command, args [][]byte) error {
	start := nanotime()
	err := cmd.run(c, args)
	if st := &c.prop; st.dirty > 0 || st.taken || len(st.ops) > 0 {
		// A command that wrote without a Txn of its own (PUBLISH, FUNCTION LOAD), or one of an EXEC block,
		// whose Txn ends after the block.
		c.propCommandDone()
		if c.exec == nil {
			c.propFlush()
		}
	}
	took := nanotime() - start
	cs := &c.stats.cmds[cmd.idx]
	cs.calls.Add(1)
	cs.ns.Add(took)
	if c.srv.stats.latencyOn.Load() {
		c.srv.stats.recordLatency(cmd, took)
	}
	if err != nil {
		cs.failed.Add(1)
	}
	c.srv.slowlog.record(c, cmd, args, time.Duration(took))
	if th := c.srv.live.latencyThreshold.Load(); th != 0 && took >= th*int64(time.Millisecond) {
		c.srv.commandLatency(cmd, took)
	}
	if c.srv.tracking.on.Load() != 0 {
		if c.track.Load() != nil && cmd.spec.Has(cmdspec.FlagReadonly) {
			c.rememberKeys(cmd, args)
		}
		c.afterTrackedCommand(cmd)
	}
	if (c.signalled || c.srv.block.orphans.Load()) && c.exec == nil {
		c.signalled = false
		c.srv.block.orphans.Store(false)
		c.srv.serveReady()
	}
	if mons := c.srv.monitors.Load(); mons != nil && !cmd.skipMonitor {
		c.feedMonitors(*mons, cmd, args)
	}
	return err
}

// refuse replies with the error of a command the dispatcher refused (cmd is nil when unknown); inside MULTI it
// dooms the transaction. Matches Redis: a refused EXEC discards the transaction and says why in an EXECABORT
// error, even outside MULTI.
func (c *client) refuse(cmd *command, err error) {
	if c.multi != nil {
		c.multi.doomed = true
	}
	if cmd != nil && cmd.name == "exec" {
		c.endMulti()
		e := errorReply(err)
		why := e.Msg
		if e.Code != "ERR" {
			why = e.Code + " " + e.Msg
		}
		err = &resp.Error{Code: "EXECABORT", Msg: "Transaction discarded because of: " + why}
	}
	c.writeError(err)
}

// writeError writes a handler's or the dispatcher's error as its reply and counts it for INFO errorstats.
func (c *client) writeError(err error) {
	e := errorReply(err)
	if c.fake && c.applyErr == nil {
		c.applyErr = e
	}
	c.srv.stats.countError(e.Code)
	c.w.WriteError(e.Error())
}

// arityError is Redis's reply to a command called with the wrong number of arguments.
func arityError(name string) error {
	return errorf(fmt.Sprintf("wrong number of arguments for '%s' command", name))
}

func appendLower(dst, s []byte) []byte {
	for _, ch := range s {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		dst = append(dst, ch)
	}
	return dst
}

// writeHelp writes a HELP reply: the title line, each line of lines, and the HELP entry, as Redis formats it.
func writeHelp(w *resp.Writer, container string, lines []string) {
	w.WriteArrayLen(len(lines) + 3)
	w.WriteSimple(fmt.Sprintf("%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", container))
	for _, l := range lines {
		w.WriteSimple(l)
	}
	w.WriteSimple("HELP")
	w.WriteSimple("    Prints this help.")
}
