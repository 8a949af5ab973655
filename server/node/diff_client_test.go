package node

import (
	"bytes"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// clientListVolatile are the CLIENT LIST fields whose values legitimately differ between two servers: ids,
// addresses, times and buffer sizes. lib-name and lib-ver are Redis 7.2's, absent from the 7.0 reference.
var clientListVolatile = map[string]bool{
	"id": true, "addr": true, "laddr": true, "fd": true, "age": true, "idle": true, "qbuf": true,
	"qbuf-free": true, "argv-mem": true, "multi-mem": true, "rbs": true, "rbp": true, "obl": true, "oll": true,
	"omem": true, "tot-mem": true,
}

// clientListNorm rewrites a CLIENT LIST or CLIENT INFO reply so that only the comparable fields remain.
func clientListNorm(v resp.Value) resp.Value {
	if v.Type != resp.TypeBulk && v.Type != resp.TypeVerbatim || v.Null {
		return v
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(string(v.Str), "\n"), "\n") {
		var fields []string
		for _, f := range strings.Fields(line) {
			k, _, _ := strings.Cut(f, "=")
			switch {
			case k == "lib-name" || k == "lib-ver":
			case clientListVolatile[k]:
				fields = append(fields, k+"=*")
			default:
				fields = append(fields, f)
			}
		}
		out = append(out, strings.Join(fields, " "))
	}
	v.Str = []byte(strings.Join(out, "\n") + "\n")
	return v
}

// help72Only are the lines of CLIENT HELP that Redis 7.2 added to 7.0's text.
var help72Only = regexp.MustCompile(`^(SETINFO <option> <value>|    Set client meta attr\. Options are:|    \* LIB-(NAME|VER): .*|NO-TOUCH \(ON\|OFF\)|    Will not touch LRU/LFU stats when this mode is on\.)$`)

func dropHelp72(v resp.Value) resp.Value {
	var elems []resp.Value
	for _, e := range v.Elems {
		if !help72Only.MatchString(string(e.Str)) {
			elems = append(elems, e)
		}
	}
	v.Elems = elems
	return v
}

// TestDiffClient compares the CLIENT subcommands on one connection, valid and invalid, with real Redis.
func TestDiffClient(t *testing.T) { ioModes(t, testDiffClient) }

func testDiffClient(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	for _, c := range [][]string{
		{"CLIENT", "LIST"}, {"CLIENT", "INFO"}, {"client", "list", "type", "normal"}, {"CLIENT", "LIST", "TYPE", "replica"},
		{"CLIENT", "LIST", "TYPE", "slave"}, {"CLIENT", "LIST", "TYPE", "master"}, {"CLIENT", "LIST", "TYPE", "pubsub"},
		{"CLIENT", "LIST", "TYPE", "foo"}, {"CLIENT", "LIST", "TYPE"}, {"CLIENT", "LIST", "ID"}, {"CLIENT", "LIST", "ID", "abc"},
		{"CLIENT", "LIST", "ID", "0"}, {"CLIENT", "LIST", "ID", "-1"}, {"CLIENT", "LIST", "ID", "999999"},
		{"CLIENT", "LIST", "foo"}, {"CLIENT", "LIST", "TYPE", "normal", "x"}, {"CLIENT", "INFO", "x"},
		{"SELECT", "3"}, {"CLIENT", "SETNAME", "me"}, {"CLIENT", "INFO"}, {"CLIENT", "LIST"},
		{"CLIENT", "NO-EVICT", "on"}, {"CLIENT", "INFO"}, {"CLIENT", "NO-EVICT", "OFF"}, {"CLIENT", "NO-EVICT", "maybe"},
		{"CLIENT", "NO-EVICT"}, {"CLIENT", "INFO"},
		{"CLIENT", "KILL"}, {"CLIENT", "KILL", "1.2.3.4:5"}, {"CLIENT", "KILL", "id"}, {"CLIENT", "KILL", "id", "abc"},
		{"CLIENT", "KILL", "id", "0"}, {"CLIENT", "KILL", "ID", "999999"}, {"CLIENT", "KILL", "foo", "bar"},
		{"CLIENT", "KILL", "addr", "1.2.3.4:5", "skipme", "no"}, {"CLIENT", "KILL", "type", "foo"},
		{"CLIENT", "KILL", "type", "normal", "skipme", "yes"}, {"CLIENT", "KILL", "user", "nobody"},
		{"CLIENT", "KILL", "laddr", "x"}, {"CLIENT", "KILL", "skipme", "maybe"}, {"CLIENT", "KILL", "id", "5", "type"},
		{"CLIENT", "KILL", "USER", "default"}, {"CLIENT", "KILL", "type", "master"},
		{"CLIENT", "PAUSE"}, {"CLIENT", "PAUSE", "abc"}, {"CLIENT", "PAUSE", "-1"}, {"CLIENT", "PAUSE", "10", "foo"},
		{"CLIENT", "PAUSE", "10", "write", "x"}, {"CLIENT", "PAUSE", "1.5"}, {"CLIENT", "PAUSE", "99999999999999999999"},
		{"CLIENT", "UNPAUSE", "x"}, {"CLIENT", "UNPAUSE"}, {"CLIENT", "PAUSE", "0"}, {"CLIENT", "PAUSE", "0", "WRITE"},
		{"CLIENT", "UNPAUSE"}, {"PING"},
		{"CLIENT", "REPLY"}, {"CLIENT", "REPLY", "foo"}, {"CLIENT", "REPLY", "on", "x"}, {"CLIENT", "REPLY", "ON"},
		{"MONITOR", "x"},
	} {
		p.CheckWith(clientListNorm, c...)
	}
	p.CheckWith(dropHelp72, "CLIENT", "HELP")
	p.CheckWith(helloNorm, "HELLO", "3")
	p.CheckWith(clientListNorm, "CLIENT", "INFO")
	p.CheckWith(clientListNorm, "CLIENT", "LIST")
}

// TestDiffClientReply compares CLIENT REPLY OFF, SKIP and ON: which replies of a pipeline each server sends.
func TestDiffClientReply(t *testing.T) { ioModes(t, testDiffClientReply) }

func testDiffClientReply(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	p.CheckRaw([]byte("CLIENT REPLY OFF\r\nPING\r\nGET\r\nCLIENT REPLY SKIP\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n"+
		"CLIENT REPLY SKIP\r\nPING\r\nPING\r\nCLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nECHO a\r\nCLIENT REPLY SKIP\r\n"+
		"CLIENT REPLY SKIP\r\nECHO b\r\nECHO c\r\nCLIENT REPLY OFF\r\nHELLO 3\r\nCLIENT REPLY ON\r\nCLIENT REPLY\r\n"+
		"NOSUCH\r\nCLIENT REPLY SKIP\r\nNOSUCH\r\nPING\r\n"), 200*time.Millisecond)
}

// TestDiffClientKill compares CLIENT KILL and CLIENT LIST across several connections: filters, the old form,
// SKIPME, and that a killed connection is closed and gone from the list.
func TestDiffClientKill(t *testing.T) { ioModes(t, testDiffClientKill) }

func testDiffClientKill(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	type server struct {
		name  string
		admin *difftest.Conn
		peers []*difftest.Conn
	}
	open := func(name, a string) *server {
		s := &server{name: name, admin: difftest.Dial(t, a)}
		for i := 0; i < 3; i++ {
			c := difftest.Dial(t, a)
			c.Do("CLIENT", "SETNAME", fmt.Sprintf("peer%d", i))
			s.peers = append(s.peers, c)
		}
		return s
	}
	servers := []*server{open("redis", redis.Addr), open("carmine", addr)}
	// Each step runs on both servers; %ID<n> and %ADDR<n> stand for peer n's id and address on that server.
	steps := [][]string{
		{"CLIENT", "LIST", "ID", "%ID0", "%ID2"},
		{"CLIENT", "KILL", "ID", "%ID0"},
		{"CLIENT", "KILL", "ID", "%ID0"},
		{"CLIENT", "LIST", "ID", "%ID0", "%ID1"},
		{"CLIENT", "KILL", "%ADDR1"},
		{"CLIENT", "KILL", "%ADDR1"},
		{"CLIENT", "KILL", "ADDR", "%ADDR2", "TYPE", "pubsub"},
		{"CLIENT", "KILL", "ADDR", "%ADDR2", "TYPE", "normal", "USER", "default"},
		{"CLIENT", "LIST", "TYPE", "normal"},
		{"CLIENT", "KILL", "TYPE", "normal"},
		{"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"},
	}
	ids := make([][]string, len(servers))
	addrs := make([][]string, len(servers))
	for i, s := range servers {
		for _, c := range s.peers {
			info := string(c.Do("CLIENT", "INFO").Str)
			ids[i] = append(ids[i], field(info, "id"))
			addrs[i] = append(addrs[i], field(info, "addr"))
		}
	}
	for _, step := range steps {
		var replies []string
		for i, s := range servers {
			args := make([]string, len(step))
			for j, a := range step {
				args[j] = a
				if strings.HasPrefix(a, "%ID") {
					args[j] = ids[i][a[3]-'0']
				} else if strings.HasPrefix(a, "%ADDR") {
					args[j] = addrs[i][a[5]-'0']
				}
			}
			replies = append(replies, difftest.Format(clientListNorm(s.admin.Do(args...))))
		}
		require.Equal(t, replies[0], replies[1], "%v", step)
	}
	// Every peer was killed: reading from it ends in an error on both servers; the admin connection, killed
	// by its own SKIPME no, is closed after its reply.
	for _, s := range servers {
		for i, c := range append(s.peers, s.admin) {
			_, err := c.ReceiveErr(2 * time.Second)
			require.Error(t, err, "%s connection %d still open", s.name, i)
		}
	}
}

// field returns the value of k in a CLIENT INFO line.
func field(info, k string) string {
	for _, f := range strings.Fields(info) {
		if v, ok := strings.CutPrefix(f, k+"="); ok {
			return v
		}
	}
	return ""
}

// TestClientPause checks CLIENT PAUSE on both servers: in WRITE mode reads go on and writes wait for the end
// of the pause (showing as blocked in CLIENT LIST), ALL holds every command, UNPAUSE releases them at once.
// Its checks follow from the order of events, not from how fast the machine is: each start time is taken
// before the pause begins, and the test polls CLIENT LIST for a held command instead of sleeping.
func TestClientPause(t *testing.T) { ioModes(t, testClientPause) }

func testClientPause(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	for _, a := range []string{redis.Addr, addr} {
		admin, reader, writer := difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a)
		start := time.Now()
		require.Equal(t, "OK", string(admin.Do("CLIENT", "PAUSE", "400", "WRITE").Str))
		writer.Send("SET", "k", "v")
		require.Equal(t, "(nil bulk)", difftest.Format(reader.Do("GET", "k")), a)
		// The SET is still held after the GET was answered: the GET did not wait for the pause.
		waitListed(t, admin, `flags=b .* cmd=set `, a+": SET held by the pause")
		require.Equal(t, "OK", string(writer.Receive().Str))
		require.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "%s: SET ran during the pause", a)

		// ALL holds every command, CLIENT UNPAUSE included, and those of new connections.
		start = time.Now()
		require.Equal(t, "OK", string(admin.Do("CLIENT", "PAUSE", "400", "ALL").Str))
		reader.Send("GET", "k")
		other := difftest.Dial(t, a)
		other.Send("CLIENT", "UNPAUSE")
		require.Equal(t, `"v"`, difftest.Format(reader.Receive()), a)
		require.Equal(t, "OK", string(other.Receive().Str))
		require.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "%s: a command ran during the pause", a)

		// UNPAUSE ends a WRITE pause at once, and a later, shorter pause does not shorten it: the DEL is still
		// held well after the shorter pause's end.
		start = time.Now()
		require.Equal(t, "OK", string(admin.Do("CLIENT", "PAUSE", "5000", "WRITE").Str))
		require.Equal(t, "OK", string(admin.Do("CLIENT", "PAUSE", "10", "WRITE").Str))
		writer.Send("DEL", "k")
		waitListed(t, admin, `flags=b .* cmd=del `, a+": DEL held by the pause")
		time.Sleep(time.Until(start.Add(100 * time.Millisecond)))
		waitListed(t, admin, `flags=b .* cmd=del `, a+": the shorter pause ended the longer")
		require.Equal(t, "OK", string(admin.Do("CLIENT", "UNPAUSE").Str))
		require.Equal(t, int64(1), writer.Receive().Int)
		require.Less(t, time.Since(start), 4*time.Second, "%s: UNPAUSE did not end the pause", a)
	}
}

