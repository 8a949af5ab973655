package node

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Memory policy: how Carmine keeps its resident memory (RSS) close to its live heap.
//
// Redis's allocator returns freed memory to the system as it goes, so its RSS stays near used_memory. Go's
// collector instead lets the heap grow to twice the live heap (GOGC=100) between collections, and the runtime
// keeps freed pages mapped for a while; after a burst of writes that leaves the process holding up to about twice
// what its keys need, until the next collection, which an idle server never starts. Three measures:
//
//   - Idle release: once a second, if no collection ran during the last second (the server is idle or writing
//     slowly) and the memory the runtime holds exceeds the live heap by more than a quarter plus 16 MiB, the
//     server collects and returns the free pages to the system (debug.FreeOSMemory), at most once every
//     releaseMinGap. A busy server collects on its own and never pays for this; an idle one settles within
//     two seconds of its last write to about its live heap. The live heap is the last collection's, so it
//     still counts what the server let go of since (keys deleted, connections closed, with no collection
//     after them on an idle server): the server's own footprint (keys and connections) dropping by more than
//     16 MiB since the last collection makes the release due too. No release runs while a snapshot is being
//     written (BGSAVE, AOF rewrite, full sync): its saver is making the garbage, and a collection then, with
//     one CPU, held up the event loops for up to 20 ms.
//   - maxmemory: when set, it also becomes the runtime's soft memory limit (debug.SetMemoryLimit), with room
//     for garbage and buffers (half of maxmemory more, plus 64 MiB), so that the collector works harder instead
//     of letting the process outgrow the limit the operator chose.
//   - GOGC keeps its default (100), which bounds the collector's CPU share on write-heavy workloads; lowering it
//     trades throughput for RSS under load, and the GOGC and GOMEMLIMIT environment variables still apply: when
//     GOMEMLIMIT is set, maxmemory leaves the runtime's limit alone.
const (
	releaseInterval = time.Second
	releaseMinGap   = 5 * time.Second
	releaseSlack    = 16 << 20
	limitSlack      = 64 << 20
)

// applyMemoryLimit makes maxMemory (bytes, 0 for none) the runtime's soft memory limit, as described above.
func applyMemoryLimit(maxMemory int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := int64(math.MaxInt64)
	if maxMemory > 0 && maxMemory < (math.MaxInt64-limitSlack)/2 {
		limit = maxMemory + maxMemory/2 + limitSlack
	}
	debug.SetMemoryLimit(limit)
}

// memSample reads the runtime metrics the idle release looks at.
type memSample struct {
	samples []metrics.Sample
}

func newMemSample() *memSample {
	return &memSample{samples: []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}}
}

// read returns the collections so far, the live heap after the last one, and the bytes the runtime holds from
// the system (mapped and not released).
func (m *memSample) read() (cycles, live, held uint64) {
	metrics.Read(m.samples)
	v := func(i int) uint64 {
		if m.samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return m.samples[i].Value.Uint64()
	}
	return v(0), v(1), v(2) - v(3)
}

// idleRelease decides when the idle release runs.
type idleRelease struct {
	lastCycles  uint64
	lastRelease time.Time
	lastFoot    int64 // the server's footprint at the last sample
	footAtGC    int64 // its footprint at the last collection, at most: the larger of the samples around it
}

// due reports whether to release memory at now, given the runtime's counters and the server's footprint
// (bytes) read then, and notes the sample.
func (r *idleRelease) due(now time.Time, cycles, live, held uint64, foot int64) bool {
	idle := cycles == r.lastCycles
	r.lastCycles = cycles
	prev := r.lastFoot
	r.lastFoot = foot
	if !idle {
		r.footAtGC = max(prev, foot) // the collection ran between the two samples
		return false
	}
	stale := r.footAtGC-foot > releaseSlack // freed since the last collection, which live still counts
	if live == 0 || held <= live+live/4+releaseSlack && !stale || now.Sub(r.lastRelease) < releaseMinGap {
		return false
	}
	r.lastRelease = now
	return true
}

// released notes a release: the collection it ran is not activity, and it saw the footprint foot.
func (r *idleRelease) released(cycles uint64, foot int64) {
	r.lastCycles, r.lastFoot, r.footAtGC = cycles, foot, foot
}

// releaseIdleMemory runs the idle release described above until ctx is done, footprint telling what the
// server holds (see Server.footprint) and saving whether a snapshot is being written. It returns nil.
func releaseIdleMemory(ctx context.Context, footprint func() int64, saving func() bool) error {
	m := newMemSample()
	var r idleRelease
	r.lastCycles, _, _ = m.read()
	r.released(r.lastCycles, footprint())
	return every(ctx, releaseInterval, func(now time.Time) time.Duration {
		if saving() {
			return releaseInterval
		}
		if cycles, live, held := m.read(); r.due(now, cycles, live, held, footprint()) {
			debug.FreeOSMemory()
			cycles, _, _ = m.read()
			r.released(cycles, footprint())
		}
		return releaseInterval
	})
}

// footprint is what the server knows it holds, for the idle release: its keys, and about a reply buffer and
// the client's own structures for each connection.
func (s *Server) footprint() int64 {
	return s.ks.UsedMemory() + s.connected.Load()*(replyBufferBytes+clientOverhead)
}
