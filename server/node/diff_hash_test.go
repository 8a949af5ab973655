package node

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// sortFieldPairs is a normalizer for unordered field-value replies (HGETALL of a hashtable): a RESP3 map, or a flat
// RESP2 array read as pairs, gets its pairs sorted by field, so a value stays with its field.
func sortFieldPairs(v resp.Value) resp.Value {
	if v.Type == resp.TypeMap {
		return difftest.SortElems(v)
	}
	if v.Type != resp.TypeArray || len(v.Elems)%2 != 0 {
		return v
	}
	type kv struct{ k, v resp.Value }
	pairs := make([]kv, 0, len(v.Elems)/2)
	for i := 0; i < len(v.Elems); i += 2 {
		pairs = append(pairs, kv{v.Elems[i], v.Elems[i+1]})
	}
	sort.Slice(pairs, func(i, j int) bool { return string(pairs[i].k.Str) < string(pairs[j].k.Str) })
	elems := make([]resp.Value, 0, len(v.Elems))
	for _, p := range pairs {
		elems = append(elems, p.k, p.v)
	}
	v.Elems = elems
	return v
}

// randCheck describes what a random reply (HRANDFIELD, SRANDMEMBER, SPOP) must be: elements of truth (a field
// or member mapped to its value, "" for sets), how many, whether they must be distinct, and whether they come
// as field-value pairs (flat in RESP2, two-element arrays in RESP3).
type randCheck struct {
	truth    map[string]string
	distinct bool
	pairs    bool
}

// norm returns a normalizer that replaces a reply by a summary of its shape and of the properties checked:
// its type and length, and "ok" only when every element belongs to truth (with its own value) and, when
// required, no element repeats. Both servers must produce the same summary.
func (rc randCheck) norm(v resp.Value) resp.Value {
	if v.Type == resp.TypeBulk && !v.Null {
		v = resp.Value{Type: resp.TypeArray, Elems: []resp.Value{v}, Str: []byte("bulk")}
	} else if v.Type != resp.TypeArray && v.Type != resp.TypeSet {
		return v
	}
	seen := map[string]bool{}
	problem := ""
	n := 0
	check := func(f, val resp.Value, hasVal bool) {
		n++
		want, ok := rc.truth[string(f.Str)]
		switch {
		case !ok:
			problem = fmt.Sprintf("%q is not an element", f.Str)
		case hasVal && want != string(val.Str):
			problem = fmt.Sprintf("%q has value %q, not %q", f.Str, val.Str, want)
		case rc.distinct && seen[string(f.Str)]:
			problem = fmt.Sprintf("%q repeats", f.Str)
		}
		seen[string(f.Str)] = true
	}
	shape := ""
	for i := 0; i < len(v.Elems); i++ {
		e := v.Elems[i]
		switch {
		case rc.pairs && e.Type == resp.TypeArray && len(e.Elems) == 2:
			shape = "nested"
			check(e.Elems[0], e.Elems[1], true)
		case rc.pairs && i+1 < len(v.Elems):
			shape = "flat"
			check(e, v.Elems[i+1], true)
			i++
		default:
			check(e, resp.Value{}, false)
		}
	}
	if problem == "" {
		problem = "ok"
	}
	typ := map[resp.Type]string{resp.TypeArray: "array", resp.TypeSet: "set"}[v.Type]
	if string(v.Str) == "bulk" {
		typ = "bulk"
	}
	return resp.Value{Type: resp.TypeSimple, Str: []byte(fmt.Sprintf("%s of %d %s: %s", typ, n, shape, problem))}
}

// hashTruth reads a hash from real Redis.
func hashTruth(p *difftest.Pair, key string) map[string]string {
	v := p.Redis.Do("HGETALL", key)
	m := map[string]string{}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		m[string(v.Elems[i].Str)] = string(v.Elems[i+1].Str)
	}
	return m
}

// checkHashRand checks an HRANDFIELD command with the normalizer its count calls for.
func checkHashRand(p *difftest.Pair, args ...string) bool {
	p2 := randCheck{truth: hashTruth(p, args[1])}
	if len(args) > 2 {
		n, err := strconv.Atoi(args[2])
		p2.distinct = err == nil && n > 0
		p2.pairs = len(args) > 3
	}
	return p.CheckWith(p2.norm, args...)
}

