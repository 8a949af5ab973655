package node

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/carminedb/carmine/keyspace"
)

// The bitmap commands (Redis's bitops.c): strings addressed bit by bit, the most significant bit of each byte
// first. Writes change the stored string in place through keyspace.Txn.StringBuf.

var _ = register(map[string]handler{
	"bitcount":    cmdBitCount,
	"bitfield":    cmdBitField,
	"bitfield_ro": cmdBitField,
	"bitop":       cmdBitOp,
	"bitpos":      cmdBitPos,
	"getbit":      cmdGetBit,
	"setbit":      cmdSetBit,
})

// Reply errors of the bitmap commands.
var (
	errBitOffset    = errorf("bit offset is not an integer or out of range")
	errBitValue     = errorf("bit is not an integer or out of range")
	errBitArg       = errorf("The bit argument must be 1 or 0.")
	errBitNotKeys   = errorf("BITOP NOT must be called with a single source key.")
	errBitfieldType = errorf("Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
	errOverflowType = errorf("Invalid OVERFLOW type specified")
	errBitfieldRO   = errorf("BITFIELD_RO only supports the GET subcommand")
)

// bitOffset parses a bit offset argument. With bits > 0 it also accepts "#n", meaning n*bits (BITFIELD).
// Matches Redis: getBitOffsetFromArgument, which refuses offsets whose byte is at or past proto-max-bulk-len.
func (c *client) bitOffset(arg []byte, bits int) (uint64, error) {
	hash := bits > 0 && len(arg) > 0 && arg[0] == '#'
	if hash {
		arg = arg[1:]
	}
	n, ok := keyspace.ParseInt(arg)
	if !ok {
		return 0, errBitOffset
	}
	if hash {
		n *= int64(bits) // Matches Redis: the product may wrap; a negative result is refused below
	}
	if n < 0 || n>>3 >= c.srv.live.protoMaxBulk.Load() {
		return 0, errBitOffset
	}
	return uint64(n), nil
}

// SETBIT key offset value: the bit's old value. The string grows with zero bytes as needed and turns raw.
func cmdSetBit(c *client, args [][]byte) error {
	off, err := c.bitOffset(args[2], 0)
	if err != nil {
		return err
	}
	on, ok := keyspace.ParseInt(args[3])
	if !ok || on&^1 != 0 {
		return errBitValue
	}
	key := args[1]
	tx := c.begin(key)
	defer tx.End()
	e, found, err := lookupString(&tx, key)
	if err != nil {
		return err
	}
	olen := 0
	if found {
		olen = e.StrLen()
	}
	buf, err := tx.StringBuf(key, int(off>>3)+1)
	if err != nil {
		return err
	}
	p := &buf[off>>3]
	mask := byte(0x80) >> (off & 7)
	old := *p&mask != 0
	if on == 1 {
		*p |= mask
	} else {
		*p &^= mask
	}
	if len(buf) > olen || old != (on == 1) { // Matches Redis: an event only when the string grew or the bit changed
		c.wrote(notifyString, "setbit", key)
	}
	c.w.WriteInt(b2i(old))
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// GETBIT key offset
func cmdGetBit(c *client, args [][]byte) error {
	off, err := c.bitOffset(args[2], 0)
	if err != nil {
		return err
	}
	tx := c.begin(args[1])
	defer tx.End()
	e, ok, err := c.readString(&tx, args[1])
	if err != nil || !ok {
		if err == nil {
			c.w.WriteInt(0)
		}
		return err
	}
	s := e.Bytes(c.scratch[:0])
	bit := int64(0)
	if i := off >> 3; i < uint64(len(s)) && s[i]&(0x80>>(off&7)) != 0 {
		bit = 1
	}
	c.w.WriteInt(bit)
	return nil
}

// bitRange resolves BITCOUNT's and BITPOS's start and end (negative from the end, BYTE or BIT units) over a
// string of n bytes into the inclusive bit range [first, last]; empty is true when nothing is left.
// Matches Redis: the clamping of bitcountCommand and bitposCommand.
func bitRange(start, end int64, n int, isBit bool) (first, last int64, empty bool) {
	total := int64(n)
	if isBit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if start > end {
		return 0, 0, true
	}
	if !isBit {
		return start << 3, end<<3 | 7, false
	}
	return start, end, false
}

// parseBitUnit parses the optional BYTE | BIT argument.
func parseBitUnit(arg []byte) (bool, error) {
	switch {
	case eqFold(arg, "bit"):
		return true, nil
	case eqFold(arg, "byte"):
		return false, nil
	}
	return false, errSyntax
}

// BITCOUNT key [start end [BYTE | BIT]]. Matches Redis 7: a missing key is 0 and a wrong type an error before
// the range arguments are read.
func cmdBitCount(c *client, args [][]byte) error {
	tx := c.begin(args[1])
	defer tx.End()
	e, ok, err := c.readString(&tx, args[1])
	if err != nil || !ok {
		if err == nil {
			c.w.WriteInt(0)
		}
		return err
	}
	s := e.Bytes(c.scratch[:0])
	first, last := int64(0), int64(len(s))*8-1
	switch len(args) {
	case 2:
	case 4, 5:
		start, ok1 := keyspace.ParseInt(args[2])
		end, ok2 := keyspace.ParseInt(args[3])
		if !ok1 || !ok2 {
			return errNotInteger
		}
		isBit := false
		if len(args) == 5 {
			if isBit, err = parseBitUnit(args[4]); err != nil {
				return err
			}
		}
		if start < 0 && end < 0 && start > end {
			c.w.WriteInt(0)
			return nil
		}
		var empty bool
		if first, last, empty = bitRange(start, end, len(s), isBit); empty {
			c.w.WriteInt(0)
			return nil
		}
	default:
		return errSyntax
	}
	c.w.WriteInt(int64(countBits(s, first, last)))
	return nil
}

// countBits returns the number of set bits of s in the inclusive bit range [first, last].
func countBits(s []byte, first, last int64) int {
	if first > last {
		return 0
	}
	fb, lb := first>>3, last>>3
	n := popcount(s[fb : lb+1])
	n -= bits.OnesCount8(s[fb] & ^(0xff >> (first & 7))) // bits before first in its byte
	n -= bits.OnesCount8(s[lb] & (0x7f >> (last & 7)))   // bits after last in its byte
	return n
}

// popcount counts the set bits of b a 64-bit word at a time.
func popcount(b []byte) int {
	n := 0
	for len(b) >= 32 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b)) + bits.OnesCount64(binary.LittleEndian.Uint64(b[8:])) +
			bits.OnesCount64(binary.LittleEndian.Uint64(b[16:])) + bits.OnesCount64(binary.LittleEndian.Uint64(b[24:]))
		b = b[32:]
	}
	for len(b) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return n
}

