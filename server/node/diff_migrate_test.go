package node

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// migrateDiff runs MIGRATE on a real Redis source and on a Carmine source, each moving keys to a target of its
// own (two real Redis targets, or two Carmine ones), and compares the replies, the propagated streams and the
// targets' keys.
type migrateDiff struct {
	t       *testing.T
	src     *propagatedPair
	tgt     *difftest.Pair // Redis: the Redis source's target; Carmine: the Carmine source's
	tgtAddr [2]string
}

// migrate sends MIGRATE host port args... to both sources, each with its target's address, and compares the
// replies (with Redis 7.2's NOPERM texts read as 7.0's).
func (m *migrateDiff) migrate(args ...string) {
	m.t.Helper()
	var replies [2]string
	for i, c := range []*difftest.Conn{m.src.Redis, m.src.Carmine} {
		host, port, err := net.SplitHostPort(m.tgtAddr[i])
		require.NoError(m.t, err)
		replies[i] = difftest.Format(acl72Norm(c.Do(append([]string{"MIGRATE", host, port}, args...)...)))
	}
	assert.Equal(m.t, replies[0], replies[1], "MIGRATE %q", args)
}

// migrateTo sends MIGRATE to both sources with the same target address.
func (m *migrateDiff) migrateTo(addr string, args ...string) {
	m.t.Helper()
	host, port, err := net.SplitHostPort(addr)
	require.NoError(m.t, err)
	m.src.Check(append([]string{"MIGRATE", host, port}, args...)...)
}

// targets compares the keys of the two targets in db: DUMP of each, and TTLs to the second.
func (m *migrateDiff) targets(db string, keys ...string) {
	m.t.Helper()
	m.tgt.Check("SELECT", db)
	for _, k := range keys {
		if string(m.tgt.Redis.Do("TYPE", k).Str) == "set" {
			m.tgt.CheckUnordered("SMEMBERS", k) // a set's DUMP lists its members in hash table order
		} else {
			m.tgt.Check("DUMP", k)
		}
		m.tgt.CheckWith(func(v resp.Value) resp.Value {
			if v.Type == resp.TypeInt && v.Int > 0 {
				v.Int = (v.Int + 500) / 1000
			}
			return v
		}, "PTTL", k)
	}
	m.tgt.Check("SELECT", "0")
}

// TestDiffMigrate compares MIGRATE with real Redis, from a Redis and a Carmine source into real Redis targets
// and into Carmine targets: NOKEY, moved and copied keys of every type with their TTLs, REPLACE, KEYS, the
// database, AUTH and AUTH2, errors relayed from the target (BUSYKEY, NOAUTH, WRONGPASS, a db out of range),
// syntax errors, IOERR on a refused connection and on a target that does not answer, and what each source
// propagates (DEL of the moved keys).
func TestDiffMigrate(t *testing.T) {
	for _, target := range []string{"redis", "carmine"} {
		t.Run("to "+target, func(t *testing.T) {
			var addrs [2]string
			for i := range addrs {
				if target == "redis" {
					addrs[i] = difftest.StartRedis(t, "--requirepass", "pw").Addr
				} else {
					_, addrs[i] = startServer(t, func(c *Config) { c.RequirePass = "pw" })
				}
			}
			m := &migrateDiff{t: t, src: startPropagatedPair(t), tgt: difftest.NewPair(t, addrs[0], addrs[1]), tgtAddr: addrs}
			m.tgt.Check("AUTH", "pw")
			m.tgt.Check("ACL", "SETUSER", "mover", "on", ">secret", "~*", "+@all")
			testDiffMigrate(m)
		})
	}
}

