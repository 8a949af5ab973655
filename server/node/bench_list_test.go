package node

import "testing"

// BenchmarkListCommands measures redis-benchmark's list workloads through the dispatcher, without the network:
// LPUSH of a 3-byte element to one growing list, LRANGE of its first 100 elements, and RPOP.
func BenchmarkListCommands(b *testing.B) {
	c := benchClient(b)
	for range 100000 {
		c.execute(bs("LPUSH", "mylist", "xxx"))
	}
	runBenchCommands(b, c, []benchCommand{
		{"lpush", bs("LPUSH", "mylist", "xxx")},
		{"lrange-100", bs("LRANGE", "mylist", "0", "99")},
		{"lrange-300", bs("LRANGE", "mylist", "0", "299")},
		{"rpop", bs("RPOP", "mylist")},
	})
}
