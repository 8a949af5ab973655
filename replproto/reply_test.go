package replproto_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/replproto"
)

var (
	idA = strings.Repeat("a", 40)
	idB = "8371b4fb1155b71f4a04d3e1bc3e18c4a990aeeb"
)

func TestParsePSYNCReply(t *testing.T) {
	tests := []struct {
		line    string
		kind    replproto.ReplyKind
		id      string // "" for the zero id
		offset  int64
		errCode string
	}{
		{"", replproto.ReplyNone, "", -1, ""},
		{"+FULLRESYNC " + idB + " 0", replproto.ReplyFullResync, idB, 0, ""},
		{"+FULLRESYNC " + idB + " 12345", replproto.ReplyFullResync, idB, 12345, ""},
		{"+FULLRESYNC " + idB, replproto.ReplyFullResync, "", -1, ""},
		{"+FULLRESYNC short 10", replproto.ReplyFullResync, "", -1, ""},
		{"+FULLRESYNC " + idB + " x", replproto.ReplyFullResync, "", -1, ""},
		{"+FULLRESYNC " + idB + " -5", replproto.ReplyFullResync, "", -1, ""},
		{"+CONTINUE", replproto.ReplyContinue, "", -1, ""},
		{"+CONTINUE " + idA, replproto.ReplyContinue, idA, -1, ""},
		{"+CONTINUE " + idA + "x", replproto.ReplyContinue, "", -1, ""},
		{"+CONTINUE abc", replproto.ReplyContinue, "", -1, ""},
		{"-NOMASTERLINK Can't SYNC while not connected with my master", replproto.ReplyTryLater, "", -1, "NOMASTERLINK"},
		{"-LOADING Redis is loading the dataset in memory", replproto.ReplyTryLater, "", -1, "LOADING"},
		{"-ERR unknown command 'PSYNC'", replproto.ReplyNotSupported, "", -1, "ERR"},
		{"-NOPERM this user has no permissions", replproto.ReplyNotSupported, "", -1, "NOPERM"},
		{"+OK", replproto.ReplyNotSupported, "", -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			r := replproto.ParsePSYNCReply([]byte(tt.line))
			assert.Equal(t, tt.kind, r.Kind)
			if tt.id == "" {
				assert.True(t, r.ID.IsZero())
			} else {
				assert.Equal(t, tt.id, r.ID.String())
			}
			assert.Equal(t, tt.offset, r.Offset)
			if tt.errCode == "" {
				assert.Nil(t, r.Err)
			} else {
				require.NotNil(t, r.Err)
				assert.Equal(t, tt.errCode, r.Err.Code)
			}
			assert.Equal(t, tt.line, r.Line)
		})
	}
}

func TestAppendReplies(t *testing.T) {
	id, err := replproto.ParseID(idB)
	require.NoError(t, err)
	assert.Equal(t, "+FULLRESYNC "+idB+" 42\r\n", string(replproto.AppendFullResync(nil, id, 42)))
	assert.Equal(t, "+CONTINUE "+idB+"\r\n", string(replproto.AppendContinue(nil, id)))
	assert.Equal(t, "+CONTINUE\r\n", string(replproto.AppendContinue(nil, replproto.ID{})))

	r := replproto.ParsePSYNCReply([]byte(strings.TrimSuffix(string(replproto.AppendFullResync(nil, id, 42)), "\r\n")))
	assert.Equal(t, id, r.ID)
	assert.Equal(t, int64(42), r.Offset)
}

func TestParsePreamble(t *testing.T) {
	mark := strings.Repeat("0123456789", 4)
	tests := []struct {
		line string
		ok   bool
		size int64
		mark string
		err  error
	}{
		{"", false, 0, "", nil},
		{"$0", true, 0, "", nil},
		{"$175", true, 175, "", nil},
		{"$EOF:" + mark, true, -1, mark, nil},
		{"$EOF:" + mark + "extra", true, -1, mark, nil}, // Redis takes the first 40 bytes
		{"$EOF:short", false, 0, "", replproto.ErrBadPreamble},
		{"$-1", false, 0, "", replproto.ErrBadPreamble},
		{"$", false, 0, "", replproto.ErrBadPreamble},
		{"$12x", false, 0, "", replproto.ErrBadPreamble},
		{"+FULLRESYNC", false, 0, "", replproto.ErrBadPreamble},
		{"-ERR background save failed", false, 0, "", replproto.ErrPrimaryError},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			p, ok, err := replproto.ParsePreamble([]byte(tt.line))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.ok, ok)
			if !ok {
				return
			}
			assert.Equal(t, tt.size, p.Size)
			assert.Equal(t, tt.mark != "", p.Diskless())
			if tt.mark != "" {
				assert.Equal(t, tt.mark, string(p.Mark[:]))
				assert.Equal(t, "$EOF:"+mark+"\r\n", string(replproto.AppendPreamble(nil, p)))
			} else {
				assert.Equal(t, tt.line+"\r\n", string(replproto.AppendPreamble(nil, p)))
			}
		})
	}
}

func TestNewEOFMark(t *testing.T) {
	m, err := replproto.NewEOFMark(strings.NewReader(strings.Repeat("\x01", 20)))
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("01", 20), string(m[:]))
	m2, err := replproto.NewEOFMark(nil)
	require.NoError(t, err)
	assert.NotEqual(t, m, m2)
	_, err = replproto.NewEOFMark(strings.NewReader("x"))
	require.Error(t, err)
}

func TestReplyKindString(t *testing.T) {
	assert.Equal(t, "fullresync", replproto.ReplyFullResync.String())
	assert.Equal(t, "try-later", replproto.ReplyTryLater.String())
	assert.Equal(t, "ReplyKind(9)", replproto.ReplyKind(9).String())
}
