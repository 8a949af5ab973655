package resp_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
)

func strs(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		n    int // bytes consumed; 0 means len(in)
	}{
		{"multibulk", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", []string{"GET", "k"}, 0},
		{"multibulk trailing", "*1\r\n$4\r\nPING\r\n*1\r\n", []string{"PING"}, 14},
		{"empty arg", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", []string{"ECHO", ""}, 0},
		{"binary arg", "*1\r\n$4\r\na\r\nb\r\n", []string{"a\r\nb"}, 0},
		{"bulk end not checked", "*1\r\n$4\r\nPINGxx", []string{"PING"}, 0},
		{"header LF not checked", "*1\rX$4\rXPING\r\n", []string{"PING"}, 0},
		{"zero count", "*0\r\n", []string{}, 0},
		{"null count", "*-1\r\n", []string{}, 0},
		{"negative count", "*-5\r\nPING\r\n", []string{}, 5},
		{"inline", "GET k\r\n", []string{"GET", "k"}, 0},
		{"inline LF only", "PING\n", []string{"PING"}, 0},
		{"inline blank", "\r\n", []string{}, 0},
		{"inline LF", "\n", []string{}, 0},
		{"inline spaces", "  SET \t k  v \r\n", []string{"SET", "k", "v"}, 0},
		{"inline vtab separates", "ECHO \va\r\n", []string{"ECHO", "a"}, 0},
		{"inline vtab in word", "ECHO\va\r\n", []string{"ECHO\va"}, 0},
		{"inline double quotes", `SET "a b" "x\x41\n\"\\\r\t\b\a\q"` + "\r\n", []string{"SET", "a b", "xA\n\"\\\r\t\b\aq"}, 0},
		{"inline bad hex", `ECHO "\xZZ"` + "\r\n", []string{"ECHO", "xZZ"}, 0},
		{"inline single quotes", `ECHO 'a\'b' 'c\nd'` + "\r\n", []string{"ECHO", "a'b", `c\nd`}, 0},
		{"inline quote mid word", "ECHO a\"b c\"\r\n", []string{"ECHO", "ab c"}, 0},
		{"inline empty quotes", "ECHO \"\" ''\r\n", []string{"ECHO", "", ""}, 0},
		{"inline two commands", "PING\r\nPING\r\n", []string{"PING"}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, n, err := resp.ParseCommand([]byte(tt.in), nil, resp.DefaultLimits())
			require.NoError(t, err)
			want := tt.n
			if want == 0 {
				want = len(tt.in)
			}
			assert.Equal(t, want, n)
			assert.Equal(t, tt.want, strs(args))
		})
	}
}

func TestParseCommandIncomplete(t *testing.T) {
	for _, in := range []string{
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n",
		"*1\r\n$0\r\n\r\n",
		"SET \"a b\" c\r\n",
		"*0\r\n",
	} {
		for i := 0; i < len(in); i++ {
			args, n, err := resp.ParseCommand([]byte(in[:i]), nil, resp.DefaultLimits())
			require.NoError(t, err, "prefix %q", in[:i])
			assert.Zero(t, n, "prefix %q", in[:i])
			assert.Empty(t, args, "prefix %q", in[:i])
		}
		_, n, err := resp.ParseCommand([]byte(in), nil, resp.DefaultLimits())
		require.NoError(t, err)
		assert.Equal(t, len(in), n)
	}
}

