package node

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestDiffZSetBlockingArgs compares BZPOPMIN, BZPOPMAX and BZMPOP where they do not block: data already there,
// wrong types, bad timeouts and short timeouts, in RESP2 and RESP3.
func TestDiffZSetBlockingArgs(t *testing.T) { ioModes(t, testDiffZSetBlockingArgs) }

func testDiffZSetBlockingArgs(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	for _, proto := range []string{"2", "3"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		for _, c := range [][]string{
			{"ZADD", "z", "1", "a", "2", "b", "3", "c", "4.5", "d"}, {"SET", "s", "x"},
			{"BZPOPMIN", "noz", "z", "0"}, {"BZPOPMAX", "z", "0"}, {"BZPOPMIN", "s", "z", "0"}, {"BZPOPMIN", "noz", "s", "0"},
			{"BZPOPMIN", "z", "-1"}, {"BZPOPMIN", "z", "abc"}, {"BZPOPMIN", "z", "inf"}, {"BZPOPMIN", "z", "1e400"},
			{"BZPOPMIN", "z"}, {"BZPOPMIN", "noz", "0.02"}, {"BZPOPMAX", "noz", "noz2", "0.01"},
			{"BZMPOP", "0", "2", "noz", "z", "MAX", "COUNT", "2"}, {"BZMPOP", "0.02", "1", "noz", "MIN"},
			{"BZMPOP", "x", "1", "noz", "MIN"}, {"BZMPOP", "x", "0", "noz", "MIN"}, {"BZMPOP", "0", "1", "noz", "UP"},
			{"BZMPOP", "0", "1", "s", "MIN"}, {"BZMPOP", "0", "1", "noz", "MIN", "COUNT", "0"}, {"BZMPOP", "-1", "1", "z", "MIN"},
			{"ZADD", "z", "1", "a", "2", "b"}, {"BZMPOP", "0", "1", "z", "MIN", "COUNT", "10"}, {"EXISTS", "z"},
		} {
			p.Check(c...)
		}
	}
}

// TestDiffZSetBlocking runs scenarios with several connections on both servers and compares what each
// connection received: waiters served first come first served, a ZADD of several members feeding several
// waiters, a store command waking a waiter, fractional timeouts and a waiter that disconnects.
func TestDiffZSetBlocking(t *testing.T) { ioModes(t, testDiffZSetBlocking) }

func testDiffZSetBlocking(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	scenario := func(a string) string {
		var log difftest.Transcript
		note, do := log.Note, log.Do
		writer := difftest.Dial(t, a)
		w1, w2, w3 := difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a)
		settle := func(n int) { waitBlocked(t, writer, n) } // until n clients wait

		// Three waiters on one key, served in the order they blocked by one ZADD of several members.
		w1.Send("BZPOPMIN", "q", "0")
		settle(1)
		w2.Send("BZPOPMAX", "other", "q", "0")
		settle(2)
		w3.Send("BZMPOP", "0", "1", "q", "MIN", "COUNT", "2")
		settle(3)
		do(writer, "ZADD", "q", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
		note("w1", w1)
		note("w2", w2)
		note("w3", w3)
		do(writer, "ZRANGE", "q", "0", "-1", "WITHSCORES")

		// One member for two waiters: the first takes it, the second waits on.
		w1.Send("BZPOPMIN", "r", "0")
		settle(1)
		w2.Send("BZPOPMIN", "r", "0")
		settle(2)
		do(writer, "ZADD", "r", "7", "x")
		note("w1", w1)
		do(writer, "ZINCRBY", "r", "2.5", "y")
		note("w2", w2)
		do(writer, "EXISTS", "r")

		// A store command creating the key wakes its waiter; an empty result does not.
		do(writer, "ZADD", "src", "1", "m", "2", "n")
		w1.Send("BZPOPMAX", "dst", "0")
		settle(1)
		do(writer, "ZINTERSTORE", "dst", "2", "src", "nokey")
		do(writer, "ZUNIONSTORE", "dst", "1", "src")
		note("w1", w1)
		w1.Send("BZPOPMIN", "dst2", "0")
		settle(1)
		do(writer, "ZRANGESTORE", "dst2", "src", "0", "0")
		note("w1", w1)

		// Commands pipelined behind a blocked one wait for it.
		w3.SendRaw([]byte("BZPOPMIN p 0\r\nPING\r\nZCARD p\r\n"))
		settle(1)
		do(writer, "ZADD", "p", "1", "v1", "2", "v2")
		note("w3", w3)
		note("w3", w3)
		note("w3", w3)

		// Fractional timeouts reply null, in RESP2 and RESP3.
		w2.Send("BZPOPMIN", "none", "0.1")
		note("w2", w2)
		w2.Send("BZMPOP", "0.05", "2", "none", "none2", "MAX")
		note("w2", w2)
		w2.Do("HELLO", "3")
		w2.Send("BZPOPMAX", "none", "0.05")
		note("w2", w2)
		w2.Send("BZPOPMAX", "q3", "0")
		settle(1)
		do(writer, "ZADD", "q3", "1.5", "m")
		note("w2", w2)

		// A waiter that goes away takes nothing.
		gone := difftest.Dial(t, a)
		gone.Send("BZPOPMIN", "g", "0")
		settle(1)
		gone.Close()
		settle(0)
		do(writer, "ZADD", "g", "1", "kept")
		do(writer, "ZRANGE", "g", "0", "-1")
		return log.String()
	}
	want := scenario(redis.Addr)
	require.Equal(t, want, scenario(addr))
}
