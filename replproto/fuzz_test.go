package replproto_test

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/replproto"
)

func FuzzParsePSYNCReply(f *testing.F) {
	for _, s := range []string{"", "+FULLRESYNC " + idB + " 0", "+FULLRESYNC " + idB + " 99", "+FULLRESYNC x y",
		"+CONTINUE", "+CONTINUE " + idA, "-NOMASTERLINK x", "-LOADING x", "-ERR unknown command", "+OK", "-"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r := replproto.ParsePSYNCReply(line)
		switch r.Kind {
		case replproto.ReplyFullResync:
			if r.Offset >= 0 {
				again := replproto.ParsePSYNCReply(bytes.TrimSuffix(replproto.AppendFullResync(nil, r.ID, r.Offset), []byte("\r\n")))
				assert.Equal(t, r.ID, again.ID)
				assert.Equal(t, r.Offset, again.Offset)
			} else {
				assert.True(t, r.ID.IsZero())
			}
		case replproto.ReplyContinue:
			if !r.ID.IsZero() {
				again := replproto.ParsePSYNCReply(bytes.TrimSuffix(replproto.AppendContinue(nil, r.ID), []byte("\r\n")))
				assert.Equal(t, r.ID, again.ID)
			}
		case replproto.ReplyTryLater:
			require.NotNil(t, r.Err)
		case replproto.ReplyNone:
			assert.Empty(t, line)
		}
	})
}

func FuzzParsePreamble(f *testing.F) {
	for _, s := range []string{"", "$0", "$12345", "$EOF:" + idA, "$EOF:" + idA + "x", "$EOF:x", "$-1", "-ERR x", "+x", "$"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		p, ok, err := replproto.ParsePreamble(line)
		if err != nil || !ok {
			assert.False(t, ok)
			return
		}
		out := replproto.AppendPreamble(nil, p)
		again, ok, err := replproto.ParsePreamble(bytes.TrimSuffix(out, []byte("\r\n")))
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, p, again)
	})
}

// FuzzPayload checks the payload reader in both forms over input split at arbitrary points: the payload is
// the data up to the first mark (or the announced size), and what follows stays unread.
func FuzzPayload(f *testing.F) {
	f.Add([]byte("REDIS0011\xff"), []byte{1, 2, 3}, uint8(64), false)
	f.Add([]byte("REDIS0011\xff"), []byte{39, 1}, uint8(16), true)
	f.Add([]byte(idA[:39]+"x"+idA), []byte{7}, uint8(0), false)
	f.Fuzz(func(t *testing.T, data, splits []byte, bufSize uint8, sized bool) {
		mark := idA
		tail := "*1\r\n$4\r\nPING\r\n"
		var in []byte
		want := data
		if sized {
			in = append(replproto.AppendPreamble(nil, replproto.Preamble{Size: int64(len(data))}), data...)
		} else {
			var m replproto.EOFMark
			copy(m[:], mark)
			in = append(replproto.AppendPreamble(nil, replproto.Preamble{Size: -1, Mark: m}), data...)
			in = append(in, mark...)
			if i := strings.Index(string(data)+mark, mark); i < len(data) {
				want = data[:i]
			}
		}
		in = append(in, tail...)
		sizes := make([]int, len(splits))
		for i, s := range splits {
			sizes[i] = int(s)
		}
		payload, rest, err := readTransfer(t, in, sizes, 64+int(bufSize))
		require.NoError(t, err)
		require.Equal(t, want, payload)
		if len(want) == len(data) {
			require.Equal(t, tail, string(rest))
		}

		// Cut anywhere before the end of the payload, the reader reports an unexpected end.
		if len(data) > 0 {
			cut := len(in) - len(tail) - 1
			if !sized {
				cut -= len(mark) - 1 // keep the mark incomplete
			}
			_, _, err := readTransfer(t, in[:cut], sizes, 64+int(bufSize))
			if len(want) == len(data) {
				require.ErrorIs(t, err, io.ErrUnexpectedEOF)
			}
		}
	})
}

