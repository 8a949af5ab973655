package replproto_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/replproto"
	"github.com/carminedb/carmine/resp"
)

// scripted is a primary that answers with canned bytes and records what the replica sent.
type scripted struct {
	io.Reader
	sent bytes.Buffer
}

func (s *scripted) Write(p []byte) (int, error) { return s.sent.Write(p) }

// commands splits what the replica sent into commands, each as its arguments joined by spaces.
func commands(t *testing.T, b []byte) []string {
	t.Helper()
	r := resp.NewCommandReader(bytes.NewReader(b))
	var out []string
	for {
		args, err := r.ReadCommand()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		s := make([]string, len(args))
		for i, a := range args {
			s[i] = string(a)
		}
		out = append(out, strings.Join(s, " "))
	}
}

func TestHandshake(t *testing.T) {
	full := "+FULLRESYNC " + idB + " 1234\r\n"
	tests := []struct {
		name    string
		cfg     replproto.HandshakeConfig
		replies string
		sent    []string
		kind    replproto.ReplyKind
		err     error
		ignored int
	}{
		{
			name:    "fresh replica",
			cfg:     replproto.HandshakeConfig{ListeningPort: 6380},
			replies: "+PONG\r\n+OK\r\n+OK\r\n" + full,
			sent:    []string{"PING", "REPLCONF listening-port 6380", "REPLCONF capa eof capa psync2", "PSYNC ? -1"},
			kind:    replproto.ReplyFullResync,
		},
		{
			name:    "auth with user, ip, partial resync with keepalives",
			cfg:     replproto.HandshakeConfig{ListeningPort: 7000, IPAddress: "10.0.0.2", User: "repl", Password: "s3cret", ReplID: idA, Next: 501},
			replies: "-NOAUTH Authentication required.\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n\n\n+CONTINUE " + idB + "\r\n",
			sent: []string{"PING", "AUTH repl s3cret", "REPLCONF listening-port 7000", "REPLCONF ip-address 10.0.0.2",
				"REPLCONF capa eof capa psync2", "PSYNC " + idA + " 501"},
			kind: replproto.ReplyContinue,
		},
		{
			name:    "auth without user",
			cfg:     replproto.HandshakeConfig{Password: "pw"},
			replies: "-NOPERM no\r\n+OK\r\n+OK\r\n" + full,
			sent:    []string{"PING", "AUTH pw", "REPLCONF capa eof capa psync2", "PSYNC ? -1"},
			kind:    replproto.ReplyFullResync,
		},
		{
			name:    "old primary ignores REPLCONF and lacks PSYNC",
			cfg:     replproto.HandshakeConfig{ListeningPort: 6380},
			replies: "+PONG\r\n-ERR unknown command 'REPLCONF'\r\n-ERR unknown command 'REPLCONF'\r\n-ERR unknown command 'PSYNC'\r\n",
			sent:    []string{"PING", "REPLCONF listening-port 6380", "REPLCONF capa eof capa psync2", "PSYNC ? -1", "SYNC"},
			kind:    replproto.ReplyNotSupported,
			ignored: 2,
		},
		{
			name:    "error to PING",
			replies: "-ERR max number of clients reached\r\n",
			sent:    []string{"PING"},
			err:     replproto.ErrRejected,
		},
		{
			name:    "ping allowed before auth, bad password",
			cfg:     replproto.HandshakeConfig{Password: "bad"},
			replies: "-ERR operation not permitted\r\n-WRONGPASS invalid username-password pair\r\n+OK\r\n",
			sent:    []string{"PING", "AUTH bad", "REPLCONF capa eof capa psync2"},
			err:     replproto.ErrRejected,
		},
		{
			name:    "primary has no link to its primary",
			replies: "+PONG\r\n+OK\r\n-NOMASTERLINK Can't SYNC while not connected with my master\r\n",
			sent:    []string{"PING", "REPLCONF capa eof capa psync2", "PSYNC ? -1"},
			err:     replproto.ErrTryLater,
		},
		{
			name:    "loading",
			replies: "+PONG\r\n+OK\r\n-LOADING Redis is loading the dataset in memory\r\n",
			sent:    []string{"PING", "REPLCONF capa eof capa psync2", "PSYNC ? -1"},
			err:     replproto.ErrTryLater,
		},
		{
			name:    "connection closed",
			replies: "+PONG\r\n",
			sent:    []string{"PING", "REPLCONF capa eof capa psync2"},
			err:     io.EOF,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{Reader: strings.NewReader(tt.replies)}
			c := replproto.NewConn(s)
			r, err := c.Handshake(tt.cfg)
			assert.Equal(t, tt.sent, commands(t, s.sent.Bytes()))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.kind, r.Kind)
			if tt.kind == replproto.ReplyFullResync {
				assert.Equal(t, idB, r.ID.String())
				assert.Equal(t, int64(1234), r.Offset)
			}
			if tt.kind == replproto.ReplyContinue {
				assert.Equal(t, idB, r.ID.String())
			}
		})
	}
}

