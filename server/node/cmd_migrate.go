package node

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
)

// MIGRATE: moves keys to another instance by sending it RESTORE (RESTORE-ASKING in cluster mode) over a
// connection kept per target, as Redis's migrateCommand. The keys stay locked from the first lookup until the
// target's replies are read, so no write to them is lost between the copy and the delete; like Redis, which
// blocks the whole server for the round trip, the command waits for the target under its timeout.

var _ = register(map[string]handler{"migrate": cmdMigrate})

// Replies of MIGRATE, as Redis writes them.
var (
	errMigrateKeys    = errorf("When using MIGRATE KEYS option, the key argument must be set to the empty string")
	errMigrateConnect = &resp.Error{Code: "IOERR", Msg: "error or timeout connecting to the client"}
	errMigrateWrite   = &resp.Error{Code: "IOERR", Msg: "error or timeout writing to target instance"}
	errMigrateRead    = &resp.Error{Code: "IOERR", Msg: "error or timeout reading to target instance"}
)

const (
	migrateCacheItems = 64               // Redis's MIGRATE_SOCKET_CACHE_ITEMS
	migrateCacheTTL   = 10 * time.Second // Redis's MIGRATE_SOCKET_CACHE_TTL: idle connections are closed
	migrateReplyLine  = 1024             // Redis reads each reply line into a 1024-byte buffer
)

// migrateConn is a cached connection to a MIGRATE target.
type migrateConn struct {
	conn    net.Conn
	r       *bufio.Reader
	lastDB  int // the db the connection has selected, -1 when unknown
	lastUse time.Time
}

// migrateCache holds the idle connections to MIGRATE targets by "host:port". A command takes the connection
// out while it uses it, so two clients migrating to one target at once use two connections.
type migrateCache struct {
	mu    sync.Mutex
	conns map[string]*migrateConn
	// gate makes the redirection check of a command on a migrating slot and the command itself one step for
	// MIGRATE: the command holds it for reading from the check (which finds its keys here) to its end, MIGRATE
	// for writing. Without it a key could move between the check and the command, which would then create it
	// again on the node that is giving the slot away. Redis, single-threaded, needs no such thing.
	gate sync.RWMutex
}

// gate takes the migration gate for reading until the running command ends (see migrateCache.gate).
func (c *client) gate() {
	if !c.gated && c.exec == nil {
		c.srv.migrate.gate.RLock()
		c.gated = true
	}
}

// ungate releases what gate took, at the end of the command.
func (c *client) ungate() {
	if c.gated {
		c.gated = false
		c.srv.migrate.gate.RUnlock()
	}
}

// take removes and returns the cached connection to addr, or nil.
func (m *migrateCache) take(addr string) *migrateConn {
	m.mu.Lock()
	defer m.mu.Unlock()
	mc := m.conns[addr]
	delete(m.conns, addr)
	return mc
}

// put caches mc for addr. Matches Redis: when the cache is full, a random connection makes room.
func (m *migrateCache) put(addr string, mc *migrateConn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conns == nil {
		m.conns = make(map[string]*migrateConn)
	}
	if old := m.conns[addr]; old != nil {
		old.conn.Close() // another client's connection to the same target came back first
	} else if len(m.conns) >= migrateCacheItems {
		for a, victim := range m.conns {
			victim.conn.Close()
			delete(m.conns, a)
			break
		}
	}
	mc.lastUse = time.Now()
	m.conns[addr] = mc
}

// closeIdle closes the connections last used before idleSince (all of them for a time in the future).
func (m *migrateCache) closeIdle(idleSince time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for a, mc := range m.conns {
		if mc.lastUse.Before(idleSince) {
			mc.conn.Close()
			delete(m.conns, a)
		}
	}
}

// len is INFO's migrate_cached_sockets.
func (m *migrateCache) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.conns)
}

// closeIdleMigrateConns closes MIGRATE's connections once they have been idle for 10 seconds, checking once a
// second (Redis's migrateCloseTimedoutSockets in serverCron), and all of them when ctx ends.
func (s *Server) closeIdleMigrateConns(ctx context.Context) error {
	defer s.migrate.closeIdle(time.Now().Add(time.Hour))
	return every(ctx, time.Second, func(now time.Time) time.Duration {
		s.migrate.closeIdle(now.Add(-migrateCacheTTL))
		return time.Second
	})
}

