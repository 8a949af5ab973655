package node

import (
	"strings"
	"testing"

	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// startPairArgs starts real Redis with the redis-server options args ("--maxmemory", "1") and Carmine with
// the same options parsed as its command line, and connects to both.
func startPairArgs(t *testing.T, args []string, opts ...func(*Config)) *difftest.Pair {
	t.Helper()
	redis := difftest.StartRedis(t, args...)
	parsed, err := ParseArgs(args, nil)
	if err != nil {
		t.Fatalf("parsing %q: %v", args, err)
	}
	_, addr := startServer(t, append([]func(*Config){func(c *Config) {
		c.MaxMemory, c.MaxMemoryPolicy, c.MaxMemorySamples = parsed.MaxMemory, parsed.MaxMemoryPolicy, parsed.MaxMemorySamples
		c.LFULogFactor, c.LFUDecayTime = parsed.LFULogFactor, parsed.LFUDecayTime
	}}, opts...)...)
	return difftest.NewPair(t, redis.Addr, addr)
}

// roughly maps integers to coarse buckets, for replies that must agree only in order of magnitude: idle times
// of 0 or 1 second read 0, and MEMORY USAGE of a small key (16 to 256 bytes) reads 64.
func roughly(v resp.Value) resp.Value {
	switch {
	case v.Type != resp.TypeInt:
	case v.Int >= 0 && v.Int <= 1:
		v.Int = 0
	case v.Int >= 16 && v.Int <= 256:
		v.Int = 64
	}
	return v
}

// TestDiffObject compares OBJECT and MEMORY with real Redis under the default configuration: the encodings
// each string command leaves behind, reference counts of shared integers, idle times and the errors.
func TestDiffObject(t *testing.T) { ioModes(t, testDiffObject) }

func testDiffObject(t *testing.T, mode func(*Config)) {
	p := startPair(t, "", mode)
	long := strings.Repeat("x", 45)
	cases := [][]string{
		{"OBJECT"}, {"OBJECT", "HELP"}, {"OBJECT", "help", "x"}, {"OBJECT", "FOO"}, {"OBJECT", "FOO", "k"},
		{"OBJECT", "ENCODING"}, {"OBJECT", "ENCODING", "a", "b"}, {"OBJECT", "ENCODING", "nokey"},
		{"OBJECT", "REFCOUNT", "nokey"}, {"OBJECT", "IDLETIME", "nokey"}, {"OBJECT", "FREQ", "nokey"}, {"OBJECT", "FREQ"},
		{"MEMORY"}, {"MEMORY", "HELP"}, {"MEMORY", "help", "x"}, {"MEMORY", "FOO"}, {"MEMORY", "USAGE"},
		{"MEMORY", "USAGE", "nokey"}, {"MEMORY", "USAGE", "nokey", "SAMPLES", "x"},
		// Encodings and reference counts of what each command stores.
		{"SET", "int", "123"}, {"OBJECT", "ENCODING", "int"}, {"OBJECT", "REFCOUNT", "int"},
		{"SET", "big", "10000"}, {"OBJECT", "ENCODING", "big"}, {"OBJECT", "REFCOUNT", "big"},
		{"SET", "zero", "0"}, {"OBJECT", "REFCOUNT", "zero"}, {"SET", "neg", "-1"}, {"OBJECT", "ENCODING", "neg"},
		{"OBJECT", "REFCOUNT", "neg"}, {"SET", "huge", "12345678901234567890"}, {"OBJECT", "ENCODING", "huge"},
		{"SET", "max", "9223372036854775807"}, {"OBJECT", "ENCODING", "max"}, {"SET", "lead", "007"},
		{"OBJECT", "ENCODING", "lead"}, {"SET", "negzero", "-0"}, {"OBJECT", "ENCODING", "negzero"},
		{"SET", "s", "hello"}, {"OBJECT", "ENCODING", "s"}, {"OBJECT", "REFCOUNT", "s"},
		{"SET", "s44", long[:44]}, {"OBJECT", "ENCODING", "s44"}, {"SET", "s45", long}, {"OBJECT", "ENCODING", "s45"},
		{"SET", "s45", "short"}, {"OBJECT", "ENCODING", "s45"}, {"SET", "s45", "12"}, {"OBJECT", "ENCODING", "s45"},
		{"APPEND", "new", "12"}, {"OBJECT", "ENCODING", "new"}, {"APPEND", "new", "3"}, {"OBJECT", "ENCODING", "new"},
		{"APPEND", "new2", "hello"}, {"OBJECT", "ENCODING", "new2"}, {"APPEND", "s", "x"}, {"OBJECT", "ENCODING", "s"},
		{"SETRANGE", "sr", "0", "12"}, {"OBJECT", "ENCODING", "sr"}, {"SETRANGE", "int", "0", "9"}, {"OBJECT", "ENCODING", "int"},
		{"SET", "f", "5"}, {"INCRBYFLOAT", "f", "1"}, {"OBJECT", "ENCODING", "f"}, {"OBJECT", "REFCOUNT", "f"},
		{"INCRBYFLOAT", "f", "0.5"}, {"OBJECT", "ENCODING", "f"}, {"INCRBYFLOAT", "nof", "2"}, {"OBJECT", "ENCODING", "nof"},
		{"SET", "e", "6"}, {"INCRBYFLOAT", "e", "0"}, {"INCR", "e"}, {"OBJECT", "ENCODING", "e"}, {"OBJECT", "REFCOUNT", "e"},
		{"SET", "c", "9998"}, {"INCR", "c"}, {"OBJECT", "REFCOUNT", "c"}, {"INCR", "c"}, {"OBJECT", "REFCOUNT", "c"},
		{"DECRBY", "c", "100"}, {"OBJECT", "REFCOUNT", "c"}, {"INCR", "fresh"}, {"OBJECT", "REFCOUNT", "fresh"},
		{"GETSET", "gs", "5"}, {"OBJECT", "ENCODING", "gs"}, {"MSET", "m1", "1", "m2", "x"}, {"OBJECT", "ENCODING", "m1"},
		{"OBJECT", "ENCODING", "m2"}, {"SETEX", "se", "100", "77"}, {"OBJECT", "ENCODING", "se"},
		{"SETNX", "nx", long}, {"OBJECT", "ENCODING", "nx"}, {"COPY", "new", "cp"}, {"OBJECT", "ENCODING", "cp"},
		{"RENAME", "int", "renamed"}, {"OBJECT", "ENCODING", "renamed"}, {"OBJECT", "REFCOUNT", "renamed"},
		{"OBJECT", "encoding", "renamed"}, {"object", "Encoding", "renamed"},
		// No LFU policy: FREQ is an error, but only for a key that exists.
		{"OBJECT", "FREQ", "s"},
		// MEMORY USAGE option errors.
		{"MEMORY", "USAGE", "s", "SAMPLES"}, {"MEMORY", "USAGE", "s", "SAMPLES", "x"}, {"MEMORY", "USAGE", "s", "SAMPLES", "-1"},
		{"MEMORY", "USAGE", "s", "FOO"}, {"MEMORY", "USAGE", "s", "SAMPLES", "1", "FOO"},
		{"MEMORY", "USAGE", "nokey", "SAMPLES", "-1"}, {"MEMORY", "USAGE", "nokey", "FOO"},
	}
	for _, c := range cases {
		p.Check(c...)
	}
	for _, c := range [][]string{
		{"OBJECT", "IDLETIME", "s"}, {"OBJECT", "IDLETIME", "renamed"}, {"MEMORY", "USAGE", "s"},
		{"MEMORY", "USAGE", "int"}, {"MEMORY", "USAGE", "renamed", "SAMPLES", "0"}, {"MEMORY", "USAGE", "s45", "samples", "5"},
	} {
		p.CheckWith(roughly, c...)
	}
}

// TestDiffObjectLFU compares OBJECT FREQ and IDLETIME under an LFU policy. With lfu-log-factor 0 every access
// increments the counter and with lfu-decay-time 0 it never decays, so the counts are exact. A maxmemory keeps
// Redis from sharing small integers, whose one counter every key holding them would bump.
func TestDiffObjectLFU(t *testing.T) {
	p := startPairArgs(t, []string{"--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0",
		"--lfu-decay-time", "0"})
	cases := [][]string{
		{"OBJECT", "FREQ", "nokey"}, {"OBJECT", "IDLETIME", "nokey"},
		{"SET", "k", "v"}, {"OBJECT", "FREQ", "k"}, {"OBJECT", "IDLETIME", "k"}, {"GET", "k"}, {"OBJECT", "FREQ", "k"},
		{"GET", "k"}, {"GET", "k"}, {"OBJECT", "FREQ", "k"}, {"SET", "k", "w"}, {"OBJECT", "FREQ", "k"},
		{"TYPE", "k"}, {"EXISTS", "k"}, {"TTL", "k"}, {"OBJECT", "ENCODING", "k"}, {"OBJECT", "FREQ", "k"},
		{"TOUCH", "k"}, {"STRLEN", "k"}, {"APPEND", "k", "x"}, {"GETRANGE", "k", "0", "1"}, {"OBJECT", "FREQ", "k"},
		{"SET", "n", "100"}, {"OBJECT", "REFCOUNT", "n"}, {"INCR", "n"}, {"INCR", "n"}, {"OBJECT", "FREQ", "n"},
		{"MGET", "n", "k", "nokey"}, {"OBJECT", "FREQ", "n"}, {"GETSET", "n", "1"}, {"OBJECT", "FREQ", "n"},
		{"SET", "n", "2", "GET"}, {"OBJECT", "FREQ", "n"}, {"COPY", "n", "n2"}, {"OBJECT", "FREQ", "n2"},
		{"RENAME", "n", "n3"}, {"OBJECT", "FREQ", "n3"}, {"SETRANGE", "n3", "0", "5"}, {"OBJECT", "FREQ", "n3"},
		{"INCRBYFLOAT", "n3", "1.5"}, {"OBJECT", "FREQ", "n3"}, {"INCRBY", "n3", "1"}, {"SET", "n3", "1"},
		{"INCRBY", "n3", "1"}, {"OBJECT", "FREQ", "n3"}, {"MSET", "n3", "4", "k", "5"}, {"OBJECT", "FREQ", "n3"},
		{"SETNX", "n3", "1"}, {"SET", "n3", "1", "NX"}, {"SET", "n3", "1", "XX"}, {"OBJECT", "FREQ", "n3"},
		{"GETEX", "n3"}, {"GETDEL", "n3"}, {"SET", "n3", "1", "GET"}, {"OBJECT", "FREQ", "n3"}, {"OBJECT", "FREQ", "k"},
	}
	for _, c := range cases {
		p.Check(c...)
	}
}

// TestDiffMaxMemory compares the replies once used memory is above maxmemory: with nothing that may be
// evicted, commands flagged denyoom get the OOM error while reads and deletions still run.
func TestDiffMaxMemory(t *testing.T) {
	for _, policy := range []string{"noeviction", "allkeys-lru", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			p := startPairArgs(t, []string{"--maxmemory", "1", "--maxmemory-policy", policy})
			for _, c := range [][]string{
				{"SET", "x", "1"}, {"GET", "x"}, {"DEL", "x"}, {"APPEND", "x", "y"}, {"INCR", "x"}, {"MSET", "a", "1"},
				{"SETRANGE", "x", "0", "a"}, {"EXISTS", "x"}, {"DBSIZE"}, {"EXPIRE", "x", "10"}, {"PING"},
				{"OBJECT", "ENCODING", "x"}, {"SET", "x"}, {"NOSUCHCOMMAND"}, {"GETDEL", "x"}, {"INCRBYFLOAT", "x", "1"},
				{"SETNX", "x", "1"}, {"GETEX", "x"}, {"COPY", "x", "y"}, {"RENAME", "x", "y"},
			} {
				p.Check(c...)
			}
		})
	}
}

// TestDiffRefCountMaxMemory checks that with maxmemory set and an LRU policy, small integers are not shared.
func TestDiffRefCountMaxMemory(t *testing.T) {
	p := startPairArgs(t, []string{"--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru"})
	for _, c := range [][]string{
		{"SET", "n", "100"}, {"OBJECT", "REFCOUNT", "n"}, {"INCR", "n"}, {"OBJECT", "REFCOUNT", "n"},
		{"OBJECT", "ENCODING", "n"}, {"OBJECT", "FREQ", "n"},
	} {
		p.Check(c...)
	}
	p.CheckWith(roughly, "OBJECT", "IDLETIME", "n")
}
