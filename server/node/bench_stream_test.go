package node

import (
	"strconv"
	"testing"
)

// BenchmarkStreamCommands measures stream commands through the dispatcher without the network: XADD with an
// automatic id to a growing stream (redis-benchmark's XADD row), XADD with MAXLEN ~, and XRANGE of 100 entries
// of 1,000 (the XRANGE row).
func BenchmarkStreamCommands(b *testing.B) {
	c := benchClient(b)
	for i := 1; i <= 1000; i++ {
		c.execute(bs("XADD", "stream", strconv.Itoa(i)+"-0", "f", "v"+strconv.Itoa(i)))
	}
	runBenchCommands(b, c, []benchCommand{
		{"xadd", bs("XADD", "xs", "*", "field", "value")},
		{"xadd maxlen", bs("XADD", "xt", "MAXLEN", "~", "1000", "*", "field", "value")},
		{"xrange 100", bs("XRANGE", "stream", "400-0", "499-0")},
	})
}
