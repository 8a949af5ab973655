package node

import (
	"strings"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"auth":   cmdAuth,
	"echo":   cmdEcho,
	"hello":  cmdHello,
	"ping":   cmdPing,
	"quit":   cmdQuit,
	"reset":  cmdReset,
	"select": cmdSelect,
})

// RESET: the connection back to the state of a new one, as Redis's clearClientConnectionState: MULTI
// discarded, keys unwatched, MONITOR, subscriptions and tracking ended, database 0, RESP2, the default user
// (authenticated only if it needs no password), no name, CLIENT REPLY ON, NO-EVICT and NO-TOUCH off. The library
// name and version stay: they describe the client behind the connection.
func cmdReset(c *client, args [][]byte) error {
	if c.multi != nil {
		c.endMulti()
	}
	c.unwatchAll()
	if c.flags&flagMonitor != 0 {
		c.srv.mu.Lock()
		c.srv.removeMonitor(c)
		c.srv.mu.Unlock()
		c.flags &^= flagMonitor
	}
	c.trackingOff()
	c.cachingSet = false
	c.unsubscribeAll()
	c.flags &^= flagPubSub | flagNoEvict | flagNoTouch
	c.db = 0
	c.w.SetProtocol(2)
	c.setUser(c.srv.acl.def)
	c.authed = c.srv.acl.open.Load()
	c.mu.Lock()
	c.name = ""
	c.mu.Unlock()
	c.reply = replyOn
	c.w.WriteSimple("RESET")
	return nil
}

// PING [message]
func cmdPing(c *client, args [][]byte) error {
	if len(args) > 2 {
		return arityError("ping")
	}
	if c.flags&flagPubSub != 0 && c.w.Protocol() == 2 {
		// Matches Redis: in subscribed mode under RESP2, PING replies like a message, ["pong", arg or ""].
		c.w.WriteArrayLen(2)
		c.w.WriteBulkString("pong")
		if len(args) == 2 {
			c.w.WriteBulk(args[1])
		} else {
			c.w.WriteBulkString("")
		}
		return nil
	}
	if len(args) == 1 {
		c.w.WriteSimple("PONG")
	} else {
		c.w.WriteBulk(args[1])
	}
	return nil
}

// ECHO message
func cmdEcho(c *client, args [][]byte) error {
	c.w.WriteBulk(args[1])
	return nil
}

// QUIT: reply OK, then close the connection.
func cmdQuit(c *client, args [][]byte) error {
	c.w.WriteSimple("OK")
	c.closing = true
	return nil
}

// SELECT index
func cmdSelect(c *client, args [][]byte) error {
	n, err := parseInt32(args[1])
	if err != nil {
		return err
	}
	if n < 0 || n >= int64(c.srv.cfg.Databases) {
		return errDBIndex
	}
	c.db = int(n)
	c.w.WriteSimple("OK")
	return nil
}

// AUTH [username] password
func cmdAuth(c *client, args [][]byte) error {
	if len(args) > 3 {
		return errSyntax
	}
	// Matches Redis: AUTH with a password alone is an error while the default user has nopass.
	if len(args) == 2 && c.srv.acl.def.cur.Load().NoPass() {
		return errAuthNoPass
	}
	user, pass := []byte("default"), args[len(args)-1]
	if len(args) == 3 {
		user = args[1]
	}
	if err := c.authenticate(user, pass); err != nil {
		return err
	}
	c.w.WriteSimple("OK")
	return nil
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
func cmdHello(c *client, args [][]byte) error {
	proto := c.w.Protocol()
	if len(args) >= 2 {
		v, ok := keyspace.ParseInt(args[1])
		if !ok {
			return errProtoVersion
		}
		if v < 2 || v > 3 {
			return errNoProto
		}
		proto = int(v)
	}
	var user, pass, name []byte
	for j := 2; j < len(args); j++ {
		more := len(args) - 1 - j
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "auth" && more >= 2:
			user, pass = args[j+1], args[j+2]
			j += 2
		case opt == "setname" && more >= 1:
			name = args[j+1]
			j++
		default:
			return errorf("Syntax error in HELLO option '" + string(args[j]) + "'")
		}
	}
	if user != nil {
		if err := c.authenticate(user, pass); err != nil {
			return err
		}
	}
	if !c.authed && !c.srv.acl.open.Load() {
		return errHelloNoAuth
	}
	if name != nil {
		if err := c.setName(name); err != nil {
			return err
		}
	}
	c.w.SetProtocol(proto)
	w := c.w
	w.WriteMapLen(7)
	w.WriteBulkString("server")
	w.WriteBulkString("redis")
	w.WriteBulkString("version")
	w.WriteBulkString(RedisVersion)
	w.WriteBulkString("proto")
	w.WriteInt(int64(proto))
	w.WriteBulkString("id")
	w.WriteInt(c.id)
	w.WriteBulkString("mode")
	w.WriteBulkString("standalone")
	w.WriteBulkString("role")
	w.WriteBulkString("master")
	w.WriteBulkString("modules")
	w.WriteArrayLen(0)
	return nil
}
