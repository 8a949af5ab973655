package node

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestDiffMulti compares MULTI, EXEC and DISCARD with real Redis: queueing, errors that abort the
// transaction and errors that do not, nesting, commands of every family inside, and blocking commands, which
// do not block inside a transaction.
func TestDiffMulti(t *testing.T) { ioModes(t, testDiffMulti) }

func testDiffMulti(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	for _, proto := range []string{"2", "3"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		for _, c := range [][]string{
			{"EXEC"}, {"DISCARD"}, {"MULTI", "x"}, {"EXEC", "x"},
			{"MULTI"}, {"SET", "a", "1"}, {"INCR", "a"}, {"LPUSH", "a", "x"}, {"GET", "a"}, {"EXEC"}, {"GET", "a"},
			{"MULTI"}, {"MULTI"}, {"SET", "b", "1"}, {"EXEC"}, {"GET", "b"},
			{"MULTI"}, {"SET", "c", "1"}, {"NOSUCH", "x"}, {"EXEC"}, {"EXISTS", "c"},
			{"MULTI"}, {"SET", "c", "1"}, {"GET"}, {"EXEC"}, {"EXISTS", "c"},
			{"MULTI"}, {"SET", "c", "1"}, {"DISCARD"}, {"EXEC"}, {"EXISTS", "c"},
			{"MULTI"}, {"EXEC"},
			{"MULTI"}, {"SELECT", "1"}, {"SET", "d", "in1"}, {"SELECT", "0"}, {"SET", "d", "in0"}, {"EXEC"},
			{"GET", "d"}, {"SELECT", "1"}, {"GET", "d"}, {"SELECT", "0"},
			{"MULTI"}, {"SELECT", "1"}, {"EXEC"}, {"GET", "d"}, {"SELECT", "0"},
			{"MULTI"}, {"BLPOP", "nol", "0"}, {"BRPOP", "nol", "nol2", "1"}, {"BLMOVE", "nol", "x", "LEFT", "LEFT", "0"},
			{"BRPOPLPUSH", "nol", "x", "0"}, {"BLMPOP", "0", "1", "nol", "LEFT"}, {"EXEC"},
			{"RPUSH", "l", "1", "2"},
			{"MULTI"}, {"BLPOP", "l", "0"}, {"BLMOVE", "l", "l2", "LEFT", "RIGHT", "0"}, {"BLPOP", "l", "0"}, {"EXEC"},
			{"MULTI"}, {"SET", "k", "v"}, {"EXPIRE", "k", "100"}, {"TTL", "k"}, {"RENAME", "k", "k2"}, {"TYPE", "k2"},
			{"DBSIZE"}, {"KEYS", "k*"}, {"FLUSHDB"}, {"DBSIZE"}, {"EXEC"},
			{"MULTI"}, {"SET", "x", "1"}, {"PING"}, {"ECHO", "hi"}, {"EXEC"},
			{"MULTI"}, {"CLIENT", "NOSUCH"}, {"EXEC"},
			{"MULTI"}, {"SET", "x"}, {"DISCARD"},
			{"MULTI"}, {"LPOP", "x"}, {"INCRBY", "x", "notanint"}, {"INCR", "x"}, {"EXEC"},
			{"MULTI"}, {"DBSIZE"}, {"SWAPDB", "0", "1"}, {"DBSIZE"}, {"SWAPDB", "0", "1"}, {"EXEC"},
		} {
			p.Check(c...)
		}
	}
	// A transaction with no commands on the wire between MULTI and EXEC, pipelined.
	p.CheckRaw([]byte("MULTI\r\nSET p 1\r\nINCR p\r\nEXEC\r\nGET p\r\n"), 100*time.Millisecond)
}

// TestDiffMultiBlocking compares how a transaction's pushes wake blocked clients: only after EXEC, and in the
// order the waiters blocked, with the transaction's later commands seeing what it left.
func TestDiffMultiBlocking(t *testing.T) { ioModes(t, testDiffMultiBlocking) }

