package node

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/carminedb/carmine/server/difftest"
)

func TestLatencyBuckets(t *testing.T) {
	// Every bucket's range starts right after the previous one's, and values map back into their bucket.
	next := int64(0)
	for i := 0; i < latencyBuckets; i++ {
		lo, hi := latencyRange(i)
		assert.Equal(t, next, lo, "bucket %d", i)
		assert.Equal(t, i, latencyIndex(lo))
		assert.Equal(t, i, latencyIndex(hi))
		if hi-lo+1 > 1 {
			assert.Less(t, float64(hi-lo+1)/float64(lo), 0.01, "bucket %d is narrow", i)
		}
		next = hi + 1
	}
	assert.Greater(t, next, int64(latencyMaxNs), "the last bucket reaches 1 s")

	// Matches Redis (HdrHistogram, 2 significant figures): 1 µs reads 1.003, 2 µs 2.007, p0 the bucket's lowest.
	tests := []struct {
		values []int64
		p      float64
		want   int64
	}{
		{[]int64{1000}, 50, 1003},
		{[]int64{2000}, 99.9, 2007},
		{[]int64{65700}, 0, 65536},
		{[]int64{65700}, 100, 66047},
		{[]int64{100, 200, 300, 400}, 50, 200},
		{[]int64{100, 200, 300, 400}, 99, 401}, // 256 to 511 ns go by twos
		{[]int64{0, 5_000_000_000}, 100, latencyMaxNs + 1<<22 - 1 - latencyMaxNs%(1<<22)},
	}
	for _, tt := range tests {
		var h latencyHist
		for _, v := range tt.values {
			h.record(v)
		}
		counts := make([]int64, latencyBuckets)
		for i := range counts {
			counts[i] = h.counts[i].Load()
		}
		assert.Equal(t, tt.want, latencyPercentile(counts, int64(len(tt.values)), tt.p), "%v p%v", tt.values, tt.p)
	}
}

// TestDiffLatencyStats compares INFO latencystats with real Redis: which commands appear (those called while
// latency-tracking was yes, since the last CONFIG RESETSTAT), and the fields of each, with values in Redis's
// format (the durations themselves differ).
func TestDiffLatencyStats(t *testing.T) {
	p := startPair(t, "")
	values := regexp.MustCompile(`=[0-9]+\.[0-9]{3}`)
	lines := func(c *difftest.Conn) string {
		text := values.ReplaceAllString(string(c.Do("INFO", "latencystats").Str), "=T")
		ls := strings.Split(strings.TrimSpace(text), "\r\n")
		sort.Strings(ls)
		return strings.Join(ls, "\n")
	}
	for _, step := range [][][]string{
		{{"CONFIG", "RESETSTAT"}, {"SET", "a", "1"}, {"GET", "a"}, {"GET", "a"}, {"INCR", "a", "b"}, {"LPUSH", "a", "x"}},
		{{"CONFIG", "SET", "latency-tracking-info-percentiles", "0 100 50.5 99.99"}, {"GET", "a"}},
		{{"CONFIG", "SET", "latency-tracking-info-percentiles", ""}},
		{{"CONFIG", "SET", "latency-tracking", "no"}, {"CONFIG", "RESETSTAT"}, {"GET", "a"}, {"CONFIG", "SET", "latency-tracking", "yes"}},
		{{"CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9"}, {"CLIENT", "ID"}},
	} {
		for _, cmd := range step {
			p.Redis.Do(cmd...)
			p.Carmine.Do(cmd...)
		}
		assert.Equal(t, lines(p.Redis), lines(p.Carmine), "after %q", step)
	}
}
