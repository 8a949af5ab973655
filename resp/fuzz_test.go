package resp_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
)

func seedCommands(f *testing.F) {
	for _, c := range pipeline {
		f.Add([]byte(c.wire))
	}
	for _, s := range []string{
		"*1\r\n$4\r\nPINGxx", "*1\rX$4\rXPING\r\n", "*-1\r\n", "*1\r\n+PING\r\n", "*1\r\n$-1\r\n",
		"ECHO \"a\\x4\" 'b\\'c'\r\n", "ECHO a\"b c\"\r\n", "PING\x00\r\n", "\n\n\r\n",
	} {
		f.Add([]byte(s))
	}
}

// encodeCommand encodes args as a multibulk request.
func encodeCommand(args [][]byte) []byte {
	out := resp.AppendArrayLen(nil, len(args))
	for _, a := range args {
		out = resp.AppendBulk(out, a)
	}
	return out
}

func FuzzParseCommand(f *testing.F) {
	seedCommands(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		orig := bytes.Clone(in)
		args, n, err := resp.ParseCommand(in, nil, resp.DefaultLimits())
		require.Equal(t, orig, in, "ParseCommand must not write to its input")
		// The limits for unauthenticated clients only add their two errors (which may come before another
		// error); else the results agree.
		unauth := resp.DefaultLimits()
		unauth.Unauthenticated = true
		uargs, un, uerr := resp.ParseCommand(in, nil, unauth)
		if uerr != nil && strings.HasPrefix(uerr.Error(), "Protocol error: unauthenticated ") {
			assert.Equal(t, byte('*'), in[0])
		} else {
			assert.Equal(t, err, uerr)
			assert.Equal(t, n, un)
			assert.Equal(t, strs(args), strs(uargs))
		}
		if err != nil || n == 0 {
			return
		}
		require.LessOrEqual(t, n, len(in))
		if len(args) == 0 {
			return
		}
		enc := encodeCommand(args)
		again, m, err := resp.ParseCommand(enc, nil, resp.DefaultLimits())
		require.NoError(t, err)
		assert.Equal(t, len(enc), m)
		assert.Equal(t, strs(args), strs(again))
	})
}

// readCommands reads all commands from r, stopping at the first error.
// Each command is its arguments followed by its bytes as they arrived (CommandReader.Last, empty after an inline
// command).
func readCommands(r io.Reader) ([][]string, error) {
	cr := resp.NewCommandReader(r)
	cr.Limits.MaxInlineLen = 256
	var out [][]string
	for {
		args, err := cr.ReadCommand()
		if err != nil {
			return out, err
		}
		out = append(out, append(strs(args), string(cr.Last())))
	}
}

// FuzzFragmentation checks that CommandReader gives the same commands and
// error however its input is split into reads.
func FuzzFragmentation(f *testing.F) {
	seedCommands(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		whole, werr := readCommands(bytes.NewReader(in))
		for _, size := range []int{1, 2, 3, 7, 64} {
			got, err := readCommands(&chunkReader{data: bytes.Clone(in), n: size})
			// Like Redis, a header or inline line is "too big" once more
			// than MaxInlineLen bytes have arrived without its end, which
			// depends on how the bytes arrive; then one run sees a prefix
			// of the other's commands. Other outcomes must agree exactly.
			if tooBig(werr) || tooBig(err) {
				n := min(len(whole), len(got))
				assert.Equal(t, fmt.Sprint(whole[:n]), fmt.Sprint(got[:n]), "reads of %d bytes", size)
				continue
			}
			assert.Equal(t, whole, got, "reads of %d bytes", size)
			assert.Equal(t, werr, err, "reads of %d bytes", size)
		}
		// ParseCommand over the whole input agrees too, the bytes it consumed
		// for a command being what Last returned.
		var viaParse [][]string
		var perr error
		buf := in
		for len(buf) > 0 {
			args, n, err := resp.ParseCommand(buf, nil, resp.Limits{MaxInlineLen: 256})
			if err != nil || n == 0 {
				perr = err
				break
			}
			if len(args) > 0 {
				raw := "" // Last is nil after an inline command
				if buf[0] == '*' {
					raw = string(buf[:n])
				}
				viaParse = append(viaParse, append(strs(args), raw))
			}
			buf = buf[n:]
		}
		if tooBig(werr) || tooBig(perr) {
			n := min(len(whole), len(viaParse))
			assert.Equal(t, fmt.Sprint(whole[:n]), fmt.Sprint(viaParse[:n]))
			return
		}
		assert.Equal(t, whole, viaParse)
	})
}