// BITPOS key bit [start [end [BYTE | BIT]]]. Matches Redis 7: the bit argument is checked first, then a missing
// key answers (-1 for a set bit, 0 for a clear one) before the range is read. Looking for a clear bit without
// an explicit end treats the string as padded with zeros, so it can answer the first bit past the end.
func cmdBitPos(c *client, args [][]byte) error {
	bit, ok := keyspace.ParseInt(args[2])
	if !ok {
		return errNotInteger
	}
	if bit != 0 && bit != 1 {
		return errBitArg
	}
	tx := c.begin(args[1])
	defer tx.End()
	e, found, err := c.readString(&tx, args[1])
	if err != nil {
		return err
	}
	if !found {
		c.w.WriteInt(-bit)
		return nil
	}
	s := e.Bytes(c.scratch[:0])
	first, last := int64(0), int64(len(s))*8-1
	endGiven := false
	switch len(args) {
	case 3:
		if len(s) == 0 {
			c.w.WriteInt(-1)
			return nil
		}
	case 4, 5, 6:
		start, ok := keyspace.ParseInt(args[3])
		if !ok {
			return errNotInteger
		}
		isBit := false
		if len(args) == 6 {
			if isBit, err = parseBitUnit(args[5]); err != nil {
				return err
			}
		}
		end := int64(len(s)) - 1
		if len(args) >= 5 {
			if end, ok = keyspace.ParseInt(args[4]); !ok {
				return errNotInteger
			}
			endGiven = true
		}
		var empty bool
		if first, last, empty = bitRange(start, end, len(s), isBit); empty {
			c.w.WriteInt(-1)
			return nil
		}
	default:
		return errSyntax
	}
	pos := findBit(s, first, last, bit == 1)
	if pos < 0 && bit == 0 && !endGiven {
		pos = (last>>3 + 1) << 3 // the first bit of the zero padding after the range's last byte
	}
	c.w.WriteInt(pos)
	return nil
}

