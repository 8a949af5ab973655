package keyspace

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// A blob is one pointer-free allocation holding a string key and its string value:
//
//	small: [0][klen u8][vlen u8][key][value]            when both lengths are below 256
//	large: [1][klen u32 LE][vlen u32 LE][key][value]
//	grow:  [2][klen u32 LE][vlen u32 LE][vcap u32 LE][key][value][vcap-vlen spare bytes, all zero]
//
// A rec points to its first byte. Keeping key and value in one noscan allocation costs one allocation per SET
// and gives the garbage collector nothing to scan. Int-encoded strings keep the int64 as 8 little-endian bytes.
// SET stores values exactly (small or large); a string changed in place by APPEND, SETRANGE, SETBIT, BITFIELD or
// PFADD moves to a grow blob with spare capacity, like Redis's sds with its free space, so that repeated small
// writes cost amortized O(1). The spare bytes are kept zero so that growing within them needs no clearing.
// This file holds the only unsafe code of the package.

const (
	blobSmallHdr = 3
	blobLargeHdr = 9
	blobGrowHdr  = 13

	blobSmall = 0
	blobLarge = 1
	blobGrow  = 2

	// maxBlobLen is the longest key or value a blob can hold: lengths are 32-bit.
	maxBlobLen = math.MaxUint32
	// growStep is where a grow blob stops doubling its capacity and grows by this much instead.
	// Matches Redis: SDS_MAX_PREALLOC (1 MiB) in sdsMakeRoomFor.
	growStep = 1 << 20
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

// newGrowBlob allocates a grow blob for key holding a vlen-byte value (all zero) with room for at least vcap
// bytes, rounded up to what the allocator hands out anyway, and returns it with its value bytes, whose capacity
// is the blob's.
func newGrowBlob(key []byte, vlen, vcap int) (unsafe.Pointer, []byte) {
	klen := len(key)
	vcap = max(vcap, vlen)
	if uint64(vlen) > maxBlobLen || uint64(klen) > maxBlobLen { // as uint64: on 32-bit platforms int is narrower
		panic("keyspace: string too long")
	}
	n := allocSize(blobGrowHdr + klen + vcap)
	vcap = int(min(uint64(n-blobGrowHdr-klen), maxBlobLen))
	b := make([]byte, blobGrowHdr+klen+vcap)
	b[0] = blobGrow
	binary.LittleEndian.PutUint32(b[1:], uint32(klen))
	binary.LittleEndian.PutUint32(b[5:], uint32(vlen))
	binary.LittleEndian.PutUint32(b[9:], uint32(vcap))
	copy(b[blobGrowHdr:], key)
	return unsafe.Pointer(&b[0]), b[blobGrowHdr+klen : blobGrowHdr+klen+vlen]
}

// blobParts returns the key and value stored in blob p. Both alias the blob; their capacities end at their lengths.
func blobParts(p unsafe.Pointer) (key, val []byte) {
	var hdr, klen, vlen, vcap int
	if *(*byte)(p) == blobSmall {
		h := (*[blobSmallHdr]byte)(p)
		hdr, klen, vlen = blobSmallHdr, int(h[1]), int(h[2])
		vcap = vlen
	} else {
		h := (*[blobGrowHdr]byte)(p) // only the first 9 bytes of a large blob are read
		hdr = blobLargeHdr
		klen = int(binary.LittleEndian.Uint32(h[1:]))
		vlen = int(binary.LittleEndian.Uint32(h[5:]))
		vcap = vlen
		if h[0] == blobGrow {
			hdr = blobGrowHdr
			vcap = int(binary.LittleEndian.Uint32(h[9:]))
		}
	}
	all := unsafe.Slice((*byte)(p), hdr+klen+vcap)
	return all[hdr : hdr+klen : hdr+klen], all[hdr+klen : hdr+klen+vlen : hdr+klen+vlen]
}

// blobBuf returns the value of grow blob p with its spare capacity, and reports false for other blobs.
func blobBuf(p unsafe.Pointer) ([]byte, bool) {
	if *(*byte)(p) != blobGrow {
		return nil, false
	}
	h := (*[blobGrowHdr]byte)(p)
	klen := int(binary.LittleEndian.Uint32(h[1:]))
	vlen := int(binary.LittleEndian.Uint32(h[5:]))
	vcap := int(binary.LittleEndian.Uint32(h[9:]))
	all := unsafe.Slice((*byte)(p), blobGrowHdr+klen+vcap)
	return all[blobGrowHdr+klen : blobGrowHdr+klen+vlen], true
}

// setBlobLen sets the value length of grow blob p, which must be within its capacity.
func setBlobLen(p unsafe.Pointer, n int) {
	h := (*[blobGrowHdr]byte)(p)
	binary.LittleEndian.PutUint32(h[5:], uint32(n))
}

// blobSize returns the length in bytes of the whole blob p: header, key, value and spare capacity.
func blobSize(p unsafe.Pointer) int {
	switch *(*byte)(p) {
	case blobSmall:
		k, v := blobParts(p)
		return blobSmallHdr + len(k) + len(v)
	case blobLarge:
		k, v := blobParts(p)
		return blobLargeHdr + len(k) + len(v)
	}
	k, _ := blobParts(p)
	v, _ := blobBuf(p)
	return blobGrowHdr + len(k) + cap(v)
}

// growCap returns the capacity a grow blob gets when its value must hold n bytes: twice n, or n plus a fixed
// step once n is large. Matches Redis: sdsMakeRoomFor's greedy growth.
func growCap(n int) int {
	if n < growStep {
		return 2 * n
	}
	return n + growStep
}

// objBox holds the key and value of a non-string kind; a rec points to it. It is the header of one allocation
// that also holds the key: right after klen, in a boxOf sized to the allocator's next size class, or, for keys
// longer than boxInlineMax, in a separate slice (a boxExt). One allocation instead of two, and no slice header,
// saves 16 to 32 bytes a key.
type objBox struct {
	obj  Object
	size int    // obj's MemoryUsage when last measured (see memory.go)
	klen uint32 // length of the key, inline after the header; boxExtKey when it is in a boxExt
}

// boxOf is an objBox with room for a key of up to len(A) bytes. Every A is a byte array, so the key starts at
// the same offset (boxHdr) in all of them.
type boxOf[A any] struct {
	obj  Object
	size int
	klen uint32
	key  A
}

// boxExt is an objBox whose key is too long to keep inline.
type boxExt struct {
	obj  Object
	size int
	klen uint32
	ext  []byte
}

const (
	boxHdr       = unsafe.Offsetof(boxOf[[1]byte]{}.key)
	boxExtKey    = math.MaxUint32
	boxInlineMax = 100 // the longest inline key: boxOf[[100]byte] is 128 bytes
	boxExtSize   = unsafe.Sizeof(boxExt{})
)

// newBox boxes obj under a copy of key, measuring it.
func newBox(key []byte, obj Object) *objBox { return newBoxSized(key, obj, objectSize(obj)) }

// newBoxSized boxes obj under a copy of key with its size already measured.
func newBoxSized(key []byte, obj Object, size int) *objBox {
	var p unsafe.Pointer
	switch n := len(key); {
	case n <= 4:
		p = unsafe.Pointer(new(boxOf[[4]byte]))
	case n <= 20:
		p = unsafe.Pointer(new(boxOf[[20]byte]))
	case n <= 36:
		p = unsafe.Pointer(new(boxOf[[36]byte]))
	case n <= 52:
		p = unsafe.Pointer(new(boxOf[[52]byte]))
	case n <= 68:
		p = unsafe.Pointer(new(boxOf[[68]byte]))
	case n <= 84:
		p = unsafe.Pointer(new(boxOf[[84]byte]))
	case n <= boxInlineMax:
		p = unsafe.Pointer(new(boxOf[[boxInlineMax]byte]))
	default:
		b := &boxExt{obj: obj, size: size, klen: boxExtKey, ext: append([]byte(nil), key...)}
		return (*objBox)(unsafe.Pointer(b))
	}
	b := (*objBox)(p)
	b.obj, b.size, b.klen = obj, size, uint32(len(key))
	copy(unsafe.Slice((*byte)(unsafe.Add(p, boxHdr)), len(key)), key)
	return b
}

// key returns the boxed key; it aliases the box.
func (b *objBox) key() []byte {
	if b.klen == boxExtKey {
		return (*boxExt)(unsafe.Pointer(b)).ext
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(b), boxHdr)), b.klen)
}

// allocBytes is the heap the box and its key take.
func (b *objBox) allocBytes() int {
	if b.klen == boxExtKey {
		return allocSize(int(boxExtSize)) + allocSize(len(b.key()))
	}
	return allocSize(int(boxHdr) + int(max(b.klen, 4)))
}

func boxPtr(b *objBox) unsafe.Pointer { return unsafe.Pointer(b) }

func ptrBox(p unsafe.Pointer) *objBox { return (*objBox)(p) }

// sameSlice reports whether a and b are the same bytes in memory (not just equal contents).
func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}

// sameData reports whether a and b start at the same byte in memory.
func sameData(a, b []byte) bool { return unsafe.SliceData(a) == unsafe.SliceData(b) }