func TestHandshakeIgnored(t *testing.T) {
	h := replproto.NewHandshake(replproto.HandshakeConfig{ListeningPort: 1})
	out := h.Start(nil)
	assert.Equal(t, "*1\r\n$4\r\nPING\r\n", string(out))
	var err error
	for _, line := range []string{"+PONG", "-ERR a", "-ERR b", "+FULLRESYNC " + idB + " 7"} {
		require.False(t, h.Done())
		_, err = h.Feed(nil, []byte(line))
		require.NoError(t, err)
	}
	require.True(t, h.Done())
	require.Len(t, h.Ignored(), 2)
	assert.Equal(t, "ERR b", h.Ignored()[1].Error())
	_, err = h.Feed(nil, []byte("+OK"))
	require.Error(t, err)
}

func TestConnFullSync(t *testing.T) {
	mark := strings.Repeat("5a", 20)
	stream := "+PONG\r\n+OK\r\n+FULLRESYNC " + idB + " 0\r\n\n\n$EOF:" + mark + "\r\nREDIS0011..." + mark + "*1\r\n$4\r\nPING\r\n"
	s := &scripted{Reader: strings.NewReader(stream)}
	c := replproto.NewConn(s)
	r, err := c.Handshake(replproto.HandshakeConfig{})
	require.NoError(t, err)
	require.Equal(t, replproto.ReplyFullResync, r.Kind)
	p, err := c.ReadPayload()
	require.NoError(t, err)
	assert.True(t, p.Preamble().Diskless())
	rdb, err := io.ReadAll(p)
	require.NoError(t, err)
	assert.Equal(t, "REDIS0011...", string(rdb))
	cmd, err := resp.NewCommandReader(c.Reader()).ReadCommand()
	require.NoError(t, err)
	assert.Equal(t, "PING", string(cmd[0]))
	require.NoError(t, c.WriteAck(9))
	assert.Equal(t, "REPLCONF ACK 9", commands(t, s.sent.Bytes())[3])
}

func TestParseReplconf(t *testing.T) {
	split := func(s string) [][]byte {
		var out [][]byte
		for _, f := range strings.Fields(s) {
			out = append(out, []byte(f))
		}
		return out
	}
	rc, err := replproto.ParseReplconf(split("REPLCONF listening-port 6380 ip-address 10.1.1.1 capa eof capa PSYNC2 capa future"))
	require.NoError(t, err)
	assert.Equal(t, replproto.Replconf{ListeningPort: 6380, IPAddress: "10.1.1.1", CapaEOF: true, CapaPSYNC2: true, AckOffset: -1, FAckOffset: -1, RDBOnly: -1}, rc)

	rc, err = replproto.ParseReplconf(split("replconf ACK 1234 FACK 1200"))
	require.NoError(t, err)
	assert.True(t, rc.Ack)
	assert.Equal(t, int64(1234), rc.AckOffset)
	assert.Equal(t, int64(1200), rc.FAckOffset)

	rc, err = replproto.ParseReplconf(split("REPLCONF GETACK * rdb-only 1"))
	require.NoError(t, err)
	assert.True(t, rc.GetAck)
	assert.Equal(t, 1, rc.RDBOnly)

	for _, bad := range []string{"REPLCONF ack", "REPLCONF ack x", "REPLCONF listening-port 70000", "REPLCONF rdb-only 2"} {
		_, err := replproto.ParseReplconf(split(bad))
		assert.ErrorIs(t, err, replproto.ErrSyntax, bad)
	}
	_, err = replproto.ParseReplconf(split("REPLCONF nope 1"))
	assert.ErrorIs(t, err, replproto.ErrUnknownOption)

	assert.Equal(t, []string{"REPLCONF ACK 77"}, commands(t, replproto.AppendAck(nil, 77)))
	assert.Equal(t, []string{"REPLCONF GETACK *"}, commands(t, replproto.AppendGetAck(nil)))

	id, next, err := replproto.ParsePSYNC(split("PSYNC " + idA + " 101"))
	require.NoError(t, err)
	assert.Equal(t, idA, id)
	assert.Equal(t, int64(101), next)
	_, _, err = replproto.ParsePSYNC(split("PSYNC ? x"))
	assert.ErrorIs(t, err, replproto.ErrSyntax)
	_, _, err = replproto.ParsePSYNC(split("PSYNC ?"))
	assert.ErrorIs(t, err, replproto.ErrSyntax)
}