// waitListed polls CLIENT LIST on admin until it matches re, failing after 5 seconds.
func waitListed(t *testing.T, admin *difftest.Conn, re, what string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		list := string(admin.Do("CLIENT", "LIST").Str)
		if rx.MatchString(list) {
			return
		}
		if time.Now().After(deadline) {
			require.Regexp(t, rx, list, what)
		}
	}
}

// TestDiffMonitor compares what MONITOR shows of other clients' commands, with times and addresses masked.
func TestDiffMonitor(t *testing.T) { ioModes(t, testDiffMonitor) }

var monitorMask = regexp.MustCompile(`^\+\d+\.\d{6} \[(\d+) [^\]]+\]`)

func testDiffMonitor(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	var logs []string
	for _, a := range []string{redis.Addr, addr} {
		mon, cli := difftest.Dial(t, a), difftest.Dial(t, a)
		require.Equal(t, "OK", string(mon.Do("MONITOR").Str))
		mon.Send("MONITOR")                                  // ignored: no reply
		require.Equal(t, "PONG", string(mon.Do("PING").Str)) // then the monitor's own PING is shown
		for _, c := range [][]string{
			{"SET", "a b", "x\"y\\z"}, {"get", "a b"}, {"SET", "bin", "\x01\xff\n\r\t\a\b"}, {"AUTH", "pw"},
			{"AUTH", "user", "pw"}, {"HELLO", "3", "AUTH", "default", "pw"}, {"HELLO", "2", "SETNAME", "x"},
			{"NOSUCH"}, {"GET"}, {"CLIENT", "LIST"}, {"CLIENT", "SETNAME", "y"}, {"SELECT", "4"}, {"ECHO", ""},
			{"CLIENT", "REPLY", "SKIP"}, {"PING"},
		} {
			cli.Send(c...)
		}
		cli.Do("ECHO", "done")
		var lines bytes.Buffer
		for {
			v := mon.Receive()
			line := monitorMask.ReplaceAllString("+"+string(v.Str), "+T [$1 ADDR]")
			lines.WriteString(line + "\n")
			if strings.Contains(line, `"done"`) {
				break
			}
		}
		// A monitor may run commands that do not touch keys; those that do are refused as for a replica.
		lines.WriteString(difftest.Format(mon.Do("GET", "k")) + "\n")
		logs = append(logs, lines.String())
	}
	require.Equal(t, logs[0], logs[1])
}

