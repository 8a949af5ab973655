package rdbfmt

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/carminedb/carmine/rdbfmt/internal/crc64"
)

// DecodeError is an error found at a place in the input. Err wraps [ErrCorrupt], [ErrChecksum], [ErrVersion] or
// [ErrUnsupportedType] and says what was expected there.
type DecodeError struct {
	Offset int64  // byte offset of the bad data from the start of the file or payload
	Key    []byte // the key whose value was being read, nil outside a key
	Err    error
}

// Error says what was wrong, where and in which key.
func (e *DecodeError) Error() string {
	if e.Key != nil {
		return fmt.Sprintf("%v (at offset %d, key %q)", e.Err, e.Offset, e.Key)
	}
	return fmt.Sprintf("%v (at offset %d)", e.Err, e.Offset)
}

// Unwrap returns Err, so errors.Is finds ErrCorrupt and the other sentinels.
func (e *DecodeError) Unwrap() error { return e.Err }

// chunk is the most a read allocates before the input has shown it holds that many bytes: a length read from
// the input is trusted only as far as bytes actually arrive, so a lying length costs at most twice the input.
const chunk = 64 << 10

// reader reads the primitives of the RDB format from a buffered stream, counting the offset and computing the
// CRC-64 of all it reads. Its errors are *DecodeError at the offset where the primitive started.
type reader struct {
	br   *bufio.Reader
	off  int64
	crc  uint64
	tee  *[]byte  // when set, every byte read is appended here too (module data kept as is)
	slab []byte   // small strings are cut from it, many to an allocation
	num  numbers  // decimal forms of integers
	tmp  [16]byte // fixed-size reads (a local array would escape through io.ReadFull)
}

// smallString is the largest string cut from the reader's slab.
const smallString = 256

func newReader(r io.Reader) *reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &reader{br: br}
}

// fail returns a corrupt-data error at offset off.
func (r *reader) fail(off int64, format string, args ...any) error {
	return &DecodeError{Offset: off, Err: fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)}
}

// consumed accounts for p having been read.
func (r *reader) consumed(p []byte) {
	r.off += int64(len(p))
	r.crc = crc64.Update(r.crc, p)
	if r.tee != nil {
		*r.tee = append(*r.tee, p...)
	}
}

// full fills p from the input.
func (r *reader) full(p []byte, what string) error {
	if len(p) <= r.br.Buffered() { // fast path: no io.ReadFull loop
		b, _ := r.br.Peek(len(p))
		copy(p, b)
		r.br.Discard(len(p))
		r.consumed(p)
		return nil
	}
	start := r.off
	n, err := io.ReadFull(r.br, p)
	r.consumed(p[:n])
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return r.fail(start, "truncated %s: expected %d bytes, the input ends after %d", what, len(p), n)
		}
		return &DecodeError{Offset: r.off, Err: err}
	}
	return nil
}

// bytes reads n bytes into a new slice. It allocates as the bytes arrive, never n at once from an unchecked n.
func (r *reader) bytes(n uint64, what string) ([]byte, error) {
	start := r.off
	if n > math.MaxInt32*4 {
		return nil, r.fail(start, "%s of %d bytes is too long", what, n)
	}
	if n == 0 {
		return []byte{}, nil
	}
	if n <= smallString {
		if cap(r.slab)-len(r.slab) < int(n) {
			r.slab = make([]byte, 0, 16<<10)
		}
		l := len(r.slab)
		p := r.slab[l : l+int(n) : l+int(n)]
		if err := r.full(p, what); err != nil {
			return nil, err
		}
		r.slab = r.slab[:l+int(n)]
		return p, nil
	}
	buf := make([]byte, 0, min(n, chunk))
	for uint64(len(buf)) < n {
		k := int(min(n-uint64(len(buf)), uint64(max(len(buf), chunk))))
		buf = slices.Grow(buf, k)
		m, err := io.ReadFull(r.br, buf[len(buf):len(buf)+k])
		r.consumed(buf[len(buf) : len(buf)+m])
		buf = buf[:len(buf)+m]
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, r.fail(start, "truncated %s: expected %d bytes, the input ends after %d", what, n, len(buf))
			}
			return nil, &DecodeError{Offset: r.off, Err: err}
		}
	}
	return buf, nil
}

