package node

import "testing"

// BenchmarkHashSetCommands measures the hash and set handlers through the dispatcher, without the network.
func BenchmarkHashSetCommands(b *testing.B) {
	c := benchClient(b)
	args := bs
	c.execute(args("HSET", "h", "f1", "v1", "f2", "v2", "f3", "v3"))
	c.execute(args("SADD", "s", "a", "b", "c"))
	c.execute(args("SADD", "i", "1", "2", "3"))
	runBenchCommands(b, c, []benchCommand{
		{"hset", args("HSET", "h", "f2", "xx")},
		{"hget", args("HGET", "h", "f2")},
		{"hincrby", args("HINCRBY", "h", "n", "1")},
		{"hgetall", args("HGETALL", "h")},
		{"sadd", args("SADD", "s", "b")},
		{"sismember", args("SISMEMBER", "s", "c")},
		{"sadd-intset", args("SADD", "i", "2")},
		{"smembers", args("SMEMBERS", "i")},
	})
}
