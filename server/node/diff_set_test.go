package node

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// setTruth reads a set's members from real Redis.
func setTruth(p *difftest.Pair, key string) map[string]string {
	v := p.Redis.Do("SMEMBERS", key)
	m := map[string]string{}
	for _, e := range v.Elems {
		m[string(e.Str)] = ""
	}
	return m
}

// checkSetRand checks SRANDMEMBER or SPOP: membership, count, and distinctness unless the count is negative.
// SPOP changes each server differently, so afterwards Carmine's set is made equal to Redis's again.
func checkSetRand(p *difftest.Pair, args ...string) bool {
	rc := randCheck{truth: setTruth(p, args[1]), distinct: true}
	if len(args) > 2 {
		n, err := strconv.Atoi(args[2])
		rc.distinct = err != nil || n >= 0
	}
	ok := p.CheckWith(rc.norm, args...)
	if strings.EqualFold(args[0], "SPOP") {
		resyncSet(p, args[1])
	}
	return ok
}

// resyncSet gives Carmine's key the members Redis's has.
func resyncSet(p *difftest.Pair, key string) {
	v := p.Redis.Do("SMEMBERS", key)
	if v.Type == resp.TypeError {
		return // not a set: SPOP changed nothing
	}
	p.Carmine.Do("DEL", key)
	if len(v.Elems) == 0 {
		return
	}
	args := []string{"SADD", key}
	for _, e := range v.Elems {
		args = append(args, string(e.Str))
	}
	p.Carmine.Do(args...)
}

// TestDiffSets runs the set commands with valid and invalid arguments against real Redis and Carmine and
// compares every reply, in RESP2 and RESP3, then a seeded random sequence. Redis 7.0 has no listpack sets, so
// encodings are compared only where 7.0 and 7.2 agree (intset, and hashtable for big sets); members of sets
// that are not intsets are compared unordered.
func TestDiffSets(t *testing.T) { ioModes(t, testDiffSets) }