// findBit returns the position of the first bit equal to set in the inclusive bit range [first, last] of s,
// or -1. It skips whole 64-bit words of the wrong kind.
func findBit(s []byte, first, last int64, set bool) int64 {
	var skip byte // a byte that holds no bit of the kind looked for
	if !set {
		skip = 0xff
	}
	i := first
	for i <= last {
		if i&7 == 0 {
			for i+64 <= last+1 && binary.LittleEndian.Uint64(s[i>>3:]) == uint64(skip)*0x0101010101010101 {
				i += 64
			}
			for i+8 <= last+1 && s[i>>3] == skip {
				i += 8
			}
			if i > last {
				break
			}
		}
		if (s[i>>3]&(0x80>>(i&7)) != 0) == set {
			return i
		}
		i++
	}
	return -1
}

// BITOP AND | OR | XOR | NOT destkey key [key ...]: the length of the result, which is as long as the longest
// source, missing keys and shorter strings counting as zeros. Matches Redis: an empty result deletes destkey;
// otherwise destkey becomes a raw string without expiry.
func cmdBitOp(c *client, args [][]byte) error {
	op := args[1]
	var kind int
	switch {
	case eqFold(op, "and"):
		kind = 0
	case eqFold(op, "or"):
		kind = 1
	case eqFold(op, "xor"):
		kind = 2
	case eqFold(op, "not"):
		kind = 3
	default:
		return errSyntax
	}
	dst, srcs := args[2], args[3:]
	if kind == 3 && len(srcs) != 1 {
		return errBitNotKeys
	}
	tx := c.begin(args[2:]...)
	defer tx.End()
	vals := make([][]byte, len(srcs))
	maxLen, minLen := 0, math.MaxInt
	for i, k := range srcs {
		e, ok, err := c.readString(&tx, k)
		if err != nil {
			return err
		}
		if ok {
			vals[i] = e.Bytes(nil)
		}
		maxLen, minLen = max(maxLen, len(vals[i])), min(minLen, len(vals[i]))
	}
	if maxLen == 0 {
		if tx.Delete(dst) {
			c.wrote(notifyGeneric, "del", dst)
		}
		c.w.WriteInt(0)
		return nil
	}
	res := make([]byte, maxLen)
	copy(res, vals[0])
	switch kind {
	case 0:
		clear(res[minLen:]) // past the shortest source, AND is zero
		for _, v := range vals[1:] {
			andBytes(res[:minLen], v)
		}
	case 1:
		for _, v := range vals[1:] {
			orBytes(res, v)
		}
	case 2:
		for _, v := range vals[1:] {
			xorBytes(res, v)
		}
	case 3:
		for i := range res {
			res[i] = ^res[i]
		}
	}
	tx.SetRawString(dst, res, 0)
	c.wrote(notifyString, "set", dst)
	c.w.WriteInt(int64(maxLen))
	return nil
}

// andBytes sets dst[i] &= src[i] for the bytes both have, a word at a time.
func andBytes(dst, src []byte) {
	n := min(len(dst), len(src))
	i := 0
	for ; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])&binary.LittleEndian.Uint64(src[i:]))
	}
	for ; i < n; i++ {
		dst[i] &= src[i]
	}
}

// orBytes sets dst[i] |= src[i] for the bytes both have, a word at a time.
func orBytes(dst, src []byte) {
	n := min(len(dst), len(src))
	i := 0
	for ; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])|binary.LittleEndian.Uint64(src[i:]))
	}
	for ; i < n; i++ {
		dst[i] |= src[i]
	}
}