func testDiffMigrate(m *migrateDiff) {
	t, p := m.t, m.src
	// Arguments: checked before the keys, in Redis's order.
	for _, args := range [][]string{
		{"k", "0", "1000", "FOO"}, {"k", "0", "1000", "AUTH"}, {"k", "0", "1000", "AUTH2", "u"},
		{"k", "0", "1000", "KEYS", "a"}, {"k", "0", "x"}, {"k", "x", "1000"}, {"k", "x", "y"},
		{"k", "0", "1000", "COPY", "REPLACE", "BAR"}, {"", "0", "1000", "KEYS"}, {"", "0", "1000", "KEYS", "no", "such"},
		{"nokey", "0", "1000"}, {"nokey", "0", "-5", "COPY", "REPLACE", "AUTH", "pw"},
	} {
		m.migrate(args...)
	}
	m.src.check("nothing moved")

	// Errors of the target: no AUTH, a wrong password, an unknown user; the key stays.
	p.Check("SET", "k", "v")
	m.migrate("k", "0", "1000")
	m.migrate("k", "0", "1000", "AUTH", "wrong")
	m.migrate("k", "0", "1000", "AUTH2", "nobody", "pw")
	p.Check("GET", "k")
	m.src.check("refused")

	// A string, moved, then BUSYKEY, REPLACE, COPY.
	m.migrate("k", "0", "1000", "AUTH", "pw")
	p.Check("EXISTS", "k")
	m.targets("0", "k")
	p.Check("SET", "k", "v2")
	m.migrate("k", "0", "1000", "AUTH", "pw")
	p.Check("GET", "k")
	m.migrate("k", "0", "1000", "AUTH2", "mover", "secret", "REPLACE", "COPY")
	p.Check("GET", "k")
	m.targets("0", "k")
	m.src.check("string")

	// Every type, with and without a TTL, into another database, with KEYS.
	p.Check("RPUSH", "list", "a", "b", "1")
	p.Check("HSET", "hash", "f", "v", "n", "1")
	p.Check("SADD", "set", "a", "b")
	p.Check("SADD", "intset", "1", "2", "3")
	p.Check("ZADD", "zset", "1", "a", "2.5", "b")
	p.Check("XADD", "stream", "1-1", "f", "v")
	p.Check("SET", "ttl", "v", "PX", "100000")
	p.Check("SET", "int", "12345")
	keys := []string{"list", "hash", "set", "intset", "zset", "stream", "ttl", "int"}
	m.migrate(append([]string{"", "3", "1000", "AUTH", "pw", "KEYS", "missing"}, keys...)...)
	for _, k := range keys {
		p.Check("EXISTS", k)
	}
	m.targets("3", append(keys, "missing")...)
	m.src.check("types")

	// A database the target does not have; then one it has, after the error made the source SELECT again.
	p.Check("SET", "k2", "v")
	m.migrate("k2", "99", "1000", "AUTH", "pw")
	m.migrate("k2", "5", "1000", "AUTH", "pw")
	m.targets("5", "k2")

	// Several keys, some of them busy on the target: the others move, the reply is the first error.
	p.Check("MSET", "b1", "1", "b2", "2", "b3", "3")
	m.tgt.Check("SET", "b2", "old")
	m.migrate("", "0", "1000", "AUTH", "pw", "KEYS", "b1", "b2", "b3")
	p.Check("MGET", "b1", "b2", "b3")
	m.targets("0", "b1", "b2", "b3")
	m.src.check("partial")

	// Inside MULTI: queued, then run by EXEC with the transaction's locks; the DEL is replayed with the rest.
	p.Check("SET", "mk", "v")
	p.Check("MULTI")
	p.Check("INCR", "counter")
	m.migrate("mk", "0", "1000", "AUTH", "pw")
	p.Check("EXEC")
	p.Check("EXISTS", "mk")
	m.targets("0", "mk")
	m.src.check("multi")

	// Network errors: nothing listening, and a target that accepts but never answers.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadAddr := closed.Addr().String()
	closed.Close()
	m.migrateTo(deadAddr, "k", "0", "1000")
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { mute.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	m.migrateTo(mute.Addr().String(), "k", "0", "200")
	p.Check("GET", "k")
	m.src.check("network")

	// ACL: the keys MIGRATE names are checked, the empty key before KEYS is not one of them.
	p.Check("ACL", "SETUSER", "lim", "on", "nopass", "~a*", "+@all")
	p.Check("SET", "b", "v")
	p.Check("AUTH", "lim", "x")
	m.migrate("b", "0", "1000", "AUTH", "pw")
	m.migrate("", "0", "1000", "AUTH", "pw", "KEYS", "a1", "b")
	m.migrate("", "0", "1000", "AUTH", "pw", "KEYS", "a1")
	p.Check("AUTH", "default", "")

	// The cached connection: INFO counts it, and it goes after 10 seconds idle (not waited for here).
	for _, c := range []*difftest.Conn{p.Redis, p.Carmine} {
		info := string(c.Do("INFO", "stats").Str)
		assert.Regexp(t, `migrate_cached_sockets:[1-9]`, info)
	}
}

// TestMigrateIdleConnections checks that MIGRATE reuses its connection to a target (SELECT sent once) and
// closes it when idle.
func TestMigrateIdleConnections(t *testing.T) {
	srv, src := startServer(t)
	_, dst := startServer(t)
	c, d := difftest.Dial(t, src), difftest.Dial(t, dst)
	host, port, _ := net.SplitHostPort(dst)
	for i := range 3 {
		k := "k" + strconv.Itoa(i)
		c.Do("SET", k, "v")
		require.Equal(t, "OK", string(c.Do("MIGRATE", host, port, k, "1", "1000").Str))
	}
	assert.Equal(t, 1, srv.migrate.len())
	clients := string(d.Do("CLIENT", "LIST").Str)
	assert.Equal(t, 2, strings.Count(clients, "\n"), clients)
	assert.Contains(t, clients, "cmd=restore ")
	assert.Contains(t, clients, "db=1 ")
	srv.migrate.closeIdle(time.Now().Add(time.Second))
	assert.Equal(t, 0, srv.migrate.len())
	require.Eventually(t, func() bool {
		return strings.Count(string(d.Do("CLIENT", "LIST").Str), "\n") == 1
	}, 5*time.Second, 20*time.Millisecond)
	// The closed connection is not reused: the next MIGRATE dials again.
	c.Do("SET", "again", "v")
	require.Equal(t, "OK", string(c.Do("MIGRATE", host, port, "again", "1", "1000").Str))
	d.Do("SELECT", "1")
	assert.Equal(t, int64(1), d.Do("EXISTS", "again").Int)
}
