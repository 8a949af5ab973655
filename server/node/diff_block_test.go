package node

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestDiffBlockingArgs compares the blocking list commands where they do not block: data already there,
// wrong types, bad timeouts and short timeouts.
func TestDiffBlockingArgs(t *testing.T) { ioModes(t, testDiffBlockingArgs) }

func testDiffBlockingArgs(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	for _, c := range [][]string{
		{"RPUSH", "l", "a", "b", "c"}, {"SET", "s", "x"},
		{"BLPOP", "nol", "l", "0"}, {"BRPOP", "l", "0"}, {"BLPOP", "s", "l", "0"}, {"BLPOP", "nol", "s", "0"},
		{"BLPOP", "l", "-1"}, {"BLPOP", "l", "abc"}, {"BLPOP", "l", ""}, {"BLPOP", "l", "1e400"}, {"BLPOP", "l", "inf"},
		{"BLPOP", "l", "-inf"}, {"BLPOP", "l", "0x1p-3"}, {"BLPOP", "l", " 1"}, {"BLPOP", "l"}, {"BLPOP", "nol", "0.05"},
		{"BRPOP", "nol", "nol2", "0.01"}, {"BLPOP", "nol", "1e-9"},
		{"RPUSH", "m", "1", "2"}, {"BLMOVE", "m", "m2", "LEFT", "RIGHT", "0"}, {"BLMOVE", "m", "m2", "up", "RIGHT", "0"},
		{"BLMOVE", "m", "m2", "LEFT", "RIGHT", "x"}, {"BLMOVE", "m", "s", "LEFT", "RIGHT", "0"},
		{"BLMOVE", "s", "m", "LEFT", "RIGHT", "0"}, {"BLMOVE", "nol", "m", "LEFT", "RIGHT", "0.02"},
		{"BRPOPLPUSH", "m", "m2", "0"}, {"BRPOPLPUSH", "nol", "m2", "0.02"}, {"BRPOPLPUSH", "m", "m2", "-1"},
		{"LRANGE", "m2", "0", "-1"}, {"EXISTS", "m"},
		{"BLMPOP", "0", "2", "nol", "m2", "LEFT", "COUNT", "5"}, {"BLMPOP", "0.02", "1", "nol", "RIGHT"},
		{"BLMPOP", "x", "1", "nol", "RIGHT"}, {"BLMPOP", "0", "0", "nol", "RIGHT"}, {"BLMPOP", "0", "1", "nol", "UP"},
		{"BLMPOP", "0", "1", "s", "LEFT"}, {"BLMPOP", "0", "1", "nol", "LEFT", "COUNT", "0"},
	} {
		p.Check(c...)
	}
	p.CheckWith(helloNorm, "HELLO", "3")
	p.Check("BLPOP", "nol", "0.01")
	p.Check("BLMOVE", "nol", "x", "LEFT", "LEFT", "0.01")
	p.Check("BLMPOP", "0.01", "1", "nol", "LEFT")
}

// TestDiffBlocking runs scenarios with several connections on both servers and compares what each connection
// received: wake-ups by pushes, first come first served, BLMOVE feeding another waiter, timeouts, commands
// pipelined behind a blocked one, and a waiter that disconnects.
func TestDiffBlocking(t *testing.T) { ioModes(t, testDiffBlocking) }

func testDiffBlocking(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	scenario := func(a string) string {
		var log difftest.Transcript
		note := log.Note
		pusher := difftest.Dial(t, a)
		w1, w2, w3 := difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a)
		settle := func(n int) { waitBlocked(t, pusher, n) } // until n clients wait

		// Two waiters on one key: the first to block gets the first element.
		w1.Send("BLPOP", "q", "0")
		settle(1)
		w2.Send("BRPOP", "q", "other", "0")
		settle(2)
		log.WriteString("push: " + difftest.Format(pusher.Do("RPUSH", "q", "a")) + "\n")
		note("w1", w1)
		log.WriteString("llen: " + difftest.Format(pusher.Do("LLEN", "q")) + "\n")
		log.WriteString("push: " + difftest.Format(pusher.Do("LPUSH", "other", "x", "y")) + "\n")
		note("w2", w2)

		// A push of several elements serves several waiters, and what is left stays.
		w1.Send("BLPOP", "r", "0")
		settle(1)
		w2.Send("BLPOP", "r", "0")
		settle(2)
		log.WriteString("push: " + difftest.Format(pusher.Do("RPUSH", "r", "1", "2", "3")) + "\n")
		note("w1", w1)
		note("w2", w2)
		log.WriteString("lrange: " + difftest.Format(pusher.Do("LRANGE", "r", "0", "-1")) + "\n")

		// BLMOVE into a key another client waits on passes the element along.
		w1.Send("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
		settle(1)
		w2.Send("BLPOP", "dst", "0")
		settle(2)
		log.WriteString("push: " + difftest.Format(pusher.Do("RPUSH", "src", "m")) + "\n")
		note("w1", w1)
		note("w2", w2)
		log.WriteString("exists: " + difftest.Format(pusher.Do("EXISTS", "src", "dst")) + "\n")

		// Commands pipelined behind a blocked one wait for it.
		w3.SendRaw([]byte("BLPOP p 0\r\nPING\r\nLLEN p\r\n"))
		settle(1)
		log.WriteString("push: " + difftest.Format(pusher.Do("RPUSH", "p", "v1", "v2")) + "\n")
		note("w3", w3)
		note("w3", w3)
		note("w3", w3)

		// BLMPOP takes up to COUNT; a timeout replies null.
		w1.Send("BLMPOP", "0", "2", "none", "mp", "RIGHT", "COUNT", "2")
		settle(1)
		log.WriteString("push: " + difftest.Format(pusher.Do("RPUSH", "mp", "1", "2", "3")) + "\n")
		note("w1", w1)
		w2.Send("BLPOP", "none", "0.1")
		note("w2", w2)

		// A waiter that goes away takes nothing.
		gone := difftest.Dial(t, a)
		gone.Send("BLPOP", "g", "0")
		settle(1)
		gone.Close()
		settle(0)
		log.WriteString("push: " + difftest.Format(pusher.Do("RPUSH", "g", "kept")) + "\n")
		log.WriteString("lrange: " + difftest.Format(pusher.Do("LRANGE", "g", "0", "-1")) + "\n")
		return log.String()
	}
	want := scenario(redis.Addr)
	require.Equal(t, want, scenario(addr))
}

