package keyspace_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/carminedb/carmine/keyspace"
	"github.com/stretchr/testify/require"
)

// clock is an injected clock for tests.
type clock struct{ ms atomic.Int64 }

func (c *clock) now() int64 { return c.ms.Load() }

// expiredLog records OnExpired events.
type expiredLog struct {
	mu   sync.Mutex
	keys []string
}

func (l *expiredLog) add(db int, key []byte) {
	l.mu.Lock()
	l.keys = append(l.keys, string(key))
	l.mu.Unlock()
}

func (l *expiredLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.keys...)
}

type fixture struct {
	ks      *keyspace.Keyspace
	clock   *clock
	expired *expiredLog
}

func newFixture(t testing.TB, cfg keyspace.Config) fixture {
	f := fixture{clock: &clock{}, expired: &expiredLog{}}
	f.clock.ms.Store(1_000_000)
	cfg.Clock = f.clock.now
	cfg.OnExpired = f.expired.add
	ks, err := keyspace.New(cfg)
	require.NoError(t, err)
	f.ks = ks
	t.Cleanup(func() { require.NoError(t, ks.CheckInvariants()) })
	return f
}

// set stores a string in db.
func (f fixture) set(db int, key, val string, expireAtMs int64) {
	tx := f.ks.Begin(db, []byte(key))
	tx.SetString([]byte(key), []byte(val), expireAtMs)
	tx.End()
}

// get returns the string at key in db.
func (f fixture) get(db int, key string) (string, bool) {
	tx := f.ks.Begin(db, []byte(key))
	defer tx.End()
	e, ok := tx.Lookup([]byte(key))
	if !ok {
		return "", false
	}
	return string(e.Bytes(nil)), true
}

// do runs fn in a Txn over keys of db.
func (f fixture) do(db int, keys []string, fn func(tx *keyspace.Txn)) {
	bk := make([][]byte, len(keys))
	for i, k := range keys {
		bk[i] = []byte(k)
	}
	tx := f.ks.Begin(db, bk...)
	defer tx.End()
	fn(&tx)
}
