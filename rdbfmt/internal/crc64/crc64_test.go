package crc64

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// bitwise is the CRC computed one bit at a time, straight from the definition, to check the tables against.
func bitwise(crc uint64, p []byte) uint64 {
	for _, b := range p {
		crc ^= uint64(b)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func TestCheckValue(t *testing.T) {
	assert.Equal(t, uint64(0xe9c6d914c4b8d9ca), Checksum([]byte("123456789")))
	assert.Equal(t, uint64(0), Checksum(nil))
}

func TestMatchesBitwise(t *testing.T) {
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i*7 + i>>3)
	}
	for n := range 40 {
		assert.Equal(t, bitwise(0, data[:n]), Checksum(data[:n]), "length %d", n)
	}
	assert.Equal(t, bitwise(0, data), Checksum(data))
}

func TestUpdateInPieces(t *testing.T) {
	data := bytes.Repeat([]byte("carmine dump payload "), 20)
	want := Checksum(data)
	for split := 0; split <= len(data); split += 13 {
		assert.Equal(t, want, Update(Update(0, data[:split]), data[split:]), "split at %d", split)
	}
}

// A Redis DUMP payload ends with the CRC of everything before it, little-endian; this one is DUMP of the string
// "hello" from redis-server 7.0.15.
func TestRedisPayload(t *testing.T) {
	p := []byte("\x00\x05hello\n\x00cr\xdfve4 \n")
	crc := Checksum(p[:len(p)-8])
	var want uint64
	for i := 7; i >= 0; i-- {
		want = want<<8 | uint64(p[len(p)-8+i])
	}
	assert.Equal(t, want, crc)
}

func BenchmarkChecksum(b *testing.B) {
	for _, n := range []int{16, 1024, 1 << 20} {
		data := bytes.Repeat([]byte{0xa5}, n)
		b.Run(sizeName(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				Checksum(data)
			}
		})
	}
}

func BenchmarkBitwise(b *testing.B) {
	data := bytes.Repeat([]byte{0xa5}, 1024)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		bitwise(0, data)
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return "1MiB"
	case n >= 1024:
		return "1KiB"
	}
	return "16B"
}