// TestDiffBlockingKeyCreation compares how waiters are woken by commands that create the key they wait on
// rather than push to it (RENAME, MOVE, COPY, SWAPDB), how a key of another kind leaves them waiting, and
// CLIENT UNBLOCK.
func TestDiffBlockingKeyCreation(t *testing.T) { ioModes(t, testDiffBlockingKeyCreation) }

func testDiffBlockingKeyCreation(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	scenario := func(a string) string {
		var log strings.Builder
		admin := difftest.Dial(t, a)
		w1, w2 := difftest.Dial(t, a), difftest.Dial(t, a)
		id := func(c *difftest.Conn) string { return strconv.FormatInt(c.Do("CLIENT", "ID").Int, 10) }
		id1, id2 := id(w1), id(w2)
		do := func(args ...string) {
			log.WriteString(strings.Join(args, " ") + ": " + difftest.Format(admin.Do(args...)) + "\n")
		}
		// unblock runs CLIENT UNBLOCK on the client with id, logged as who: ids differ between the servers.
		unblock := func(who, id string, rest ...string) {
			reply := difftest.Format(admin.Do(append([]string{"CLIENT", "UNBLOCK", id}, rest...)...))
			log.WriteString(strings.Join(append([]string{"CLIENT UNBLOCK", who}, rest...), " ") + ": " + reply + "\n")
		}
		note := func(who string, c *difftest.Conn) {
			v, err := c.ReceiveErr(2 * time.Second)
			require.NoError(t, err, "%s after:\n%s", who, log.String())
			log.WriteString(who + ": " + difftest.Format(v) + "\n")
		}
		settle := func(n int) { waitBlocked(t, admin, n) } // until n clients wait

		// RENAME of a list onto the waited key serves the waiter; a string there leaves it waiting.
		w1.Send("BLPOP", "k", "0")
		settle(1)
		do("SET", "k", "str")
		do("RPUSH", "src", "a", "b")
		do("DEL", "k")
		do("RENAME", "src", "k")
		note("w1", w1)
		do("LRANGE", "k", "0", "-1")

		// RENAMENX, and a string renamed onto the key first.
		w1.Send("BRPOP", "n", "0")
		settle(1)
		do("SET", "s", "x")
		do("RENAME", "s", "n")
		do("DEL", "n")
		do("RPUSH", "src", "c")
		do("RENAMENX", "src", "n")
		note("w1", w1)

		// MOVE into the waited database, and COPY ... DB.
		w2.Send("SELECT", "1")
		note("w2", w2)
		w2.Send("BLPOP", "m", "0")
		settle(1)
		do("RPUSH", "m", "x", "y")
		do("MOVE", "m", "1")
		note("w2", w2)
		w2.Send("BLMOVE", "cp", "dst", "RIGHT", "LEFT", "0")
		settle(1)
		do("RPUSH", "cp", "1", "2")
		do("COPY", "cp", "cp", "DB", "1")
		note("w2", w2)
		do("LRANGE", "cp", "0", "-1")

		// SWAPDB brings a list into the waited database.
		w2.Send("BLPOP", "sw", "0")
		settle(1)
		do("RPUSH", "sw", "from0")
		do("SWAPDB", "0", "1")
		note("w2", w2)
		do("SWAPDB", "0", "1")

		// CLIENT UNBLOCK: TIMEOUT, ERROR, a client that is not blocked, and errors.
		w1.Send("BLPOP", "u", "0")
		settle(1)
		unblock("w1", id1)
		note("w1", w1)
		w1.Send("BLMOVE", "u", "v", "LEFT", "LEFT", "0")
		w2.Send("BRPOPLPUSH", "never", "x", "0")
		settle(2)
		unblock("w1", id1, "ERROR")
		note("w1", w1)
		unblock("w2", id2, "TIMEOUT")
		note("w2", w2)
		unblock("w1", id1)
		do("CLIENT", "UNBLOCK", "999999")
		do("CLIENT", "UNBLOCK", "x")
		do("CLIENT", "UNBLOCK", "x", "foo")
		unblock("w1", id1, "later")
		unblock("w1", id1, "error", "x")
		do("PING")
		return log.String()
	}
	want := scenario(redis.Addr)
	require.Equal(t, want, scenario(addr))
}