// xorBytes sets dst[i] ^= src[i] for the bytes both have, a word at a time.
func xorBytes(dst, src []byte) {
	n := min(len(dst), len(src))
	i := 0
	for ; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])^binary.LittleEndian.Uint64(src[i:]))
	}
	for ; i < n; i++ {
		dst[i] ^= src[i]
	}
}

// BITFIELD overflow behaviours.
const (
	overflowWrap = iota
	overflowSat
	overflowFail
)

// bitfieldOp is one parsed GET, SET or INCRBY of BITFIELD.
type bitfieldOp struct {
	offset   uint64
	value    int64 // SET value or INCRBY increment
	bits     int
	signed   bool
	write    bool
	incr     bool
	overflow int
}

// parseBitfieldType parses i1..i64 or u1..u63. Matches Redis: getBitfieldTypeFromArgument (lower case only).
func parseBitfieldType(arg []byte) (signed bool, bits int, err error) {
	if len(arg) == 0 || (arg[0] != 'i' && arg[0] != 'u') {
		return false, 0, errBitfieldType
	}
	signed = arg[0] == 'i'
	n, ok := keyspace.ParseInt(arg[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, errBitfieldType
	}
	return signed, int(n), nil
}

// BITFIELD key [GET type offset | [OVERFLOW WRAP | SAT | FAIL] SET type offset value | INCRBY type offset
// increment ...] and BITFIELD_RO key [GET type offset ...]: one reply per GET, SET (the old value) and INCRBY
// (the new value, or a null when OVERFLOW FAIL refused it). Every argument is checked before anything runs.
// Matches Redis: a command with a write grows the string (creating it) to its farthest written bit, even when
// OVERFLOW FAIL then refuses every write.
func cmdBitField(c *client, args [][]byte) error {
	readOnlyCmd := len(args[0]) == len("bitfield_ro")
	var opsBuf [4]bitfieldOp
	ops := opsBuf[:0]
	overflow := overflowWrap
	writes := false
	var highest uint64
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		sub := args[j]
		var op bitfieldOp
		switch {
		case eqFold(sub, "get") && rem >= 2:
		case eqFold(sub, "set") && rem >= 3:
			op.write = true
		case eqFold(sub, "incrby") && rem >= 3:
			op.write, op.incr = true, true
		case eqFold(sub, "overflow") && rem >= 1:
			j++
			switch {
			case eqFold(args[j], "wrap"):
				overflow = overflowWrap
			case eqFold(args[j], "sat"):
				overflow = overflowSat
			case eqFold(args[j], "fail"):
				overflow = overflowFail
			default:
				return errOverflowType
			}
			continue
		default:
			return errSyntax
		}
		var err error
		if op.signed, op.bits, err = parseBitfieldType(args[j+1]); err != nil {
			return err
		}
		if op.offset, err = c.bitOffset(args[j+2], op.bits); err != nil {
			return err
		}
		if op.write {
			writes = true
			highest = max(highest, op.offset+uint64(op.bits)-1)
			v, ok := keyspace.ParseInt(args[j+3])
			if !ok {
				return errNotInteger
			}
			op.value = v
			j += 3
		} else {
			j += 2
		}
		op.overflow = overflow
		ops = append(ops, op)
	}
	key := args[1]
	tx := c.begin(key)
	defer tx.End()
	var s []byte
	olen, grew := 0, false
	if !writes {
		e, ok, err := c.readString(&tx, key)
		if err != nil {
			return err
		}
		if ok {
			s = e.Bytes(c.scratch[:0])
		}
	} else {
		if readOnlyCmd {
			return errBitfieldRO
		}
		e, found, err := lookupString(&tx, key)
		if err != nil {
			return err
		}
		if found {
			olen = e.StrLen()
		}
		if s, err = tx.StringBuf(key, int(highest>>3)+1); err != nil {
			return err
		}
		grew = len(s) > olen
	}
	c.w.WriteArrayLen(len(ops))
	changes := 0
	for _, op := range ops {
		old := getBitfield(s, op.offset, op.bits)
		if !op.write {
			c.w.WriteInt(bitfieldInt(old, op.bits, op.signed))
			continue
		}
		nv, reply, ok := bitfieldApply(old, op)
		if !ok {
			c.w.WriteNull()
			continue
		}
		c.w.WriteInt(reply)
		setBitfield(s, op.offset, op.bits, nv)
		if grew || nv != old { // Matches Redis: a write that changes nothing raises no event
			changes++
		}
	}
	if changes > 0 {
		c.wrote(notifyString, "setbit", key)
	}
	return nil
}