// TestDiffMaxClients compares maxclients with real Redis: CONFIG SET lowers it at run time, a connection
// beyond it gets Redis's error and is closed, INFO counts it, and raising it lets connections in again.
func TestDiffMaxClients(t *testing.T) { ioModes(t, testDiffMaxClients) }

func testDiffMaxClients(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	p := difftest.NewPair(t, redis.Addr, addr)
	p.Check("CONFIG", "GET", "maxclients")
	p.Check("CONFIG", "SET", "maxclients", "0")
	p.Check("CONFIG", "SET", "maxclients", "3")
	p.Check("CONFIG", "GET", "maxclients")
	scenario := func(a string) string {
		var log strings.Builder
		var conns []net.Conn
		for i := 0; i < 3; i++ {
			conn, err := net.Dial("tcp", a)
			require.NoError(t, err)
			conns = append(conns, conn)
			conn.SetDeadline(time.Now().Add(2 * time.Second))
			conn.Write([]byte("PING\r\n"))
			buf := make([]byte, 64)
			n, err := conn.Read(buf)
			fmt.Fprintf(&log, "connection %d: %q %v\n", i, buf[:n], err != nil)
		}
		for _, c := range conns {
			c.Close()
		}
		return log.String()
	}
	require.Equal(t, scenario(redis.Addr), scenario(addr))
	norm := func(v resp.Value) resp.Value {
		for _, l := range strings.Split(string(v.Str), "\r\n") {
			if strings.HasPrefix(l, "rejected_connections:") {
				return resp.Value{Type: resp.TypeSimple, Str: []byte(l)}
			}
		}
		return v
	}
	p.CheckWith(norm, "INFO", "stats")
	p.Check("CONFIG", "SET", "maxclients", "10000")
}

