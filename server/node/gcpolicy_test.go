package node

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestIdleReleaseDue(t *testing.T) {
	const mib = 1 << 20
	start := time.Unix(1000, 0)
	var r idleRelease
	r.lastCycles = 7
	assert.False(t, r.due(start, 8, 100*mib, 400*mib, 90*mib), "a collection ran during the last interval: busy")
	assert.False(t, r.due(start.Add(time.Second), 8, 100*mib, 130*mib, 90*mib), "idle, but within a quarter plus 16 MiB")
	assert.True(t, r.due(start.Add(2*time.Second), 8, 100*mib, 150*mib, 90*mib), "idle and holding too much")
	assert.False(t, r.due(start.Add(3*time.Second), 8, 100*mib, 150*mib, 90*mib), "released less than releaseMinGap ago")
	assert.True(t, r.due(start.Add(2*time.Second+releaseMinGap), 8, 100*mib, 150*mib, 90*mib))
	assert.False(t, r.due(start.Add(time.Hour), 8, 0, 150*mib, 90*mib), "no collection yet: no live heap to compare with")

	// The live heap is the last collection's: what the server let go of since (connections closed, keys
	// deleted) makes the release due, though the runtime holds little more than that stale live heap.
	r = idleRelease{}
	r.lastCycles = 7
	assert.False(t, r.due(start, 8, 180*mib, 220*mib, 200*mib), "busy: a collection ran, with a footprint of 200 MiB")
	assert.False(t, r.due(start.Add(time.Second), 8, 180*mib, 220*mib, 190*mib), "idle, 10 MiB freed since")
	assert.True(t, r.due(start.Add(2*time.Second), 8, 180*mib, 220*mib, 20*mib), "idle, 180 MiB freed since")
	r.released(9, 20*mib)
	assert.False(t, r.due(start.Add(time.Hour), 9, 20*mib, 30*mib, 20*mib), "released: nothing freed since")

	// A collection seen at a sample may have run before the frees that sample sees: the larger footprint of
	// the two samples around it counts.
	r = idleRelease{}
	r.released(7, 200*mib)
	assert.False(t, r.due(start, 8, 180*mib, 220*mib, 1*mib), "busy: a collection ran, and 199 MiB were freed")
	assert.True(t, r.due(start.Add(time.Second), 8, 180*mib, 220*mib, 1*mib), "idle: freed after the collection, maybe")
}

func TestApplyMemoryLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	applyMemoryLimit(100 << 20)
	assert.Equal(t, int64(150<<20+limitSlack), debug.SetMemoryLimit(-1))
	applyMemoryLimit(0)
	assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1))
}

// TestReleaseIdleMemory runs the release loop briefly: it stops with its context.
func TestReleaseIdleMemory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.NoError(t, releaseIdleMemory(ctx, func() int64 { return 0 }, func() bool { return false }))
	runtime.GC()
	_, live, held := newMemSample().read()
	assert.Positive(t, live)
	assert.Greater(t, held, live)
}
