package keyspace_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/carminedb/carmine/keyspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLazyExpiry(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	now := f.clock.now()
	f.set(3, "k", "v", now+100)
	f.set(3, "keep", "v", 0)
	_, ok := f.get(3, "k")
	assert.True(t, ok)

	f.clock.ms.Store(now + 100)
	_, ok = f.get(3, "k")
	assert.True(t, ok, "a key is still there during the millisecond of its expiry, as in Redis")

	f.clock.ms.Store(now + 101)
	f.do(3, nil, func(tx *keyspace.Txn) {
		assert.Equal(t, 2, tx.Len(), "DBSIZE counts expired keys not yet removed")
	})
	_, ok = f.get(3, "k")
	assert.False(t, ok)
	assert.Equal(t, []string{"k"}, f.expired.list())
	f.do(3, nil, func(tx *keyspace.Txn) { assert.Equal(t, 1, tx.Len()) })
}

func TestDeleteExistsType(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	now := f.clock.now()
	f.set(0, "a", "1", 0)
	f.set(0, "gone", "1", now-1)
	f.do(0, []string{"a", "gone", "missing"}, func(tx *keyspace.Txn) {
		assert.True(t, tx.Exists([]byte("a")))
		assert.Equal(t, keyspace.KindString, tx.Type([]byte("a")))
		assert.Equal(t, keyspace.KindNone, tx.Type([]byte("missing")))
		assert.False(t, tx.Delete([]byte("missing")))
		assert.False(t, tx.Delete([]byte("gone")), "an expired key counts as missing")
		assert.True(t, tx.Delete([]byte("a")))
		assert.False(t, tx.Exists([]byte("a")))
	})
	assert.Equal(t, []string{"gone"}, f.expired.list())
}

func TestExpirePersist(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	now := f.clock.now()
	f.set(0, "k", "v", 0)
	f.do(0, []string{"k", "missing"}, func(tx *keyspace.Txn) {
		assert.Equal(t, int64(-2), tx.ExpireTime([]byte("missing")))
		assert.Equal(t, int64(-1), tx.ExpireTime([]byte("k")))
		assert.False(t, tx.Expire([]byte("missing"), now+10))
		assert.False(t, tx.Persist([]byte("k")))
		assert.True(t, tx.Expire([]byte("k"), now+10))
		assert.Equal(t, now+10, tx.ExpireTime([]byte("k")))
		assert.True(t, tx.Expire([]byte("k"), now+20))
		assert.Equal(t, now+20, tx.ExpireTime([]byte("k")))
		assert.True(t, tx.Persist([]byte("k")))
		assert.Equal(t, int64(-1), tx.ExpireTime([]byte("k")))
	})
}

