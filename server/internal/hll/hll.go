// Package hll implements Redis's HyperLogLog representation: pure functions on the bytes of the string value
// that PFADD, PFCOUNT and PFMERGE keep, so that a value moved between Carmine and Redis (GET/SET, DUMP/RESTORE,
// RDB) is byte for byte what the other would have made and keeps its count.
//
// # Representation
//
// A value starts with a 16-byte header: the magic "HYLL", an encoding byte (0 dense, 1 sparse), three unused
// bytes and the cached cardinality, 8 bytes little endian, whose most significant bit set means "stale". Then
// come 16384 registers, each the longest run of zeros (plus one) seen among the 50 hash bits above the 14 that
// pick the register:
//
//   - dense: 6 bits per register, packed from the least significant bit of each byte up, 12288 bytes;
//   - sparse: a run-length list of opcodes: ZERO 00xxxxxx (1 to 64 zero registers), XZERO 01xxxxxx yyyyyyyy
//     (1 to 16384 zero registers), VAL 1vvvvvxx (1 to 4 registers of value 1 to 32).
//
// A new value is sparse. It turns dense when a register needs a value above 32 or the sparse form would
// outgrow a limit (hll-sparse-max-bytes). Elements are hashed with MurmurHash64A, seed 0xadc83b19, and the
// cardinality is estimated with Otmar Ertl's improved estimator ("New cardinality estimation algorithms for
// HyperLogLog sketches", arXiv:1702.01284), as Redis 5 and later do.
//
// # Untrusted input
//
// Any client can SET any bytes and then call PFADD on them. [Valid] is Redis's cheap check (header and dense
// length); the sparse opcodes are only checked as they are walked, and a sparse value that does not cover
// exactly 16384 registers yields [ErrInvalid]. No input makes these functions panic.
package hll

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"strconv"
)

// Sizes of the representation.
const (
	HeaderSize = 16                               // magic, encoding, 3 unused bytes, cached cardinality
	Registers  = 1 << p                           // 16384 registers
	DenseSize  = HeaderSize + Registers*regBits/8 // 12304 bytes
	MaxValue   = q + 1                            // the largest register value, 51

	p       = 14 // bits of the hash that pick the register
	q       = 64 - p
	regBits = 6
	regMask = 1<<regBits - 1
	seed    = 0xadc83b19

	encDense  = 0
	encSparse = 1

	sparseValMax    = 32    // the largest value a VAL opcode holds
	sparseValLen    = 4     // registers one VAL opcode covers at most
	sparseZeroLen   = 64    // registers one ZERO opcode covers at most
	sparseXZeroLen  = 16384 // registers one XZERO opcode covers at most
	cacheStaleBit   = 0x80  // in the cached cardinality's last byte
	cacheStaleIndex = 15
)

// ErrInvalid is returned for a value whose sparse opcodes do not describe exactly 16384 registers.
// Matches Redis: "INVALIDOBJ Corrupted HLL object detected".
var ErrInvalid = errors.New("hll: corrupted value")

// New returns an empty HyperLogLog: sparse, all registers zero, cached cardinality 0. Matches Redis:
// createHLLObject.
func New() []byte {
	h := make([]byte, HeaderSize+2)
	copy(h, "HYLL")
	h[4] = encSparse
	putXZero(h[HeaderSize:], Registers)
	return h
}

// Valid reports whether h may be used as a HyperLogLog: at least a header long, with the magic, a known
// encoding and, when dense, exactly DenseSize bytes. Matches Redis: isHLLObjectOrReply, which fails with
// "WRONGTYPE Key is not a valid HyperLogLog string value." otherwise. Sparse opcodes are not checked here.
func Valid(h []byte) bool {
	if len(h) < HeaderSize || string(h[:4]) != "HYLL" || h[4] > encSparse {
		return false
	}
	return h[4] != encDense || len(h) == DenseSize
}

// IsDense reports whether a valid h uses the dense encoding.
func IsDense(h []byte) bool { return h[4] == encDense }

// Cached returns the cardinality cached in the header of a valid h, and whether it is current.
func Cached(h []byte) (uint64, bool) {
	if h[cacheStaleIndex]&cacheStaleBit != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(h[8:HeaderSize]), true
}

// SetCached stores n as the current cached cardinality of a valid h (PFCOUNT on one key).
func SetCached(h []byte, n uint64) { binary.LittleEndian.PutUint64(h[8:HeaderSize], n) }

// Invalidate marks the cached cardinality of a valid h stale, as every change does.
func Invalidate(h []byte) { h[cacheStaleIndex] |= cacheStaleBit }

