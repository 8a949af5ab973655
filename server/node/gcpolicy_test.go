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
	assert.False(t, r.due(start, 8, 100*mib, 400*mib), "a collection ran during the last interval: busy")
	assert.False(t, r.due(start.Add(time.Second), 8, 100*mib, 130*mib), "idle, but within a quarter plus 16 MiB")
	assert.True(t, r.due(start.Add(2*time.Second), 8, 100*mib, 150*mib), "idle and holding too much")
	assert.False(t, r.due(start.Add(3*time.Second), 8, 100*mib, 150*mib), "released less than releaseMinGap ago")
	assert.True(t, r.due(start.Add(2*time.Second+releaseMinGap), 8, 100*mib, 150*mib))
	assert.False(t, r.due(start.Add(time.Hour), 8, 0, 150*mib), "no collection yet: no live heap to compare with")
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
	assert.NoError(t, releaseIdleMemory(ctx))
	runtime.GC()
	_, live, held := newMemSample().read()
	assert.Positive(t, live)
	assert.Greater(t, held, live)
}
