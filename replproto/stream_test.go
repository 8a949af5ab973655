package replproto_test

import (
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/replproto"
)

func TestStreamOffsets(t *testing.T) {
	cmds := []string{
		"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n",
		"*1\r\n$4\r\nPING\r\n",
		"\r\n", // an empty inline command: skipped but counted
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
		"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n",
	}
	in := strings.Join(cmds, "")
	s := replproto.NewStream(iotest.HalfReader(strings.NewReader(in)), 100)
	want := []struct {
		name       string
		start, end int64
	}{
		{"SELECT", 100, 100 + int64(len(cmds[0]))},
		{"PING", 100 + int64(len(cmds[0])), 100 + int64(len(cmds[0])+len(cmds[1]))},
		{"SET", 100 + int64(len(cmds[0])+len(cmds[1])), 100 + int64(len(in)-len(cmds[4]))},
		{"REPLCONF", 100 + int64(len(in)-len(cmds[4])), 100 + int64(len(in))},
	}
	for _, w := range want {
		args, err := s.ReadCommand()
		require.NoError(t, err)
		assert.Equal(t, w.name, string(args[0]))
		assert.Equal(t, w.start, s.CommandOffset(), w.name)
		assert.Equal(t, w.end, s.Offset(), w.name)
	}
	_, err := s.ReadCommand()
	require.Error(t, err)
	assert.Equal(t, 100+int64(len(in)), s.Offset())
}