func testDiffMultiBlocking(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	scenario := func(a string) string {
		var log strings.Builder
		tx := difftest.Dial(t, a)
		do := func(args ...string) {
			log.WriteString(strings.Join(args, " ") + ": " + difftest.Format(tx.Do(args...)) + "\n")
		}
		var ws []*difftest.Conn
		for i := 0; i < 4; i++ {
			w := difftest.Dial(t, a)
			w.Send("BLPOP", "q", "0")
			waitBlocked(t, tx, i+1) // the waiters block in order
			ws = append(ws, w)
		}
		do("MULTI")
		do("RPUSH", "q", "a", "b", "c")
		do("LPOP", "q")
		do("RPUSH", "q", "d")
		do("LRANGE", "q", "0", "-1")
		do("EXEC")
		for i, w := range ws[:3] {
			v, err := w.ReceiveErr(2 * time.Second)
			require.NoError(t, err, "waiter %d after:\n%s", i, log.String())
			log.WriteString("waiter: " + difftest.Format(v) + "\n")
		}
		do("LLEN", "q")
		do("RPUSH", "q", "e")
		v, err := ws[3].ReceiveErr(2 * time.Second)
		require.NoError(t, err)
		log.WriteString("last waiter: " + difftest.Format(v) + "\n")
		return log.String()
	}
	want := scenario(redis.Addr)
	require.Equal(t, want, scenario(addr))
}

// TestDiffMultiPause compares how CLIENT PAUSE WRITE treats a transaction: reads queue and run, an EXEC whose
// queue writes waits for the pause to end.
func TestDiffMultiPause(t *testing.T) { ioModes(t, testDiffMultiPause) }

func testDiffMultiPause(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	scenario := func(a string) string {
		var log strings.Builder
		admin, b := difftest.Dial(t, a), difftest.Dial(t, a)
		do := func(who string, c *difftest.Conn, args ...string) {
			log.WriteString(who + " " + strings.Join(args, " ") + ": " + difftest.Format(c.Do(args...)) + "\n")
		}
		do("b", b, "MULTI")
		do("b", b, "SET", "a", "1")
		do("b", b, "GET", "a")
		do("admin", admin, "CLIENT", "PAUSE", "10000", "WRITE")
		b.Send("EXEC")
		_, err := b.ReceiveErr(150 * time.Millisecond)
		log.WriteString("exec held: " + map[bool]string{true: "yes", false: "no"}[err != nil] + "\n")
		do("admin", admin, "GET", "a")
		do("admin", admin, "CLIENT", "UNPAUSE")
		v, err := b.ReceiveErr(2 * time.Second)
		require.NoError(t, err, log.String())
		log.WriteString("b EXEC: " + difftest.Format(v) + "\n")
		do("admin", admin, "CLIENT", "PAUSE", "10000", "WRITE")
		do("b", b, "MULTI")
		do("b", b, "GET", "a")
		do("b", b, "EXEC")
		do("admin", admin, "CLIENT", "UNPAUSE")
		return log.String()
	}
	want := scenario(redis.Addr)
	require.Equal(t, want, scenario(addr))
}

// TestDiffWatch compares WATCH and UNWATCH with real Redis: changes by another client or the watcher itself,
// changes that are not changes (deleting a missing key), FLUSHDB, FLUSHALL and SWAPDB, expiry while watched,
// and the errors.
func TestDiffWatch(t *testing.T) { ioModes(t, testDiffWatch) }

