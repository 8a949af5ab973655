// Package crc64 computes the CRC-64 that Redis puts in RDB files and DUMP payloads: the Jones polynomial
// (0xad93d23594c935a9), reflected input and output, initial value 0 and no final XOR. The check value of
// "123456789" is 0xe9c6d914c4b8d9ca.
//
// The standard library's hash/crc64 cannot compute it: it always inverts the CRC before and after.
package crc64

import "encoding/binary"

// poly is the Jones polynomial, bit-reversed for the reflected (least significant bit first) computation.
const poly = 0x95ac9329ac4bc9b5

// tab[k][b] is the CRC of byte b followed by k zero bytes, for slicing-by-8: eight input bytes are folded into
// the CRC with eight table lookups instead of eight dependent steps.
var tab = makeTables()

func makeTables() *[8][256]uint64 {
	t := new([8][256]uint64)
	for i := range 256 {
		crc := uint64(i)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
		t[0][i] = crc
	}
	for i := range 256 {
		crc := t[0][i]
		for k := 1; k < 8; k++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[k][i] = crc
		}
	}
	return t
}

// Update returns the CRC of the bytes that gave crc followed by p. Start with crc 0.
func Update(crc uint64, p []byte) uint64 {
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = tab[7][crc&0xff] ^
			tab[6][crc>>8&0xff] ^
			tab[5][crc>>16&0xff] ^
			tab[4][crc>>24&0xff] ^
			tab[3][crc>>32&0xff] ^
			tab[2][crc>>40&0xff] ^
			tab[1][crc>>48&0xff] ^
			tab[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = tab[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}

// Checksum returns the CRC of p.
func Checksum(p []byte) uint64 { return Update(0, p) }
