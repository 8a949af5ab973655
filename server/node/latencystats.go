package node

import (
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"strings"
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

// LATENCY HISTOGRAM [command ...]: for each command named (a container, such as CONFIG, stands for its
// subcommands; unknown names are skipped) or, without names, every command with a histogram, its number of
// calls and the cumulative distribution of their latency. Matches Redis: the distribution is read as
// HdrHistogram's logarithmic iteration from 1024 ns in powers of two, each step showing the highest value of its
// bucket in microseconds and how many calls took at most that, only where that count grew.
func cmdLatencyHistogram(c *client, args [][]byte) error {
	var cmds []*command
	add := func(cmd *command) {
		if cmd.subs == nil {
			cmds = append(cmds, cmd)
			return
		}
		subs := slices.Collect(maps.Values(cmd.subs))
		slices.SortFunc(subs, func(a, b *command) int { return strings.Compare(a.name, b.name) })
		cmds = append(cmds, subs...)
	}
	if len(args) == 2 {
		for _, cmd := range sortedCommands() {
			if cmd.subs == nil {
				cmds = append(cmds, cmd)
			}
		}
	} else {
		for _, a := range args[2:] {
			name := strings.ToLower(string(a))
			parent, sub, isSub := strings.Cut(name, "|")
			cmd := c.srv.cmdTable[parent]
			if cmd != nil && isSub {
				cmd = cmd.subs[sub]
			}
			if cmd != nil {
				add(cmd)
			}
		}
	}
	type entry struct {
		name   string
		counts []int64
		total  int64
	}
	var out []entry
	for _, cmd := range cmds {
		h := c.srv.stats.latency[cmd.idx].Load()
		if h == nil {
			continue
		}
		e := entry{name: cmd.name, counts: make([]int64, latencyBuckets)}
		for i := range e.counts {
			e.counts[i] = h.counts[i].Load()
			e.total += e.counts[i]
		}
		if e.total > 0 {
			out = append(out, e)
		}
	}
	c.w.WriteMapLen(len(out))
	for _, e := range out {
		c.w.WriteBulkString(e.name)
		c.w.WriteMapLen(2)
		c.w.WriteBulkString("calls")
		c.w.WriteInt(e.total)
		c.w.WriteBulkString("histogram_usec")
		steps := latencyCDF(e.counts, e.total)
		c.w.WriteMapLen(len(steps))
		for _, s := range steps {
			c.w.WriteInt(s[0])
			c.w.WriteInt(s[1])
		}
	}
	return nil
}

// latencyCDF returns the steps LATENCY HISTOGRAM shows of a histogram's counts, whose sum is total: for the
// levels 1024 ns, 2048 ns, ..., the highest value of the level's bucket in microseconds and how many calls fell
// in that bucket or below, where that number grew, until every call is counted.
func latencyCDF(counts []int64, total int64) [][2]int64 {
	var steps [][2]int64
	var cum, prev int64
	next := 0 // the first bucket not yet counted
	for level := int64(1024); cum < total && level <= 1<<30; level *= 2 {
		idx := min(latencyIndex(level), latencyBuckets-1) // 2^30 ns: past the last bucket, which is read then
		for ; next <= idx && next < len(counts); next++ {
			cum += counts[next]
		}
		if cum > prev {
			_, hi := latencyRange(idx)
			steps = append(steps, [2]int64{hi / 1000, cum})
			prev = cum
		}
	}
	return steps
}
