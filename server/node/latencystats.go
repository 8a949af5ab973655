package node

import (
	"math/bits"
	"strconv"
	"sync/atomic"
)

// Per-command latency histograms for INFO latencystats, kept while latency-tracking is yes. Like Redis's
// (an HdrHistogram of 1 ns to 1 s with 2 significant figures), a histogram counts durations in buckets whose
// width is under 1% of their values: values below 256 ns exactly, then 128 buckets per power of two. A
// percentile reads as the highest value of its bucket (the lowest for p0), as hdr_value_at_percentile does, so
// the numbers look like Redis's (p50=1.003).

const (
	latencySubBits = 7             // 128 buckets per power of two
	latencyMaxNs   = 1_000_000_000 // Redis's LATENCY_HISTOGRAM_MAX_VALUE: longer calls count as 1 s
	// latencyBuckets covers latencyMaxNs, under 2^30: 256 exact buckets, then 128 for each of 2^8 to 2^29.
	latencyBuckets = (30 - latencySubBits + 1) << latencySubBits
)

// latencyHist is one command's histogram; counts change atomically, so calls record without a lock.
type latencyHist struct {
	counts [latencyBuckets]atomic.Int64
}

// latencyIndex returns the bucket of a duration of ns nanoseconds (1 to latencyMaxNs).
func latencyIndex(ns int64) int {
	v := uint64(ns)
	if v < 2<<latencySubBits {
		return int(v)
	}
	shift := bits.Len64(v) - latencySubBits - 1 // keeps the top latencySubBits+1 bits
	return (shift+1)<<latencySubBits + int(v>>shift) - 1<<latencySubBits
}

// latencyRange returns the lowest and highest durations of bucket i.
func latencyRange(i int) (lo, hi int64) {
	if i < 2<<latencySubBits {
		return int64(i), int64(i)
	}
	shift := i>>latencySubBits - 1
	lo = int64(i-shift<<latencySubBits) << shift
	return lo, lo + 1<<shift - 1
}

func (h *latencyHist) record(ns int64) {
	h.counts[latencyIndex(min(max(ns, 1), latencyMaxNs))].Add(1)
}

// latencyPercentile returns the duration at percentile p (0 to 100) of a histogram's counts, whose sum is total
// (at least 1), as Redis's hdr_value_at_percentile.
func latencyPercentile(counts []int64, total int64, p float64) int64 {
	want := max(int64(min(p, 100)/100*float64(total)+0.5), 1)
	var sum int64
	for i, n := range counts {
		if sum += n; sum >= want {
			lo, hi := latencyRange(i)
			if p == 0 {
				return lo
			}
			return hi
		}
	}
	return 0
}

// recordLatency adds one call of cmd that took ns nanoseconds to its histogram, allocated at its first call.
func (st *stats) recordLatency(cmd *command, ns int64) {
	p := &st.latency[cmd.idx]
	h := p.Load()
	if h == nil {
		p.CompareAndSwap(nil, new(latencyHist))
		h = p.Load()
	}
	h.record(ns)
}

// infoLatencyStats writes INFO latencystats: for each command called since the last CONFIG RESETSTAT while
// latency-tracking was yes, the percentiles of latency-tracking-info-percentiles in microseconds.
func (s *Server) infoLatencyStats(b *infoBuf) {
	pcts := s.config().LatencyTrackingPercentiles
	counts := make([]int64, latencyBuckets)
	for _, cmd := range sortedCommands() {
		h := s.stats.latency[cmd.idx].Load()
		if h == nil {
			continue
		}
		var total int64
		for i := range counts {
			counts[i] = h.counts[i].Load()
			total += counts[i]
		}
		if total == 0 {
			continue
		}
		var v []byte
		for i, p := range pcts {
			if i > 0 {
				v = append(v, ',')
			}
			v = append(v, 'p')
			v = appendPercentile(v, p)
			v = append(v, '=')
			v = strconv.AppendFloat(v, float64(latencyPercentile(counts, total, p))/1000, 'f', 3, 64)
		}
		b.str("latency_percentiles_usec_"+cmd.name, string(v))
	}
}
