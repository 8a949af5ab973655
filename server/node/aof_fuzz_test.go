package node

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParseManifest: the manifest parser never panics, and what it accepts it writes back in a form it reads
// as the same manifest.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"))
	f.Add([]byte("# c\nfile \"a b\" seq 2 type h\nseq 3 type i file x\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := parseManifest(in)
		if err != nil {
			return
		}
		again, err := parseManifest(m.bytes())
		require.NoError(t, err, "%q", m.bytes())
		assert.Equal(t, m.bytes(), again.bytes())
	})
}

// FuzzAOFReader: the AOF command reader never panics or hangs, its offsets only grow within the input, and the
// commands it reads encode (as the AOF writer writes them) into input it reads back as the same commands.
func FuzzAOFReader(f *testing.F) {
	f.Add([]byte(aofCmd("SELECT", "0") + "#TS:1\r\n" + aofCmd("SET", "k", "v")))
	f.Add([]byte("*1\r\n$999999999999\r\nx"))
	f.Add([]byte("*3\r\n$3\r\nSET"))
	f.Fuzz(func(t *testing.T, in []byte) {
		read := func(in []byte) (cmds [][]string) {
			r := newAOFReader(bufio.NewReader(bytes.NewReader(in)), 0)
			last := int64(0)
			for {
				argv, err := r.next()
				require.GreaterOrEqual(t, r.off, last)
				require.LessOrEqual(t, r.off, int64(len(in)))
				last = r.off
				if err != nil {
					return cmds
				}
				var cmd []string
				for _, a := range argv {
					cmd = append(cmd, string(a))
				}
				cmds = append(cmds, cmd)
			}
		}
		cmds := read(in)
		var out []byte
		for _, c := range cmds {
			out = appendCommandStrs(out, c...)
		}
		assert.Equal(t, cmds, read(out))
	})
}