// TestDiffClientFlags compares the CLIENT LIST flags kept outside a client's own state with real Redis: d (a
// watched key changed), B (tracking in BCAST mode) and R (the tracking redirect client is gone).
func TestDiffClientFlags(t *testing.T) {
	redis := difftest.StartRedis(t)
	_, carmine := startServer(t)
	flags := func(c *difftest.Conn) string {
		m := regexp.MustCompile(` flags=(\S+) `).FindSubmatch(c.Do("CLIENT", "INFO").Str)
		require.NotNil(t, m)
		return string(m[1])
	}
	for srv, addr := range map[string]string{"redis": redis.Addr, "carmine": carmine} {
		w, other := difftest.Dial(t, addr), difftest.Dial(t, addr)
		w.Do("WATCH", "fk")
		other.Do("SET", "fk", "1")
		require.Equal(t, "d", flags(w), srv)
		w.Do("UNWATCH")
		require.Equal(t, "N", flags(w), srv)

		w.Do("CLIENT", "TRACKING", "on", "BCAST")
		require.Equal(t, "tB", flags(w), srv)
		w.Do("CLIENT", "TRACKING", "off")

		target := difftest.Dial(t, addr)
		id := fmt.Sprint(target.Do("CLIENT", "ID").Int)
		w.Do("CLIENT", "TRACKING", "on", "REDIRECT", id)
		w.Do("GET", "fk")
		target.Close()
		require.Eventually(t, func() bool { return len(other.Do("CLIENT", "LIST", "ID", id).Str) == 0 }, 5*time.Second, 10*time.Millisecond, srv)
		other.Do("SET", "fk", "2")
		require.Equal(t, "tR", flags(w), srv)
	}
}

