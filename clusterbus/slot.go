package clusterbus

// Slots is the number of hash slots of a Redis Cluster.
const Slots = 16384

// crcTable is the table of CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection), the CRC Redis
// Cluster hashes keys with.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// CRC16 returns the CRC-16/XMODEM of b. CRC16([]byte("123456789")) is 0x31C3.
func CRC16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^c]
	}
	return crc
}

// HashTag returns the part of key that decides its slot: the text between the first '{' and the first '}'
// after it when that text is not empty, else the whole key. Matches Redis: "foo{}{bar}" hashes all of itself,
// "foo{{bar}}" hashes "{bar".
func HashTag(key []byte) []byte {
	for i, c := range key {
		if c != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j == i+1 {
					return key
				}
				return key[i+1 : j]
			}
		}
		return key
	}
	return key
}

// KeySlot returns the hash slot of key (0 to [Slots]-1), as CLUSTER KEYSLOT reports it.
func KeySlot(key []byte) int {
	return int(CRC16(HashTag(key)) & (Slots - 1))
}