// migrateOpts are MIGRATE's arguments.
type migrateOpts struct {
	addr               string
	db                 int64
	timeout            time.Duration
	copy, replace      bool
	username, password []byte // password nil: no AUTH
	keys               [][]byte
}

// parseMigrate reads MIGRATE's arguments in Redis's order: the options, then the timeout and the db.
func parseMigrate(args [][]byte) (migrateOpts, error) {
	o := migrateOpts{addr: net.JoinHostPort(string(args[1]), string(args[2])), keys: args[3:4]}
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "copy"):
			o.copy = true
		case eqFold(args[j], "replace"):
			o.replace = true
		case eqFold(args[j], "auth"):
			if more < 1 {
				return o, errSyntax
			}
			j++
			o.password = args[j]
		case eqFold(args[j], "auth2"):
			if more < 2 {
				return o, errSyntax
			}
			o.username, o.password = args[j+1], args[j+2]
			j += 2
		case eqFold(args[j], "keys"):
			if len(args[3]) != 0 {
				return o, errMigrateKeys
			}
			o.keys = args[j+1:]
			j = len(args)
		default:
			return o, errSyntax
		}
	}
	timeout, ok := keyspace.ParseInt(args[5])
	if !ok {
		return o, errNotInteger
	}
	if o.db, ok = keyspace.ParseInt(args[4]); !ok {
		return o, errNotInteger
	}
	if timeout <= 0 {
		timeout = 1000
	}
	o.timeout = time.Duration(min(timeout, int64(time.Duration(1<<62)/time.Millisecond))) * time.Millisecond
	return o, nil
}

// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password] [AUTH2 username password]
// [KEYS key ...]
func cmdMigrate(c *client, args [][]byte) error {
	o, err := parseMigrate(args)
	if err != nil {
		return err
	}
	if c.srv.cluster != nil && c.exec == nil {
		// Inside EXEC or a script every shard is locked already, which keeps the other commands out.
		c.srv.migrate.gate.Lock()
		defer c.srv.migrate.gate.Unlock()
	}
	tx := c.begin(o.keys...)
	defer tx.End()
	type found struct {
		key []byte
		e   keyspace.Entry
	}
	var keys []found
	for _, k := range o.keys {
		e, ok := tx.Lookup(k)
		c.countLookup(k, ok)
		if ok {
			keys = append(keys, found{k, e})
		}
	}
	if len(keys) == 0 {
		c.w.WriteSimple("NOKEY")
		return nil
	}
	restore := []byte("RESTORE")
	if c.srv.cluster != nil {
		restore = []byte("RESTORE-ASKING")
	}
	// The RESTOREs, built once: the retry on a fresh connection sends the same keys.
	var restores []byte
	var sent [][]byte
	now := tx.Now()
	for _, f := range keys {
		ttl := int64(0)
		if at := f.e.ExpireAt(); at != 0 {
			ttl = max(at-now, 1)
		}
		payload, err := dumpPayload(f.e, tx.Limits())
		if err != nil {
			return err
		}
		argv := [][]byte{restore, f.key, itob(ttl), payload}
		if o.replace {
			argv = append(argv, []byte("REPLACE"))
		}
		restores = appendCommand(restores, argv...)
		sent = append(sent, f.key)
	}
	replies, err := c.srv.migrateSend(&o, restores, len(sent))
	var moved [][]byte
	for i, line := range replies {
		if line[0] == '-' {
			continue
		}
		if !o.copy {
			tx.Delete(sent[i])
			c.wrote(notifyGeneric, "del", sent[i])
			moved = append(moved, sent[i])
		}
	}
	if len(moved) > 0 {
		c.propagate(append([][]byte{bytesDEL}, moved...)...) // Matches Redis: MIGRATE is replayed as DEL
	} else {
		c.noPropagate()
	}
	if err != nil {
		return err
	}
	c.w.WriteSimple("OK")
	return nil
}