// TestDiffHashes runs the hash commands with valid and invalid arguments against real Redis and Carmine and
// compares every reply, in RESP2 and RESP3, then a seeded random sequence.
func TestDiffHashes(t *testing.T) { ioModes(t, testDiffHashes) }

func testDiffHashes(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	long := strings.Repeat("L", 65)
	for _, c := range [][]string{
		{"HSET", "h"}, {"HSET", "h", "f"}, {"HSET", "h", "f", "v", "g"}, {"HMSET", "h", "f"}, {"HMSET", "h", "f", "v", "x"},
		{"HSET", "h", "f1", "v1", "f2", "v2", "f3", "v3"}, {"HSET", "h", "f1", "new", "f4", "v4"}, {"HGETALL", "h"},
		{"HMSET", "h", "f5", "v5", "f1", "again"}, {"HGETALL", "h"}, {"HKEYS", "h"}, {"HVALS", "h"}, {"HLEN", "h"},
		{"HSET", "h", "f2", "a much longer value than before"}, {"HGETALL", "h"}, {"HSET", "h", "f2", "v"}, {"HGETALL", "h"},
		{"HSET", "h", "", ""}, {"HGET", "h", ""}, {"HGETALL", "h"}, {"OBJECT", "ENCODING", "h"},
		{"SET", "s", "x"}, {"HSET", "s", "f", "v"}, {"HGET", "s", "f"}, {"HMGET", "s", "f"}, {"HLEN", "s"}, {"HDEL", "s", "f"},
		{"HKEYS", "s"}, {"HVALS", "s"}, {"HGETALL", "s"}, {"HEXISTS", "s", "f"}, {"HSTRLEN", "s", "f"}, {"HSETNX", "s", "f", "v"},
		{"HINCRBY", "s", "f", "1"}, {"HINCRBYFLOAT", "s", "f", "1"}, {"HRANDFIELD", "s"}, {"HRANDFIELD", "s", "1"},
		{"HSCAN", "s", "0"}, {"HSCAN", "s", "x"}, {"HSCAN", "s", "0", "COUNT", "0"},
		{"HGET", "h", "f1"}, {"HGET", "h", "zz"}, {"HGET", "noh", "f"}, {"HGET", "h"}, {"HGET", "h", "f", "g"},
		{"HMGET", "h", "f1", "zz", "f3"}, {"HMGET", "noh", "a", "b"}, {"HMGET", "h"},
		{"HEXISTS", "h", "f1"}, {"HEXISTS", "h", "zz"}, {"HEXISTS", "noh", "f"}, {"HSTRLEN", "h", "f1"}, {"HSTRLEN", "h", "zz"},
		{"HSTRLEN", "noh", "f"}, {"HLEN", "noh"}, {"HKEYS", "noh"}, {"HVALS", "noh"}, {"HGETALL", "noh"}, {"TYPE", "h"},
		{"HSETNX", "h", "f1", "no"}, {"HSETNX", "h", "f9", "yes"}, {"HSETNX", "nh", "f", "v"}, {"HSETNX", "h", "f"},
		{"HGETALL", "h"}, {"HGETALL", "nh"},
		{"HDEL", "h", "f1", "zz", "f1", "f3"}, {"HDEL", "h", "zz"}, {"HDEL", "noh", "f"}, {"HDEL", "h"}, {"HGETALL", "h"},
		{"HDEL", "nh", "f"}, {"EXISTS", "nh"}, {"HDEL", "h", "f2", "f4", "f5", "f9", "", "zz"}, {"EXISTS", "h"},
		// HINCRBY
		{"HINCRBY", "n", "a", "5"}, {"HINCRBY", "n", "a", "-7"}, {"HINCRBY", "n", "a", "x"}, {"HINCRBY", "n", "a", "1.5"},
		{"HINCRBY", "n", "a", ""}, {"HINCRBY", "n", "a", "9223372036854775807"}, {"HINCRBY", "n", "a", "9223372036854775807"},
		{"HSET", "n", "big", "9223372036854775800"}, {"HINCRBY", "n", "big", "7"}, {"HINCRBY", "n", "big", "8"},
		{"HSET", "n", "small", "-9223372036854775800"}, {"HINCRBY", "n", "small", "-8"}, {"HINCRBY", "n", "small", "-9"},
		{"HINCRBY", "n", "small", "-9223372036854775808"}, {"HINCRBY", "n", "big", "-9223372036854775808"},
		{"HSET", "n", "str", "abc", "sp", " 1", "lz", "01", "fl", "1.5"}, {"HINCRBY", "n", "str", "1"}, {"HINCRBY", "n", "sp", "1"},
		{"HINCRBY", "n", "lz", "1"}, {"HINCRBY", "n", "fl", "1"}, {"HINCRBY", "n", "a", "9223372036854775808"},
		{"HINCRBY", "n", "a", "-9223372036854775809"}, {"HINCRBY", "n", "a"}, {"HINCRBY", "n", "a", "1", "2"},
		{"HGETALL", "n"}, {"OBJECT", "ENCODING", "n"},
		// HINCRBYFLOAT: parsing and Redis's long double formatting.
		{"HINCRBYFLOAT", "fl", "a", "0.1"}, {"HINCRBYFLOAT", "fl", "a", "0.2"}, {"HINCRBYFLOAT", "fl", "a", "-0.3"},
		{"HINCRBYFLOAT", "fl", "b", "1e10"}, {"HINCRBYFLOAT", "fl", "b", "3.0e3"}, {"HINCRBYFLOAT", "fl", "c", "5"},
		{"HINCRBYFLOAT", "fl", "c", "-5"}, {"HINCRBYFLOAT", "fl", "d", "1.23456789012345678901"},
		{"HINCRBYFLOAT", "fl", "e", "0x10"}, {"HINCRBYFLOAT", "fl", "e", "1e4000"}, {"HINCRBYFLOAT", "fl", "f", "1e-20"},
		{"HINCRBYFLOAT", "fl", "a", "inf"}, {"HINCRBYFLOAT", "fl", "a", "-inf"}, {"HINCRBYFLOAT", "fl", "a", "nan"},
		{"HINCRBYFLOAT", "fl", "a", "abc"}, {"HINCRBYFLOAT", "fl", "a", ""}, {"HINCRBYFLOAT", "fl", "a", " 1"},
		{"HINCRBYFLOAT", "fl", "a", "1e5000"}, {"HINCRBYFLOAT", "fl", "a", "1 "},
		{"HSET", "fl", "s", "abc", "i", "inf", "h", "1e5000", "n", "17"}, {"HINCRBYFLOAT", "fl", "s", "1"},
		{"HINCRBYFLOAT", "fl", "i", "1"}, {"HINCRBYFLOAT", "fl", "h", "1"}, {"HINCRBYFLOAT", "fl", "n", "0.5"},
		{"HINCRBYFLOAT", "nofl", "a", "inf"}, {"EXISTS", "nofl"}, {"HINCRBYFLOAT", "fl", "a"}, {"HGET", "fl", "e"},
		{"HINCRBY", "fl", "n", "1"}, {"HINCRBY", "fl", "c", "1"},
		// HRANDFIELD argument errors and deterministic cases.
		{"HRANDFIELD", "noh"}, {"HRANDFIELD", "noh", "5"}, {"HRANDFIELD", "noh", "-5", "WITHVALUES"},
		{"HRANDFIELD", "n", "x"}, {"HRANDFIELD", "n", "1", "WITHSCORES"}, {"HRANDFIELD", "n", "1", "WITHVALUES", "x"},
		{"HRANDFIELD", "n", "-9223372036854775808"}, {"HRANDFIELD", "n", "-4611686018427387903", "WITHVALUES", "x"},
		{"HRANDFIELD", "n", "9223372036854775807", "WITHVALUES"}, {"HRANDFIELD", "n", "-4611686018427387904", "WITHVALUES"},
		{"HRANDFIELD", "n", "4611686018427387903", "withvalues"}, {"HRANDFIELD", "n", "0"}, {"HRANDFIELD", "n", "0", "WITHVALUES"},
		{"HRANDFIELD", "n", "100"}, {"HRANDFIELD", "n", "100", "WITHVALUES"}, {"HRANDFIELD", "noh", "x"},
		// HSCAN of a listpack: everything at once, whatever the cursor.
		{"HSCAN", "n", "0"}, {"HSCAN", "n", "17"}, {"HSCAN", "n", "0", "MATCH", "s*"}, {"HSCAN", "n", "0", "MATCH", "*"},
		{"HSCAN", "n", "0", "COUNT", "1"}, {"HSCAN", "n", "0", "COUNT", "0"}, {"HSCAN", "n", "0", "COUNT", "x"},
		{"HSCAN", "n", "0", "MATCH"}, {"HSCAN", "n", "0", "TYPE", "hash"}, {"HSCAN", "n", "0", "foo", "bar"},
		{"HSCAN", "n", "x"}, {"HSCAN", "n", "-1"}, {"HSCAN", "n", ""}, {"HSCAN", "noh", "0"}, {"HSCAN", "noh", "0", "COUNT", "0"},
		{"HSCAN", "noh", "x"}, {"HSCAN", "n", "0", "MATCH", ""}, {"HSCAN", "n", "0", "NOVALUES"},
		{"HSET", "e", "", "v"}, {"HSCAN", "e", "0", "MATCH", "*"}, {"HSCAN", "e", "0", "MATCH", ""}, {"HSCAN", "e", "0", "MATCH", "**"},
		// Encodings: the thresholds, shared by Redis 7.0 and 7.2.
		{"HSET", "enc", "f", strings.Repeat("v", 64)}, {"OBJECT", "ENCODING", "enc"}, {"HSET", "enc", "g", long},
		{"OBJECT", "ENCODING", "enc"}, {"HDEL", "enc", "g"}, {"OBJECT", "ENCODING", "enc"},
		{"HSET", "enc2", "a", "1", "b", long}, {"OBJECT", "ENCODING", "enc2"},
		{"HSET", "enc3", "a", "1"}, {"HSETNX", "enc3", "a", long}, {"OBJECT", "ENCODING", "enc3"},
		{"HSETNX", "enc3", "b", long}, {"OBJECT", "ENCODING", "enc3"},
		{"HSET", "enc4", "a", "1"}, {"HINCRBY", "enc4", long, "1"}, {"OBJECT", "ENCODING", "enc4"},
		{"HSET", "enc5", "a", "1"}, {"HINCRBYFLOAT", "enc5", long, "1.5"}, {"OBJECT", "ENCODING", "enc5"},
		{"HSET", "enc6", long, "1"}, {"OBJECT", "ENCODING", "enc6"}, {"HSET", "enc7", "a", "1", "a", long},
		{"OBJECT", "ENCODING", "enc7"}, {"HGETALL", "enc7"},
		// Other commands on hashes: a copy keeps the encoding and is independent of its source.
		{"COPY", "n", "ncopy"}, {"HGETALL", "ncopy"}, {"OBJECT", "ENCODING", "ncopy"}, {"HSET", "ncopy", "a", "changed"},
		{"HGET", "n", "a"}, {"COPY", "enc", "enccopy"}, {"OBJECT", "ENCODING", "enccopy"}, {"HGETALL", "enccopy"},
		{"RENAME", "ncopy", "nrenamed"}, {"HGETALL", "nrenamed"}, {"TYPE", "nrenamed"}, {"LPUSH", "nrenamed", "x"},
		{"GET", "nrenamed"}, {"SADD", "nrenamed", "x"},
	} {
		p.Check(c...)
	}
	p.CheckUnordered("SCAN", "0", "TYPE", "hash", "COUNT", "1000")
	for i := 0; i < 30; i++ {
		checkHashRand(p, "HRANDFIELD", "n")
		checkHashRand(p, "HRANDFIELD", "n", "3")
		checkHashRand(p, "HRANDFIELD", "n", "-20")
		checkHashRand(p, "HRANDFIELD", "n", "5", "WITHVALUES")
		checkHashRand(p, "HRANDFIELD", "n", "-9", "WITHVALUES")
		checkHashRand(p, "HRANDFIELD", "n", "1", "WITHVALUES")
	}

	// The entries limit, and a big hash in the hashtable encoding.
	args := []string{"HSET", "big"}
	for i := 0; i < 512; i++ {
		args = append(args, fmt.Sprint("field:", i), fmt.Sprint(i))
	}
	p.Check(args...)
	p.Check("OBJECT", "ENCODING", "big")
	p.Check("HGETALL", "big")
	p.Check("HSETNX", "big", "one-more", "x")
	p.Check("OBJECT", "ENCODING", "big")
	for i := 0; i < 400; i++ {
		p.Check("HDEL", "big", fmt.Sprint("field:", i))
	}
	p.Check("OBJECT", "ENCODING", "big")
	p.CheckWith(sortFieldPairs, "HGETALL", "big")
	p.CheckUnordered("HKEYS", "big")
	p.CheckUnordered("HVALS", "big")
	p.Check("HLEN", "big")
	p.Check("HGET", "big", "field:450")
	p.Check("HINCRBY", "big", "field:450", "1000")
	p.Check("HINCRBYFLOAT", "big", "field:451", "0.25")
	for i := 0; i < 20; i++ {
		checkHashRand(p, "HRANDFIELD", "big", "-5", "WITHVALUES")
		checkHashRand(p, "HRANDFIELD", "big", "7", "WITHVALUES")
		checkHashRand(p, "HRANDFIELD", "big", "90")
		checkHashRand(p, "HRANDFIELD", "big", "200")
	}
	checkScanAll(t, p, "HSCAN", "big", true, "COUNT", "7")
	checkScanAll(t, p, "HSCAN", "big", true, "MATCH", "field:4*")
	checkScanAll(t, p, "HSCAN", "big", true)

	// A lower limit through CONFIG SET applies to hashes as they next grow.
	p.Check("CONFIG", "SET", "hash-max-listpack-entries", "3")
	p.Check("HSET", "cfg", "a", "1", "b", "2", "c", "3")
	p.Check("OBJECT", "ENCODING", "cfg")
	p.Check("HSET", "cfg", "d", "4")
	p.Check("OBJECT", "ENCODING", "cfg")
	p.Check("CONFIG", "SET", "hash-max-listpack-entries", "512")

	for _, proto := range []string{"3", "2"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		for _, c := range [][]string{{"HGETALL", "n"}, {"HGETALL", "noh"}, {"HGET", "n", "zz"}, {"HMGET", "n", "a", "zz"},
			{"HKEYS", "n"}, {"HVALS", "n"}, {"HRANDFIELD", "noh"}, {"HRANDFIELD", "noh", "3", "WITHVALUES"},
			{"HRANDFIELD", "n", "100", "WITHVALUES"}, {"HRANDFIELD", "n", "0", "WITHVALUES"}, {"HSCAN", "n", "0"},
			{"HINCRBYFLOAT", "n", "fl", "1.5"}, {"HSCAN", "noh", "0"}} {
			p.Check(c...)
		}
		p.CheckWith(sortFieldPairs, "HGETALL", "big")
		checkScanAll(t, p, "HSCAN", "big", true, "COUNT", "20")
		for i := 0; i < 10; i++ {
			checkHashRand(p, "HRANDFIELD", "n", "-3", "WITHVALUES")
			checkHashRand(p, "HRANDFIELD", "n", "2", "WITHVALUES")
			checkHashRand(p, "HRANDFIELD", "big", "-3", "WITHVALUES")
			checkHashRand(p, "HRANDFIELD", "big", "3", "WITHVALUES")
			checkHashRand(p, "HRANDFIELD", "big", "1000", "WITHVALUES")
		}
	}

	// A seeded random sequence over a few keys, one of them a string.
	rng := rand.New(rand.NewPCG(7, 11))
	keys := []string{"r1", "r2", "r3", "str"}
	p.Check("SET", "str", "x")
	key := func() string { return keys[rng.IntN(len(keys))] }
	field := func() string {
		if rng.IntN(30) == 0 {
			return long
		}
		return "f" + strconv.Itoa(rng.IntN(12))
	}
	vals := []string{"a", "", "1", "-3", "10", "1.5", "9223372036854775807", strings.Repeat("v", 64), long, "abc"}
	val := func() string { return vals[rng.IntN(len(vals))] }
	for i := 0; i < 3000; i++ {
		k := key()
		var c []string
		switch rng.IntN(16) {
		case 0, 1:
			c = []string{"HSET", k, field(), val()}
			for range rng.IntN(3) {
				c = append(c, field(), val())
			}
		case 2:
			c = []string{"HSETNX", k, field(), val()}
		case 3:
			c = []string{"HDEL", k, field(), field()}
		case 4:
			c = []string{"HGET", k, field()}
		case 5:
			c = []string{"HMGET", k, field(), field(), field()}
		case 6:
			c = []string{"HINCRBY", k, field(), []string{"1", "-2", "100", "x", "9223372036854775807"}[rng.IntN(5)]}
		case 7:
			c = []string{"HINCRBYFLOAT", k, field(), []string{"0.5", "-1.25", "3", "x", "1e300"}[rng.IntN(5)]}
		case 8:
			c = []string{"HLEN", k}
		case 9:
			c = []string{"HSTRLEN", k, field()}
		case 10:
			c = []string{"HEXISTS", k, field()}
		case 11, 12:
			// Compare the encoding, then the content: in order while it is a listpack.
			if !p.Check("OBJECT", "ENCODING", k) {
				t.Fatalf("stopping at random command %d (seed 7,11): OBJECT ENCODING %s", i, k)
			}
			cmd := []string{"HGETALL", "HKEYS", "HVALS"}[rng.IntN(3)]
			var ok bool
			if v := p.Redis.Do("OBJECT", "ENCODING", k); string(v.Str) == "hashtable" {
				ok = p.CheckWith(difftest.Chain(sortFieldPairs, difftest.SortElems), cmd, k)
			} else {
				ok = p.Check(cmd, k)
			}
			if !ok {
				t.Fatalf("stopping at random command %d (seed 7,11): %s %s", i, cmd, k)
			}
			continue
		case 13:
			if !checkHashRand(p, "HRANDFIELD", k, strconv.Itoa(rng.IntN(10)-5), "WITHVALUES") {
				t.Fatalf("stopping at random command %d (seed 7,11): HRANDFIELD %s", i, k)
			}
			continue
		case 14:
			c = []string{"DEL", k}
		case 15:
			c = []string{"EXISTS", k}
		}
		if !p.Check(c...) {
			t.Fatalf("stopping at random command %d (seed 7,11): %s", i, fmt.Sprint(c))
		}
	}
}

