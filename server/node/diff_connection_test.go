package node

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
	"github.com/carminedb/carmine/server/internal/cmdspec"
)

// helloNorm hides the fields of HELLO's reply that legitimately differ: the version and the client id.
var helloNorm = difftest.Chain(
	difftest.ReplaceField("version", resp.Value{Type: resp.TypeBulk, Str: []byte("x.y.z")}),
	difftest.ReplaceField("id", resp.Value{Type: resp.TypeInt, Int: 0}),
)

// TestDiffConnection runs the connection commands, with valid and invalid arguments, against real Redis and
// Carmine and compares every reply.
func TestDiffConnection(t *testing.T) { ioModes(t, testDiffConnection) }

func testDiffConnection(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	long := strings.Repeat("x", 200)
	cases := [][]string{
		{"PING"}, {"ping", "hello"}, {"PING", ""}, {"PING", "a", "b"},
		{"ECHO"}, {"ECHO", "x"}, {"echo", "x y\r\nz"}, {"ECHO", "x", "y"},
		{"NOSUCHCOMMAND"}, {"nosuchcommand", "a", "b"}, {"NOSUCH", long, long}, {long},
		{"SELECT", "0"}, {"SELECT", "15"}, {"SELECT", "16"}, {"SELECT", "-1"}, {"SELECT", "x"}, {"SELECT", "01"},
		{"SELECT", "+1"}, {"SELECT", " 1"}, {"SELECT", "99999999999"}, {"SELECT"}, {"SELECT", "1", "2"}, {"select", "0"},
		{"CLIENT"}, {"CLIENT", "NOSUCH"}, {"client", "nosuch", "x"}, {"CLIENT", "SETNAME"}, {"CLIENT", "GETNAME"},
		{"CLIENT", "SETNAME", "a b"}, {"CLIENT", "SETNAME", "a\nb"}, {"CLIENT", "SETNAME", "caf\xc3\xa9"},
		{"CLIENT", "SETNAME", "worker-1"}, {"CLIENT", "GETNAME"}, {"client", "getname", "x"},
		{"CLIENT", "SETNAME", ""}, {"CLIENT", "GETNAME"}, {"CLIENT", "ID", "x"}, {"CLIENT", "SETNAME", "a", "b"},
		{"AUTH"}, {"AUTH", "x"}, {"AUTH", "a", "b", "c"}, {"AUTH", "default", "anything"}, {"AUTH", "bob", "x"},
		{"HELLO", "4"}, {"HELLO", "1"}, {"HELLO", "-1"}, {"HELLO", "x"}, {"HELLO", "99999999999999999999"},
		{"HELLO", "3", "SETNAME"}, {"HELLO", "2", "AUTH", "a"}, {"HELLO", "2", "foo"},
		{"HELLO", "2", "SETNAME", "a b"}, {"HELLO", "2", "AUTH", "bob", "x"},
	}
	for _, c := range cases {
		p.Check(c...)
	}
	for _, c := range [][]string{
		{"HELLO"}, {"HELLO", "3"}, {"PING"}, {"CLIENT", "GETNAME"}, {"ECHO", "x"}, {"HELLO", "3", "SETNAME", "n1"},
		{"CLIENT", "GETNAME"}, {"HELLO", "2", "AUTH", "default", "x", "SETNAME", "n2"}, {"CLIENT", "GETNAME"},
		{"HELLO", "3", "SETNAME", "x", "SETNAME", "y"}, {"CLIENT", "GETNAME"}, {"HELLO", "2"},
	} {
		p.CheckWith(helloNorm, c...)
	}
}

// TestDiffAuth compares the authentication flow with a password set (requirepass).
func TestDiffAuth(t *testing.T) {
	p := startPair(t, "sekret")
	for _, c := range [][]string{
		{"PING"}, {"NOSUCH"}, {"CLIENT", "NOSUCH"}, {"CLIENT", "SETNAME"}, {"CLIENT", "SETNAME", "x"},
		{"SELECT", "1"}, {"ECHO", "x"}, {"HELLO"}, {"HELLO", "3"}, {"HELLO", "3", "AUTH", "default", "bad"},
		{"AUTH", "bad"}, {"AUTH", "bob", "sekret"}, {"AUTH", "default", "bad"}, {"PING"},
		{"AUTH", "sekret"}, {"PING"}, {"AUTH", "default", "sekret"}, {"AUTH", "bad"}, {"PING"},
	} {
		p.CheckWith(helloNorm, c...)
	}
	q := startPair(t, "sekret")
	q.CheckWith(helloNorm, "HELLO", "3", "AUTH", "default", "sekret", "SETNAME", "x")
	q.Check("CLIENT", "GETNAME")
	q.Check("PING")
}

// TestDiffReset compares RESET: every piece of connection state goes back to a new connection's.
func TestDiffReset(t *testing.T) { ioModes(t, testDiffReset) }

func testDiffReset(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	for _, c := range []string{
		"RESET", "RESET x", "SELECT 5", "SET k v", "CLIENT SETNAME worker", "HELLO 3", "HSET h f v", "HGETALL h",
		"MULTI", "SET a 1", "RESET", "EXEC", "GET k", "SELECT 5", "HGETALL h", "CLIENT GETNAME", "PING",
		"WATCH k", "RESET", "SUBSCRIBE ch", "PING", "RESET", "PING", "PUBSUB NUMSUB ch",
		"CLIENT TRACKING on", "RESET", "CLIENT TRACKINGINFO", "CLIENT NO-EVICT on", "RESET",
	} {
		p.CheckWith(helloNorm, strings.Fields(c)...)
	}
	// CLIENT REPLY OFF: nothing is replied until RESET, whose own reply comes.
	for _, c := range []*difftest.Conn{p.Redis, p.Carmine} {
		c.Send("CLIENT", "REPLY", "OFF")
		c.Send("PING")
		c.Send("RESET")
	}
	require.Equal(t, difftest.Format(p.Redis.Receive()), difftest.Format(p.Carmine.Receive()))
	p.Check("PING")
	q := startPair(t, "sekret", mode)
	for _, c := range []string{"AUTH sekret", "PING", "RESET", "PING", "AUTH sekret", "ACL WHOAMI"} {
		q.Check(strings.Fields(c)...)
	}
}

