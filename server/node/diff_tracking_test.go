package node

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// TestDiffTracking compares client-side caching with real Redis: what each tracking connection receives
// (RESP3 pushes, RESP2 messages through a redirect) for reads then writes by others and by itself, NOLOOP,
// BCAST with prefixes, OPTIN, expiry, FLUSHALL and a broken redirect, and the tracking commands' replies.
func TestDiffTracking(t *testing.T) { ioModes(t, testDiffTracking) }

func testDiffTracking(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	p := difftest.NewPair(t, redis.Addr, addr)
	for _, c := range [][]string{
		{"CLIENT", "TRACKING"}, {"CLIENT", "TRACKING", "maybe"}, {"CLIENT", "TRACKING", "on", "foo"},
		{"CLIENT", "TRACKING", "on", "redirect", "999999"}, {"CLIENT", "TRACKING", "on", "redirect", "x"},
		{"CLIENT", "TRACKING", "on", "prefix", "a"}, {"CLIENT", "TRACKING", "on", "bcast", "optin"},
		{"CLIENT", "TRACKING", "on", "optin", "optout"}, {"CLIENT", "TRACKING", "on", "bcast", "prefix", "a", "prefix", "ab"},
		{"CLIENT", "CACHING", "yes"}, {"CLIENT", "GETREDIR"}, {"CLIENT", "TRACKINGINFO"},
		{"CLIENT", "TRACKING", "on", "optin"}, {"CLIENT", "CACHING", "no"}, {"CLIENT", "CACHING", "maybe"},
		{"CLIENT", "CACHING", "yes"}, {"CLIENT", "TRACKINGINFO"}, {"CLIENT", "GETREDIR"},
		{"CLIENT", "TRACKING", "on", "bcast"}, {"CLIENT", "TRACKING", "off"}, {"CLIENT", "TRACKINGINFO"},
		{"CLIENT", "TRACKING", "on", "bcast", "prefix", "x", "noloop"}, {"CLIENT", "TRACKINGINFO"},
		{"CLIENT", "TRACKING", "off"},
	} {
		p.Check(c...)
	}
	scenario := func(a string) string {
		var log strings.Builder
		note := func(who string, c *difftest.Conn, n int) {
			for i := 0; i < n; i++ {
				v, err := c.ReceiveErr(2 * time.Second)
				require.NoError(t, err, "%s after:\n%s", who, log.String())
				log.WriteString(who + ": " + difftest.Format(v) + "\n")
			}
		}
		w := difftest.Dial(t, a)
		do := func(args ...string) {
			log.WriteString(strings.Join(args, " ") + ": " + difftest.Format(w.Do(args...)) + "\n")
		}
		t1, t2, r, t3, t4 := difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a), difftest.Dial(t, a)
		for _, c := range []*difftest.Conn{t1, t2, t4} {
			c.Do("HELLO", "3")
		}
		rid := strconv.FormatInt(r.Do("CLIENT", "ID").Int, 10)
		note("r", r, 0)

		// Default mode: one invalidation per read key, then forgotten until read again.
		t1.Do("CLIENT", "TRACKING", "on")
		t1.Do("GET", "a")
		t1.Do("MGET", "b", "c")
		do("SET", "a", "1")
		note("t1", t1, 1)
		do("SET", "a", "2")
		do("MSET", "b", "1", "c", "2")
		note("t1", t1, 2)
		t1.Do("GET", "a")
		t1.Send("SET", "a", "mine") // its own write: the reply, then the invalidation
		note("t1", t1, 2)

		// BCAST with prefixes, and NOLOOP.
		t2.Do("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "item:", "NOLOOP")
		do("MSET", "user:1", "a", "user:2", "b", "other", "c")
		note("t2", t2, 1)
		do("DEL", "item:9", "user:1")
		note("t2", t2, 1)
		t2.Do("SET", "user:3", "own")
		do("SET", "item:1", "x")
		note("t2", t2, 1)

		// RESP2 redirected to a subscribed connection.
		r.Do("SUBSCRIBE", "__redis__:invalidate")
		t3.Do("CLIENT", "TRACKING", "on", "REDIRECT", rid)
		log.WriteString("t3 getredir matches: " + strconv.FormatBool(strconv.FormatInt(t3.Do("CLIENT", "GETREDIR").Int, 10) == rid) + "\n")
		t3.Do("GET", "k")
		do("SET", "k", "v")
		note("r", r, 1)

		// OPTIN: only the command after CLIENT CACHING YES is tracked.
		t4.Do("CLIENT", "TRACKING", "on", "OPTIN")
		t4.Do("GET", "x")
		t4.Do("CLIENT", "CACHING", "yes")
		t4.Do("GET", "y")
		t4.Do("GET", "z")
		do("MSET", "x", "1", "y", "2", "z", "3")
		note("t4", t4, 1)

		// Expiry invalidates too.
		do("SET", "e", "v", "PX", "150")
		t1.Do("GET", "e")
		time.Sleep(400 * time.Millisecond)
		note("t1", t1, 1)

		// FLUSHALL invalidates everything, with a null.
		t1.Do("GET", "f")
		do("FLUSHALL")
		note("t1", t1, 1)
		note("t2", t2, 1)
		note("r", r, 1)
		note("t4", t4, 1)

		// The redirect target goes away: a RESP3 tracker is told.
		t4.Do("CLIENT", "TRACKING", "off")
		gone := difftest.Dial(t, a)
		gid := strconv.FormatInt(gone.Do("CLIENT", "ID").Int, 10)
		t4.Do("CLIENT", "TRACKING", "on", "REDIRECT", gid)
		t4.Do("GET", "g")
		gone.Close()
		waitGone(t, w, "CLIENT", "LIST", "ID", gid)
		do("SET", "g", "1")
		v, err := t4.ReceiveErr(2 * time.Second)
		require.NoError(t, err, log.String())
		log.WriteString("t4 redirect broken: " + strconv.FormatBool(len(v.Elems) == 2 && string(v.Elems[0].Str) == "tracking-redir-broken") + "\n")
		info := t4.Do("CLIENT", "TRACKINGINFO")
		log.WriteString("t4 info: " + difftest.Format(info.Elems[1]) + "\n")
		return log.String()
	}
	want := scenario(redis.Addr)
	require.Equal(t, want, scenario(addr))
}
