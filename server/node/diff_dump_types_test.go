package node

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/server/difftest"
)

// contents reads key's value in a canonical form (sets and hashes sorted) with its encoding.
func contents(c *difftest.Conn, key string) string {
	typ := c.Do("TYPE", key).Str
	enc := string(c.Do("OBJECT", "ENCODING", key).Str)
	var elems []string
	switch string(typ) {
	case "list":
		for _, e := range c.Do("LRANGE", key, "0", "-1").Elems {
			elems = append(elems, string(e.Str))
		}
	case "set":
		for _, e := range c.Do("SMEMBERS", key).Elems {
			elems = append(elems, string(e.Str))
		}
		slices.Sort(elems)
	case "hash":
		kv := c.Do("HGETALL", key).Elems
		for i := 0; i+1 < len(kv); i += 2 {
			elems = append(elems, string(kv[i].Str)+"="+string(kv[i+1].Str))
		}
		slices.Sort(elems)
	case "zset":
		for _, e := range c.Do("ZRANGE", key, "0", "-1", "WITHSCORES").Elems {
			elems = append(elems, string(e.Str))
		}
	}
	return fmt.Sprintf("%s %s %d %q", typ, enc, len(elems), elems)
}

// TestDumpInteropTypes moves lists, hashes, sets and sorted sets of each encoding between real Redis and Carmine
// with DUMP and RESTORE, both ways, and compares contents and encodings.
func TestDumpInteropTypes(t *testing.T) {
	p := startPair(t, "")
	many := func(cmd string, n int, f func(i int) []string) []string {
		args := []string{cmd, "src"}
		for i := range n {
			args = append(args, f(i)...)
		}
		return args
	}
	cases := map[string][]string{
		"small list":       {"RPUSH", "src", "a", "1", "-300", "9223372036854775807", strings.Repeat("x", 100)},
		"long list":        many("RPUSH", 3000, func(i int) []string { return []string{"element-" + strconv.Itoa(i)} }),
		"listpack hash":    {"HSET", "src", "f", "v", "n", "12", "e", ""},
		"big hash":         many("HSET", 600, func(i int) []string { return []string{"f" + strconv.Itoa(i), strconv.Itoa(i * i)} }),
		"long-value hash":  {"HSET", "src", "f", strings.Repeat("v", 65)},
		"intset":           {"SADD", "src", "1", "-5", "70000", "-5000000000"},
		"string set":       {"SADD", "src", "a", "b", "c"},
		"big set":          many("SADD", 700, func(i int) []string { return []string{strconv.Itoa(i * 3)} }),
		"listpack zset":    {"ZADD", "src", "1.5", "a", "-2", "b", "inf", "c", "-inf", "d", "0.1", "e"},
		"skiplist zset":    many("ZADD", 200, func(i int) []string { return []string{strconv.Itoa(i) + ".25", "m" + strconv.Itoa(i)} }),
		"long-member zset": {"ZADD", "src", "1", strings.Repeat("m", 65)},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			for _, c := range []*difftest.Conn{p.Redis, p.Carmine} {
				c.Do("DEL", "src")
				require.NotEqual(t, "(error)", difftest.Format(c.Do(setup...))[:7])
			}
			for _, dir := range []struct {
				name     string
				from, to *difftest.Conn
			}{{"redis to carmine", p.Redis, p.Carmine}, {"carmine to redis", p.Carmine, p.Redis}} {
				payload := dir.from.Do("DUMP", "src")
				require.False(t, payload.Null, dir.name)
				require.Equal(t, "+OK", difftest.Format(dir.to.Do("RESTORE", "dst", "0", string(payload.Str), "REPLACE")), dir.name)
				// Restored, the value is what the same commands make on that server (7.0 and 7.2 differ in
				// score printing and set encodings).
				assert.Equal(t, contents(dir.to, "src"), contents(dir.to, "dst"), dir.name)
				// It dumps to a payload the first server restores to the same contents.
				again := dir.to.Do("DUMP", "dst")
				require.Equal(t, "+OK", difftest.Format(dir.from.Do("RESTORE", "back", "0", string(again.Str), "REPLACE")), dir.name)
				assert.Equal(t, contents(dir.from, "src"), contents(dir.from, "back"), dir.name)
			}
		})
	}
	// Payloads with no elements are bad data, as in Redis.
	empty := sealed("\x12\x00", 10)
	p.Check("RESTORE", "e", "0", empty)
}