func TestRename(t *testing.T) {
	tests := []struct {
		name      string
		setup     map[string]string // key -> value; "ttl:" keys get an expiry
		src, dst  string
		nx        bool
		wantOK    bool
		wantErr   error
		wantAfter map[string]string
	}{
		{"simple", map[string]string{"a": "1"}, "a", "b", false, true, nil, map[string]string{"b": "1"}},
		{"replaces", map[string]string{"a": "1", "b": "2"}, "a", "b", false, true, nil, map[string]string{"b": "1"}},
		{"missing source", map[string]string{"b": "2"}, "a", "b", false, false, keyspace.ErrNoSuchKey, map[string]string{"b": "2"}},
		{"same key", map[string]string{"a": "x"}, "a", "a", false, true, nil, map[string]string{"a": "x"}},
		{"same missing key", nil, "a", "a", false, false, keyspace.ErrNoSuchKey, map[string]string{}},
		{"nx free", map[string]string{"a": "1"}, "a", "b", true, true, nil, map[string]string{"b": "1"}},
		{"nx taken", map[string]string{"a": "1", "b": "2"}, "a", "b", true, false, nil, map[string]string{"a": "1", "b": "2"}},
		{"nx same key", map[string]string{"a": "1"}, "a", "a", true, false, nil, map[string]string{"a": "1"}},
		{"nx missing", nil, "a", "b", true, false, keyspace.ErrNoSuchKey, map[string]string{}},
		{"long value", map[string]string{"a": string(make([]byte, 1000))}, "a", "b", false, true, nil,
			map[string]string{"b": string(make([]byte, 1000))}},
		{"int value", map[string]string{"a": "42"}, "a", "b", false, true, nil, map[string]string{"b": "42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, keyspace.Config{})
			for k, v := range tt.setup {
				f.set(0, k, v, 0)
			}
			f.do(0, []string{tt.src, tt.dst}, func(tx *keyspace.Txn) {
				var ok bool
				var err error
				if tt.nx {
					ok, err = tx.RenameNX([]byte(tt.src), []byte(tt.dst))
				} else {
					err = tx.Rename([]byte(tt.src), []byte(tt.dst))
					ok = err == nil
				}
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
				} else {
					require.NoError(t, err)
				}
				assert.Equal(t, tt.wantOK, ok)
			})
			assert.Equal(t, tt.wantAfter, dump(f.ks, 0))
		})
	}
}

func TestRenameKeepsTTLAndObject(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	now := f.clock.now()
	f.do(0, []string{"s", "l", "s2", "l2"}, func(tx *keyspace.Txn) {
		tx.SetString([]byte("s"), []byte("v"), now+500)
		tx.SetObject([]byte("l"), &fakeList{items: []string{"x"}}, now+700)
		require.NoError(t, tx.Rename([]byte("s"), []byte("s2")))
		require.NoError(t, tx.Rename([]byte("l"), []byte("l2")))
		assert.Equal(t, now+500, tx.ExpireTime([]byte("s2")))
		assert.Equal(t, now+700, tx.ExpireTime([]byte("l2")))
		e, ok := tx.Lookup([]byte("l2"))
		require.True(t, ok)
		assert.Equal(t, "l2", string(e.Key()))
		assert.False(t, tx.Exists([]byte("s")))
		assert.False(t, tx.Exists([]byte("l")))
	})
}

func TestCopy(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	now := f.clock.now()
	f.set(0, "src", "hello", now+1000)
	f.set(0, "taken", "old", 0)
	f.set(1, "taken", "old1", 0)
	f.do(0, []string{"src", "dst", "taken", "missing"}, func(tx *keyspace.Txn) {
		ok, err := tx.Copy([]byte("src"), 0, []byte("src"), true)
		assert.ErrorIs(t, err, keyspace.ErrSameObject)
		assert.False(t, ok)
		_, err = tx.Copy([]byte("src"), 16, []byte("dst"), false)
		assert.ErrorIs(t, err, keyspace.ErrDBIndex)

		ok, err = tx.Copy([]byte("missing"), 0, []byte("dst"), false)
		require.NoError(t, err)
		assert.False(t, ok)

		ok, err = tx.Copy([]byte("src"), 0, []byte("dst"), false)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, now+1000, tx.ExpireTime([]byte("dst")))

		ok, err = tx.Copy([]byte("src"), 0, []byte("taken"), false)
		require.NoError(t, err)
		assert.False(t, ok)
		ok, err = tx.Copy([]byte("src"), 0, []byte("taken"), true)
		require.NoError(t, err)
		assert.True(t, ok)

		ok, err = tx.Copy([]byte("src"), 1, []byte("src"), false)
		require.NoError(t, err)
		assert.True(t, ok, "same key in another database")
		ok, err = tx.Copy([]byte("src"), 1, []byte("taken"), false)
		require.NoError(t, err)
		assert.False(t, ok)
	})
	assert.Equal(t, map[string]string{"src": "hello", "dst": "hello", "taken": "hello"}, dump(f.ks, 0))
	assert.Equal(t, map[string]string{"src": "hello", "taken": "old1"}, dump(f.ks, 1))
}