// The reasons were checked against redis-server 7.0, which replies
// "-ERR Protocol error: <reason>".
func TestParseCommandErrors(t *testing.T) {
	long := strings.Repeat("x", 64*1024+1)
	tests := []struct {
		name, in, reason string
	}{
		{"count not a number", "*abc\r\n", "invalid multibulk length"},
		{"count empty", "*\r\n", "invalid multibulk length"},
		{"count plus", "*+1\r\n", "invalid multibulk length"},
		{"count space", "* 1\r\n", "invalid multibulk length"},
		{"count leading zero", "*01\r\n", "invalid multibulk length"},
		{"count minus zero", "*-0\r\n", "invalid multibulk length"},
		{"count over INT_MAX", "*2147483648\r\n", "invalid multibulk length"},
		{"count overflow", "*99999999999999999999\r\n", "invalid multibulk length"},
		{"expected dollar", "*1\r\n+PING\r\n", "expected '$', got '+'"},
		{"expected dollar colon", "*2\r\n$1\r\na\r\n:1\r\n", "expected '$', got ':'"},
		{"bulk negative", "*1\r\n$-1\r\n", "invalid bulk length"},
		{"bulk not a number", "*1\r\n$abc\r\n", "invalid bulk length"},
		{"bulk empty", "*1\r\n$\r\n", "invalid bulk length"},
		{"bulk leading zero", "*1\r\n$04\r\nPING\r\n", "invalid bulk length"},
		{"bulk plus", "*1\r\n$+4\r\nPING\r\n", "invalid bulk length"},
		{"bulk too big", "*1\r\n$536870913\r\n", "invalid bulk length"},
		{"mbulk count too long", "*1" + long, "too big mbulk count string"},
		{"bulk count too long", "*1\r\n$1" + long, "too big bulk count string"},
		{"inline too big", "GET " + long, "too big inline request"},
		{"inline NUL hides newline", "PING\x00\r\n" + long, "too big inline request"},
		{"unbalanced double", "ECHO \"abc\r\n", "unbalanced quotes in request"},
		{"unbalanced single", "ECHO 'abc\r\n", "unbalanced quotes in request"},
		{"closing quote then text", "ECHO \"a\"b\r\n", "unbalanced quotes in request"},
		{"closing single then text", "ECHO 'a'b\r\n", "unbalanced quotes in request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, n, err := resp.ParseCommand([]byte(tt.in), make([][]byte, 0, 4), resp.DefaultLimits())
			var pe *resp.ProtocolError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.reason, pe.Reason)
			assert.Equal(t, "Protocol error: "+tt.reason, err.Error())
			assert.Zero(t, n)
			assert.Empty(t, args)
		})
	}
}

func TestParseCommandLimits(t *testing.T) {
	lim := resp.Limits{MaxBulkLen: 4, MaxMultiBulkLen: 2, MaxInlineLen: 8}
	_, _, err := resp.ParseCommand([]byte("*1\r\n$5\r\nhello\r\n"), nil, lim)
	assert.EqualError(t, err, "Protocol error: invalid bulk length")
	_, _, err = resp.ParseCommand([]byte("*3\r\n"), nil, lim)
	assert.EqualError(t, err, "Protocol error: invalid multibulk length")
	_, _, err = resp.ParseCommand([]byte("GET abcdef"), nil, lim)
	assert.EqualError(t, err, "Protocol error: too big inline request")
	args, n, err := resp.ParseCommand([]byte("*2\r\n$4\r\nabcd\r\n$0\r\n\r\n"), nil, lim)
	require.NoError(t, err)
	assert.Equal(t, 20, n)
	assert.Equal(t, []string{"abcd", ""}, strs(args))
}

func TestParseCommandUnauthenticated(t *testing.T) {
	lim := resp.DefaultLimits()
	lim.Unauthenticated = true
	tests := []struct {
		name, in, err string
	}{
		{"10 args", "*10\r\n", ""},
		{"11 args", "*11\r\n", "Protocol error: unauthenticated multibulk length"},
		{"invalid first", "*3000000000\r\n", "Protocol error: invalid multibulk length"},
		{"16 KiB bulk", "*1\r\n$16384\r\n", ""},
		{"bigger bulk", "*1\r\n$16385\r\n", "Protocol error: unauthenticated bulk length"},
		{"over proto-max-bulk-len first", "*1\r\n$999999999999\r\n", "Protocol error: invalid bulk length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := resp.ParseCommand([]byte(tt.in), nil, lim)
			if tt.err == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.err)
		})
	}
	_, _, err := resp.ParseCommand([]byte("*11\r\n"), nil, resp.DefaultLimits())
	assert.NoError(t, err, "no such limit once authenticated")
}

func TestCommandReaderQueryLimit(t *testing.T) {
	// One incomplete command of 3 MB against a 1 MB limit: refused once the buffer passes the limit, without
	// buffering the whole command.
	src := io.MultiReader(strings.NewReader("*1\r\n$3000000\r\n"), strings.NewReader(strings.Repeat("x", 3000000)))
	r := resp.NewCommandReader(src)
	r.Limits.MaxQueryLen = 1 << 20
	_, err := r.ReadCommand()
	require.ErrorIs(t, err, resp.ErrQueryLimit)
	assert.LessOrEqual(t, r.BufferSize(), 2<<20)
	_, err = r.ReadCommand()
	assert.ErrorIs(t, err, resp.ErrQueryLimit, "sticky")

	// Under the limit, the same command is read.
	src = io.MultiReader(strings.NewReader("*1\r\n$3000000\r\n"), strings.NewReader(strings.Repeat("x", 3000000)+"\r\n"))
	r = resp.NewCommandReader(src)
	args, err := r.ReadCommand()
	require.NoError(t, err)
	assert.Len(t, args[0], 3000000)
}