// TestDiffProtocol sends raw, often malformed, bytes to both servers and compares every reply and whether the
// connection is closed afterwards. Each case uses fresh connections.
func TestDiffProtocol(t *testing.T) { ioModes(t, testDiffProtocol) }

func testDiffProtocol(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	nested := bytes.Repeat([]byte("*1\r\n"), 10000)
	cases := []string{
		"PING\r\n",
		"PING\n",
		"ECHO \"a b\" 'c'\r\nPING\r\n",
		"ECHO \"unbalanced\r\n",
		"ECHO 'unbalanced\r\n",
		"ECHO \"\\x41\\n\"\r\n",
		"   \r\n\r\nPING\r\n",
		"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\n",
		"*0\r\nPING\r\n",
		"*-1\r\nPING\r\n",
		"*abc\r\n",
		"*1\r\n+PING\r\n",
		"*1\r\n:1\r\n",
		"*1\r\n$-1\r\n",
		"*1\r\n$abc\r\n",
		"*1\r\n$536870913\r\n",
		"*2147483648\r\n",
		"*1\r\n$4\r\nPI",
		"*3\r\n$4\r\nECHO\r\n",
		"$4\r\nPING\r\n",
		string(nested),
		"PING\r\n*1\r\nx\r\nPING\r\n",
		"\x00\x01\x02\r\n",
	}
	for _, raw := range cases {
		p := difftest.NewPair(t, redis.Addr, addr)
		p.CheckRaw([]byte(raw), 300*time.Millisecond)
		p.Redis.Close()
		p.Carmine.Close()
	}
}

// TestDiffCommandMetadata compares COMMAND INFO and COMMAND DOCS of every implemented command (and
// subcommand, by its full name) with real Redis, in RESP2 and RESP3. Containers are left out: Carmine lists
// only the subcommands it implements. Commands Redis 7.0 does not have (7.2's CLIENT SETINFO), and those 7.2
// changed (ZRANK's WITHSCORE), are left out too.
func TestDiffCommandMetadata(t *testing.T) {
	p := startPair(t, "")
	var names []string
	for _, s := range implementedSpecs() {
		if len(s.Subcommands) == 0 && !changedIn72(s.Docs.History) {
			names = append(names, s.Name)
		}
		for _, sub := range s.Subcommands {
			if implemented(sub) && sub.Docs.Since < "7.2" {
				names = append(names, sub.Name)
			}
		}
	}
	require.NotEmpty(t, names)
	for _, proto := range []string{"2", "3"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		for _, name := range names {
			p.Check("COMMAND", "INFO", name)
			p.Check("COMMAND", "DOCS", name)
		}
		p.Check("COMMAND", "INFO", "nosuchcommand", "ping", "NOSUCH|X")
		p.Check("COMMAND", "DOCS", "nosuchcommand")
		p.Check("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuchcategory")
		p.Check("COMMAND", "LIST", "FILTERBY", "MODULE", "x")
		p.Check("COMMAND", "LIST", "FILTERBY", "PATTERN")
		p.Check("COMMAND", "LIST", "nosuch")
		p.Check("COMMAND", "LIST", "FILTERBY", "nosuch", "x")
		p.Check("COMMAND", "COUNT", "x")
		p.Check("COMMAND", "NOSUCH")
		p.Check("COMMAND", "HELP")
		for _, c := range [][]string{
			{"get", "a"}, {"nosuch", "a"}, {"get"}, {"ping"}, {"eval", "s", "0"}, {"eval", "s", "2", "a"},
			{"eval", "s", "x"}, {"zunionstore", "d", "0", "a"}, {"zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"},
			{"mset", "a", "1", "b", "2"}, {"mset", "a", "1", "b"}, {"lmove", "a", "b", "left", "right"},
			{"client", "setname", "x"}, {"client", "nosuch"}, {"object", "encoding", "k"}, {"sort", "k", "store", "d"},
			{"sort", "k", "by", "w_*", "get", "#", "store", "d"}, {"migrate", "h", "1", "", "0", "5", "KEYS", "a", "b"},
			{"migrate", "h", "1", "k", "0", "5"}, {"xread", "count", "2", "streams", "a", "b", "0", "0"},
			{"georadius", "g", "1", "2", "3", "km", "store", "d"}, {"set", "k", "v", "ex", "1"},
			{"set", "k", "v", "get"}, {"set", "k", "get"}, {"bitfield", "k", "get", "u8", "0"}, {"bitfield", "k", "incrby", "u8", "0", "1"},
			{"bitfield", "k", "overflow", "wrap"},
		} {
			p.Check(append([]string{"COMMAND", "GETKEYS"}, c...)...)
			p.Check(append([]string{"COMMAND", "GETKEYSANDFLAGS"}, c...)...)
		}
		p.Check("PING", "HELP")
	}
}

// changedIn72 reports whether a command's history has a Redis 7.2 entry, which Redis 7.0 cannot agree with.
func changedIn72(h []cmdspec.History) bool {
	for _, e := range h {
		if e.Version >= "7.2" {
			return true
		}
	}
	return false
}
