package node

import (
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
		var log strings.Builder
		note := func(who string, c *difftest.Conn) {
			log.WriteString(who + ": " + difftest.Format(c.Receive()) + "\n")
		}
		pusher := difftest.Dial(t, a)
		w1, w2, w3 := difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a)
		settle := func() { time.Sleep(50 * time.Millisecond) }

		// Two waiters on one key: the first to block gets the first element.
		w1.Send("BLPOP", "q", "0")
		settle()
		w2.Send("BRPOP", "q", "other", "0")
		settle()
		log.WriteString("push: " + difftest.Format(pusher.Do("RPUSH", "q", "a")) + "\n")
		note("w1", w1)
		log.WriteString("llen: " + difftest.Format(pusher.Do("LLEN", "q")) + "\n")
		log.WriteString("push: " + difftest.Format(pusher.Do("LPUSH", "other", "x", "y")) + "\n")
		note("w2", w2)

		// A push of several elements serves several waiters, and what is left stays.
		w1.Send("BLPOP", "r", "0")
		settle()
		w2.Send("BLPOP", "r", "0")
		settle()
		log.WriteString("push: " + difftest.Format(pusher.Do("RPUSH", "r", "1", "2", "3")) + "\n")
		note("w1", w1)
		note("w2", w2)
		log.WriteString("lrange: " + difftest.Format(pusher.Do("LRANGE", "r", "0", "-1")) + "\n")

		// BLMOVE into a key another client waits on passes the element along.
		w1.Send("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
		settle()
		w2.Send("BLPOP", "dst", "0")
		settle()
		log.WriteString("push: " + difftest.Format(pusher.Do("RPUSH", "src", "m")) + "\n")
		note("w1", w1)
		note("w2", w2)
		log.WriteString("exists: " + difftest.Format(pusher.Do("EXISTS", "src", "dst")) + "\n")

		// Commands pipelined behind a blocked one wait for it.
		w3.SendRaw([]byte("BLPOP p 0\r\nPING\r\nLLEN p\r\n"))
		settle()
		log.WriteString("push: " + difftest.Format(pusher.Do("RPUSH", "p", "v1", "v2")) + "\n")
		note("w3", w3)
		note("w3", w3)
		note("w3", w3)

		// BLMPOP takes up to COUNT; a timeout replies null.
		w1.Send("BLMPOP", "0", "2", "none", "mp", "RIGHT", "COUNT", "2")
		settle()
		log.WriteString("push: " + difftest.Format(pusher.Do("RPUSH", "mp", "1", "2", "3")) + "\n")
		note("w1", w1)
		w2.Send("BLPOP", "none", "0.1")
		note("w2", w2)

		// A waiter that goes away takes nothing.
		gone := difftest.Dial(t, a)
		gone.Send("BLPOP", "g", "0")
		settle()
		gone.Close()
		settle()
		log.WriteString("push: " + difftest.Format(pusher.Do("RPUSH", "g", "kept")) + "\n")
		log.WriteString("lrange: " + difftest.Format(pusher.Do("LRANGE", "g", "0", "-1")) + "\n")
		return log.String()
	}
	want := scenario(redis.Addr)
	require.Equal(t, want, scenario(addr))
}