func (r *reader) byte(what string) (byte, error) {
	c, err := r.br.ReadByte()
	if err != nil {
		err := r.full(r.tmp[:1], what) // the same error as any other read
		return r.tmp[0], err
	}
	r.tmp[0] = c
	r.consumed(r.tmp[:1])
	return c, nil
}

func (r *reader) uint32LE(what string) (uint32, error) {
	err := r.full(r.tmp[:4], what)
	return binary.LittleEndian.Uint32(r.tmp[:]), err
}

func (r *reader) uint64LE(what string) (uint64, error) {
	err := r.full(r.tmp[:8], what)
	return binary.LittleEndian.Uint64(r.tmp[:]), err
}

// rawLength reads a length or the byte announcing a special string encoding.
func (r *reader) rawLength(what string) (n uint64, special bool, err error) {
	start := r.off
	c, err := r.byte(what)
	if err != nil {
		return 0, false, err
	}
	b := r.tmp[:9]
	b[0] = c
	size := 1
	switch {
	case c&lenForm == len14:
		size = 2
	case c == len32:
		size = 5
	case c == len64:
		size = 9
	case c&lenForm == len6, c&lenForm == lenSpec:
	default:
		return 0, false, r.fail(start, "%s: expected a length, found the unknown length form %#02x", what, c)
	}
	if err := r.full(b[1:size], what); err != nil {
		return 0, false, err
	}
	n, special, _, err = ParseLength(b[:size])
	return n, special, err
}

// length reads a plain length; a special-encoding byte is an error.
func (r *reader) length(what string) (uint64, error) {
	start := r.off
	n, special, err := r.rawLength(what)
	if err == nil && special {
		return 0, r.fail(start, "%s: expected a length, found a string encoding byte", what)
	}
	return n, err
}

// string reads an RDB string (raw, integer or LZF-compressed) into a new slice.
func (r *reader) string(what string) ([]byte, error) {
	start := r.off
	n, special, err := r.rawLength(what)
	if err != nil {
		return nil, err
	}
	if !special {
		return r.bytes(n, what)
	}
	switch Enc(n) {
	case EncInt8:
		b, err := r.byte(what)
		return r.num.format(int64(int8(b))), err
	case EncInt16:
		err := r.full(r.tmp[:2], what)
		return r.num.format(int64(int16(binary.LittleEndian.Uint16(r.tmp[:])))), err
	case EncInt32:
		v, err := r.uint32LE(what)
		return r.num.format(int64(int32(v))), err
	case EncLZF:
		clen, err := r.length("compressed string length")
		if err != nil {
			return nil, err
		}
		ulen, err := r.length("compressed string original length")
		if err != nil {
			return nil, err
		}
		c, err := r.bytes(clen, what)
		if err != nil {
			return nil, err
		}
		out, err := inflate(c, ulen)
		if err != nil {
			return nil, r.fail(start, "%s: %v", what, err)
		}
		return out, nil
	}
	return nil, r.fail(start, "%s: unknown string encoding %d", what, n)
}

// float64LE reads a binary double.
func (r *reader) float64LE(what string) (float64, error) {
	v, err := r.uint64LE(what)
	return math.Float64frombits(v), err
}

// stringDouble reads a double in the old string form: a length byte (253 NaN, 254 +inf, 255 -inf), then that
// many ASCII characters.
func (r *reader) stringDouble(what string) (float64, error) {
	start := r.off
	n, err := r.byte(what)
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b := make([]byte, n)
	if err := r.full(b, what); err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, r.fail(start, "%s: expected a number, found %q", what, b)
	}
	return f, nil
}

// streamID reads an ID as two lengths.
func (r *reader) streamID(what string) (StreamID, error) {
	ms, err := r.length(what)
	if err != nil {
		return StreamID{}, err
	}
	seq, err := r.length(what)
	return StreamID{ms, seq}, err
}

// rawStreamID reads an ID as 16 raw bytes, big-endian.
func (r *reader) rawStreamID(what string) (StreamID, error) {
	b := r.tmp[:16]
	err := r.full(b, what)
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}, err
}
