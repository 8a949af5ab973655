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

func TestLatencyCDF(t *testing.T) {
	var h latencyHist
	// 1024 ns is the first level's bucket (1024-1031: 1 µs); 1032 falls in the next bucket, so it counts at
	// the 2048 ns level; 40 µs counts at the 65536 ns level (66 µs), whose bucket is 65536-66047; calls over 1 s
	// count as 1 s, shown at the end of the histogram as Redis does (2^30-1 ns).
	for _, v := range []int64{10, 1024, 1032, 2048, 40_000, 5_000_000_000} {
		h.record(v)
	}
	counts := make([]int64, latencyBuckets)
	for i := range counts {
		counts[i] = h.counts[i].Load()
	}
	assert.Equal(t, [][2]int64{{1, 2}, {2, 4}, {66, 5}, {1073741, 6}}, latencyCDF(counts, 6))
}

// TestDiffLatencyHistogram compares LATENCY HISTOGRAM with real Redis: which commands appear (named ones,
// containers as their subcommands, unknown names skipped; all of them without names), their calls, and the
// shape of histogram_usec (the durations themselves differ). Also in RESP3.
func TestDiffLatencyHistogram(t *testing.T) {
	p := startPair(t, "")
	// shape keeps each command's name and calls, and checks that its steps rise in both fields.
	shape := func(c *difftest.Conn, args ...string) map[string]int64 {
		v := c.Do(append([]string{"LATENCY", "HISTOGRAM"}, args...)...)
		out := map[string]int64{}
		for i := 0; i+1 < len(v.Elems); i += 2 {
			fields := v.Elems[i+1].Elems
			if !assert.Len(t, fields, 4) {
				continue
			}
			assert.Equal(t, "calls", string(fields[0].Str))
			assert.Equal(t, "histogram_usec", string(fields[2].Str))
			steps := fields[3].Elems
			assert.NotEmpty(t, steps)
			for j := 2; j+1 < len(steps); j += 2 {
				assert.Greater(t, steps[j].Int, steps[j-2].Int)
				assert.Greater(t, steps[j+1].Int, steps[j-1].Int)
			}
			assert.Equal(t, fields[1].Int, steps[len(steps)-1].Int, "the last step counts every call")
			out[string(v.Elems[i].Str)] = fields[1].Int
		}
		return out
	}
	for _, cmd := range [][]string{{"CONFIG", "RESETSTAT"}, {"SET", "a", "1"}, {"GET", "a"}, {"GET", "a"},
		{"CONFIG", "GET", "port"}, {"CLIENT", "ID"}, {"LPUSH", "l", "x"}} {
		p.Redis.Do(cmd...)
		p.Carmine.Do(cmd...)
	}
	for _, c := range []*difftest.Conn{p.Redis, p.Carmine} {
		assert.Equal(t, map[string]int64{"get": 2, "set": 1}, shape(c, "get", "SET"))
	}
	for _, args := range [][]string{{"get", "SET"}, {"config"}, {"CONFIG|get", "nosuch", "lpush"}, {"nosuch"}, {}} {
		assert.Equal(t, shape(p.Redis, args...), shape(p.Carmine, args...), "LATENCY HISTOGRAM %q", args)
	}
	p.Check("LATENCY", "HELP")
	p.Check("LATENCY", "HISTOGRAM", "nosuch")
	for _, c := range []*difftest.Conn{p.Redis, p.Carmine} {
		c.Do("HELLO", "3")
	}
	assert.Equal(t, shape(p.Redis, "get"), shape(p.Carmine, "get"), "RESP3")
}