func TestParseCommandAliasing(t *testing.T) {
	buf := []byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
	args, _, err := resp.ParseCommand(buf, make([][]byte, 0, 2), resp.DefaultLimits())
	require.NoError(t, err)
	buf[8] = 'S'
	assert.Equal(t, "SET", string(args[0]), "multibulk args alias buf")

	buf = []byte("ECHO plain \"esc\\n\"\r\n")
	args, _, err = resp.ParseCommand(buf, nil, resp.DefaultLimits())
	require.NoError(t, err)
	assert.Equal(t, "ECHO plain \"esc\\n\"\r\n", string(buf), "ParseCommand never writes to buf")
	assert.Equal(t, []string{"ECHO", "plain", "esc\n"}, strs(args))
}

func TestParseCommandAllocs(t *testing.T) {
	buf := []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
	args := make([][]byte, 0, 8)
	allocs := testing.AllocsPerRun(100, func() {
		args, _, _ = resp.ParseCommand(buf, args, resp.DefaultLimits())
	})
	assert.Zero(t, allocs)
}

// pipeline is a mix of commands and their expected arguments.
var pipeline = []struct {
	wire string
	args []string
}{
	{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", []string{"SET", "k", "hello"}},
	{"\r\n", nil},
	{"GET k\r\n", []string{"GET", "k"}},
	{"*0\r\n", nil},
	{"ECHO \"a\\x41 b\" 'c d'\r\n", []string{"ECHO", "aA b", "c d"}},
	{"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", []string{"ECHO", ""}},
	{"*1\r\n$4\r\nPING\r\n", []string{"PING"}},
	{"PING\n", []string{"PING"}},
}

func readAll(t *testing.T, r *resp.CommandReader) ([][]string, error) {
	t.Helper()
	var got [][]string
	for {
		args, err := r.ReadCommand()
		if err != nil {
			return got, err
		}
		got = append(got, strs(args))
	}
}

func TestCommandReader(t *testing.T) {
	var wire strings.Builder
	var want [][]string
	for _, c := range pipeline {
		wire.WriteString(c.wire)
		if c.args != nil {
			want = append(want, c.args)
		}
	}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":      func(r io.Reader) io.Reader { return r },
		"one byte":   iotest.OneByteReader,
		"half":       iotest.HalfReader,
		"data + EOF": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			r := resp.NewCommandReader(wrap(strings.NewReader(wire.String())))
			got, err := readAll(t, r)
			assert.ErrorIs(t, err, io.EOF)
			assert.Equal(t, want, got)
		})
	}
}

// TestCommandReaderSplits feeds every two-part split of the pipeline.
func TestCommandReaderSplits(t *testing.T) {
	var wire string
	for _, c := range pipeline {
		wire += c.wire
	}
	whole, err := readAll(t, resp.NewCommandReader(strings.NewReader(wire)))
	require.ErrorIs(t, err, io.EOF)
	for i := 0; i <= len(wire); i++ {
		r := resp.NewCommandReader(io.MultiReader(strings.NewReader(wire[:i]), strings.NewReader(wire[i:])))
		got, err := readAll(t, r)
		assert.ErrorIs(t, err, io.EOF)
		assert.Equal(t, whole, got, "split at %d", i)
	}
}

func TestCommandReaderErrors(t *testing.T) {
	r := resp.NewCommandReader(strings.NewReader("PING\r\n*1\r\n$x\r\nPING\r\n"))
	args, err := r.ReadCommand()
	require.NoError(t, err)
	assert.Equal(t, []string{"PING"}, strs(args))
	_, err = r.ReadCommand()
	assert.EqualError(t, err, "Protocol error: invalid bulk length")
	_, err = r.ReadCommand()
	assert.EqualError(t, err, "Protocol error: invalid bulk length", "sticky")

	r.Reset(strings.NewReader("*2\r\n$3\r\nGET\r\n"))
	_, err = r.ReadCommand()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	boom := errors.New("boom")
	r.Reset(iotest.ErrReader(boom))
	_, err = r.ReadCommand()
	assert.ErrorIs(t, err, boom)
}

// chunkReader returns its data in reads of at most n bytes and counts them.
type chunkReader struct {
	data  []byte
	n     int
	reads int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	c.reads++
	k := min(len(p), c.n, len(c.data))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	return k, nil
}

// TestCommandReaderNoUpfrontAlloc shows that buffers grow with the data, not
// with the lengths the peer announces.
func TestCommandReaderNoUpfrontAlloc(t *testing.T) {
	for _, in := range []string{"*2147483647\r\n$3\r\nSET\r\n", "*1\r\n$536870912\r\nabc"} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := resp.NewCommandReader(&chunkReader{data: []byte(in), n: 4096})
		_, err := r.ReadCommand()
		runtime.ReadMemStats(&after)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "%q", in)
	}
}

