package replproto_test

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/replproto"
)

// chunkReader returns its data in reads of the given sizes, cycling through them.
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(r.sizes) > 0 {
		n = max(r.sizes[r.i%len(r.sizes)], 1)
		r.i++
	}
	n = min(n, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// readTransfer reads a preamble and payload from in, split by sizes, and returns the payload and the rest.
func readTransfer(t *testing.T, in []byte, sizes []int, bufSize int) (payload, rest []byte, err error) {
	t.Helper()
	br := bufio.NewReaderSize(&chunkReader{data: in, sizes: sizes}, bufSize)
	pre, err := replproto.ReadPreamble(br)
	if err != nil {
		return nil, nil, err
	}
	p := replproto.NewPayload(br, pre)
	payload, err = io.ReadAll(p)
	if err != nil {
		return payload, nil, err
	}
	if int64(len(payload)) != p.N() {
		t.Fatalf("N() = %d, read %d", p.N(), len(payload))
	}
	rest, err = io.ReadAll(br)
	return payload, rest, err
}

func TestPayloadSized(t *testing.T) {
	rdb := []byte("REDIS0011\xfa\x09redis-ver\x057.0.15\xff12345678")
	in := append([]byte("\n\n$"+itoa(len(rdb))+"\r\n"), rdb...)
	in = append(in, "*1\r\n$4\r\nPING\r\n"...)
	for _, sizes := range [][]int{nil, {1}, {3, 7}, {1000}} {
		payload, rest, err := readTransfer(t, in, sizes, 16)
		require.NoError(t, err)
		assert.Equal(t, rdb, payload)
		assert.Equal(t, "*1\r\n$4\r\nPING\r\n", string(rest))
	}

	// The connection ends inside the payload.
	_, _, err := readTransfer(t, in[:len(in)-20], nil, 16)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestPayloadDiskless(t *testing.T) {
	mark := strings.Repeat("f00dfeed", 5)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 39, 40, 41, 100, 5000} {
		rdb := make([]byte, n)
		for i := range rdb {
			rdb[i] = byte(rng.IntN(256))
		}
		in := append([]byte("\n$EOF:"+mark+"\r\n"), rdb...)
		in = append(in, mark...)
		in = append(in, "*1\r\n$4\r\nPING\r\n"...)
		for _, sizes := range [][]int{nil, {1}, {39}, {40}, {41}, {7, 13, 50}, {100000}} {
			for _, bufSize := range []int{64, 100, 4096} {
				payload, rest, err := readTransfer(t, in, sizes, bufSize)
				require.NoError(t, err)
				require.Equal(t, rdb, payload, "n %d sizes %v buf %d", n, sizes, bufSize)
				require.Equal(t, "*1\r\n$4\r\nPING\r\n", string(rest))
			}
		}
	}
}

func TestPayloadDisklessPartialMarks(t *testing.T) {
	// Prefixes of the mark inside the payload are payload.
	mark := strings.Repeat("0123456789", 4)
	rdb := []byte("REDIS" + mark[:39] + "x" + mark[:20] + "y" + mark[1:] + "z")
	in := append([]byte("$EOF:"+mark+"\r\n"), rdb...)
	in = append(in, mark...)
	for _, sizes := range [][]int{nil, {1}, {2, 3, 5}, {38, 1}} {
		payload, rest, err := readTransfer(t, in, sizes, 64)
		require.NoError(t, err)
		assert.Equal(t, string(rdb), string(payload))
		assert.Empty(t, rest)
	}
	// The connection ends before the mark.
	_, _, err := readTransfer(t, in[:len(in)-1], []int{5}, 64)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestPayloadOneByteReads(t *testing.T) {
	mark := strings.Repeat("ab", 20)
	in := "$EOF:" + mark + "\r\nREDIS0011" + mark + "tail"
	br := bufio.NewReaderSize(strings.NewReader(in), 64)
	pre, err := replproto.ReadPreamble(br)
	require.NoError(t, err)
	got, err := io.ReadAll(iotest.OneByteReader(replproto.NewPayload(br, pre)))
	require.NoError(t, err)
	assert.Equal(t, "REDIS0011", string(got))
}

func TestReadLine(t *testing.T) {
	br := bufio.NewReaderSize(strings.NewReader("+OK\r\nbare\n\r\n"+strings.Repeat("x", 20)+"\r\nend"), 16)
	for _, want := range []string{"+OK", "bare", ""} {
		line, err := replproto.ReadLine(br)
		require.NoError(t, err)
		assert.Equal(t, want, string(line))
	}
	_, err := replproto.ReadLine(br)
	require.ErrorIs(t, err, replproto.ErrLineTooLong)
	br = bufio.NewReader(strings.NewReader("end"))
	_, err = replproto.ReadLine(br)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	_, err = replproto.ReadLine(bufio.NewReader(bytes.NewReader(nil)))
	require.ErrorIs(t, err, io.EOF)
}

func itoa(n int) string { return strconv.Itoa(n) }
