package node

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"client|getname":  cmdClientGetName,
	"client|help":     cmdClientHelp,
	"client|id":       cmdClientID,
	"client|info":     cmdClientInfo,
	"client|kill":     cmdClientKill,
	"client|list":     cmdClientList,
	"client|no-evict": cmdClientNoEvict,
	"client|pause":    cmdClientPause,
	"client|reply":    cmdClientReply,
	"client|setinfo":  cmdClientSetInfo,
	"client|setname":  cmdClientSetName,
	"client|unblock":  cmdClientUnblock,
	"client|unpause":  cmdClientUnpause,
	"monitor":         cmdMonitor,
})

// validName reports whether s may be a client name or library name: printable ASCII without spaces.
func validName(s []byte) bool {
	for _, ch := range s {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func (c *client) setName(name []byte) error {
	if !validName(name) {
		return errClientName
	}
	c.mu.Lock()
	c.name = string(name)
	c.mu.Unlock()
	return nil
}

// CLIENT SETNAME name
func cmdClientSetName(c *client, args [][]byte) error {
	if err := c.setName(args[2]); err != nil {
		return err
	}
	c.w.WriteSimple("OK")
	return nil
}

// CLIENT GETNAME
func cmdClientGetName(c *client, args [][]byte) error {
	c.mu.Lock()
	name := c.name
	c.mu.Unlock()
	if name == "" {
		c.w.WriteNull()
	} else {
		c.w.WriteBulkString(name)
	}
	return nil
}

// CLIENT ID
func cmdClientID(c *client, args [][]byte) error {
	c.w.WriteInt(c.id)
	return nil
}

// CLIENT SETINFO <LIB-NAME libname | LIB-VER libver> (Redis 7.2).
func cmdClientSetInfo(c *client, args [][]byte) error {
	attr, val := strings.ToLower(string(args[2])), args[3]
	if attr != "lib-name" && attr != "lib-ver" {
		return errorf("Unrecognized option '" + string(args[2]) + "'")
	}
	if !validName(val) {
		return errorf(attr + " cannot contain spaces, newlines or special characters.")
	}
	c.mu.Lock()
	if attr == "lib-name" {
		c.libName = string(val)
	} else {
		c.libVer = string(val)
	}
	c.mu.Unlock()
	c.w.WriteSimple("OK")
	return nil
}

// CLIENT LIST [TYPE type] [ID id [id ...]]
func cmdClientList(c *client, args [][]byte) error {
	var list []*client
	switch {
	case len(args) == 2:
		list = c.srv.clientList(func(*client) bool { return true })
	case len(args) == 4 && strings.EqualFold(string(args[2]), "type"):
		typ, err := parseClientType(args[3])
		if err != nil {
			return err
		}
		list = c.srv.clientList(func(o *client) bool { return o.kind() == typ })
	case len(args) > 3 && strings.EqualFold(string(args[2]), "id"):
		for _, a := range args[3:] {
			id, ok := keyspace.ParseInt(a)
			if !ok {
				return errorf("Invalid client ID")
			}
			c.srv.mu.Lock()
			o := c.srv.clients[id]
			c.srv.mu.Unlock()
			if o == nil {
				o = c.srv.replClient(id)
			}
			if o != nil {
				list = append(list, o)
			}
		}
	default:
		return errSyntax
	}
	var b []byte
	now := time.Now().UnixMilli()
	for _, o := range list {
		b = o.appendInfo(b, c, now)
		b = append(b, '\n')
	}
	c.w.WriteVerbatim("txt", string(b))
	return nil
}

// CLIENT INFO
func cmdClientInfo(c *client, args [][]byte) error {
	b := c.appendInfo(nil, c, time.Now().UnixMilli())
	c.w.WriteVerbatim("txt", string(append(b, '\n')))
	return nil
}

// clientList returns the clients that keep reports true, in the order they connected, with the replication
// connections (replClients).
func (s *Server) clientList(keep func(*client) bool) []*client {
	s.mu.Lock()
	list := make([]*client, 0, len(s.clients))
	for _, o := range s.clients {
		if keep(o) {
			list = append(list, o)
		}
	}
	s.mu.Unlock()
	for _, o := range s.replClients() {
		if keep(o) {
			list = append(list, o)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	return list
}

// Client types of CLIENT LIST TYPE and CLIENT KILL TYPE.
const (
	clientNormal = "normal"
	clientMaster = "master"
	clientSlave  = "replica"
	clientPubSub = "pubsub"
)

func parseClientType(b []byte) (string, error) {
	switch t := strings.ToLower(string(b)); t {
	case clientNormal, clientMaster, clientSlave, clientPubSub:
		return t, nil
	case "slave":
		return clientSlave, nil
	}
	return "", errorf("Unknown client type '" + string(b) + "'")
}

// kind is the client's type for CLIENT LIST TYPE and CLIENT KILL TYPE, from its published state: a replica or
// the primary (see replClients), pubsub while it has a subscription, else normal (a monitor is a normal
// client, as in Redis).
func (c *client) kind() string {
	f := clientFlags(c.pub.flags.Load())
	switch {
	case f&flagReplica != 0:
		return clientSlave
	case f&flagPrimary != 0:
		return clientMaster
	case f&flagPubSub != 0:
		return clientPubSub
	}
	return clientNormal
}

// appendInfo appends the client's CLIENT LIST line (without the newline), as asker, a client running CLIENT
// LIST or INFO, sees it. Fields are Redis 7.2's, in its order.
func (c *client) appendInfo(b []byte, asker *client, nowMs int64) []byte {
	self := c == asker
	if self {
		c.publish()
	}
	p := &c.pub
	c.mu.Lock()
	name, libName, libVer := c.name, c.libName, c.libVer
	c.mu.Unlock()
	argvMem := 0
	if self {
		for _, a := range c.argv {
			argvMem += len(a)
		}
	}
	qbuf, obuf, rbs := p.qbuf.Load(), p.obuf.Load(), p.rbs.Load()
	field := func(k string, v int64) {
		b = append(b, ' ')
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendInt(b, v, 10)
	}
	text := func(k, v string) {
		b = append(b, ' ')
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, v...)
	}
	b = append(b, "id="...)
	b = strconv.AppendInt(b, c.id, 10)
	text("addr", c.addr)
	text("laddr", c.laddr)
	field("fd", int64(c.fd))
	text("name", name)
	field("age", (nowMs-c.created.UnixMilli())/1000)
	field("idle", max(0, nowMs-p.active.Load())/1000)
	text("flags", string(c.listFlags().letters()))
	field("db", int64(p.db.Load()))
	field("sub", int64(p.subs[subChannel].Load()))
	field("psub", int64(p.subs[subPattern].Load()))
	field("ssub", int64(p.subs[subShard].Load()))
	field("multi", int64(p.multi.Load()))
	field("qbuf", qbuf)
	field("qbuf-free", max(0, rbs-qbuf))
	field("argv-mem", int64(argvMem))
	field("multi-mem", 0)
	field("rbs", rbs)
	field("rbp", rbs)
	field("obl", obuf)
	field("oll", 0)
	field("omem", 0)
	field("tot-mem", rbs+obuf+int64(argvMem)+clientOverhead)
	if obuf > 0 {
		text("events", "rw")
	} else {
		text("events", "r")
	}
	cmd := "NULL"
	if last := p.cmd.Load(); last != nil {
		cmd = last.name
	}
	text("cmd", cmd)
	text("user", c.userName())
	field("redir", -1)
	field("resp", int64(p.proto.Load()))
	text("lib-name", libName)
	text("lib-ver", libVer)
	return b
}

// clientOverhead approximates the memory of a client besides its buffers, for CLIENT LIST's tot-mem.
const clientOverhead = 2048

// letters are the flags as CLIENT LIST shows them, in Redis's order.
// listFlags returns the flags CLIENT LIST shows for c, read from any goroutine: the published ones and those kept
// in the tracking settings and the WATCH state.
func (c *client) listFlags() clientFlags {
	f := clientFlags(c.pub.flags.Load())
	if m := c.track.Load(); m != nil {
		if m.brokenRedir.Load() {
			f |= flagTrackBroken
		}
		if m.bcast {
			f |= flagTrackBcast
		}
	}
	if c.dirty.Load() {
		f |= flagDirtyCAS
	}
	return f
}

func (f clientFlags) letters() []byte {
	var b []byte
	for _, x := range []struct {
		f clientFlags
		l byte
	}{{flagMonitor, 'O'}, {flagReplica, 'S'}, {flagPrimary, 'M'}, {flagPubSub, 'P'}, {flagMulti, 'x'}, {flagBlocked, 'b'},
		{flagTracking, 't'}, {flagTrackBroken, 'R'}, {flagTrackBcast, 'B'}, {flagDirtyCAS, 'd'}, {flagClosing, 'c'},
		{flagNoEvict, 'e'}, {flagNoTouch, 'T'}} {
		if f&x.f != 0 {
			b = append(b, x.l)
		}
	}
	if len(b) == 0 {
		b = append(b, 'N')
	}
	return b
}

// CLIENT KILL ip:port, or CLIENT KILL [ID id] [TYPE type] [USER user] [ADDR ip:port] [LADDR ip:port] [SKIPME yes|no]
func cmdClientKill(c *client, args [][]byte) error {
	var (
		id               int64
		typ, addr, laddr string
		user             *aclUser
		oldStyle         bool
		skipMe           = true
	)
	if len(args) == 3 {
		oldStyle, skipMe, addr = true, false, string(args[2])
	} else {
		for i := 2; i < len(args); i += 2 {
			opt := strings.ToLower(string(args[i]))
			if i+1 >= len(args) {
				return errSyntax
			}
			v := args[i+1]
			switch opt {
			case "id":
				n, err := strconv.ParseInt(string(v), 10, 64)
				if err != nil || n < 1 {
					return errorf("client-id should be greater than 0")
				}
				id = n
			case "type":
				t, err := parseClientType(v)
				if err != nil {
					return err
				}
				typ = t
			case "addr":
				addr = string(v)
			case "laddr":
				laddr = string(v)
			case "user":
				if user = c.srv.lookupUser(string(v)); user == nil {
					return errorf("No such user '" + string(v) + "'")
				}
			case "skipme":
				switch strings.ToLower(string(v)) {
				case "yes":
					skipMe = true
				case "no":
					skipMe = false
				default:
					return errSyntax
				}
			default:
				return errSyntax
			}
		}
	}
	victims := c.srv.clientList(func(o *client) bool {
		return (id == 0 || o.id == id) && (typ == "" || o.kind() == typ) && (addr == "" || o.addr == addr) &&
			(laddr == "" || o.laddr == laddr) && (user == nil || o.pub.user.Load() == user) && !(skipMe && o == c)
	})
	for _, o := range victims {
		if o == c {
			c.closing = true // after this reply
			continue
		}
		c.srv.killClient(o)
	}
	if oldStyle {
		if len(victims) == 0 {
			return errorf("No such client")
		}
		c.w.WriteSimple("OK")
		return nil
	}
	c.w.WriteInt(int64(len(victims)))
	return nil
}

// killClient closes another client's connection. It leaves the client list, its pub/sub subscribers and the
// waiters on keys at once, so that a CLIENT LIST, PUBLISH or push right after CLIENT KILL no longer sees it,
// even though its connection closes a moment later.
func (s *Server) killClient(c *client) {
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
	s.pubsub.dropKilled(c)
	s.dropKilledWaiter(c)
	c.kill(c)
}

// CLIENT PAUSE timeout [WRITE|ALL]
func cmdClientPause(c *client, args [][]byte) error {
	ms, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		return errorf("timeout is not an integer or out of range")
	}
	if ms < 0 {
		return errorf("timeout is negative")
	}
	mode := pauseAll
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "write":
			mode = pauseWrite
		case "all":
		default:
			return errorf("CLIENT PAUSE mode must be WRITE or ALL")
		}
	} else if len(args) > 4 {
		return subcommandSyntaxError("CLIENT", args[1])
	}
	c.srv.pauseClients(time.Duration(min(ms, int64(time.Duration(1<<62)/time.Millisecond)))*time.Millisecond, mode)
	c.w.WriteSimple("OK")
	return nil
}

