package node

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// streamNorm normalizes what legitimately differs in stream replies: clock-derived times (delivery and seen
// times, any integer that reads as Unix milliseconds), idle times, radix-tree-nodes (Redis's radix tree
// internals), and Redis 7.2's inactive and active-time fields, which the 7.0 reference lacks.
func streamNorm(v resp.Value) resp.Value {
	switch v.Type {
	case resp.TypeInt:
		if v.Int > 1_000_000_000_000 {
			v.Int = 0
		}
		return v
	case resp.TypeArray, resp.TypeMap:
	default:
		return v
	}
	elems := make([]resp.Value, 0, len(v.Elems))
	named := len(v.Elems)%2 == 0
	for i := 0; named && i < len(v.Elems); i += 2 {
		k := v.Elems[i]
		named = k.Type == resp.TypeBulk && !k.Null && strings.Trim(string(k.Str), "abcdefghijklmnopqrstuvwxyz-") == ""
	}
	for i := 0; i < len(v.Elems); i++ {
		e := v.Elems[i]
		if named && i%2 == 0 {
			switch string(e.Str) {
			case "inactive", "active-time":
				i++
				continue
			case "radix-tree-nodes", "idle", "seen-time":
				elems = append(elems, e, resp.Value{Type: resp.TypeInt})
				i++
				continue
			}
		}
		elems = append(elems, streamNorm(e))
	}
	v.Elems = elems
	return v
}

// pendingNorm zeroes the idle times of an extended XPENDING reply.
func pendingNorm(v resp.Value) resp.Value {
	if v.Type != resp.TypeArray {
		return v
	}
	elems := append([]resp.Value(nil), v.Elems...)
	for i, e := range elems {
		if e.Type == resp.TypeArray && len(e.Elems) == 4 {
			row := append([]resp.Value(nil), e.Elems...)
			row[2] = resp.Value{Type: resp.TypeInt}
			elems[i].Elems = row
		}
	}
	v.Elems = elems
	return v
}

// checkStream runs one command on both servers, normalizing as the command needs.
func checkStream(p *difftest.Pair, c ...string) bool {
	if strings.EqualFold(c[0], "XPENDING") {
		return p.CheckWith(pendingNorm, c...)
	}
	return p.CheckWith(streamNorm, c...)
}