// Hash returns MurmurHash64A of b with Redis's seed: the hash PFADD uses. Matches Redis: MurmurHash64A, which
// reads 8-byte blocks little endian on every platform.
func Hash(b []byte) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := uint64(seed) ^ uint64(len(b))*m
	for len(b) >= 8 {
		k := binary.LittleEndian.Uint64(b)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		b = b[8:]
	}
	if len(b) > 0 {
		for i := len(b) - 1; i >= 0; i-- {
			h ^= uint64(b[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// patLen returns the register an element hashes to and the value it offers: the position of the first set
// bit among the hash bits above the register index, counting from 1 (at most MaxValue).
func patLen(elem []byte) (index int, count uint8) {
	h := Hash(elem)
	index = int(h & (Registers - 1))
	h = h>>p | 1<<q
	return index, uint8(bits.TrailingZeros64(h) + 1)
}

// Add adds elem to the valid HyperLogLog h and reports whether a register changed. Like append, it changes h in
// place when it can and returns the result, which may be a new slice (a sparse value that grows beyond cap(h),
// or one promoted to dense once a register needs more than 32 or its size would pass sparseMax bytes). Bytes of
// h's capacity beyond the result that Add used on the way are zeroed again. A corrupt sparse value returns
// ErrInvalid with h as far as it was changed. Add does not touch the cached cardinality of a dense value; a
// changed sparse one is marked stale. Matches Redis: hllAdd.
func Add(h, elem []byte, sparseMax int) ([]byte, bool, error) {
	index, count := patLen(elem)
	return set(h, index, count, sparseMax)
}

// set raises register index of h to count if it is lower.
func set(h []byte, index int, count uint8, sparseMax int) ([]byte, bool, error) {
	if IsDense(h) {
		return h, denseSet(h[HeaderSize:], index, count), nil
	}
	return sparseSet(h, index, count, sparseMax)
}

// denseGet returns register i of the dense registers r.
func denseGet(r []byte, i int) uint8 {
	b, fb := i*regBits/8, uint(i*regBits&7)
	v := uint(r[b]) >> fb
	if b+1 < len(r) {
		v |= uint(r[b+1]) << (8 - fb)
	}
	return uint8(v & regMask)
}

// denseSet raises register i of the dense registers r to v if it is lower, and reports whether it did.
func denseSet(r []byte, i int, v uint8) bool {
	if denseGet(r, i) >= v {
		return false
	}
	b, fb := i*regBits/8, uint(i*regBits&7)
	r[b] = r[b]&^byte(regMask<<fb) | byte(uint(v)<<fb)
	if b+1 < len(r) {
		r[b+1] = r[b+1]&^byte(regMask>>(8-fb)) | byte(uint(v)>>(8-fb))
	}
	return true
}

// Sparse opcodes.

func isZero(b byte) bool  { return b&0xc0 == 0 }
func isXZero(b byte) bool { return b&0xc0 == 0x40 }
func isVal(b byte) bool   { return b&0x80 != 0 }

func valValue(b byte) uint8 { return (b>>2)&0x1f + 1 }

func valLen(b byte) int { return int(b&3) + 1 }

func valOp(v uint8, n int) byte { return byte(v-1)<<2 | byte(n-1) | 0x80 }

func putXZero(dst []byte, n int) { dst[0], dst[1] = byte((n-1)>>8)|0x40, byte(n-1) }

// opAt decodes the opcode of sparse value h at i: its length in bytes and the registers it covers. A XZERO cut
// short by the end of h reads its missing byte as zero (as Redis reads its string's terminator).
func opAt(h []byte, i int) (oplen, span int) {
	b := h[i]
	switch {
	case isZero(b):
		return 1, int(b&0x3f) + 1
	case isVal(b):
		return 1, valLen(b)
	}
	lo := 0
	if i+1 < len(h) {
		lo = int(h[i+1])
	}
	return 2, (int(b&0x3f)<<8 | lo) + 1
}

// appendZeros appends the opcode for a run of n zero registers to seq.
func appendZeros(seq []byte, n int) []byte {
	if n > sparseZeroLen {
		return append(seq, byte((n-1)>>8)|0x40, byte(n-1))
	}
	return append(seq, byte(n-1))
}

// sparseSet raises register index of sparse h to count, splitting the opcode that covers it and merging equal
// neighbours afterwards, or promoting h to dense. Matches Redis: hllSparseSet, byte for byte.
func sparseSet(h []byte, index int, count uint8, sparseMax int) ([]byte, bool, error) {
	if count > sparseValMax {
		return promote(h, index, count)
	}
	// Find the opcode covering index.
	pos, first, span, prev := HeaderSize, 0, 0, -1
	oplen := 0
	for pos < len(h) {
		oplen, span = opAt(h, pos)
		if index <= first+span-1 {
			break
		}
		prev = pos
		pos += oplen
		first += span
	}
	if span == 0 || pos >= len(h) {
		return h, false, ErrInvalid
	}
	b := h[pos]
	end := len(h)
	switch {
	case isVal(b):
		if valValue(b) >= count {
			return h, false, nil
		}
		if span == 1 {
			h[pos] = valOp(count, 1)
			return mergeVals(h, prev, end), true, nil
		}
	case isZero(b) && span == 1:
		h[pos] = valOp(count, 1)
		return mergeVals(h, prev, end), true, nil
	}
	// Split the opcode into up to three: what precedes index, index itself, what follows.
	last := first + span - 1
	var buf [5]byte
	seq := buf[:0]
	if isVal(b) {
		cur := valValue(b)
		if index != first {
			seq = append(seq, valOp(cur, index-first))
		}
		seq = append(seq, valOp(count, 1))
		if index != last {
			seq = append(seq, valOp(cur, last-index))
		}
	} else {
		if index != first {
			seq = appendZeros(seq, index-first)
		}
		seq = append(seq, valOp(count, 1))
		if index != last {
			seq = appendZeros(seq, last-index)
		}
	}
	delta := len(seq) - oplen
	if delta > 0 && len(h)+delta > sparseMax {
		return promote(h, index, count)
	}
	next := pos + oplen
	if delta > 0 {
		h = append(h, buf[:delta]...) // room at the end; its contents are overwritten by the move
	}
	if next < end { // a XZERO cut short by the end has nothing after it
		copy(h[next+delta:], h[next:end])
	}
	end += delta
	copy(h[pos:], seq)
	if delta < 0 {
		clear(h[end:len(h)])
		h = h[:end]
	}
	return mergeVals(h, prev, end), true, nil
}

// mergeVals merges adjacent VAL opcodes of equal value, up to five opcodes from prev (or the first one), marks
// the cached cardinality stale and returns h cut to its new length; the bytes freed are zeroed.
func mergeVals(h []byte, prev, end int) []byte {
	pos := prev
	if pos < 0 {
		pos = HeaderSize
	}
	oldEnd := end
	for scan := 5; pos < end && scan > 0; scan-- {
		b := h[pos]
		switch {
		case isXZero(b):
			pos += 2
			continue
		case isZero(b):
			pos++
			continue
		}
		if pos+1 < end && isVal(h[pos+1]) {
			v1, v2 := valValue(b), valValue(h[pos+1])
			if n := valLen(b) + valLen(h[pos+1]); v1 == v2 && n <= sparseValLen {
				h[pos+1] = valOp(v1, n)
				copy(h[pos:], h[pos+1:end])
				end--
				continue
			}
		}
		pos++
	}
	clear(h[end:oldEnd])
	h = h[:end]
	Invalidate(h)
	return h
}

// promote converts sparse h to dense and raises register index to count there.
func promote(h []byte, index int, count uint8) ([]byte, bool, error) {
	d, err := ToDense(h)
	if err != nil {
		return h, false, err
	}
	return d, denseSet(d[HeaderSize:], index, count), nil
}

// ToDense returns valid h in the dense encoding: h itself if it is dense, else a new DenseSize-byte value with
// h's header (magic and cached cardinality) and registers. Matches Redis: hllSparseToDense.
func ToDense(h []byte) ([]byte, error) {
	if IsDense(h) {
		return h, nil
	}
	d := make([]byte, DenseSize)
	copy(d, h[:HeaderSize])
	d[4] = encDense
	r := d[HeaderSize:]
	idx := 0
	err := walkSparse(h, func(v uint8, n int) {
		for ; n > 0; n-- {
			denseSet(r, idx, v) // registers start at zero, so raising is setting
			idx++
		}
	}, func(n int) { idx += n })
	if err != nil {
		return h, err
	}
	return d, nil
}

// Decode describes the opcodes of sparse h, as PFDEBUG DECODE does: "z:<n>" for a ZERO run, "Z:<n>" for an
// XZERO run, "v:<value>,<n>" for a VAL run, separated by spaces. Matches Redis: it checks nothing, so a corrupt
// value decodes to whatever its bytes say.
func Decode(h []byte) string {
	var b []byte
	for pos := HeaderSize; pos < len(h); {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		oplen, span := opAt(h, pos)
		switch op := h[pos]; {
		case isZero(op):
			b = append(b, "z:"...)
		case isVal(op):
			b = append(strconv.AppendInt(append(b, "v:"...), int64(valValue(op)), 10), ',')
		default:
			b = append(b, "Z:"...)
		}
		b = strconv.AppendInt(b, int64(span), 10)
		pos += oplen
	}
	return string(b)
}

// RegistersOf returns the registers of valid h (PFDEBUG GETREG).
func RegistersOf(h []byte) ([Registers]uint8, error) {
	var regs [Registers]uint8
	err := Merge(&regs, h)
	return regs, err
}

// walkSparse calls val for each VAL run and zeros for each zero run of sparse h, failing with ErrInvalid (before
// any call that would pass the last register) unless the runs cover exactly Registers registers.
func walkSparse(h []byte, val func(v uint8, n int), zeros func(n int)) error {
	idx := 0
	for pos := HeaderSize; pos < len(h); {
		oplen, span := opAt(h, pos)
		if idx+span > Registers {
			return ErrInvalid
		}
		if b := h[pos]; isVal(b) {
			val(valValue(b), span)
		} else {
			zeros(span)
		}
		idx += span
		pos += oplen
	}
	if idx != Registers {
		return ErrInvalid
	}
	return nil
}

// Merge raises each of regs to the matching register of valid h (the union, as PFCOUNT with several keys and
// PFMERGE compute it). Matches Redis: hllMerge.
func Merge(regs *[Registers]uint8, h []byte) error {
	if IsDense(h) {
		r := h[HeaderSize:]
		for i := range regs {
			regs[i] = max(regs[i], denseGet(r, i))
		}
		return nil
	}
	idx := 0
	return walkSparse(h, func(v uint8, n int) {
		for ; n > 0; n-- {
			regs[idx] = max(regs[idx], v)
			idx++
		}
	}, func(n int) { idx += n })
}

// Store writes the registers regs into the valid h, raising each non-zero one in index order, first converting
// h to dense if dense is set; sparse writes may promote it on the way as [Add] does. It marks the cached
// cardinality stale and returns the result, which may be a new slice. Matches Redis: the second half of
// pfmergeCommand, whose order of writes decides the sparse bytes.
func Store(h []byte, regs *[Registers]uint8, dense bool, sparseMax int) ([]byte, error) {
	if dense {
		var err error
		if h, err = ToDense(h); err != nil {
			return h, err
		}
	}
	for i, v := range regs {
		if v != 0 {
			h, _, _ = set(h, i, v, sparseMax) // Matches Redis: errors of the sparse writes are ignored
		}
	}
	Invalidate(h)
	return h, nil
}

// Count returns the estimated cardinality of valid h, computing it from the registers (the cache is neither
// read nor written), or ErrInvalid for a corrupt sparse value. Matches Redis: hllCount.
func Count(h []byte) (uint64, error) {
	var hist [64]int
	if IsDense(h) {
		r := h[HeaderSize:]
		for i := 0; i < Registers; i++ {
			hist[denseGet(r, i)]++
		}
	} else if err := walkSparse(h, func(v uint8, n int) { hist[v] += n }, func(n int) { hist[0] += n }); err != nil {
		return 0, err
	}
	return estimate(&hist), nil
}

// CountRegisters returns the estimated cardinality of the registers regs (one byte each, as [Merge] fills them).
func CountRegisters(regs *[Registers]uint8) uint64 {
	var hist [64]int
	for _, v := range regs {
		hist[v&63]++
	}
	return estimate(&hist)
}

// estimate is Ertl's estimator over the histogram of register values. Explicit float64 conversions keep the
// compiler from fusing multiply-adds, so results match Redis's to the last bit.
func estimate(hist *[64]int) uint64 {
	const m = float64(Registers)
	z := float64(m * tau(float64(m-float64(hist[q+1]))/m))
	for j := q; j >= 1; j-- {
		z += float64(hist[j])
		z *= 0.5
	}
	z += float64(m * sigma(float64(hist[0])/m))
	const alphaInf = 0.721347520444481703680 // 0.5/ln(2)
	return uint64(math.Round(float64(float64(alphaInf*m)*m) / z))
}

// sigma is Ertl's helper for the registers that are zero.
func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x = float64(x * x)
		zPrime := z
		z += float64(x * y)
		y += y
		if zPrime == z {
			return z
		}
	}
}

// tau is Ertl's helper for the registers at the largest value.
func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zPrime := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if zPrime == z {
			return z / 3
		}
	}
}