func TestCopyObjectIsDeep(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	f.do(0, []string{"a", "b"}, func(tx *keyspace.Txn) {
		tx.SetObject([]byte("a"), &fakeList{items: []string{"x"}}, 0)
		ok, err := tx.Copy([]byte("a"), 0, []byte("b"), false)
		require.NoError(t, err)
		require.True(t, ok)
		ea, _ := tx.Lookup([]byte("a"))
		ea.Object().(*fakeList).items[0] = "changed"
		eb, _ := tx.Lookup([]byte("b"))
		assert.Equal(t, "x", eb.Object().(*fakeList).items[0])
	})
}

func TestMove(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	now := f.clock.now()
	f.set(0, "k", "v", now+100)
	f.set(0, "both", "0", 0)
	f.set(2, "both", "2", 0)
	f.do(0, []string{"k", "both", "missing"}, func(tx *keyspace.Txn) {
		_, err := tx.Move([]byte("missing"), 0)
		assert.ErrorIs(t, err, keyspace.ErrSameObject, "Matches Redis: checked before existence")
		_, err = tx.Move([]byte("k"), 99)
		assert.ErrorIs(t, err, keyspace.ErrDBIndex)
		ok, err := tx.Move([]byte("missing"), 1)
		require.NoError(t, err)
		assert.False(t, ok)
		ok, err = tx.Move([]byte("both"), 2)
		require.NoError(t, err)
		assert.False(t, ok)
		ok, err = tx.Move([]byte("k"), 1)
		require.NoError(t, err)
		assert.True(t, ok)
		require.NoError(t, tx.Select(1))
		assert.Equal(t, now+100, tx.ExpireTime([]byte("k")))
	})
	assert.Equal(t, map[string]string{"both": "0"}, dump(f.ks, 0))
	assert.Equal(t, map[string]string{"k": "v"}, dump(f.ks, 1))
}

func TestFlushAndSwapDB(t *testing.T) {
	f := newFixture(t, keyspace.Config{Databases: 4})
	for i := range 100 {
		f.set(0, fmt.Sprint("a", i), "0", 0)
		f.set(1, fmt.Sprint("b", i), "1", 0)
	}
	f.set(2, "c", "2", 0)
	f.do(0, nil, func(tx *keyspace.Txn) {
		assert.ErrorIs(t, tx.SwapDB(0, 4), keyspace.ErrDBIndex)
		require.NoError(t, tx.SwapDB(0, 1))
		assert.Equal(t, 100, tx.Len())
	})
	v, ok := f.get(0, "b7")
	assert.True(t, ok)
	assert.Equal(t, "1", v)
	_, ok = f.get(0, "a7")
	assert.False(t, ok)

	tx := f.ks.BeginAll(1)
	tx.Flush()
	assert.Equal(t, 0, tx.Len())
	require.NoError(t, tx.Select(0))
	assert.Equal(t, 100, tx.Len())
	tx.End()

	f.do(0, nil, func(tx *keyspace.Txn) {
		tx.FlushAll()
		for db := range 4 {
			require.NoError(t, tx.Select(db))
			assert.Equal(t, 0, tx.Len())
		}
	})
}

func TestRandomKey(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	f.do(0, nil, func(tx *keyspace.Txn) {
		_, ok := tx.RandomKey(nil)
		assert.False(t, ok)
	})
	now := f.clock.now()
	for i := range 50 {
		f.set(0, fmt.Sprint("dead", i), "x", now-1) // already expired
	}
	f.set(0, "live", "x", 0)
	for range 20 {
		f.do(0, nil, func(tx *keyspace.Txn) {
			k, ok := tx.RandomKey(nil)
			require.True(t, ok)
			assert.Equal(t, "live", string(k))
		})
	}
	tx := f.ks.BeginAll(0)
	k, ok := tx.RandomKey([]byte("prefix:"))
	tx.End()
	require.True(t, ok)
	assert.Equal(t, "prefix:live", string(k))

	// Many keys: every one eventually comes up.
	for i := range 30 {
		f.set(1, fmt.Sprint("k", i), "x", 0)
	}
	seen := map[string]bool{}
	for range 3000 {
		f.do(1, nil, func(tx *keyspace.Txn) {
			k, ok := tx.RandomKey(nil)
			require.True(t, ok)
			seen[string(k)] = true
		})
	}
	assert.Len(t, seen, 30)
}

