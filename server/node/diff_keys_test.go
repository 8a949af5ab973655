package node

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// TestDiffKeys compares the generic key commands with real Redis: hand-written cases with valid and invalid
// arguments, then a seeded random sequence over a few keys.
func TestDiffKeys(t *testing.T) { ioModes(t, testDiffKeys) }

func testDiffKeys(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	future := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	futureMs := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	past := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	cases := [][]string{
		{"DEL"}, {"DEL", "nokey"}, {"EXISTS"}, {"EXISTS", "nokey"}, {"TYPE"}, {"TYPE", "nokey"}, {"DBSIZE"},
		{"DBSIZE", "x"}, {"TTL", "nokey"}, {"PTTL", "nokey"}, {"EXPIRETIME", "nokey"}, {"PEXPIRETIME", "nokey"},
		{"PERSIST", "nokey"}, {"TOUCH", "nokey"}, {"TOUCH"}, {"UNLINK"},
		{"SET", "a", "1"}, {"SET", "b", "2"}, {"SET", "c", "3"},
		{"EXISTS", "a", "a", "b", "nokey"}, {"TYPE", "a"}, {"DBSIZE"}, {"TOUCH", "a", "b", "nokey", "a"},
		{"TTL", "a"}, {"PTTL", "a"}, {"EXPIRETIME", "a"}, {"PERSIST", "a"},
		{"EXPIRE", "a", "100"}, {"TTL", "a"}, {"PERSIST", "a"}, {"TTL", "a"}, {"PERSIST", "a"},
		{"EXPIREAT", "a", future}, {"EXPIRETIME", "a"}, {"PEXPIREAT", "b", futureMs}, {"PEXPIRETIME", "b"}, {"EXPIRETIME", "b"},
		{"EXPIRE", "a", "x"}, {"EXPIRE", "a", "1.5"}, {"EXPIRE", "a"}, {"EXPIRE", "a", "10", "FOO"},
		{"EXPIRE", "a", "10", "NX", "XX"}, {"EXPIRE", "a", "10", "GT", "LT"}, {"EXPIRE", "a", "10", "NX", "GT"},
		{"EXPIRE", "a", "9223372036854775807"}, {"PEXPIRE", "a", "9223372036854775807"},
		{"EXPIREAT", "a", "9223372036854775807"}, {"EXPIRE", "a", "-9223372036854775808"},
		{"EXPIRE", "c", "50", "XX"}, {"TTL", "c"}, {"EXPIRE", "c", "50", "GT"}, {"EXPIRE", "c", "50", "LT"}, {"TTL", "c"},
		{"EXPIRE", "c", "50", "NX"}, {"EXPIRE", "c", "60", "NX"}, {"EXPIRE", "c", "40", "GT"}, {"EXPIRE", "c", "60", "GT"},
		{"TTL", "c"}, {"EXPIRE", "c", "70", "LT"}, {"EXPIRE", "c", "30", "lt"}, {"TTL", "c"}, {"EXPIRE", "c", "40", "xx", "gt"},
		{"TTL", "c"}, {"EXPIRE", "nokey", "10"}, {"EXPIRE", "nokey", "10", "NX"},
		{"EXPIRE", "b", "0"}, {"EXISTS", "b"}, {"SET", "b", "2"}, {"EXPIRE", "b", "-5"}, {"EXISTS", "b"},
		{"SET", "b", "2"}, {"EXPIREAT", "b", past}, {"EXISTS", "b"}, {"SET", "b", "2"}, {"PEXPIRE", "b", "0"}, {"TYPE", "b"},
		{"DEL", "a", "a", "nokey", "c"}, {"DBSIZE"}, {"UNLINK", "nokey"},
		{"SET", "x", "1"}, {"SELECT", "1"}, {"EXISTS", "x"}, {"SET", "y", "1"}, {"DBSIZE"}, {"FLUSHDB", "x"},
		{"FLUSHDB", "SYNC", "x"}, {"FLUSHDB", "async"}, {"DBSIZE"}, {"SELECT", "0"}, {"DBSIZE"},
		{"SELECT", "2"}, {"SET", "z", "1"}, {"SELECT", "0"}, {"FLUSHALL", "x"}, {"FLUSHALL", "SYNC"}, {"DBSIZE"},
		{"SELECT", "2"}, {"DBSIZE"}, {"SELECT", "0"},
	}
	for _, c := range cases {
		p.Check(c...)
	}

	// Random sequences over a few keys; times stay far from 0 so replies do not depend on timing.
	rng := rand.New(rand.NewPCG(3, 5))
	base := time.Now().Add(time.Hour).Unix()
	keys := []string{"k1", "k2", "k3", "k4"}
	key := func() string { return keys[rng.IntN(len(keys))] }
	opts := []string{"", "NX", "XX", "GT", "LT", "nx", "BAD"}
	for i := 0; i < 1500; i++ {
		var c []string
		switch rng.IntN(9) {
		case 0:
			c = []string{"SET", key(), strconv.Itoa(rng.IntN(100))}
		case 1:
			c = []string{"DEL", key(), key()}
		case 2:
			c = []string{"EXISTS", key(), key(), key()}
		case 3:
			c = []string{"TYPE", key()}
		case 4:
			// Absolute times: relative ones compared with GT/LT would depend on each server's clock reading.
			at := base + int64(rng.IntN(5))*1000
			if rng.IntN(2) == 0 {
				c = []string{"EXPIREAT", key(), strconv.FormatInt(at, 10)}
			} else {
				c = []string{"PEXPIREAT", key(), strconv.FormatInt(at*1000, 10)}
			}
			if o := opts[rng.IntN(len(opts))]; o != "" {
				c = append(c, o)
			}
		case 5:
			c = []string{[]string{"EXPIRETIME", "PEXPIRETIME"}[rng.IntN(2)], key()}
		case 6:
			c = []string{"PERSIST", key()}
		case 7:
			c = []string{"DBSIZE"}
		case 8:
			c = []string{"UNLINK", key()}
		}
		if !p.Check(c...) {
			t.Fatalf("stopping at random command %d (seed 3,5): %s", i, fmt.Sprint(c))
		}
	}
}