func tooBig(err error) bool {
	pe, ok := err.(*resp.ProtocolError)
	return ok && strings.HasPrefix(pe.Reason, "too big")
}

func seedValues(f *testing.F) {
	for _, tt := range parseCases {
		f.Add([]byte(tt.in))
	}
	f.Add([]byte("|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n:3\r\n"))
	f.Add([]byte(",nan\r\n"))
	f.Add([]byte(",1e400\r\n"))
}

func FuzzParse(f *testing.F) {
	seedValues(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		v, n, err := resp.Parse(in, resp.DefaultLimits())
		if err != nil || n == 0 {
			return // rejecting bad input is fine; panicking or hanging is not
		}
		// AppendValue(parse(x)) is a fixed point; it equals in[:n] unless
		// the input merged attributes.
		enc := resp.AppendValue(nil, v)
		v2, m, err := resp.Parse(enc, resp.DefaultLimits())
		require.NoError(t, err)
		require.Equal(t, len(enc), m)
		assert.Equal(t, string(enc), string(resp.AppendValue(nil, v2)))
		if !bytes.Contains(in[:n], []byte("|")) {
			assert.Equal(t, string(in[:n]), string(enc))
		}
	})
}

func FuzzReader(f *testing.F) {
	seedValues(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		var whole []string
		var werr error
		for rest := in; len(rest) > 0; {
			v, n, err := resp.Parse(rest, resp.DefaultLimits())
			if err != nil || n == 0 {
				werr = err
				break
			}
			whole = append(whole, string(resp.AppendValue(nil, v)))
			rest = rest[n:]
		}
		r := resp.NewReader(&chunkReader{data: bytes.Clone(in), n: 3})
		var got []string
		var err error
		for {
			var v resp.Value
			v, err = r.ReadValue()
			if err != nil {
				break
			}
			got = append(got, string(resp.AppendValue(nil, v)))
		}
		assert.Equal(t, whole, got)
		if werr != nil {
			assert.Equal(t, werr, err)
		}
	})
}

// FuzzPeekArgs checks that what PeekArgs sees ahead is what ReadCommand then returns, wherever the reader is.
func FuzzPeekArgs(f *testing.F) {
	seedCommands(f)
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\nc\r\n*2\r\n$3\r\nGET"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, size := range []int{3, 64, 1 << 20} {
			cr := resp.NewCommandReader(&chunkReader{data: bytes.Clone(in), n: size})
			cr.Limits.MaxInlineLen = 256
			var want []string // the peeked arguments still to be read; "-" for none
			for range 1000 {
				if len(want) == 0 && cr.Ready() {
					for _, a := range cr.PeekArgs(nil, 1, 8) {
						if a == nil {
							want = append(want, "-")
						} else {
							want = append(want, string(a))
						}
					}
				}
				args, err := cr.ReadCommand()
				if err != nil {
					require.Empty(t, want, "peeked commands that ReadCommand did not return (reads of %d bytes)", size)
					break
				}
				if len(want) > 0 {
					got := "-"
					if len(args) > 1 {
						got = string(args[1])
					}
					require.Equal(t, want[0], got, "reads of %d bytes", size)
					want = want[1:]
				}
			}
		}
	})
}