// checkScanAll runs a full HSCAN or SSCAN on each server and compares the sets of elements returned (the
// cursors and batches differ: the hash functions do), checking every reply's shape on the way. With pairs, the
// elements are field-value pairs.
func checkScanAll(t *testing.T, p *difftest.Pair, cmd, key string, pairs bool, opts ...string) {
	t.Helper()
	collect := func(c *difftest.Conn) map[string]string {
		got := map[string]string{}
		cursor := "0"
		for calls := 0; calls < 100000; calls++ {
			v := c.Do(append([]string{cmd, key, cursor}, opts...)...)
			if v.Type != resp.TypeArray || len(v.Elems) != 2 || v.Elems[1].Type != resp.TypeArray {
				t.Errorf("%s: malformed reply %s", cmd, difftest.Format(v))
				return got
			}
			elems := v.Elems[1].Elems
			if pairs && len(elems)%2 != 0 {
				t.Errorf("%s: odd number of elements", cmd)
			}
			for i := 0; i < len(elems); i++ {
				if pairs && i+1 < len(elems) {
					got[string(elems[i].Str)] = string(elems[i+1].Str)
					i++
				} else {
					got[string(elems[i].Str)] = ""
				}
			}
			cursor = string(v.Elems[0].Str)
			if cursor == "0" {
				return got
			}
		}
		t.Errorf("%s did not finish", cmd)
		return got
	}
	want, got := collect(p.Redis), collect(p.Carmine)
	if fmt.Sprint(want) != fmt.Sprint(got) {
		t.Errorf("%s %s %q: redis returned %d elements, carmine %d:\n  redis:   %v\n  carmine: %v", cmd, key, opts,
			len(want), len(got), want, got)
	}
}