// migrateSend sends AUTH, SELECT and the n RESTOREs to the target and reads the replies of the RESTOREs: one
// line each, up to the first that could not be read. The error is the command's reply: IOERR for a network
// error or a timeout, or the first error the target replied. A failure of the cached connection before any
// reply is retried once on a new one, unless it timed out, as Redis does.
func (s *Server) migrateSend(o *migrateOpts, restores []byte, n int) ([][]byte, error) {
	for retry := true; ; retry = false {
		mc, err := s.migrateConn(o)
		if errors.Is(err, errMigrateWrite) && retry {
			continue
		}
		if err != nil {
			return nil, err
		}
		replies, err, sockErr := mc.exchange(o, restores, n)
		if sockErr == nil {
			mc.lastDB = int(o.db)
			if err != nil {
				mc.lastDB = -1 // Matches Redis: after an error of the target, SELECT again next time
			}
			s.migrate.put(o.addr, mc)
			return replies, err
		}
		mc.conn.Close()
		if len(replies) == 0 && retry && !errors.Is(sockErr, os.ErrDeadlineExceeded) {
			continue
		}
		if err == nil {
			err = errMigrateRead
			if errors.Is(sockErr, errMigrateWrite) {
				err = errMigrateWrite
			}
		}
		return replies, err
	}
}

// migrateConn returns the cached connection to the target, or a new one.
func (s *Server) migrateConn(o *migrateOpts) (*migrateConn, error) {
	if mc := s.migrate.take(o.addr); mc != nil {
		return mc, nil
	}
	conn, err := net.DialTimeout("tcp", o.addr, o.timeout)
	if err != nil {
		// Matches Redis: a name that does not resolve, or no answer within the timeout, fails the connect;
		// a refused connection fails the first write.
		var dnsErr *net.DNSError
		var netErr net.Error
		if errors.As(err, &dnsErr) || errors.As(err, &netErr) && netErr.Timeout() {
			return nil, errMigrateConnect
		}
		return nil, errMigrateWrite
	}
	return &migrateConn{conn: conn, r: bufio.NewReaderSize(conn, 4096), lastDB: -1}, nil
}

// exchange writes the commands and reads the replies of one attempt. sockErr is a network error or timeout
// (errMigrateWrite wraps a failed write); err is the target's first error reply, relayed.
func (mc *migrateConn) exchange(o *migrateOpts, restores []byte, n int) (replies [][]byte, err, sockErr error) {
	var head []byte
	if o.password != nil {
		if o.username != nil {
			head = appendCommand(head, []byte("AUTH"), o.username, o.password)
		} else {
			head = appendCommand(head, []byte("AUTH"), o.password)
		}
	}
	sel := int64(mc.lastDB) != o.db
	if sel {
		head = appendCommand(head, []byte("SELECT"), itob(o.db))
	}
	// Matches Redis: each write and each read gets the whole timeout.
	for _, b := range [][]byte{head, restores} {
		for len(b) > 0 {
			chunk := b[:min(len(b), 64<<10)]
			mc.conn.SetWriteDeadline(time.Now().Add(o.timeout))
			if _, err := mc.conn.Write(chunk); err != nil {
				return nil, nil, errors.Join(errMigrateWrite, err)
			}
			b = b[len(chunk):]
		}
	}
	var authReply, selReply []byte
	if o.password != nil {
		if authReply, sockErr = mc.readLine(o.timeout); sockErr != nil {
			return nil, nil, sockErr
		}
	}
	if sel {
		if selReply, sockErr = mc.readLine(o.timeout); sockErr != nil {
			return nil, nil, sockErr
		}
	}
	for range n {
		line, rerr := mc.readLine(o.timeout)
		if rerr != nil {
			return replies, err, rerr
		}
		first := line
		switch {
		case authReply != nil && authReply[0] == '-':
			first = authReply
		case selReply != nil && selReply[0] == '-':
			first = selReply
		}
		if first[0] == '-' {
			if err == nil {
				err = errorf("Target instance replied with error: " + string(first[1:]))
			}
			line = first
		}
		replies = append(replies, line)
	}
	return replies, err, nil
}

// readLine reads one reply line without its CRLF, at most 1023 bytes of it as Redis's syncReadLine keeps.
func (mc *migrateConn) readLine(timeout time.Duration) ([]byte, error) {
	mc.conn.SetReadDeadline(time.Now().Add(timeout))
	line, err := mc.r.ReadSlice('\n')
	for errors.Is(err, bufio.ErrBufferFull) {
		var more []byte
		more, err = mc.r.ReadSlice('\n')
		line = append(bytes.Clone(line), more...)
	}
	if err != nil {
		return nil, err
	}
	line = bytes.TrimRight(line, "\r\n")
	if len(line) == 0 {
		line = []byte{' '} // an empty line is no error reply
	}
	return bytes.Clone(line[:min(len(line), migrateReplyLine-1)]), nil
}