// CLIENT UNPAUSE
func cmdClientUnpause(c *client, args [][]byte) error {
	c.srv.unpauseClients(true)
	c.w.WriteSimple("OK")
	return nil
}

// CLIENT NO-EVICT ON|OFF
func cmdClientNoEvict(c *client, args [][]byte) error {
	on, err := parseOnOff(args[2])
	if err != nil {
		return err
	}
	if on {
		c.flags |= flagNoEvict
	} else {
		c.flags &^= flagNoEvict
	}
	c.w.WriteSimple("OK")
	return nil
}

func parseOnOff(b []byte) (bool, error) {
	switch strings.ToLower(string(b)) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, errSyntax
}

// CLIENT REPLY ON|OFF|SKIP. OFF and SKIP have no reply themselves.
func cmdClientReply(c *client, args [][]byte) error {
	switch strings.ToLower(string(args[2])) {
	case "on":
		c.reply = replyOn
		c.w.WriteSimple("OK")
	case "off":
		c.reply = replyOff
	case "skip":
		if c.reply != replyOff {
			c.reply = replySkipNext
		}
	default:
		return errSyntax
	}
	return nil
}

// CLIENT HELP: Redis 7.2's text.
func cmdClientHelp(c *client, args [][]byte) error {
	writeHelp(c.w, "CLIENT", clientHelp)
	return nil
}

var clientHelp = []string{
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"SETINFO <option> <value>",
	"    Set client meta attr. Options are:",
	"    * LIB-NAME: the client lib name.",
	"    * LIB-VER: the client lib version.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
	"NO-TOUCH (ON|OFF)",
	"    Will not touch LRU/LFU stats when this mode is on.",
}