// getBitfield returns the bits-wide unsigned field of s at bit offset off (most significant bit first); bits
// past the end of s read as zero.
func getBitfield(s []byte, off uint64, bits int) uint64 {
	var buf [9]byte
	if b := off >> 3; b < uint64(len(s)) {
		copy(buf[:], s[b:])
	}
	sh := off & 7
	v := binary.BigEndian.Uint64(buf[:])<<sh | uint64(buf[8])>>(8-sh)
	return v >> (64 - bits)
}

// setBitfield stores the low bits of v as the bits-wide field of s at bit offset off, which s must cover.
func setBitfield(s []byte, off uint64, bits int, v uint64) {
	for i := 0; i < bits; i++ {
		p := off + uint64(i)
		mask := byte(0x80) >> (p & 7)
		if v>>(bits-1-i)&1 != 0 {
			s[p>>3] |= mask
		} else {
			s[p>>3] &^= mask
		}
	}
}

// bitfieldInt returns the field value v of the given width as the integer it replies: sign-extended if signed.
func bitfieldInt(v uint64, bits int, signed bool) int64 {
	if signed && bits < 64 && v&(1<<(bits-1)) != 0 {
		v |= ^uint64(0) << bits
	}
	return int64(v)
}

// bitfieldApply computes a SET or INCRBY of op on the field's current raw value old. It returns the new raw
// value, the integer to reply (the old value for SET, the new one for INCRBY) and false when OVERFLOW FAIL
// refuses the write. Matches Redis: checkSignedBitfieldOverflow and checkUnsignedBitfieldOverflow, including
// SET's wrapping or saturating of a value that does not fit.
func bitfieldApply(old uint64, op bitfieldOp) (nv uint64, reply int64, ok bool) {
	bits := op.bits
	oldInt := bitfieldInt(old, bits, op.signed)
	value, incr := op.value, int64(0)
	if op.incr {
		value, incr = oldInt, op.value
	}
	var res int64
	overflow := false
	if op.signed {
		maxV := int64(math.MaxInt64)
		if bits < 64 {
			maxV = 1<<(bits-1) - 1
		}
		minV := -maxV - 1
		maxIncr := int64(uint64(maxV) - uint64(value))
		minIncr := int64(uint64(minV) - uint64(value))
		sum := int64(uint64(value) + uint64(incr))
		switch {
		case value > maxV || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
			overflow, res = true, maxV
		case value < minV || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
			overflow, res = true, minV
		default:
			res = sum
		}
		if overflow && op.overflow == overflowWrap {
			res = bitfieldInt(uint64(sum)&(^uint64(0)>>(64-bits)), bits, true)
		}
	} else {
		maxV := uint64(1)<<bits - 1
		uv := uint64(value)
		sum := uv + uint64(incr)
		switch {
		case uv > maxV || (incr > 0 && incr > int64(maxV-uv)):
			overflow, res = true, int64(maxV)
		case incr < 0 && incr < -int64(uv):
			overflow, res = true, 0
		default:
			res = int64(sum)
		}
		if overflow && op.overflow == overflowWrap {
			res = int64(sum & maxV)
		}
	}
	if overflow && op.overflow == overflowFail {
		return 0, 0, false
	}
	nv = uint64(res)
	if bits < 64 {
		nv &= 1<<bits - 1
	}
	if op.incr {
		return nv, res, true
	}
	return nv, oldInt, true
}
