package replproto_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/replproto"
)

// backlogModel is the obvious backlog: the held history as one slice.
type backlogModel struct {
	hist []byte
	size int
	off  int64
}

func (m *backlogModel) append(p []byte) {
	m.off += int64(len(p))
	m.hist = append(m.hist, p...)
	if len(m.hist) > m.size {
		m.hist = m.hist[len(m.hist)-m.size:]
	}
}

func (m *backlogModel) first() int64 { return m.off - int64(len(m.hist)) + 1 }

func checkBacklog(t *testing.T, b *replproto.Backlog, m *backlogModel, rng *rand.Rand) {
	t.Helper()
	require.Equal(t, m.size, b.Size())
	require.Equal(t, len(m.hist), b.Len())
	require.Equal(t, m.off, b.Offset())
	require.Equal(t, m.first(), b.FirstByteOffset())
	nexts := []int64{m.first() - 1, m.first(), m.off, m.off + 1, m.off + 2}
	for range 4 {
		nexts = append(nexts, m.first()+rng.Int64N(int64(len(m.hist))+1))
	}
	for _, next := range nexts {
		covered := next >= m.first() && next <= m.off+1
		require.Equal(t, covered, b.Covers(next), "next %d", next)
		got, err := b.AppendFrom([]byte("x"), next)
		if !covered {
			require.ErrorIs(t, err, replproto.ErrNotInBacklog)
			require.Equal(t, []byte("x"), got)
			continue
		}
		require.NoError(t, err)
		want := m.hist[next-m.first():]
		require.True(t, bytes.Equal(append([]byte("x"), want...), got), "next %d", next)
		var w bytes.Buffer
		n, err := b.WriteFrom(&w, next)
		require.NoError(t, err)
		require.Equal(t, int64(len(want)), n)
		require.True(t, bytes.Equal(want, w.Bytes()))
	}
}

func TestBacklogModel(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		size := replproto.MinBacklogSize + rng.IntN(3*replproto.MinBacklogSize)
		start := rng.Int64N(1 << 40)
		b := replproto.NewBacklog(size, start)
		m := &backlogModel{size: size, off: start}
		var counter byte
		for range 200 {
			switch op := rng.IntN(20); {
			case op < 16:
				var n int
				switch rng.IntN(4) {
				case 0:
					n = rng.IntN(8)
				case 1:
					n = rng.IntN(2 * m.size)
				default:
					n = rng.IntN(m.size / 4)
				}
				p := make([]byte, n)
				for i := range p {
					counter++
					p[i] = counter
				}
				b.Append(p)
				m.append(p)
			case op < 19:
				size := replproto.MinBacklogSize + rng.IntN(3*replproto.MinBacklogSize)
				if rng.IntN(4) == 0 {
					size = rng.IntN(replproto.MinBacklogSize) // below the minimum: raised to it
				}
				b.Resize(size)
				m.size = max(size, replproto.MinBacklogSize)
				if len(m.hist) > m.size {
					m.hist = m.hist[len(m.hist)-m.size:]
				}
			default:
				off := rng.Int64N(1 << 40)
				b.Reset(off)
				m.hist, m.off = nil, off
			}
			checkBacklog(t, b, m, rng)
		}
	}
}

func TestBacklogRedisOffsets(t *testing.T) {
	// A backlog created at master_repl_offset 100 starts at 101, as Redis's does.
	b := replproto.NewBacklog(0, 100)
	assert.Equal(t, replproto.MinBacklogSize, b.Size())
	assert.Equal(t, int64(101), b.FirstByteOffset())
	assert.True(t, b.Covers(101))
	assert.False(t, b.Covers(100))
	assert.False(t, b.Covers(102))

	_, err := io.WriteString(b, "*1\r\n$4\r\nPING\r\n") // 14 bytes: offsets 101..114
	require.NoError(t, err)
	assert.Equal(t, int64(114), b.Offset())
	got, err := b.AppendFrom(nil, 109)
	require.NoError(t, err)
	assert.Equal(t, "PING\r\n", string(got))
	got, err = b.AppendFrom(nil, 115)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestBacklogResizeKeepsNewest(t *testing.T) {
	b := replproto.NewBacklog(4*replproto.MinBacklogSize, 0)
	data := make([]byte, 3*replproto.MinBacklogSize)
	for i := range data {
		data[i] = byte(i % 251)
	}
	b.Append(data)
	b.Resize(replproto.MinBacklogSize)
	assert.Equal(t, replproto.MinBacklogSize, b.Len())
	got, err := b.AppendFrom(nil, b.FirstByteOffset())
	require.NoError(t, err)
	assert.Equal(t, data[len(data)-replproto.MinBacklogSize:], got)
	b.Resize(8 * replproto.MinBacklogSize) // growing keeps everything
	assert.Equal(t, replproto.MinBacklogSize, b.Len())
	assert.Equal(t, int64(len(data)), b.Offset())
}

func BenchmarkBacklogAppend(b *testing.B) {
	for _, n := range []int{16, 256, 4096} {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			bl := replproto.NewBacklog(replproto.DefaultBacklogSize, 0)
			p := bytes.Repeat([]byte("x"), n)
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				bl.Append(p)
			}
		})
	}
}