// TestCommandReaderLinear parses a 1-million-argument command that arrives
// in 4 KiB reads; a parser that starts over on every read would take minutes.
func TestCommandReaderLinear(t *testing.T) {
	const n = 1 << 20
	var buf bytes.Buffer
	buf.Write(resp.AppendArrayLen(nil, n))
	for i := 0; i < n; i++ {
		buf.WriteString("$1\r\nx\r\n")
	}
	buf.WriteString("PING\r\n")
	src := &chunkReader{data: buf.Bytes(), n: 4096}
	r := resp.NewCommandReader(src)
	args, err := r.ReadCommand()
	require.NoError(t, err)
	require.Len(t, args, n)
	assert.Equal(t, "x", string(args[0]))
	assert.Equal(t, "x", string(args[n-1]))
	args, err = r.ReadCommand()
	require.NoError(t, err)
	assert.Equal(t, []string{"PING"}, strs(args))
}

func TestCommandReaderReady(t *testing.T) {
	r := resp.NewCommandReader(&chunkReader{data: []byte("PING\r\nGET k\r\n*1\r\n$4\r\nPI"), n: 1 << 20})
	args, err := r.ReadCommand()
	require.NoError(t, err)
	assert.Equal(t, []string{"PING"}, strs(args))
	assert.True(t, r.Ready())
	assert.Equal(t, []string{"PING"}, strs(args), "Ready keeps the last args valid")
	assert.Equal(t, 17, r.Buffered())
	args, err = r.ReadCommand()
	require.NoError(t, err)
	assert.Equal(t, []string{"GET", "k"}, strs(args))
	assert.False(t, r.Ready(), "partial command")
	assert.Equal(t, 10, r.Buffered())
	_, err = r.ReadCommand()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestCommandReaderAllocs(t *testing.T) {
	cmd := []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
	src := &loopReader{data: bytes.Repeat(cmd, 100)}
	r := resp.NewCommandReader(src)
	_, err := r.ReadCommand()
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		_, err = r.ReadCommand()
	})
	require.NoError(t, err)
	assert.Zero(t, allocs)
}

// loopReader returns data over and over.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

func TestPeekArgs(t *testing.T) {
	in := "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$2\r\nbb\r\n$1\r\nc\r\n" +
		"PING\r\n*2\r\n$3\r\nGET\r\n$1\r\nd\r\n"
	cr := resp.NewCommandReader(strings.NewReader(in))
	args, err := cr.ReadCommand()
	require.NoError(t, err)
	assert.Equal(t, "GET", string(args[0]))
	// Argument 1 of the next commands, nil for PING's; the inline PING ends the peek.
	assert.Equal(t, [][]byte{nil, []byte("bb")}, cr.PeekArgs(nil, 1, 8))
	assert.Equal(t, [][]byte{nil}, cr.PeekArgs(nil, 1, 1))
	// A command parsed by Ready comes first, after what dst held.
	_, err = cr.ReadCommand()
	require.NoError(t, err)
	require.True(t, cr.Ready())
	assert.Equal(t, [][]byte{[]byte("bb"), []byte("SET")}, cr.PeekArgs([][]byte{[]byte("bb")}, 0, 1))
	for range 3 {
		_, err = cr.ReadCommand()
		require.NoError(t, err)
	}
	assert.Empty(t, cr.PeekArgs(nil, 1, 8), "nothing buffered")
}

// TestCommandReaderLast checks that Last gives each multibulk command's bytes as they arrived, however they are
// split, and nil after an inline command.
func TestCommandReaderLast(t *testing.T) {
	cmds := []string{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", "PING\r\n", "*1\r\n$4\r\nPING\r\n", "set  a 'b c'\r\n"}
	inline := map[string]bool{cmds[1]: true, cmds[3]: true}
	wire := cmds[0] + "\r\n" + cmds[1] + cmds[2] + "\n" + cmds[3]
	for _, wrap := range []func(io.Reader) io.Reader{func(r io.Reader) io.Reader { return r }, iotest.OneByteReader, iotest.HalfReader} {
		r := resp.NewCommandReader(wrap(strings.NewReader(wire)))
		assert.Nil(t, r.Last(), "before any command")
		for _, want := range cmds {
			_, err := r.ReadCommand()
			require.NoError(t, err)
			if inline[want] {
				assert.Nil(t, r.Last(), "after %q", want)
				continue
			}
			assert.Equal(t, want, string(r.Last()), "the empty lines skipped are not part of the next command")
		}
		_, err := r.ReadCommand()
		assert.ErrorIs(t, err, io.EOF)
	}
}
