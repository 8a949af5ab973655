package keyspace

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMutexLockedBit checks the layout of sync.Mutex that mutexLocked reads, also while a waiter has set the
// mutex's other state bits.
func TestMutexLockedBit(t *testing.T) {
	var mu sync.Mutex
	assert.False(t, mutexLocked(&mu))
	mu.Lock()
	assert.True(t, mutexLocked(&mu))
	got := make(chan struct{})
	go func() {
		mu.Lock()
		close(got)
	}()
	// Let the waiter spin and park (setting the waiter count, maybe starving), then check the bit again.
	time.Sleep(5 * time.Millisecond)
	assert.True(t, mutexLocked(&mu))
	mu.Unlock()
	<-got
	assert.True(t, mutexLocked(&mu))
	mu.Unlock()
	assert.False(t, mutexLocked(&mu))
	require.True(t, mu.TryLock())
	assert.True(t, mutexLocked(&mu))
	mu.Unlock()
}