// TestClientListOutputSent checks that once a client has read its reply, CLIENT LIST from another connection
// shows no output pending for it (obl=0, events=r), as Redis does: the reply is written before the client can
// read it, so the server must not still report it as pending. 2000 tries: the window is small.
func TestClientListOutputSent(t *testing.T) {
	for _, loops := range []int{0, 2} {
		t.Run(fmt.Sprintf("loops%d", loops), func(t *testing.T) {
			_, addr := startServer(t, func(c *Config) { c.EventLoops = loops })
			admin, peer := difftest.Dial(t, addr), difftest.Dial(t, addr)
			id := field(string(peer.Do("CLIENT", "INFO").Str), "id")
			for i := 0; i < 2000; i++ {
				require.Equal(t, "PONG", string(peer.Do("PING").Str))
				line := string(admin.Do("CLIENT", "LIST", "ID", id).Str)
				require.Equal(t, "0", field(line, "obl"), "try %d: %s", i, line)
				require.Equal(t, "r", field(line, "events"), "try %d: %s", i, line)
			}
		})
	}
}

// TestDiffKillFreesAtOnce checks that clients killed by CLIENT KILL are gone from pub/sub and from the
// waiters on keys as soon as the kill replies, as in Redis, which frees them at once: a PUBLISH right after
// counts neither the channel nor the pattern subscriber, PUBSUB NUMSUB and NUMPAT count them no more, and a
// push stays in the list instead of going to the killed BLPOP. 100 tries, as the connections themselves close
// a moment later.
func TestDiffKillFreesAtOnce(t *testing.T) { ioModes(t, testDiffKillFreesAtOnce) }

func testDiffKillFreesAtOnce(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	for _, a := range []string{redis.Addr, addr} {
		admin := difftest.Dial(t, a)
		for i := 0; i < 100; i++ {
			sub, psub, w := difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a)
			sub.Do("SUBSCRIBE", "ch")
			psub.Do("PSUBSCRIBE", "c*")
			id := strconv.FormatInt(w.Do("CLIENT", "ID").Int, 10)
			w.Send("BLPOP", "q", "0")
			waitBlocked(t, admin, 1)
			require.Equal(t, int64(2), admin.Do("CLIENT", "KILL", "TYPE", "pubsub").Int, a)
			require.Equal(t, int64(1), admin.Do("CLIENT", "KILL", "ID", id).Int, a)
			what := fmt.Sprintf("%s try %d", a, i)
			require.Equal(t, "(integer) 0", difftest.Format(admin.Do("PUBLISH", "ch", "m")), what)
			require.Equal(t, `["ch", (integer) 0]`, difftest.Format(admin.Do("PUBSUB", "NUMSUB", "ch")), what)
			require.Equal(t, "(integer) 0", difftest.Format(admin.Do("PUBSUB", "NUMPAT")), what)
			admin.Do("RPUSH", "q", "v")
			require.Equal(t, int64(1), admin.Do("LLEN", "q").Int, "%s: the killed client took the element", what)
			admin.Do("DEL", "q")
		}
	}
}
