package keyspace

import (
	"encoding/binary"
	"unsafe"
)

// A blob is one pointer-free allocation holding a string key and its string value:
//
//	small: [0][klen u8][vlen u8][key][value]            when both lengths are below 256
//	large: [1][klen u32 LE][vlen u32 LE][key][value]
//
// A rec points to its first byte. Keeping key and value in one noscan allocation costs one allocation per SET
// and gives the garbage collector nothing to scan. Int-encoded strings keep the int64 as 8 little-endian bytes.
// This file holds the only unsafe code of the package.

const (
	blobSmallHdr = 3
	blobLargeHdr = 9
)

// newBlob allocates a blob for key with room for a vlen-byte value, copies key in and returns the blob and its
// value bytes for the caller to fill.
func newBlob(key []byte, vlen int) (unsafe.Pointer, []byte) {
	klen := len(key)
	if klen < 256 && vlen < 256 {
		b := make([]byte, blobSmallHdr+klen+vlen)
		b[1], b[2] = byte(klen), byte(vlen)
		copy(b[blobSmallHdr:], key)
		return unsafe.Pointer(&b[0]), b[blobSmallHdr+klen:]
	}
	b := make([]byte, blobLargeHdr+klen+vlen)
	b[0] = 1
	binary.LittleEndian.PutUint32(b[1:], uint32(klen))
	binary.LittleEndian.PutUint32(b[5:], uint32(vlen))
	copy(b[blobLargeHdr:], key)
	return unsafe.Pointer(&b[0]), b[blobLargeHdr+klen:]
}

// blobParts returns the key and value stored in blob p. Both alias the blob; the key's capacity ends at its length.
func blobParts(p unsafe.Pointer) (key, val []byte) {
	var hdr, klen, vlen int
	if *(*byte)(p) == 0 {
		h := (*[blobSmallHdr]byte)(p)
		hdr, klen, vlen = blobSmallHdr, int(h[1]), int(h[2])
	} else {
		h := (*[blobLargeHdr]byte)(p)
		hdr = blobLargeHdr
		klen = int(binary.LittleEndian.Uint32(h[1:]))
		vlen = int(binary.LittleEndian.Uint32(h[5:]))
	}
	all := unsafe.Slice((*byte)(p), hdr+klen+vlen)
	return all[hdr : hdr+klen : hdr+klen], all[hdr+klen:]
}

// blobSize returns the length in bytes of the whole blob p: header, key and value.
func blobSize(p unsafe.Pointer) int {
	k, v := blobParts(p)
	if *(*byte)(p) == 0 {
		return blobSmallHdr + len(k) + len(v)
	}
	return blobLargeHdr + len(k) + len(v)
}

// objBox holds the key and value of a non-string kind; a rec points to it.
type objBox struct {
	key  []byte
	obj  Object
	size int // obj's MemoryUsage when last measured (see memory.go)
}

// newBox boxes obj under a copy of key, measuring it.
func newBox(key []byte, obj Object) *objBox {
	return &objBox{key: append([]byte(nil), key...), obj: obj, size: objectSize(obj)}
}

func boxPtr(b *objBox) unsafe.Pointer { return unsafe.Pointer(b) }

func ptrBox(p unsafe.Pointer) *objBox { return (*objBox)(p) }

// sameSlice reports whether a and b are the same bytes in memory (not just equal contents).
func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}
