package keyspace_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/keyspace"
)

// slotOfTest puts a key in the slot named by its digits after the first ':' modulo 16, or slot 15.
func slotOfTest(key []byte) int {
	for i, c := range key {
		if c == ':' {
			n, err := strconv.Atoi(string(key[i+1:]))
			if err == nil {
				return n % 16
			}
		}
	}
	return 15
}

// inSlot lists the keys of db 0 in slot, sorted, by the index and by a scan of every key.
func inSlot(ks *keyspace.Keyspace, slot int) (indexed, scanned []string, count int) {
	tx := ks.Begin(0)
	defer tx.End()
	tx.KeysInSlot(slot, -1, func(k []byte) { indexed = append(indexed, string(k)) })
	count = tx.CountInSlot(slot)
	tx.Keys([]byte("*"), func(k []byte) {
		if slotOfTest(k) == slot {
			scanned = append(scanned, string(k))
		}
	})
	slices.Sort(indexed)
	slices.Sort(scanned)
	return indexed, scanned, count
}

func checkSlots(t *testing.T, ks *keyspace.Keyspace) {
	t.Helper()
	for s := range 16 {
		indexed, scanned, n := inSlot(ks, s)
		assert.Equal(t, scanned, indexed, "slot %d", s)
		assert.Equal(t, len(scanned), n, "slot %d", s)
	}
	require.NoError(t, ks.CheckInvariants())
}

// TestSlotIndex follows the slot index through every way a key comes and goes: writes of each kind, deletes,
// RENAME, COPY, MOVE, expiry, FLUSHDB, SWAPDB, and the table shrinking (which renumbers its records).
func TestSlotIndex(t *testing.T) {
	f := newFixture(t, keyspace.Config{Shards: 4, Databases: 2, SlotOf: slotOfTest})
	ks := f.ks
	for i := range 2000 {
		f.set(0, "k:"+strconv.Itoa(i), "v", 0)
	}
	checkSlots(t, ks)
	tx := ks.Begin(0)
	assert.Equal(t, 125, tx.CountInSlot(3))
	var some []string
	tx.KeysInSlot(3, 10, func(k []byte) { some = append(some, string(k)) })
	tx.End()
	assert.Len(t, some, 10)

	// Deleting most keys shrinks the tables, renumbering the records.
	for i := range 1950 {
		k := []byte("k:" + strconv.Itoa(i))
		tx := ks.Begin(0, k)
		require.True(t, tx.Delete(k))
		tx.End()
	}
	checkSlots(t, ks)

	// Objects, string buffers, renames, copies, moves and expiry.
	for i, k := range []string{"l:1", "h:2", "s:3", "b:4", "r:5", "c:6", "m:7", "e:8"} {
		key := []byte(k)
		tx := ks.Begin(0, key)
		switch i {
		case 0:
			l, err := tx.ListOf(key, true)
			require.NoError(t, err)
			l.PushBack([]byte("x"))
		case 1:
			h, err := tx.HashOf(key, true)
			require.NoError(t, err)
			h.Set([]byte("f"), []byte("v"), tx.Limits())
		case 2:
			tx.SetObject(key, keyspace.NewSet([]byte("a"), 1, tx.Limits()), 0)
		case 3:
			_, err := tx.StringBuf(key, 4)
			require.NoError(t, err)
		default:
			tx.SetString(key, []byte("v"), 0)
		}
		tx.End()
	}
	checkSlots(t, ks)
	tx = ks.Begin(0, []byte("r:5"), []byte("r:9"), []byte("c:6"), []byte("c:10"))
	require.NoError(t, tx.Rename([]byte("r:5"), []byte("r:9")))
	_, err := tx.Copy([]byte("c:6"), 0, []byte("c:10"), false)
	require.NoError(t, err)
	tx.End()
	tx = ks.Begin(0, []byte("m:7"))
	_, err = tx.Move([]byte("m:7"), 1)
	require.NoError(t, err)
	tx.End()
	f.set(0, "e:8", "v", f.clock.now()+10)
	f.clock.ms.Add(20)
	ks.ActiveExpireCycle(f.clock.now(), time.Minute) // a budget that lets it visit every shard
	checkSlots(t, ks)

	// SWAPDB and FLUSHDB.
	f.set(1, "x:1", "v", 0)
	tx = ks.BeginAll(0)
	require.NoError(t, tx.SwapDB(0, 1))
	tx.End()
	checkSlots(t, ks)
	tx = ks.BeginAll(0)
	tx.Flush()
	tx.End()
	checkSlots(t, ks)
	f.set(0, "k:1", "v", 0)
	indexed, _, n := inSlot(ks, 1)
	assert.Equal(t, []string{"k:1"}, indexed)
	assert.Equal(t, 1, n)
}

// TestSlotIndexOff checks that a keyspace without SlotOf reports no keys in any slot.
func TestSlotIndexOff(t *testing.T) {
	f := newFixture(t, keyspace.Config{Shards: 4})
	f.set(0, "k:1", "v", 0)
	tx := f.ks.Begin(0)
	defer tx.End()
	assert.Zero(t, tx.CountInSlot(1))
	tx.KeysInSlot(1, -1, func([]byte) { t.Fatal("no index, no keys") })
}

// BenchmarkSetNewSlots is BenchmarkSetNew with the slot index on: what cluster mode adds to each new key.
func BenchmarkSetNewSlots(b *testing.B) {
	benchSetNew(b, keyspace.Config{SlotOf: func(k []byte) int { return int(k[len(k)-1]) }})
}