func testDiffSets(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	long := strings.Repeat("L", 65)
	for _, c := range [][]string{
		{"SADD", "i"}, {"SADD", "i", "3", "1", "2", "1"}, {"SADD", "i", "-5", "100000", "9223372036854775807"},
		{"SMEMBERS", "i"}, {"SADD", "i", "-9223372036854775808", "0"}, {"SMEMBERS", "i"}, {"OBJECT", "ENCODING", "i"},
		{"SCARD", "i"}, {"SISMEMBER", "i", "2"}, {"SISMEMBER", "i", "02"}, {"SISMEMBER", "i", "x"}, {"SISMEMBER", "noi", "1"},
		{"SMISMEMBER", "i", "1", "7", "x", "-5"}, {"SMISMEMBER", "noi", "1", "2"}, {"SMISMEMBER", "i"}, {"SCARD", "noi"},
		{"SREM", "i", "1", "7", "x"}, {"SREM", "noi", "1"}, {"SREM", "i"}, {"SMEMBERS", "i"}, {"SMEMBERS", "noi"},
		{"SET", "str", "v"}, {"SADD", "str", "a"}, {"SREM", "str", "a"}, {"SCARD", "str"}, {"SISMEMBER", "str", "a"},
		{"SMISMEMBER", "str", "a"}, {"SMEMBERS", "str"}, {"SPOP", "str"}, {"SPOP", "str", "1"}, {"SRANDMEMBER", "str"},
		{"SRANDMEMBER", "str", "1"}, {"SMOVE", "str", "i", "a"}, {"SMOVE", "i", "str", "2"}, {"SMOVE", "noi", "str", "2"},
		{"SINTER", "i", "str"}, {"SINTER", "noi", "str"}, {"SUNION", "i", "str"}, {"SDIFF", "i", "str"}, {"SDIFF", "noi", "str"},
		{"SINTERSTORE", "d", "i", "str"}, {"SUNIONSTORE", "d", "str"}, {"SDIFFSTORE", "d", "i", "str"}, {"SSCAN", "str", "0"},
		{"SINTERCARD", "2", "i", "str"}, {"SMEMBERS", "i"},
		// Strings join the set: 7.0 converts to hashtable, 7.2 to listpack, so from here compare unordered.
		{"SADD", "i", "a", "b"}, {"SISMEMBER", "i", "a"}, {"SISMEMBER", "i", "3"}, {"SREM", "i", "3", "a"}, {"SCARD", "i"},
		{"SADD", "s", "x", "y", "z", "", "1"}, {"SADD", "s", "x"}, {"SISMEMBER", "s", ""}, {"SREM", "s", ""},
		// SPOP and SRANDMEMBER arguments.
		{"SPOP", "noi"}, {"SPOP", "noi", "3"}, {"SPOP", "s", "-1"}, {"SPOP", "s", "x"}, {"SPOP", "s", "1", "2"}, {"SPOP", "s", "0"},
		{"SPOP", "s", "9223372036854775808"}, {"SRANDMEMBER", "noi"}, {"SRANDMEMBER", "noi", "3"}, {"SRANDMEMBER", "noi", "-3"},
		{"SRANDMEMBER", "s", "x"}, {"SRANDMEMBER", "s", "1", "2"}, {"SRANDMEMBER", "s", "0"},
		{"SRANDMEMBER", "s", "-9223372036854775808"}, {"SRANDMEMBER", "noi", "-9223372036854775808"},
		// SMOVE
		{"SADD", "m1", "1", "2", "3"}, {"SMOVE", "m1", "m2", "1"}, {"SMOVE", "m1", "m2", "1"}, {"SMOVE", "m1", "m2", "9"},
		{"SMEMBERS", "m1"}, {"SMEMBERS", "m2"}, {"OBJECT", "ENCODING", "m2"}, {"SMOVE", "m1", "m1", "2"}, {"SMOVE", "m1", "m1", "9"},
		{"SMOVE", "noi", "noi", "9"}, {"SMOVE", "m1", "m2", "2"}, {"SMOVE", "m1", "m2", "3"}, {"EXISTS", "m1"}, {"SMEMBERS", "m2"},
		{"SADD", "m3", "2"}, {"SMOVE", "m2", "m3", "2"}, {"SMEMBERS", "m3"}, {"SMOVE", "m2"},
		// Set algebra on intsets: sorted replies, the same in 7.0 and 7.2.
		{"SADD", "a", "1", "2", "3", "4", "5"}, {"SADD", "b", "4", "5", "6"}, {"SADD", "c", "5", "6", "7"},
		{"SINTER", "a", "b"}, {"SINTER", "a", "b", "c"}, {"SINTER", "a", "noi"}, {"SINTER", "a"}, {"SINTER", "a", "a"},
		{"SUNION", "a", "b", "c"}, {"SUNION", "noi"}, {"SUNION", "a", "noi"}, {"SDIFF", "a", "b"}, {"SDIFF", "a", "b", "c"},
		{"SDIFF", "a", "noi"}, {"SDIFF", "a", "a"}, {"SDIFF", "noi", "a"}, {"SDIFF", "a", "b", "a"},
		{"SINTERSTORE", "d", "a", "b"}, {"SMEMBERS", "d"}, {"OBJECT", "ENCODING", "d"}, {"SUNIONSTORE", "d", "a", "c"},
		{"SMEMBERS", "d"}, {"OBJECT", "ENCODING", "d"}, {"SDIFFSTORE", "d", "a", "b"}, {"SMEMBERS", "d"},
		{"SINTERSTORE", "d", "a", "noi"}, {"EXISTS", "d"}, {"SUNIONSTORE", "d", "a"}, {"SDIFFSTORE", "d", "a", "a"},
		{"EXISTS", "d"}, {"SUNIONSTORE", "d", "noi"}, {"SINTERSTORE", "a", "a", "b"}, {"SMEMBERS", "a"},
		{"SET", "d", "x"}, {"SUNIONSTORE", "d", "b"}, {"TYPE", "d"}, {"SET", "d", "x"}, {"SINTERSTORE", "d", "noi"},
		{"EXISTS", "d"}, {"SINTERSTORE", "d"}, {"SUNION"}, {"SDIFFSTORE", "d"},
		{"SINTERCARD", "2", "a", "b"}, {"SINTERCARD", "3", "a", "b", "c"}, {"SINTERCARD", "1", "b", "LIMIT", "2"},
		{"SINTERCARD", "1", "b", "LIMIT", "0"}, {"SINTERCARD", "1", "b", "limit", "100"}, {"SINTERCARD", "2", "b", "noi"},
		{"SINTERCARD", "0", "b"}, {"SINTERCARD", "-1", "b"}, {"SINTERCARD", "x", "b"}, {"SINTERCARD", "3", "a", "b"},
		{"SINTERCARD", "1", "b", "LIMIT", "-1"}, {"SINTERCARD", "1", "b", "LIMIT", "x"}, {"SINTERCARD", "1", "b", "LIMIT"},
		{"SINTERCARD", "1", "b", "foo"}, {"SINTERCARD", "1", "b", "LIMIT", "1", "LIMIT", "2"}, {"SINTERCARD", "1", "str"},
		{"SINTERCARD", "1"},
		// SSCAN of an intset: everything at once.
		{"SSCAN", "c", "0"}, {"SSCAN", "c", "5"}, {"SSCAN", "c", "0", "MATCH", "6"}, {"SSCAN", "c", "0", "COUNT", "1"},
		{"SSCAN", "c", "0", "COUNT", "0"}, {"SSCAN", "c", "0", "TYPE", "set"}, {"SSCAN", "c", "x"}, {"SSCAN", "noi", "0"},
		{"SSCAN", "noi", "0", "foo"}, {"SSCAN", "c", "0", "MATCH"},
		// Encodings both versions agree on.
		{"SADD", "long", long}, {"OBJECT", "ENCODING", "long"}, {"SADD", "long2", "1", long}, {"OBJECT", "ENCODING", "long2"},
		// Other commands on sets, and sets beside other kinds.
		{"COPY", "c", "ccopy"}, {"SMEMBERS", "ccopy"}, {"OBJECT", "ENCODING", "ccopy"}, {"SADD", "ccopy", "100"},
		{"SMEMBERS", "c"}, {"COPY", "long", "lcopy"}, {"OBJECT", "ENCODING", "lcopy"}, {"SMEMBERS", "lcopy"},
		{"HSET", "hh", "f", "v"}, {"SMOVE", "c", "hh", "5"}, {"SMOVE", "hh", "c", "5"}, {"SMEMBERS", "c"}, {"SINTER", "c", "hh"},
		{"SUNIONSTORE", "hh", "c"}, {"TYPE", "hh"}, {"SDIFFSTORE", "c", "hh"}, {"SINTERCARD", "1", "hh"},
		{"SCAN", "0", "TYPE", "set", "COUNT", "1000"},
	} {
		p.CheckUnordered(c...)
	}
	for i := 0; i < 30; i++ {
		checkSetRand(p, "SRANDMEMBER", "s")
		checkSetRand(p, "SRANDMEMBER", "s", "2")
		checkSetRand(p, "SRANDMEMBER", "s", "-10")
		checkSetRand(p, "SRANDMEMBER", "s", "100")
		checkSetRand(p, "SRANDMEMBER", "c", "-4")
		checkSetRand(p, "SRANDMEMBER", "c", "1")
	}
	checkSetRand(p, "SPOP", "s")
	checkSetRand(p, "SPOP", "s", "2")
	checkSetRand(p, "SPOP", "s", "10")
	p.Check("EXISTS", "s")
	checkSetRand(p, "SPOP", "c")
	checkSetRand(p, "SPOP", "c", "1")
	checkSetRand(p, "SPOP", "c")
	p.Check("EXISTS", "c")

	// The intset limit and big sets.
	ints := []string{"SADD", "bigi"}
	for i := 0; i < 512; i++ {
		ints = append(ints, strconv.Itoa(i*3))
	}
	p.Check(ints...)
	p.Check("OBJECT", "ENCODING", "bigi")
	p.Check("SMEMBERS", "bigi")
	p.Check("SADD", "bigi", "-1")
	p.Check("OBJECT", "ENCODING", "bigi")
	p.Check("SREM", "bigi", "-1", "0", "3")
	p.Check("OBJECT", "ENCODING", "bigi")
	p.Check(append(ints[:len(ints):len(ints)], "1")...)
	p.Check("SADD", "bigi2", "1")
	p.Check(append([]string{"SADD", "bigi2"}, ints[2:]...)...)
	p.Check("OBJECT", "ENCODING", "bigi2")
	strs := []string{"SADD", "bigs"}
	for i := 0; i < 1000; i++ {
		strs = append(strs, fmt.Sprint("member:", i))
	}
	p.Check(strs...)
	p.Check("OBJECT", "ENCODING", "bigs")
	p.CheckUnordered("SMEMBERS", "bigs")
	p.CheckUnordered("SINTER", "bigs", "bigi")
	p.CheckUnordered("SDIFF", "bigi", "bigs")
	p.Check("SINTERSTORE", "d", "bigi", "bigi2")
	p.Check("OBJECT", "ENCODING", "d")
	p.Check("SUNIONSTORE", "d", "bigs", "bigi")
	p.Check("OBJECT", "ENCODING", "d")
	p.CheckUnordered("SMEMBERS", "d")
	p.Check("SINTERCARD", "2", "bigs", "d")
	p.Check("SINTERCARD", "2", "bigs", "d", "LIMIT", "10")
	for i := 0; i < 10; i++ {
		checkSetRand(p, "SRANDMEMBER", "bigs", "10")
		checkSetRand(p, "SRANDMEMBER", "bigs", "-10")
		checkSetRand(p, "SRANDMEMBER", "bigs", "600")
		checkSetRand(p, "SRANDMEMBER", "bigi", "300")
		checkSetRand(p, "SRANDMEMBER", "bigi", "5")
	}
	checkScanAll(t, p, "SSCAN", "bigs", false)
	checkScanAll(t, p, "SSCAN", "bigs", false, "COUNT", "3")
	checkScanAll(t, p, "SSCAN", "bigs", false, "MATCH", "member:1*")
	checkScanAll(t, p, "SSCAN", "bigi", false, "COUNT", "50")
	checkSetRand(p, "SPOP", "bigs", "10")
	checkSetRand(p, "SPOP", "bigi", "400")
	p.Check("SCARD", "bigs")
	p.Check("SCARD", "bigi")

	for _, proto := range []string{"3", "2"} {
		p.CheckWith(helloNorm, "HELLO", proto)
		for _, c := range [][]string{{"SMEMBERS", "a"}, {"SMEMBERS", "noi"}, {"SINTER", "a", "b"}, {"SINTER", "a", "noi"},
			{"SUNION", "a", "b"}, {"SDIFF", "a", "b"}, {"SUNION", "noi"}, {"SPOP", "noi"}, {"SPOP", "noi", "2"}, {"SPOP", "a", "0"},
			{"SRANDMEMBER", "noi"}, {"SRANDMEMBER", "noi", "2"}, {"SRANDMEMBER", "a", "100"}, {"SMISMEMBER", "a", "1", "9"},
			{"SSCAN", "a", "0"}, {"SINTERCARD", "1", "a"}} {
			p.Check(c...)
		}
		p.Check("SADD", "p3", "1", "2", "3")
		checkSetRand(p, "SPOP", "p3", "5")
		p.Check("SADD", "p3", "1", "2", "3", "4", "5", "6")
		checkSetRand(p, "SPOP", "p3", "2")
		checkSetRand(p, "SRANDMEMBER", "a", "2")
		checkSetRand(p, "SRANDMEMBER", "a", "-5")
		checkScanAll(t, p, "SSCAN", "bigs", false, "COUNT", "20")
	}

	// A seeded random sequence over a few keys, one of them a string.
	rng := rand.New(rand.NewPCG(13, 17))
	keys := []string{"r1", "r2", "r3", "str"}
	p.Check("SET", "str", "x")
	key := func() string { return keys[rng.IntN(len(keys))] }
	member := func() string {
		switch rng.IntN(8) {
		case 0:
			return "m" + strconv.Itoa(rng.IntN(10))
		case 1:
			if rng.IntN(8) == 0 {
				return long
			}
			return ""
		}
		return strconv.Itoa(rng.IntN(40) - 5)
	}
	for i := 0; i < 3000; i++ {
		var c []string
		checked := false
		ok := true
		switch rng.IntN(18) {
		case 0, 1, 2:
			c = []string{"SADD", key()}
			for range 1 + rng.IntN(4) {
				c = append(c, member())
			}
		case 3:
			c = []string{"SREM", key(), member(), member()}
		case 4:
			c = []string{"SISMEMBER", key(), member()}
		case 5:
			c = []string{"SMISMEMBER", key(), member(), member()}
		case 6:
			c = []string{"SCARD", key()}
		case 7:
			c = []string{"SMEMBERS", key()}
		case 8:
			c = []string{"SMOVE", key(), key(), member()}
		case 9:
			c = []string{[]string{"SINTER", "SUNION", "SDIFF"}[rng.IntN(3)], key(), key(), key()}
		case 10:
			c = []string{[]string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}[rng.IntN(3)], key(), key(), key()}
		case 11:
			c = []string{"SINTERCARD", "2", key(), key(), "LIMIT", strconv.Itoa(rng.IntN(4))}
		case 12:
			c = []string{"SRANDMEMBER", key(), strconv.Itoa(rng.IntN(12) - 6)}
			ok, checked = checkSetRand(p, c...), true
		case 13:
			c = []string{"SPOP", key()}
			if rng.IntN(2) == 0 {
				c = append(c, strconv.Itoa(rng.IntN(5)))
			}
			ok, checked = checkSetRand(p, c...), true
		case 14:
			// Batches differ with the encoding (7.0 has no listpack sets): compare whole scans.
			c = []string{"SSCAN", key()}
			if rng.IntN(2) == 0 {
				c = append(c, "MATCH", "m*")
			}
			checkScanAll(t, p, c[0], c[1], false, c[2:]...)
			checked = true
		case 15:
			c = []string{"DEL", key()}
		case 16:
			c = []string{"EXISTS", key()}
		case 17:
			k := key()
			if v := p.Redis.Do("OBJECT", "ENCODING", k); string(v.Str) == "intset" {
				c = []string{"OBJECT", "ENCODING", k}
			} else {
				c = []string{"TYPE", k}
			}
		}
		if !checked {
			ok = p.CheckUnordered(c...)
		}
		if !ok {
			t.Fatalf("stopping at random command %d (seed 13,17): %s", i, fmt.Sprint(c))
		}
	}
}