func FuzzParseReplconf(f *testing.F) {
	f.Add("REPLCONF listening-port 6380 capa eof capa psync2")
	f.Add("REPLCONF ack 10 fack 5")
	f.Add("REPLCONF getack * rdb-only 0 ip-address 1.2.3.4")
	f.Fuzz(func(t *testing.T, line string) {
		var args [][]byte
		for _, a := range strings.Split(line, " ") {
			args = append(args, []byte(a))
		}
		rc, err := replproto.ParseReplconf(args)
		if err != nil {
			return
		}
		assert.True(t, rc.ListeningPort >= 0 && rc.ListeningPort <= 65535)
		assert.True(t, rc.RDBOnly >= -1 && rc.RDBOnly <= 1)
		if rc.Ack {
			assert.Equal(t, rc.AckOffset, mustAck(t, rc.AckOffset))
		}
	})
}

// mustAck round-trips an ACK through AppendAck and ParseReplconf.
func mustAck(t *testing.T, off int64) int64 {
	args := bytes.Fields(bytes.ReplaceAll(replproto.AppendAck(nil, off), []byte("\r\n"), []byte(" ")))
	// *3 $8 REPLCONF $3 ACK $n <off>
	rc, err := replproto.ParseReplconf([][]byte{args[2], args[4], args[6]})
	require.NoError(t, err)
	return rc.AckOffset
}

// FuzzHandshake feeds arbitrary primary output to a handshake: it must end, with a reply or an error.
func FuzzHandshake(f *testing.F) {
	f.Add("+PONG\r\n+OK\r\n+OK\r\n+FULLRESYNC "+idB+" 1\r\n$3\r\nabc", "pw", 6380)
	f.Add("-NOAUTH x\r\n-ERR x\r\n\n+CONTINUE\r\n", "", 0)
	f.Fuzz(func(t *testing.T, replies, password string, port int) {
		s := &scripted{Reader: strings.NewReader(replies)}
		c := replproto.NewConn(s)
		r, err := c.Handshake(replproto.HandshakeConfig{ListeningPort: port, Password: password, ReplID: idA, Next: 1})
		if err != nil {
			return
		}
		require.Contains(t, []replproto.ReplyKind{replproto.ReplyFullResync, replproto.ReplyContinue, replproto.ReplyNotSupported}, r.Kind)
		if r.Kind != replproto.ReplyContinue {
			if p, err := c.ReadPayload(); err == nil {
				_, _ = io.Copy(io.Discard, p)
			}
		}
		_ = bufio.NewReader(c.Reader())
	})
}

// FuzzBacklog runs operations decoded from the input against a Backlog and the model.
func FuzzBacklog(f *testing.F) {
	f.Add([]byte{0, 10, 1, 200, 2, 3, 0, 255}, int64(0))
	f.Fuzz(func(t *testing.T, ops []byte, start int64) {
		start &= 1<<50 - 1
		b := replproto.NewBacklog(0, start)
		m := &backlogModel{size: replproto.MinBacklogSize, off: start}
		var counter byte
		for i := 0; i+1 < len(ops); i += 2 {
			arg := int(ops[i+1])
			switch ops[i] % 4 {
			case 0, 1:
				p := make([]byte, arg*arg) // up to 64 KiB
				for j := range p {
					counter++
					p[j] = counter
				}
				b.Append(p)
				m.append(p)
			case 2:
				size := replproto.MinBacklogSize + arg*256
				b.Resize(size)
				m.size = size
				if len(m.hist) > size {
					m.hist = m.hist[len(m.hist)-size:]
				}
			case 3:
				next := m.off + 1 - int64(arg*arg)
				got, err := b.AppendFrom(nil, next)
				if next < m.first() {
					require.ErrorIs(t, err, replproto.ErrNotInBacklog)
					continue
				}
				require.NoError(t, err)
				require.True(t, bytes.Equal(m.hist[next-m.first():], got))
			}
			require.Equal(t, len(m.hist), b.Len())
			require.Equal(t, m.first(), b.FirstByteOffset())
		}
	})
}

// FuzzStream reads arbitrary bytes as a replication stream: offsets only grow, and never pass the bytes read.
func FuzzStream(f *testing.F) {
	f.Add([]byte("*1\r\n$4\r\nPING\r\n\r\nPING\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"), uint8(3))
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		s := replproto.NewStream(&chunkReader{data: in, sizes: []int{int(chunk)}}, 7)
		prev := int64(7)
		for {
			args, err := s.ReadCommand()
			if err != nil {
				break
			}
			require.NotEmpty(t, args)
			require.Equal(t, prev, s.CommandOffset())
			require.Greater(t, s.Offset(), prev)
			require.LessOrEqual(t, s.Offset(), 7+int64(len(in)))
			prev = s.Offset()
		}
	})
}
