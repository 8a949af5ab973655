package resp_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
)

// writerCases are the Writer calls whose output differs (or not) between
// protocols; the golden test writes them all.
var writerCases = []struct {
	name         string
	write        func(w *resp.Writer)
	resp2, resp3 string
}{
	{"simple", func(w *resp.Writer) { w.WriteSimple("OK") }, "+OK\r\n", "+OK\r\n"},
	{"error", func(w *resp.Writer) { w.WriteError("ERR wrong number of arguments for 'get' command") },
		"-ERR wrong number of arguments for 'get' command\r\n", "-ERR wrong number of arguments for 'get' command\r\n"},
	{"int", func(w *resp.Writer) { w.WriteInt(-7) }, ":-7\r\n", ":-7\r\n"},
	{"bulk", func(w *resp.Writer) { w.WriteBulk([]byte("v")) }, "$1\r\nv\r\n", "$1\r\nv\r\n"},
	{"bulk string", func(w *resp.Writer) { w.WriteBulkString("") }, "$0\r\n\r\n", "$0\r\n\r\n"},
	{"array", func(w *resp.Writer) { w.WriteArrayLen(2); w.WriteInt(1); w.WriteInt(2) }, "*2\r\n:1\r\n:2\r\n", "*2\r\n:1\r\n:2\r\n"},
	{"null", func(w *resp.Writer) { w.WriteNull() }, "$-1\r\n", "_\r\n"},
	{"null array", func(w *resp.Writer) { w.WriteNullArray() }, "*-1\r\n", "_\r\n"},
	{"map", func(w *resp.Writer) { w.WriteMapLen(1); w.WriteBulkString("f"); w.WriteInt(1) },
		"*2\r\n$1\r\nf\r\n:1\r\n", "%1\r\n$1\r\nf\r\n:1\r\n"},
	{"set", func(w *resp.Writer) { w.WriteSetLen(1); w.WriteBulkString("m") }, "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n"},
	{"push", func(w *resp.Writer) { w.WritePushLen(1); w.WriteBulkString("message") },
		"*1\r\n$7\r\nmessage\r\n", ">1\r\n$7\r\nmessage\r\n"},
	{"double", func(w *resp.Writer) { w.WriteDouble(1.1) }, "$18\r\n1.1000000000000001\r\n", ",1.1000000000000001\r\n"},
	{"double integral", func(w *resp.Writer) { w.WriteDouble(3) }, "$1\r\n3\r\n", ",3\r\n"},
	{"double inf", func(w *resp.Writer) { w.WriteDouble(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
	{"bool", func(w *resp.Writer) { w.WriteBool(true); w.WriteBool(false) }, ":1\r\n:0\r\n", "#t\r\n#f\r\n"},
	{"big number", func(w *resp.Writer) { w.WriteBigNumber("12345678901234567890") },
		"$20\r\n12345678901234567890\r\n", "(12345678901234567890\r\n"},
	{"verbatim", func(w *resp.Writer) { w.WriteVerbatim("txt", "hi") }, "$2\r\nhi\r\n", "=6\r\ntxt:hi\r\n"},
	{"value", func(w *resp.Writer) { w.WriteValue(resp.Value{Type: resp.TypeBool, Int: 1}) }, "#t\r\n", "#t\r\n"},
	{"raw", func(w *resp.Writer) { w.WriteRaw([]byte("+PONG\r\n")) }, "+PONG\r\n", "+PONG\r\n"},
}

func TestWriter(t *testing.T) {
	for _, tt := range writerCases {
		t.Run(tt.name, func(t *testing.T) {
			for proto, want := range map[int]string{2: tt.resp2, 3: tt.resp3} {
				var out bytes.Buffer
				w := resp.NewWriter(&out)
				w.SetProtocol(proto)
				require.Equal(t, proto, w.Protocol())
				tt.write(w)
				assert.Equal(t, want, string(w.Bytes()), "RESP%d buffered", proto)
				assert.Zero(t, out.Len(), "no I/O before Flush")
				require.NoError(t, w.Flush())
				assert.Equal(t, want, out.String(), "RESP%d", proto)
				assert.Zero(t, w.Buffered())
			}
		})
	}
}

type failWriter struct {
	err    error
	writes int
}

func (f *failWriter) Write(p []byte) (int, error) { f.writes++; return 0, f.err }

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestWriterStickyError(t *testing.T) {
	boom := errors.New("boom")
	fw := &failWriter{err: boom}
	w := resp.NewWriter(fw)
	w.WriteSimple("OK")
	assert.NoError(t, w.Err())
	assert.ErrorIs(t, w.Flush(), boom)
	w.WriteInt(1)
	assert.Zero(t, w.Buffered(), "writes after an error are dropped")
	assert.ErrorIs(t, w.Flush(), boom)
	assert.ErrorIs(t, w.Err(), boom)
	assert.Equal(t, 1, fw.writes)

	var out bytes.Buffer
	w.Reset(&out)
	assert.NoError(t, w.Err())
	assert.Equal(t, 2, w.Protocol())
	w.WriteSimple("OK")
	require.NoError(t, w.Flush())
	assert.Equal(t, "+OK\r\n", out.String())

	w.Reset(shortWriter{})
	w.WriteSimple("OK")
	assert.Error(t, w.Flush())
}

func TestWriterEarlyFlush(t *testing.T) {
	var out bytes.Buffer
	w := resp.NewWriter(&out)
	small := strings.Repeat("x", 1000)
	for range 100 {
		w.WriteBulkString(small)
	}
	assert.NotZero(t, out.Len(), "flushed past 64 KiB")
	assert.LessOrEqual(t, w.Buffered(), 64<<10+1100)

	out.Reset()
	w.Reset(&out)
	big := bytes.Repeat([]byte("y"), 100<<10)
	w.WriteSimple("a")
	w.WriteBulk(big)
	w.WriteRaw(big)
	require.NoError(t, w.Flush())
	want := "+a\r\n" + string(resp.AppendBulk(nil, big)) + string(big)
	assert.Equal(t, want, out.String())
}

func TestWriterOwnIO(t *testing.T) {
	w := resp.NewWriter(nil)
	w.WriteSimple("OK")
	w.WriteBulk(bytes.Repeat([]byte("z"), 100<<10))
	assert.Len(t, w.Bytes(), 5+9+100<<10+2)
	assert.Error(t, w.Flush())
	w.Discard()
	assert.Zero(t, w.Buffered())
}

func TestWriterAllocs(t *testing.T) {
	w := resp.NewWriter(&bytes.Buffer{})
	val := []byte("value")
	allocs := testing.AllocsPerRun(1000, func() {
		w.WriteSimple("OK")
		w.WriteError("ERR no")
		w.WriteInt(12345)
		w.WriteBulk(val)
		w.WriteArrayLen(3)
		w.WriteDouble(1.5)
		w.Discard()
	})
	assert.Zero(t, allocs)
}
