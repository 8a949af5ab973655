package node

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
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
