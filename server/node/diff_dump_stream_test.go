package node

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// streamFields flattens an XINFO STREAM FULL reply (RESP3) into "path = value" lines, e.g.
// "groups[0].consumers[1].pending[0][1] = 3", so that two replies compare field by field. It leaves out
// radix-tree-nodes (the shape of Redis's radix tree, not reproduced) and what Redis 7.0 does not keep
// (the consumers' active-time of 7.2).
func streamFields(v resp.Value) []string {
	var out []string
	var walk func(path string, v resp.Value)
	walk = func(path string, v resp.Value) {
		switch v.Type {
		case resp.TypeMap:
			for i := 0; i+1 < len(v.Elems); i += 2 {
				name := string(v.Elems[i].Str)
				if name == "radix-tree-nodes" || name == "active-time" {
					continue
				}
				walk(path+"."+name, v.Elems[i+1])
			}
		case resp.TypeArray:
			if v.Null {
				out = append(out, path+" = (nil)")
				return
			}
			if len(v.Elems) == 0 {
				out = append(out, path+" = []")
			}
			for i, e := range v.Elems {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		default:
			out = append(out, path+" = "+difftest.Format(v))
		}
	}
	walk("", v)
	return out
}

// streamState reads everything the servers keep of a stream: XINFO STREAM FULL with every entry and pending
// entry, flattened.
func streamState(c *difftest.Conn, key string) []string {
	return streamFields(c.Do("XINFO", "STREAM", key, "FULL", "COUNT", "0"))
}

// streamDumpCases build streams with explicit ids (so both servers make the same one), covering what a stream
// payload holds: entries in several listpack nodes, with the same and with different fields, deleted entries
// (first, middle, last, and all of them), trimming, consumer groups at various positions and entries-read,
// consumers with and without pending entries, PELs with claimed, acknowledged, redelivered and deleted entries.
var streamDumpCases = map[string][][]string{
	"empty with a group": {
		{"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"},
	},
	"entries only": {
		{"XADD", "s", "1-1", "f", "v"},
		{"XADD", "s", "1-2", "f", "v2", "g", "12345"},
		{"XADD", "s", "5-0", "other", strings.Repeat("x", 100)},
		{"XADD", "s", "5-1", "n", "-9223372036854775808", "m", "1.5"},
	},
	"all deleted": {
		{"XADD", "s", "1-1", "a", "1"},
		{"XADD", "s", "2-1", "a", "2"},
		{"XDEL", "s", "1-1", "2-1"},
	},
	"deleted and trimmed": {
		{"XADD", "s", "1-1", "a", "1"},
		{"XADD", "s", "1-2", "a", "2"},
		{"XADD", "s", "1-3", "a", "3"},
		{"XADD", "s", "1-4", "a", "4", "b", "x"},
		{"XADD", "s", "1-5", "a", "5"},
		{"XDEL", "s", "1-1", "1-3", "1-5"},
		{"XTRIM", "s", "MAXLEN", "1"},
	},
	"setid": {
		{"XADD", "s", "3-3", "a", "1"},
		{"XSETID", "s", "10-0", "ENTRIESADDED", "7", "MAXDELETEDID", "4-0"},
	},
	"groups and pending": {
		{"XADD", "s", "1-1", "a", "1"},
		{"XADD", "s", "1-2", "a", "2"},
		{"XADD", "s", "1-3", "a", "3"},
		{"XADD", "s", "2-0", "b", "4"},
		{"XADD", "s", "2-1", "a", "5"},
		{"XADD", "s", "3-0", "a", "6"},
		{"XGROUP", "CREATE", "s", "g1", "0"},
		{"XGROUP", "CREATE", "s", "g2", "1-2", "ENTRIESREAD", "2"},
		{"XGROUP", "CREATE", "s", "g3", "$"},
		{"XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "-1"},
		{"XGROUP", "CREATECONSUMER", "s", "g3", "idle"},
		{"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "s", ">"},
		{"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "s", ">"},
		{"XREADGROUP", "GROUP", "g1", "bob", "STREAMS", "s", "0"},
		{"XREADGROUP", "GROUP", "g2", "carol", "NOACK", "COUNT", "1", "STREAMS", "s", ">"},
		{"XREADGROUP", "GROUP", "g2", "carol", "COUNT", "2", "STREAMS", "s", ">"},
		{"XACK", "s", "g1", "1-2"},
		{"XCLAIM", "s", "g1", "carol", "0", "1-3", "RETRYCOUNT", "5"},
		{"XCLAIM", "s", "g1", "alice", "0", "2-1", "TIME", "1700000000000", "JUSTID"},
		{"XDEL", "s", "2-0"},
		{"XGROUP", "SETID", "s", "g4", "1-3", "ENTRIESREAD", "3"},
	},
}

// streamNodesCase: entries spread over several listpack nodes (the default stream-node-max-entries is 100),
// with changing field sets, a group half way through and a long PEL.
func streamNodesCase() [][]string {
	var cmds [][]string
	for i := range 350 {
		id := fmt.Sprintf("%d-%d", 1000+i/3, i%3)
		switch {
		case i%50 == 7:
			cmds = append(cmds, []string{"XADD", "s", id, "f" + strconv.Itoa(i), "odd", "x", strings.Repeat("y", i)})
		default:
			cmds = append(cmds, []string{"XADD", "s", id, "a", strconv.Itoa(i), "b", "v" + strconv.Itoa(i*i)})
		}
	}
	cmds = append(cmds,
		[]string{"XDEL", "s", "1000-0", "1050-1", "1116-1"},
		[]string{"XGROUP", "CREATE", "s", "g", "0"},
		[]string{"XREADGROUP", "GROUP", "g", "c1", "COUNT", "150", "STREAMS", "s", ">"},
		[]string{"XREADGROUP", "GROUP", "g", "c2", "COUNT", "20", "STREAMS", "s", ">"},
		[]string{"XACK", "s", "g", "1001-0", "1001-1", "1060-0"},
		[]string{"XDEL", "s", "1002-2"},
	)
	return cmds
}

// TestDumpInteropStream makes streams in real Redis and in Carmine with the same commands, moves each with DUMP
// and RESTORE to the other server (and back), and compares XINFO STREAM FULL field by field: entries, ids and
// counters, groups with their last ids, entries-read and lag, consumers with their seen times, and the PELs with
// delivery times and counts, which the payload carries.
func TestDumpInteropStream(t *testing.T) {
	p := startPair(t, "")
	for _, c := range []*difftest.Conn{p.Redis, p.Carmine} {
		require.Equal(t, resp.TypeMap, c.Do("HELLO", "3").Type)
	}
	cases := map[string][][]string{"several nodes": streamNodesCase()}
	for name, cmds := range streamDumpCases {
		cases[name] = cmds
	}
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for _, c := range []*difftest.Conn{p.Redis, p.Carmine} {
				c.Do("DEL", "s", "dst", "back")
				for _, cmd := range cases[name] {
					r := c.Do(cmd...)
					require.NotEqual(t, resp.TypeError, r.Type, "%q: %s", cmd, r.Str)
				}
			}
			// What the same commands made on each server agrees, but for the clock-made times.
			assert.Equal(t, streamFields(streamNorm(p.Redis.Do("XINFO", "STREAM", "s", "FULL", "COUNT", "0"))),
				streamFields(streamNorm(p.Carmine.Do("XINFO", "STREAM", "s", "FULL", "COUNT", "0"))), "the servers built different streams")
			for _, dir := range []struct {
				name     string
				from, to *difftest.Conn
			}{{"redis to carmine", p.Redis, p.Carmine}, {"carmine to redis", p.Carmine, p.Redis}} {
				payload := dir.from.Do("DUMP", "s")
				require.Equal(t, resp.TypeBulk, payload.Type, dir.name)
				r := dir.to.Do("RESTORE", "dst", "0", string(payload.Str))
				require.Equal(t, "+OK", difftest.Format(r), dir.name)
				assert.Equal(t, streamState(dir.from, "s"), streamState(dir.to, "dst"), dir.name)
				// And back again: the payload the second server makes restores to the original.
				again := dir.to.Do("DUMP", "dst")
				require.Equal(t, "+OK", difftest.Format(dir.from.Do("RESTORE", "back", "0", string(again.Str))), dir.name)
				assert.Equal(t, streamState(dir.from, "s"), streamState(dir.from, "back"), dir.name+", and back")
			}
		})
	}
}