func TestKeys(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	now := f.clock.now()
	for _, k := range []string{"user:1", "user:2", "user:10", "post:1", ""} {
		f.set(0, k, "v", 0)
	}
	f.set(0, "user:dead", "v", now-1)
	tests := []struct {
		pattern string
		want    []string
	}{
		{"*", []string{"", "post:1", "user:1", "user:10", "user:2"}},
		{"user:?", []string{"user:1", "user:2"}},
		{"user:*", []string{"user:1", "user:10", "user:2"}},
		{"*:1", []string{"post:1", "user:1"}},
		{"nomatch*", nil},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			var got []string
			f.do(0, nil, func(tx *keyspace.Txn) {
				tx.Keys([]byte(tt.pattern), func(k []byte) { got = append(got, string(k)) })
			})
			sort.Strings(got)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTxnPanicsOnUnlockedKey(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	// Find two keys in different shards.
	a, b := []byte("a"), []byte("b")
	for i := 0; ; i++ {
		b = fmt.Appendf(nil, "b%d", i)
		tx := f.ks.Begin(0, a)
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			tx.Exists(b)
			return false
		}()
		tx.End()
		if panicked {
			break
		}
	}
	tx := f.ks.Begin(0, a, b)
	assert.NotPanics(t, func() { tx.Exists(b) })
	assert.Panics(t, func() { tx.Len() }, "keyspace-wide operation while holding key locks")
	tx.End()
	assert.Panics(t, func() { tx.End() })
	assert.Panics(t, func() { f.ks.Begin(16, a) })
}

func TestIdleTimeAndFreq(t *testing.T) {
	f := newFixture(t, keyspace.Config{})
	now := f.clock.now()
	f.ks.ActiveExpireCycle(now, 0)
	f.set(0, "k", "v", 0)
	f.clock.ms.Store(now + 65_000)
	f.do(0, []string{"k"}, func(tx *keyspace.Txn) {
		e, _ := tx.Peek([]byte("k"))
		assert.Equal(t, int64(65), int64(tx.IdleTime(e).Seconds()))
	})

	f.ks.SetEvictionPolicy(keyspace.AllKeysLFU)
	f.ks.ActiveExpireCycle(f.clock.now(), 0) // refreshes the coarse clock that LFU reads
	f.set(0, "h", "v", 0)
	f.do(0, []string{"h"}, func(tx *keyspace.Txn) {
		e, _ := tx.Peek([]byte("h"))
		assert.Equal(t, 5, tx.Freq(e), "Matches Redis: a new key starts at LFU_INIT_VAL")
		for range 1000 {
			tx.Lookup([]byte("h"))
		}
		e, _ = tx.Peek([]byte("h"))
		assert.Greater(t, tx.Freq(e), 5)
		assert.Less(t, tx.Freq(e), 30, "the counter grows logarithmically")
	})
}

// dump returns the string keys of db.
func dump(ks *keyspace.Keyspace, db int) map[string]string {
	out := map[string]string{}
	tx := ks.BeginAll(db)
	defer tx.End()
	var keys []string
	tx.Keys([]byte("*"), func(k []byte) { keys = append(keys, string(k)) })
	for _, k := range keys {
		e, _ := tx.Peek([]byte(k))
		out[k] = string(e.Bytes(nil))
	}
	return out
}