// TestDiffStreamCommands compares every stream command with valid and invalid arguments, in RESP2 and RESP3.
func TestDiffStreamCommands(t *testing.T) {
	p := startPair(t, "")
	for _, proto := range []string{"2", "3"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		p.Check("FLUSHALL")
		for _, c := range [][]string{
			// XADD ids and options.
			{"XADD", "s", "0-0", "a", "b"}, {"XADD", "s", "0", "a", "b"}, {"XADD", "s", "0-1", "a", "b"},
			{"XADD", "s", "0-1", "a", "b"}, {"XADD", "s", "0-*", "a", "b"}, {"XADD", "s", "5-*", "a", "b"},
			{"XADD", "s", "5-18446744073709551615", "a", "b"}, {"XADD", "s", "5-*", "a", "b"},
			{"XADD", "s", "abc", "a", "b"}, {"XADD", "s", "1-2-3", "a", "b"}, {"XADD", "s", "1-", "a", "b"},
			{"XADD", "s", "-1", "a", "b"}, {"XADD", "s", "18446744073709551616", "a", "b"},
			{"XADD", "s", "+7", "a", "b"}, {"XADD", "s", " 8", "a", "b"}, {"XADD", "s", "009-1", "a", "b"},
			{"XADD", "s", "*", "a"}, {"XADD", "s", "MAXLEN", "-1", "*", "a", "b"}, {"XADD", "s", "MAXLEN", "abc", "*", "a", "b"},
			{"XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "a", "b"}, {"XADD", "s", "LIMIT", "10", "*", "a", "b"},
			{"XADD", "s", "MAXLEN", "1", "LIMIT", "10", "*", "a", "b"}, {"XADD", "s", "MAXLEN", "~", "1", "LIMIT", "-1", "*", "a", "b"},
			{"XADD", "s", "MINID", "abc", "*", "a", "b"}, {"XADD", "s", "NOMKSTREAM"}, {"XADD", "nokey", "NOMKSTREAM", "*", "a", "b"},
			{"XADD", "s", "MAXLEN", "=", "3", "20-0", "a", "b", "c", "d"}, {"XADD", "s", "nomkstream", "maxlen", "~", "2", "21-0", "f", "v"},
			{"XADD", "s", "MINID", "=", "21", "22-0", "x", "y"}, {"XLEN", "s"}, {"XLEN", "nokey"},
			{"XADD", "big", "18446744073709551615-18446744073709551615", "a", "b"}, {"XADD", "big", "*", "a", "b"},
			{"XADD", "big", "5-1", "a", "b"}, {"XADD", "big3", "18446744073709551615-*", "a", "b"},
			{"XADD", "big3", "18446744073709551615-*", "a", "b"}, {"SET", "str", "x"}, {"XADD", "str", "*", "a", "b"},
			// Ranges.
			{"DEL", "r"},
			{"XADD", "r", "1-1", "a", "1"}, {"XADD", "r", "1-2", "b", "2"}, {"XADD", "r", "2-0", "c", "3", "d", "4"},
			{"XADD", "r", "3-5", "a", "1"}, {"XRANGE", "r", "-", "+"}, {"XRANGE", "r", "(1-1", "+"},
			{"XRANGE", "r", "(18446744073709551615-18446744073709551615", "+"}, {"XRANGE", "r", "-", "(0-0"},
			{"XRANGE", "r", "-", "(2"}, {"XRANGE", "r", "(-", "+"}, {"XRANGE", "r", "1", "2"}, {"XRANGE", "r", "2", "1"},
			{"XRANGE", "r", "-", "+", "COUNT", "2"}, {"XRANGE", "r", "-", "+", "COUNT", "0"}, {"XRANGE", "r", "-", "+", "COUNT", "-1"},
			{"XRANGE", "r", "-", "+", "COUNT", "abc"}, {"XRANGE", "r", "-", "+", "foo"}, {"XRANGE", "r", "-", "+", "COUNT"},
			{"XRANGE", "r", "x", "+"}, {"XRANGE", "nokey", "-", "+"}, {"XRANGE", "str", "-", "+"},
			{"XREVRANGE", "r", "+", "-"}, {"XREVRANGE", "r", "+", "-", "COUNT", "1"}, {"XREVRANGE", "r", "(3-5", "(1-1"},
			{"XREVRANGE", "r", "(+", "-"}, {"XREVRANGE", "r", "2", "2"},
			// XDEL, XTRIM, XSETID.
			{"XDEL", "r", "1-2", "9-9"}, {"XDEL", "r", "bad"}, {"XDEL", "nokey", "1-1"}, {"XDEL", "str", "1"},
			{"XINFO", "STREAM", "r"}, {"XTRIM", "r"}, {"XTRIM", "r", "MAXLEN"}, {"XTRIM", "r", "foo", "1"},
			{"XTRIM", "nokey", "MAXLEN", "0"}, {"XTRIM", "r", "MAXLEN", "0", "LIMIT", "5"}, {"XTRIM", "r", "MINID", "~", "0", "LIMIT", "5"},
			{"XTRIM", "r", "MAXLEN", "~", "0", "foo"}, {"XTRIM", "r", "MAXLEN", "~", "1"}, {"XTRIM", "r", "MINID", "3"},
			{"XTRIM", "r", "MAXLEN", "=", "0"}, {"XLEN", "r"}, {"EXISTS", "r"}, {"XINFO", "STREAM", "r"},
			{"XSETID", "r", "1-0"}, {"XSETID", "r", "100-0", "ENTRIESADDED", "0"},
			{"XSETID", "r", "100-0", "ENTRIESADDED", "5", "MAXDELETEDID", "200-0"},
			{"XSETID", "r", "100-0", "ENTRIESADDED", "5", "MAXDELETEDID", "2-0"}, {"XSETID", "nokey", "1-1"},
			{"XSETID", "r", "+"}, {"XSETID", "r", "100", "ENTRIESADDED", "-1"}, {"XSETID", "r", "100", "FOO", "1"},
			{"XSETID", "r", "100", "ENTRIESADDED"}, {"XSETID", "r", "1"}, {"XSETID", "str", "1"}, {"XINFO", "STREAM", "r"},
			{"XADD", "r", "99-0", "a", "b"}, {"XADD", "r", "100-*", "a", "b"},
			// XREAD without blocking.
			{"XREAD", "STREAMS", "r", "0"}, {"XREAD", "COUNT", "1", "STREAMS", "r", "s", "0", "0"},
			{"XREAD", "STREAMS", "r", "$"}, {"XREAD", "STREAMS", "r"}, {"XREAD", "STREAMS", "r", "nokey", "0"},
			{"XREAD", "STREAMS", "nokey", "r", "0", "0"}, {"XREAD", "GROUP", "g", "c", "STREAMS", "r", "0"},
			{"XREAD", "NOACK", "STREAMS", "r", "0"}, {"XREAD", "STREAMS", "r", ">"}, {"XREAD", "STREAMS", "r", "bad"},
			{"XREAD", "COUNT", "x", "STREAMS", "r", "0"}, {"XREAD", "BLOCK", "x", "STREAMS", "r", "0"},
			{"XREAD", "BLOCK", "-1", "STREAMS", "r", "0"}, {"XREAD", "FOO", "STREAMS", "r", "0"}, {"XREAD", "COUNT", "1"},
			{"XREAD", "STREAMS", "str", "0"}, {"XREAD", "BLOCK", "10", "STREAMS", "r", "$"}, {"XREAD", "STREAMS", "r", "100-1"},
			// Groups.
			{"XGROUP", "HELP"}, {"XINFO", "HELP"}, {"XGROUP", "CREATE", "nokey", "g", "$"}, {"XGROUP", "CREATE", "r", "g", "0"},
			{"XGROUP", "CREATE", "r", "g", "0"}, {"XGROUP", "CREATE", "r", "g2", "$", "ENTRIESREAD", "-3"},
			{"XGROUP", "CREATE", "r", "g2", "$", "ENTRIESREAD", "2"}, {"XGROUP", "CREATE", "r", "g3", "bad"},
			{"XGROUP", "CREATE", "r", "g3", "0", "FOO"}, {"XGROUP", "CREATE", "new", "g", "$", "MKSTREAM"},
			{"XGROUP", "CREATE", "str", "g", "$"}, {"XGROUP", "CREATE", "r", "g4", "$"},
			{"XGROUP", "CREATECONSUMER", "r", "g", "alice"}, {"XGROUP", "CREATECONSUMER", "r", "g", "alice"},
			{"XGROUP", "CREATECONSUMER", "r", "nog", "alice"}, {"XGROUP", "DELCONSUMER", "r", "g", "nobody"},
			{"XGROUP", "SETID", "r", "nog", "0"}, {"XGROUP", "SETID", "r", "g4", "0", "ENTRIESREAD", "1"},
			{"XGROUP", "SETID", "r", "g4", "0", "FOO", "1"}, {"XGROUP", "SETID", "r", "g4", "$"}, {"XGROUP", "FOO", "r", "g"},
			{"XGROUP", "DESTROY", "r", "g4"}, {"XGROUP", "DESTROY", "r", "g4"}, {"XGROUP", "DESTROY", "nokey", "g4"},
			{"XINFO", "GROUPS", "r"}, {"XINFO", "GROUPS", "nokey"}, {"XINFO", "GROUPS", "str"},
			{"XINFO", "CONSUMERS", "r", "g"}, {"XINFO", "CONSUMERS", "r", "nog"}, {"XINFO", "STREAM", "r", "FULL"},
			{"XINFO", "STREAM", "r", "FOO"}, {"XINFO", "STREAM", "r", "FULL", "COUNT", "1"}, {"XINFO", "STREAM", "r", "FULL", "COUNT"},
			{"XINFO", "STREAM", "nokey"}, {"XINFO", "FOO"},
			// XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM.
			{"XREADGROUP", "STREAMS", "r", ">"}, {"XREADGROUP", "GROUP", "nog", "c", "STREAMS", "r", ">"},
			{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "r", "$"}, {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "r"},
			{"XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "r", ">"},
			{"XREADGROUP", "GROUP", "g", "bob", "STREAMS", "r", ">"}, {"XREADGROUP", "GROUP", "g", "bob", "STREAMS", "r", ">"},
			{"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "r", "0"}, {"XREADGROUP", "GROUP", "g", "carol", "STREAMS", "r", "0"},
			{"XINFO", "GROUPS", "r"}, {"XPENDING", "r", "g"}, {"XPENDING", "r", "g", "-", "+", "10"},
			{"XPENDING", "r", "g", "-", "+", "10", "bob"}, {"XPENDING", "r", "g", "-", "+", "10", "nobody"},
			{"XPENDING", "r", "g", "IDLE", "0", "-", "+", "10"}, {"XPENDING", "r", "g", "IDLE", "100000", "-", "+", "10"},
			{"XPENDING", "r", "g", "IDLE", "x", "-", "+", "10"}, {"XPENDING", "r", "g", "IDLE", "1", "-", "+"},
			{"XPENDING", "r", "g", "-", "+"}, {"XPENDING", "r", "g", "-", "+", "x"}, {"XPENDING", "r", "g", "(1", "+", "1"},
			{"XPENDING", "r", "nog"}, {"XPENDING", "nokey", "g"}, {"XPENDING", "str", "g"},
			{"XCLAIM", "r", "g", "carol", "0", "1-1", "2-0"}, {"XCLAIM", "r", "g", "carol", "0", "1-1", "JUSTID"},
			{"XCLAIM", "r", "g", "carol", "0", "3-5", "FORCE", "RETRYCOUNT", "7", "JUSTID"},
			{"XCLAIM", "r", "g", "dave", "x", "1-1"}, {"XCLAIM", "r", "g", "dave", "0", "1-1", "IDLE", "x"},
			{"XCLAIM", "r", "g", "dave", "0", "1-1", "TIME", "x"}, {"XCLAIM", "r", "g", "dave", "0", "1-1", "RETRYCOUNT", "x"},
			{"XCLAIM", "r", "g", "dave", "0", "1-1", "BOGUS"}, {"XCLAIM", "r", "g", "dave", "0", "1-1", "LASTID", "bad"},
			{"XCLAIM", "r", "nog", "dave", "0", "1-1"}, {"XCLAIM", "r", "g", "dave", "100000", "1-1"},
			{"XCLAIM", "r", "g", "dave", "0", "1-1", "IDLE", "5000", "LASTID", "200-0"}, {"XINFO", "GROUPS", "r"},
			{"XPENDING", "r", "g", "-", "+", "10"}, {"XDEL", "r", "2-0"},
			{"XAUTOCLAIM", "r", "g", "erin", "0", "0"}, {"XAUTOCLAIM", "r", "g", "erin", "0", "0", "COUNT", "1"},
			{"XAUTOCLAIM", "r", "g", "erin", "0", "0", "COUNT", "0"}, {"XAUTOCLAIM", "r", "g", "erin", "0", "0", "JUSTID"},
			{"XAUTOCLAIM", "r", "g", "erin", "x", "0"}, {"XAUTOCLAIM", "r", "g", "erin", "0", "bad"},
			{"XAUTOCLAIM", "r", "g", "erin", "0", "0", "FOO"}, {"XAUTOCLAIM", "r", "nog", "erin", "0", "0"},
			{"XAUTOCLAIM", "r", "g", "erin", "100000", "0"}, {"XPENDING", "r", "g"},
			{"XACK", "r", "g", "1-1", "3-5", "9-9"}, {"XACK", "r", "g", "bad"}, {"XACK", "r", "nog", "1-1"},
			{"XACK", "nokey", "g", "1-1"}, {"XACK", "str", "g", "1-1"}, {"XPENDING", "r", "g"},
			{"XGROUP", "DELCONSUMER", "r", "g", "alice"}, {"XINFO", "CONSUMERS", "r", "g"}, {"XINFO", "STREAM", "r", "FULL"},
			{"XREADGROUP", "GROUP", "g", "z", "NOACK", "STREAMS", "r", ">"}, {"XGROUP", "SETID", "r", "g", "0"},
			{"XREADGROUP", "GROUP", "g", "z", "NOACK", "COUNT", "1", "STREAMS", "r", ">"}, {"XINFO", "GROUPS", "r"},
			{"XREADGROUP", "GROUP", "g", "z", "BLOCK", "10", "STREAMS", "r", ">"}, {"XINFO", "STREAM", "r"},
			{"TYPE", "r"}, {"OBJECT", "ENCODING", "r"},
		} {
			checkStream(p, c...)
		}
	}
}

// TestDiffStreamLag compares entries-read and lag through deletions, trims and SETID, Redis 7's counters.
func TestDiffStreamLag(t *testing.T) {
	p := startPair(t, "")
	for _, c := range [][]string{
		{"XGROUP", "CREATE", "e", "g", "$", "MKSTREAM"}, {"XINFO", "GROUPS", "e"},
		{"XADD", "e", "1-0", "a", "1"}, {"XADD", "e", "2-0", "a", "1"}, {"XADD", "e", "3-0", "a", "1"},
		{"XADD", "e", "4-0", "a", "1"}, {"XADD", "e", "5-0", "a", "1"}, {"XINFO", "GROUPS", "e"},
		{"XGROUP", "CREATE", "e", "a", "0"}, {"XGROUP", "CREATE", "e", "b", "3-0"}, {"XGROUP", "CREATE", "e", "c", "$"},
		{"XINFO", "GROUPS", "e"}, {"XREADGROUP", "GROUP", "a", "x", "COUNT", "2", "STREAMS", "e", ">"},
		{"XINFO", "GROUPS", "e"}, {"XDEL", "e", "4-0"}, {"XINFO", "GROUPS", "e"},
		{"XREADGROUP", "GROUP", "a", "x", "COUNT", "1", "STREAMS", "e", ">"}, {"XINFO", "GROUPS", "e"},
		{"XREADGROUP", "GROUP", "a", "x", "STREAMS", "e", ">"}, {"XINFO", "GROUPS", "e"},
		{"XTRIM", "e", "MAXLEN", "1"}, {"XINFO", "GROUPS", "e"}, {"XDEL", "e", "1-0"}, {"XINFO", "STREAM", "e"},
		{"XGROUP", "SETID", "e", "b", "0", "ENTRIESREAD", "0"}, {"XINFO", "GROUPS", "e"},
		{"XADD", "e", "6-0", "a", "1"}, {"XINFO", "GROUPS", "e"}, {"XINFO", "STREAM", "e", "FULL"},
		{"XDEL", "e", "5-0", "6-0"}, {"XINFO", "GROUPS", "e"}, {"XINFO", "STREAM", "e"},
	} {
		checkStream(p, c...)
	}
}

// TestDiffStreamTrimNodes compares approximate trimming, which depends on Redis's node boundaries, with small
// and large entries.
func TestDiffStreamTrimNodes(t *testing.T) {
	p := startPair(t, "")
	big := strings.Repeat("x", 700)
	for i := 1; i <= 260; i++ {
		p.Redis.Do("XADD", "t", fmt.Sprintf("%d-1", i), "f", "v")
		p.Carmine.Do("XADD", "t", fmt.Sprintf("%d-1", i), "f", "v")
		v := big
		if i%3 == 0 {
			v = "12345"
		}
		p.Redis.Do("XADD", "u", fmt.Sprintf("%d-1", i), "field", v, "n", fmt.Sprint(i))
		p.Carmine.Do("XADD", "u", fmt.Sprintf("%d-1", i), "field", v, "n", fmt.Sprint(i))
	}
	for _, c := range [][]string{
		{"XINFO", "STREAM", "t"}, {"XINFO", "STREAM", "u"}, {"XDEL", "t", "5-1", "150-1"},
		{"XTRIM", "t", "MAXLEN", "~", "0", "LIMIT", "150"}, {"XTRIM", "t", "MAXLEN", "~", "10"}, {"XINFO", "STREAM", "t"},
		{"XTRIM", "u", "MINID", "~", "100"}, {"XTRIM", "u", "MAXLEN", "~", "50"}, {"XINFO", "STREAM", "u"},
		{"XADD", "t", "MAXLEN", "~", "5", "300-0", "a", "b"}, {"XINFO", "STREAM", "t"},
		{"XTRIM", "t", "MAXLEN", "~", "0", "LIMIT", "0"}, {"XLEN", "t"},
	} {
		checkStream(p, c...)
	}
}

// TestDiffStreamNodeConfig compares stream-node-max-entries and stream-node-max-bytes: CONFIG GET/SET, the
// nodes new entries make (XINFO's radix-tree-keys) and the default LIMIT of approximate trims, 100 nodes.
func TestDiffStreamNodeConfig(t *testing.T) {
	p := startPair(t, "")
	both := func(args ...string) {
		p.Redis.Do(args...)
		p.Carmine.Do(args...)
	}
	for _, c := range [][]string{
		{"CONFIG", "GET", "stream-node-*"}, {"CONFIG", "SET", "stream-node-max-bytes", "1kb"},
		{"CONFIG", "SET", "stream-node-max-entries", "-1"}, {"CONFIG", "SET", "stream-node-max-bytes", "x"},
		{"CONFIG", "SET", "stream-node-max-entries", "200"}, {"CONFIG", "GET", "stream-node-*"},
	} {
		p.CheckWith(sortPairs, c...)
	}
	for i := 1; i <= 30000; i++ {
		both("XADD", "s", fmt.Sprintf("%d-1", i), "a", fmt.Sprint(i))
	}
	for i := 1; i <= 50; i++ {
		both("XADD", "b", fmt.Sprintf("%d-1", i), "field", strings.Repeat("v", 100))
	}
	for _, c := range [][]string{
		{"XINFO", "STREAM", "b"}, {"XTRIM", "s", "MAXLEN", "~", "0"},
		{"CONFIG", "SET", "stream-node-max-entries", "0"}, {"XTRIM", "s", "MAXLEN", "~", "0"}, {"XLEN", "s"},
		{"CONFIG", "SET", "stream-node-max-bytes", "0"}, {"XADD", "b", "60-1", "f", "v"}, {"XINFO", "STREAM", "b"},
		{"CONFIG", "SET", "stream-node-max-bytes", "4096", "stream-node-max-entries", "100"},
	} {
		checkStream(p, c...)
	}
}

// TestDiffStreamRandom runs a seeded random sequence of stream commands over a few keys and groups.
func TestDiffStreamRandom(t *testing.T) {
	p := startPair(t, "")
	rng := rand.New(rand.NewPCG(5, 7))
	keys := []string{"k1", "k2", "k3"}
	next := map[string]int{}
	id := func(k string) string {
		next[k] += 1 + rng.IntN(3)
		return fmt.Sprintf("%d-%d", next[k], rng.IntN(3))
	}
	someID := func(k string) string { return fmt.Sprintf("%d-%d", rng.IntN(next[k]+2), rng.IntN(3)) }
	for step := 0; step < 1500; step++ {
		k := keys[rng.IntN(len(keys))]
		g := []string{"g1", "g2"}[rng.IntN(2)]
		cons := []string{"c1", "c2", "c3"}[rng.IntN(3)]
		var c []string
		switch rng.IntN(16) {
		case 0, 1, 2:
			c = []string{"XADD", k, id(k), "f", fmt.Sprint(rng.IntN(100))}
			if rng.IntN(5) == 0 {
				c = []string{"XADD", k, "MAXLEN", []string{"=", "~"}[rng.IntN(2)], fmt.Sprint(rng.IntN(20)), id(k), "f", "v"}
			}
		case 3:
			c = []string{"XDEL", k, someID(k), someID(k)}
		case 4:
			c = []string{"XTRIM", k, "MINID", someID(k)}
		case 5:
			c = []string{"XRANGE", k, someID(k), "+", "COUNT", fmt.Sprint(rng.IntN(5))}
		case 6:
			c = []string{"XREVRANGE", k, "+", "(" + someID(k)}
		case 7:
			c = []string{"XGROUP", "CREATE", k, g, []string{"0", "$", someID(k)}[rng.IntN(3)], "MKSTREAM"}
		case 8, 9:
			c = []string{"XREADGROUP", "GROUP", g, cons, "COUNT", fmt.Sprint(1 + rng.IntN(3)), "STREAMS", k, ">"}
		case 10:
			c = []string{"XACK", k, g, someID(k), someID(k)}
		case 11:
			c = []string{"XCLAIM", k, g, cons, "0", someID(k), someID(k), "JUSTID"}
		case 12:
			c = []string{"XAUTOCLAIM", k, g, cons, "0", "0", "COUNT", fmt.Sprint(1 + rng.IntN(3))}
		case 13:
			c = []string{"XPENDING", k, g, "-", "+", "20"}
		case 14:
			c = []string{"XINFO", "GROUPS", k}
		default:
			c = []string{"XINFO", "STREAM", k, "FULL"}
		}
		if !checkStream(p, c...) {
			t.Fatalf("step %d diverged", step)
		}
	}
}

// TestDiffStreamBlocking runs blocking scenarios with several connections on both servers and compares what
// each received: many XREAD waiters on one stream woken by one XADD, XREADGROUP waiters sharing entries,
// timeouts, '$' resolved when blocking, a deleted key and a destroyed group, and an XADD inside MULTI.
func TestDiffStreamBlocking(t *testing.T) { ioModes(t, testDiffStreamBlocking) }

func testDiffStreamBlocking(t *testing.T, mode func(*Config)) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t, mode)
	scenario := func(a string) string {
		var log difftest.Transcript
		note, do := log.Note, log.Do
		writer := difftest.Dial(t, a)
		settle := func(n int) { waitBlocked(t, writer, n) } // until n clients wait
		do(writer, "XADD", "s", "1-0", "old", "x")

		// Ten XREAD waiters on one stream, all woken by one XADD.
		var ws []*difftest.Conn
		for i := 0; i < 10; i++ {
			w := difftest.Dial(t, a)
			if i%2 == 0 {
				w.Send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
			} else {
				w.Send("XREAD", "BLOCK", "0", "STREAMS", "other", "s", "0", "1-0")
			}
			ws = append(ws, w)
		}
		settle(10)
		do(writer, "XADD", "s", "2-0", "new", "y")
		for i, w := range ws {
			note(fmt.Sprintf("w%d", i), w)
		}

		// XREADGROUP waiters share the new entries, one each, first come first served.
		do(writer, "XGROUP", "CREATE", "s", "g", "$")
		for i, w := range ws[:3] {
			w.Send("XREADGROUP", "GROUP", "g", fmt.Sprintf("c%d", i), "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">")
			settle(i + 1)
		}
		do(writer, "XADD", "s", "3-0", "a", "1")
		note("g0", ws[0])
		do(writer, "MULTI")
		do(writer, "XADD", "s", "4-0", "a", "2")
		do(writer, "XADD", "s", "5-0", "a", "3")
		do(writer, "EXEC")
		note("g1", ws[1])
		note("g2", ws[2])
		do(writer, "XPENDING", "s", "g")

		// A timeout, in RESP3 too.
		ws[3].Do("HELLO", "3")
		start := time.Now()
		do(ws[3], "XREAD", "BLOCK", "150", "STREAMS", "s", "$")
		if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
			log.WriteString(fmt.Sprintf("timeout took %v\n", d))
		}
		do(ws[4], "XREADGROUP", "GROUP", "g", "c9", "BLOCK", "100", "STREAMS", "s", ">")

		// A deleted key and a destroyed group end XREADGROUP waits with errors.
		ws[5].Send("XREADGROUP", "GROUP", "g", "c5", "BLOCK", "0", "STREAMS", "s", ">")
		settle(1)
		do(writer, "DEL", "s")
		note("deleted", ws[5])
		do(writer, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
		ws[6].Send("XREADGROUP", "GROUP", "g", "c6", "BLOCK", "0", "STREAMS", "s", ">")
		settle(1)
		do(writer, "XGROUP", "DESTROY", "s", "g")
		do(writer, "XADD", "s", "9-0", "a", "b")
		note("destroyed", ws[6])

		// FLUSHDB, FLUSHALL and expiry (which no client does) end them too.
		for _, end := range [][]string{{"FLUSHDB"}, {"FLUSHALL"}, {"PEXPIRE", "s", "100"}} {
			do(writer, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
			ws[7].Send("XREADGROUP", "GROUP", "g", "c7", "BLOCK", "0", "STREAMS", "s", ">")
			settle(1)
			do(writer, end...)
			note(end[0], ws[7])
		}
		return log.String()
	}
	want := scenario(redis.Addr)
	got := scenario(addr)
	assert.Equal(t, want, got)
}

// TestStreamBlockingMany blocks 200 clients on one stream and wakes them all with one XADD.
func TestStreamBlockingMany(t *testing.T) {
	_, addr := startServer(t)
	const n = 200
	conns := make([]*difftest.Conn, n)
	for i := range conns {
		conns[i] = difftest.Dial(t, addr)
		conns[i].Send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	}
	w := difftest.Dial(t, addr)
	require.Eventually(t, func() bool {
		v := w.Do("INFO", "clients")
		return strings.Contains(string(v.Str), fmt.Sprintf("blocked_clients:%d", n))
	}, 5*time.Second, 10*time.Millisecond)
	w.Do("XADD", "s", "1-0", "f", "v")
	for _, c := range conns {
		assert.Equal(t, `[["s", [["1-0", ["f", "v"]]]]]`, difftest.Format(c.Receive()))
	}
}

// TestDiffStreamEvents compares the keyspace events of the stream commands (with keymiss and new) with real
// Redis.
func TestDiffStreamEvents(t *testing.T) {
	redis := difftest.StartRedis(t)
	_, addr := startServer(t)
	scenario := func(a string) string {
		ev := difftest.NewEvents(t, a, "__key*__:*")
		c := ev.C
		c.Do("CONFIG", "SET", "notify-keyspace-events", "KEAmn")
		for _, cmd := range [][]string{
			{"XADD", "s", "1-0", "a", "1"}, {"XADD", "s", "MAXLEN", "1", "2-0", "a", "2"}, {"XADD", "s", "MAXLEN", "5", "3-0", "a", "3"},
			{"XADD", "s", "1-0", "a", "1"}, {"XADD", "nokey", "NOMKSTREAM", "*", "a", "1"}, {"XDEL", "s", "9-9"}, {"XDEL", "s", "2-0"},
			{"XTRIM", "s", "MAXLEN", "5"}, {"XTRIM", "s", "MAXLEN", "0"}, {"XSETID", "s", "10-0"}, {"XLEN", "nokey"},
			{"XRANGE", "nokey", "-", "+"}, {"XREAD", "STREAMS", "nokey", "0"}, {"XGROUP", "CREATE", "s", "g", "$"},
			{"XGROUP", "CREATE", "m", "g", "$", "MKSTREAM"}, {"XGROUP", "CREATECONSUMER", "s", "g", "c1"},
			{"XADD", "s", "11-0", "a", "1"}, {"XADD", "s", "12-0", "a", "1"},
			{"XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "s", ">"}, {"XACK", "s", "g", "11-0"},
			{"XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"}, {"XCLAIM", "s", "g", "c3", "0", "12-0"},
			{"XAUTOCLAIM", "s", "g", "c4", "0", "0"}, {"XGROUP", "DELCONSUMER", "s", "g", "c4"},
			{"XGROUP", "DELCONSUMER", "s", "g", "none"}, {"XGROUP", "SETID", "s", "g", "0"},
			{"XGROUP", "DESTROY", "s", "g"}, {"XINFO", "STREAM", "s"}, {"XPENDING", "nokey", "g"}, {"DEL", "s"},
		} {
			ev.Drain(strings.Join(cmd, " ") + " -> " + difftest.Format(c.Do(cmd...)))
		}
		return ev.Log.String()
	}
	assert.Equal(t, scenario(redis.Addr), scenario(addr))
}
