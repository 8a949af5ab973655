package replproto_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/replproto"
)

func TestID(t *testing.T) {
	id, err := replproto.NewID(bytes.NewReader(bytes.Repeat([]byte{0xab}, 20)))
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("ab", 20), id.String())
	assert.True(t, id.Equal(strings.Repeat("AB", 20)), "ids compare ignoring case")
	assert.False(t, id.Equal("?"))

	_, err = replproto.NewID(strings.NewReader("short"))
	require.Error(t, err)

	var zero replproto.ID
	assert.True(t, zero.IsZero())
	assert.Equal(t, strings.Repeat("0", 40), zero.String())

	p, err := replproto.ParseID(id.String())
	require.NoError(t, err)
	assert.Equal(t, id, p)
	for _, bad := range []string{"", "?", strings.Repeat("a", 39), strings.Repeat("a", 41), strings.Repeat("a", 39) + " "} {
		_, err := replproto.ParseID(bad)
		assert.ErrorIs(t, err, replproto.ErrBadID, "%q", bad)
	}

	a, err := replproto.NewIDs()
	require.NoError(t, err)
	b, err := replproto.NewIDs()
	require.NoError(t, err)
	assert.NotEqual(t, a.ID, b.ID)
	assert.Equal(t, int64(-1), a.SecondOffset)
	assert.True(t, a.ID2.IsZero())
}

func mustID(t *testing.T, c byte) replproto.ID {
	id, err := replproto.ParseID(strings.Repeat(string(c), 40))
	require.NoError(t, err)
	return id
}

func TestDecide(t *testing.T) {
	a, b, c := mustID(t, 'a'), mustID(t, 'b'), mustID(t, 'c')
	bl := replproto.NewBacklog(0, 1000) // history 1001..
	bl.Append(make([]byte, 500))        // holds 1001..1500
	onA := replproto.IDs{ID: a, SecondOffset: -1}
	promoted := replproto.IDs{ID: b, ID2: a, SecondOffset: 1301} // was on a up to offset 1300
	tests := []struct {
		name   string
		ids    replproto.IDs
		bl     *replproto.Backlog
		replid string
		next   int64
		want   bool
	}{
		{"same id, in backlog", onA, bl, a.String(), 1200, true},
		{"same id, upper case", onA, bl, strings.ToUpper(a.String()), 1200, true},
		{"same id, first byte", onA, bl, a.String(), 1001, true},
		{"same id, up to date", onA, bl, a.String(), 1501, true},
		{"same id, before backlog", onA, bl, a.String(), 1000, false},
		{"same id, ahead of primary", onA, bl, a.String(), 1502, false},
		{"same id, no backlog", onA, nil, a.String(), 1200, false},
		{"other id", onA, bl, c.String(), 1200, false},
		{"full resync asked", onA, bl, "?", -1, false},
		{"zero id never matches a cleared id2", onA, bl, strings.Repeat("0", 40), 0, false},
		{"previous id, within its history", promoted, bl, a.String(), 1301, true},
		{"previous id, before the shift", promoted, bl, a.String(), 1100, true},
		{"previous id, past its history", promoted, bl, a.String(), 1302, false},
		{"new id after promotion", promoted, bl, b.String(), 1400, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := replproto.Decide(tt.ids, tt.bl, tt.replid, tt.next)
			assert.Equal(t, tt.want, got.Continue, got.Reason)
			if !tt.want && tt.replid != "?" {
				assert.NotEmpty(t, got.Reason)
			}
		})
	}
}

// TestPromotion follows PSYNC2 through a promotion: A's replicas B and C; B is promoted and C, which had
// received no more of A's stream than B, continues from B without a full copy.
func TestPromotion(t *testing.T) {
	a := mustID(t, 'a')
	stream := bytes.Repeat([]byte("*1\r\n$4\r\nPING\r\n"), 100) // offsets 1..1400

	// B followed A to offset 1400 and keeps a backlog of that stream.
	bIDs := replproto.IDs{ID: a, SecondOffset: -1}
	bBacklog := replproto.NewBacklog(0, 0)
	bBacklog.Append(stream)

	require.NoError(t, bIDs.Shift(bBacklog.Offset())) // REPLICAOF NO ONE on B
	assert.Equal(t, a, bIDs.ID2)
	assert.Equal(t, int64(1401), bIDs.SecondOffset)
	assert.NotEqual(t, a, bIDs.ID)
	bBacklog.Append([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")) // B's own writes

	// C got 1386 bytes of A's stream (99 PINGs) and asks for the rest by A's id.
	res := replproto.Decide(bIDs, bBacklog, a.String(), 1387)
	require.True(t, res.Continue, res.Reason)
	rest, err := bBacklog.AppendFrom(nil, 1387)
	require.NoError(t, err)
	assert.Equal(t, "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", string(rest))

	// D got bytes from A that B never saw (A wrote more before it failed): D needs a full copy.
	assert.False(t, replproto.Decide(bIDs, bBacklog, a.String(), 1450).Continue)

	bIDs.ClearID2()
	assert.False(t, replproto.Decide(bIDs, bBacklog, a.String(), 1387).Continue)
}

func TestIDsFollowPrimary(t *testing.T) {
	a, b := mustID(t, 'a'), mustID(t, 'b')
	var ids replproto.IDs
	ids.FullResync(a)
	assert.Equal(t, replproto.IDs{ID: a, SecondOffset: -1}, ids)
	assert.False(t, ids.Continue(replproto.ID{}, 500), "a primary without PSYNC2 sends no id")
	assert.False(t, ids.Continue(a, 500))
	assert.True(t, ids.Continue(b, 500), "the primary was promoted")
	assert.Equal(t, replproto.IDs{ID: b, ID2: a, SecondOffset: 501}, ids)
}