func testDiffWatch(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	scenario := func(a string) string {
		var log strings.Builder
		c1, c2 := difftest.Dial(t, a), difftest.Dial(t, a)
		do := func(who string, c *difftest.Conn, args ...string) {
			log.WriteString(who + " " + strings.Join(args, " ") + ": " + difftest.Format(c.Do(args...)) + "\n")
		}
		// attempt runs a transaction on c1 after WATCH of keys and change, which c2 (or c1) makes.
		attempt := func(keys []string, change func()) {
			do("c1", c1, append([]string{"WATCH"}, keys...)...)
			change()
			do("c1", c1, "MULTI")
			do("c1", c1, "INCR", "counter")
			do("c1", c1, "EXEC")
		}
		do("c2", c2, "RPUSH", "l", "a", "b")
		attempt([]string{"l"}, func() {})
		attempt([]string{"l"}, func() { do("c2", c2, "LPUSH", "l", "x") })
		attempt([]string{"l"}, func() { do("c1", c1, "RPOP", "l") })
		attempt([]string{"l"}, func() { do("c2", c2, "LRANGE", "l", "0", "-1") })
		attempt([]string{"nokey"}, func() { do("c2", c2, "DEL", "nokey") })
		attempt([]string{"nokey", "l"}, func() { do("c2", c2, "LSET", "l", "0", "y") })
		attempt([]string{"l"}, func() { do("c2", c2, "EXPIRE", "l", "100") })
		attempt([]string{"l"}, func() { do("c2", c2, "PERSIST", "l") })
		attempt([]string{"l"}, func() { do("c2", c2, "PERSIST", "l") })
		attempt([]string{"m"}, func() { do("c2", c2, "RENAME", "l", "m") })
		attempt([]string{"m"}, func() { do("c2", c2, "MOVE", "m", "1") })
		attempt([]string{"nokey"}, func() { do("c2", c2, "FLUSHDB") })
		do("c2", c2, "RPUSH", "f", "1")
		attempt([]string{"f"}, func() { do("c2", c2, "FLUSHDB") })
		do("c2", c2, "RPUSH", "f", "1")
		attempt([]string{"f"}, func() { do("c2", c2, "FLUSHALL") })
		do("c2", c2, "RPUSH", "f", "1")
		attempt([]string{"nokey"}, func() { do("c2", c2, "SWAPDB", "0", "1") })
		attempt([]string{"f"}, func() { do("c2", c2, "SWAPDB", "0", "1") })
		do("c2", c2, "SET", "s", "1")
		attempt([]string{"s"}, func() { do("c2", c2, "SET", "s", "2") })
		attempt([]string{"s"}, func() { do("c2", c2, "SETNX", "s", "3") })
		attempt([]string{"s"}, func() { do("c2", c2, "INCR", "s") })
		attempt([]string{"s"}, func() { do("c2", c2, "INCRBYFLOAT", "s", "1.5") })
		attempt([]string{"s"}, func() { do("c2", c2, "MSET", "x", "1", "s", "9") })
		attempt([]string{"s"}, func() { do("c2", c2, "GETSET", "s", "8") })
		attempt([]string{"s"}, func() { do("c2", c2, "GETEX", "s", "PERSIST") })
		attempt([]string{"s"}, func() { do("c2", c2, "GETEX", "s", "EX", "100") })
		attempt([]string{"s"}, func() { do("c2", c2, "GET", "s") })
		attempt([]string{"s"}, func() { do("c2", c2, "GETDEL", "s") })
		do("c2", c2, "RPUSH", "e", "1")
		do("c2", c2, "PEXPIRE", "e", "50")
		attempt([]string{"e"}, func() { time.Sleep(120 * time.Millisecond) })
		do("c2", c2, "RPUSH", "w", "1")
		do("c1", c1, "WATCH", "w")
		do("c1", c1, "UNWATCH")
		do("c2", c2, "RPUSH", "w", "2")
		do("c1", c1, "MULTI")
		do("c1", c1, "EXEC")
		do("c1", c1, "WATCH", "w")
		do("c1", c1, "MULTI")
		do("c1", c1, "WATCH", "w")
		do("c1", c1, "DISCARD")
		do("c2", c2, "RPUSH", "w", "3")
		do("c1", c1, "MULTI")
		do("c1", c1, "EXEC")
		do("c1", c1, "WATCH")
		do("c1", c1, "UNWATCH", "x")
		do("c1", c1, "GET", "counter")
		return log.String()
	}
	want := scenario(redis.Addr)
	require.Equal(t, want, scenario(addr))
}