// TestDiffKeyspace compares the keyspace-wide and key-moving commands (KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX,
// COPY, MOVE, SWAPDB) with real Redis, then runs them in a seeded random sequence across databases 0 and 1.
func TestDiffKeyspace(t *testing.T) { ioModes(t, testDiffKeyspace) }

func testDiffKeyspace(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	cases := [][]string{
		// Arity and argument errors on an empty database.
		{"KEYS"}, {"KEYS", "a", "b"}, {"KEYS", "*"}, {"RANDOMKEY"}, {"RANDOMKEY", "x"},
		{"RENAME", "a"}, {"RENAME", "nokey", "a"}, {"RENAME", "nokey", "nokey"}, {"RENAMENX", "nokey", "a"},
		{"RENAMENX", "a"}, {"RENAMENX", "nokey", "nokey"},
		{"COPY", "a"}, {"COPY", "nokey", "a"}, {"COPY", "nokey", "nokey"}, {"COPY", "nokey", "nokey", "DB", "0"},
		{"COPY", "a", "b", "db"}, {"COPY", "a", "b", "db", "x"}, {"COPY", "a", "b", "db", "-1"},
		{"COPY", "a", "b", "db", "16"}, {"COPY", "a", "b", "db", "99999999999"}, {"COPY", "a", "b", "foo"},
		{"COPY", "a", "b", "db", "99", "foo"}, {"COPY", "a", "b", "foo", "db", "99"},
		{"COPY", "a", "b", "replace", "REPLACE"}, {"COPY", "a", "b", "db", "1", "db", "2"},
		{"MOVE", "a"}, {"MOVE", "a", "x"}, {"MOVE", "a", "-1"}, {"MOVE", "a", "16"}, {"MOVE", "a", "0"},
		{"MOVE", "a", "99999999999"}, {"MOVE", "a", "1.0"}, {"MOVE", "nokey", "1"},
		{"SWAPDB", "0"}, {"SWAPDB", "0", "x"}, {"SWAPDB", "x", "0"}, {"SWAPDB", "x", "y"}, {"SWAPDB", "0", "-1"},
		{"SWAPDB", "16", "0"}, {"SWAPDB", "0", "99999999999"}, {"SWAPDB", "99999999999", "0"},
		{"SWAPDB", "-1", "x"}, {"SWAPDB", "0", "0"},
		{"SCAN"}, {"SCAN", "x"}, {"SCAN", "1.5"}, {"SCAN", " 1"}, {"SCAN", "1 "}, {"SCAN", "18446744073709551616"},
		{"SCAN", "-18446744073709551616"}, {"SCAN", "+"}, {"SCAN", "-"}, {"SCAN", "0x10"},
		{"SCAN", "0", "COUNT", "0"}, {"SCAN", "0", "COUNT", "-1"}, {"SCAN", "0", "COUNT", "x"},
		{"SCAN", "0", "COUNT", "99999999999999999999"}, {"SCAN", "0", "MATCH"}, {"SCAN", "0", "foo", "bar"},
		{"SCAN", "0", "COUNT", "10", "COUNT"}, {"SCAN", "0", "COUNT", "x", "MATCH"}, {"SCAN", "x", "COUNT", "0"},
		{"SCAN", "0", "TYPE"}, {"SCAN", "0"}, {"SCAN", ""}, {"SCAN", "-0"}, {"SCAN", "+0"}, {"SCAN", "00"},
		{"SCAN", "0", "TYPE", "foo"}, {"SCAN", "0", "count", "9223372036854775807"},
		// Data: strings in db 0 (the only type Carmine has so far), the empty key, keys with TTLs.
		{"SET", "a", "1"}, {"SET", "b", "2"}, {"SET", "l", "xy"}, {"SET", "", "empty"}, {"SET", "t", "v", "EX", "1000"},
		{"RANDOMKEY", "x"},
		// KEYS (order is unspecified).
		{"KEYS", "nomatch*"}, {"KEYS", "a"}, {"KEYS", ""}, {"KEYS", "[ab]"}, {"KEYS", "?"},
		// RENAME and RENAMENX.
		{"RENAME", "a", "a"}, {"RENAMENX", "a", "a"}, {"RENAME", "a", "a2"}, {"GET", "a"}, {"GET", "a2"},
		{"RENAME", "a2", "b"}, {"GET", "b"}, {"EXISTS", "a2"}, {"SET", "a", "1"}, {"RENAMENX", "a", "b"},
		{"RENAMENX", "a", "c"}, {"GET", "c"}, {"RENAME", "t", "t2"}, {"TTL", "t2"}, {"RENAME", "l", "l2"},
		{"GET", "l2"}, {"RENAME", "l2", "l"}, {"RENAME", "", "e"}, {"GET", "e"}, {"RENAME", "e", ""},
		{"SET", "p", "1"}, {"EXPIRE", "p", "1000"}, {"SET", "q", "2"}, {"RENAME", "q", "p"}, {"TTL", "p"},
		// COPY within and across databases.
		{"COPY", "b", "b"}, {"COPY", "b", "b2"}, {"GET", "b2"}, {"COPY", "b", "b2"}, {"SET", "b", "3"},
		{"COPY", "b", "b2", "REPLACE"}, {"GET", "b2"}, {"COPY", "t2", "t3"}, {"TTL", "t3"},
		{"COPY", "l", "l3"}, {"APPEND", "l3", "z"}, {"GET", "l"}, {"GET", "l3"},
		{"COPY", "b", "b", "DB", "1"}, {"COPY", "b", "b", "db", "1"}, {"COPY", "b", "b", "db", "1", "replace"},
		{"COPY", "t2", "t2", "DB", "1"}, {"COPY", "l", "l", "DB", "1"}, {"COPY", "b", "x", "db", "1", "db", "0"},
		{"GET", "x"}, {"SELECT", "1"}, {"GET", "b"}, {"TTL", "t2"}, {"GET", "l"}, {"DBSIZE"}, {"SELECT", "0"},
		// MOVE.
		{"MOVE", "b", "1"}, {"SET", "m", "1"}, {"EXPIRE", "m", "1000"}, {"MOVE", "m", "1"}, {"EXISTS", "m"},
		{"MOVE", "m", "1"}, {"MOVE", "nokey", "0"}, {"SELECT", "1"}, {"TTL", "m"}, {"MOVE", "m", "0"},
		{"SELECT", "0"}, {"TTL", "m"},
		// SWAPDB: this connection stays on index 0 and sees the other data.
		{"DBSIZE"}, {"SWAPDB", "0", "1"}, {"DBSIZE"}, {"GET", "b"}, {"SWAPDB", "1", "0"}, {"DBSIZE"},
		{"SWAPDB", "0", "15"}, {"DBSIZE"}, {"SWAPDB", "15", "0"}, {"DBSIZE"},
		// SCAN errors with data present, and filters whose result fits one call.
		{"SCAN", "x", "MATCH", "*"}, {"SCAN", "0", "COUNT", "10", "MATCH"}, {"SCAN", "0", "TYPE", "string", "x"},
		// RANDOMKEY with a single key.
		{"SELECT", "3"}, {"RANDOMKEY"}, {"SET", "only", "1"}, {"RANDOMKEY"}, {"SELECT", "0"},
	}
	for _, c := range cases {
		if c[0] == "KEYS" {
			p.CheckUnordered(c...)
		} else {
			p.Check(c...)
		}
	}

	// Full SCAN loops: the cursors differ between servers, the set of keys returned must not.
	for i := 0; i < 200; i++ {
		p.Check("SET", "s:"+strconv.Itoa(i), "v")
		if i%3 == 0 {
			p.Check("SET", "sl:"+strconv.Itoa(i), "v", "EX", "1000")
		}
	}
	p.CheckUnordered("KEYS", "*")
	p.CheckUnordered("KEYS", "s:1*")
	for _, opts := range [][]string{
		nil, {"COUNT", "1"}, {"COUNT", "1000"}, {"MATCH", "s:1*"}, {"MATCH", "*"}, {"MATCH", ""}, {"match", "sl:*", "count", "3"},
		{"TYPE", "list"}, {"TYPE", "string"}, {"TYPE", "String"}, {"TYPE", "STRING", "MATCH", "s:?"}, {"TYPE", "foo"}, {"TYPE", "none"},
		{"TYPE", "hash"}, {"MATCH", "nomatch", "COUNT", "5"}, {"MATCH", "x", "MATCH", "s:2*"},
	} {
		want := scanAll(t, p.Redis, opts)
		got := scanAll(t, p.Carmine, opts)
		assert.Equal(t, want, got, "SCAN %v", opts)
	}

	// Random sequences over a few keys in databases 0 and 1.
	rng := rand.New(rand.NewPCG(7, 11))
	keys := []string{"k1", "k2", "k3"}
	key := func() string { return keys[rng.IntN(len(keys))] }
	db := func() string { return strconv.Itoa(rng.IntN(2)) }
	p.Check("FLUSHALL")
	for i := 0; i < 1500; i++ {
		var c []string
		switch rng.IntN(12) {
		case 0:
			c = []string{"SET", key(), strconv.Itoa(rng.IntN(100))}
		case 1:
			c = []string{"SET", key(), strconv.Itoa(rng.IntN(100)), "EX", strconv.Itoa(1000 + rng.IntN(100))}
		case 2:
			c = []string{"RENAME", key(), key()}
		case 3:
			c = []string{"RENAMENX", key(), key()}
		case 4:
			c = []string{"COPY", key(), key()}
			if rng.IntN(2) == 0 {
				c = append(c, "DB", db())
			}
			if rng.IntN(2) == 0 {
				c = append(c, "REPLACE")
			}
		case 5:
			c = []string{"MOVE", key(), db()}
		case 6:
			c = []string{"EXISTS", key(), key()}
		case 7:
			c = []string{"SELECT", db()}
		case 8:
			c = []string{"GET", key()}
		case 9:
			c = []string{"DEL", key()}
		case 10:
			c = []string{"DBSIZE"}
		case 11:
			if rng.IntN(4) == 0 {
				c = []string{"SWAPDB", db(), db()}
			} else {
				c = []string{"KEYS", "*"}
			}
		}
		ok := false
		if c[0] == "KEYS" {
			ok = p.CheckUnordered(c...)
		} else {
			ok = p.Check(c...)
		}
		if !ok {
			t.Fatalf("stopping at random command %d (seed 7,11): %s", i, fmt.Sprint(c))
		}
	}
	p.Check("SELECT", "0")
}

// scanAll runs a SCAN loop with opts on one server until the cursor is 0 and returns the sorted, deduplicated
// keys it saw.
func scanAll(t *testing.T, conn *difftest.Conn, opts []string) []string {
	t.Helper()
	seen := map[string]bool{}
	cursor := "0"
	for i := 0; ; i++ {
		require.Less(t, i, 100000, "SCAN did not finish")
		v := conn.Do(append([]string{"SCAN", cursor}, opts...)...)
		require.Equal(t, resp.TypeArray, v.Type, "SCAN %v: %s", opts, difftest.Format(v))
		require.Len(t, v.Elems, 2)
		for _, k := range v.Elems[1].Elems {
			seen[string(k.Str)] = true
		}
		cursor = string(v.Elems[0].Str)
		if cursor == "0" {
			break
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
