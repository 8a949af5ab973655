package resp

import (
	"errors"
	"io"
)

// errNoDestination is returned by Flush on a Writer made with a nil io.Writer.
var errNoDestination = errors.New("resp: Writer has no destination")

// flushThreshold is the buffer size above which a Write* call flushes early, to
// bound the memory one reply may hold.
const flushThreshold = 64 << 10

// Writer is a buffered, protocol-aware reply writer with a sticky error.
//
// Each Write* method appends to an internal buffer and never returns an
// error: the first error that the destination returns is kept and reported by
// [Writer.Flush] and [Writer.Err], and everything written after it is
// dropped. Write* does no I/O unless the buffer grows past 64 KiB, where it
// flushes early. Methods that differ between RESP2 and RESP3 follow
// [Writer.SetProtocol], so handlers write one way for both.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	buf   []byte
	w     io.Writer
	err   error
	proto int
}

// NewWriter returns a Writer to w that speaks RESP2. w may be nil for a
// caller that does its own I/O with [Writer.Bytes] and [Writer.Discard]; then
// the buffer is never flushed early and Flush fails.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, proto: 2, buf: make([]byte, 0, 4096)}
}

// SetProtocol selects the protocol version: 3 for RESP3, anything else for
// RESP2.
func (w *Writer) SetProtocol(p int) {
	if p == 3 {
		w.proto = 3
	} else {
		w.proto = 2
	}
}

// Protocol returns the protocol version, 2 or 3.
func (w *Writer) Protocol() int { return w.proto }

// Reset makes w write to dst, drops buffered bytes and the sticky error, and
// selects RESP2 again. It keeps the buffer's memory.
func (w *Writer) Reset(dst io.Writer) {
	w.buf = w.buf[:0]
	w.w = dst
	w.err = nil
	w.proto = 2
}

// Buffered returns the number of bytes written but not flushed.
func (w *Writer) Buffered() int { return len(w.buf) }

// Bytes returns the buffered, unflushed bytes, for callers that do their own
// I/O; call [Writer.Discard] after writing them. The slice is valid until the
// next Write*, Flush, Discard or Reset.
func (w *Writer) Bytes() []byte { return w.buf }

// Discard drops the buffered bytes.
func (w *Writer) Discard() { w.buf = w.buf[:0] }

// Flush writes the buffered bytes to the destination. It returns the first
// error ever seen by w (sticky), or nil.
func (w *Writer) Flush() error {
	if w.err != nil {
		w.buf = w.buf[:0]
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	if w.w == nil {
		return errNoDestination
	}
	n, err := w.w.Write(w.buf)
	if err == nil && n < len(w.buf) {
		err = io.ErrShortWrite
	}
	w.buf = w.buf[:0]
	w.err = err
	return err
}

// Err returns the first error seen by w, or nil.
func (w *Writer) Err() error { return w.err }

// done flushes early once the buffer is above the threshold.
func (w *Writer) done() {
	if len(w.buf) > flushThreshold && w.w != nil {
		_ = w.Flush() // sticky: Flush and Err report it
	}
}

// WriteSimple writes the simple string "+s". CR and LF in s become spaces.
func (w *Writer) WriteSimple(s string) {
	if w.err != nil {
		return
	}
	w.buf = appendLine(w.buf, TypeSimple, s)
	w.done()
}

// WriteError writes the error reply "-msg". msg starts with the code, e.g.
// "ERR wrong number of arguments for 'get' command". CR and LF in msg become
// spaces.
func (w *Writer) WriteError(msg string) {
	if w.err != nil {
		return
	}
	w.buf = appendLine(w.buf, TypeError, msg)
	w.done()
}

// WriteInt writes the integer ":n".
func (w *Writer) WriteInt(n int64) {
	if w.err != nil {
		return
	}
	w.buf = AppendInt(w.buf, n)
	w.done()
}

// WriteBulk writes b as a bulk string. A nil b is an empty string; use
// [Writer.WriteNull] for a null.
func (w *Writer) WriteBulk(b []byte) {
	if w.err != nil {
		return
	}
	if len(b) > flushThreshold && w.w != nil {
		// Large value: write the header, then pass b through without
		// copying it into the buffer.
		w.buf = appendHeader(w.buf, TypeBulk, int64(len(b)))
		w.writeThrough(b)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	w.buf = AppendBulk(w.buf, b)
	w.done()
}

// writeThrough flushes the buffer and writes b directly to the destination.
func (w *Writer) writeThrough(b []byte) {
	if w.Flush() != nil {
		return
	}
	n, err := w.w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	w.err = err
}

// WriteBulkString writes s as a bulk string.
func (w *Writer) WriteBulkString(s string) {
	if w.err != nil {
		return
	}
	w.buf = AppendBulkString(w.buf, s)
	w.done()
}

// WriteArrayLen writes the header of an array of n elements.
func (w *Writer) WriteArrayLen(n int) {
	if w.err != nil {
		return
	}
	w.buf = AppendArrayLen(w.buf, n)
	w.done()
}

// WriteNull writes a null: "$-1" (null bulk string) in RESP2, "_" in RESP3.
func (w *Writer) WriteNull() {
	if w.err != nil {
		return
	}
	if w.proto == 3 {
		w.buf = AppendNull(w.buf)
	} else {
		w.buf = AppendNullBulk(w.buf)
	}
	w.done()
}

// WriteNullArray writes a null array: "*-1" in RESP2, "_" in RESP3.
func (w *Writer) WriteNullArray() {
	if w.err != nil {
		return
	}
	if w.proto == 3 {
		w.buf = AppendNull(w.buf)
	} else {
		w.buf = AppendNullArray(w.buf)
	}
	w.done()
}

// WriteMapLen writes the header of a map of n pairs: "%n" in RESP3, an array
// of 2n elements in RESP2.
func (w *Writer) WriteMapLen(n int) {
	if w.err != nil {
		return
	}
	if w.proto == 3 {
		w.buf = AppendMapLen(w.buf, n)
	} else {
		w.buf = AppendArrayLen(w.buf, 2*n)
	}
	w.done()
}

// WriteSetLen writes the header of a set of n elements: "~n" in RESP3, an
// array in RESP2.
func (w *Writer) WriteSetLen(n int) {
	if w.err != nil {
		return
	}
	if w.proto == 3 {
		w.buf = AppendSetLen(w.buf, n)
	} else {
		w.buf = AppendArrayLen(w.buf, n)
	}
	w.done()
}

// WritePushLen writes the header of a push of n elements: ">n" in RESP3, an
// array in RESP2 (as Redis does for pub/sub messages).
func (w *Writer) WritePushLen(n int) {
	if w.err != nil {
		return
	}
	if w.proto == 3 {
		w.buf = AppendPushLen(w.buf, n)
	} else {
		w.buf = AppendArrayLen(w.buf, n)
	}
	w.done()
}

// WriteDouble writes f as a double: ",<f>" in RESP3 and a bulk string of the
// same text in RESP2, formatted by [AppendFloat] (Redis 7.0's "%.17g").
func (w *Writer) WriteDouble(f float64) {
	if w.err != nil {
		return
	}
	if w.proto == 3 {
		w.buf = AppendDouble(w.buf, f)
	} else {
		var tmp [32]byte
		w.buf = AppendBulk(w.buf, AppendFloat(tmp[:0], f))
	}
	w.done()
}

// WriteBool writes b: "#t"/"#f" in RESP3, the integer 1 or 0 in RESP2.
func (w *Writer) WriteBool(b bool) {
	if w.err != nil {
		return
	}
	switch {
	case w.proto == 3:
		w.buf = AppendBool(w.buf, b)
	case b:
		w.buf = AppendInt(w.buf, 1)
	default:
		w.buf = AppendInt(w.buf, 0)
	}
	w.done()
}

// WriteBigNumber writes digits as a big number: "(digits" in RESP3, a bulk
// string in RESP2.
func (w *Writer) WriteBigNumber(digits string) {
	if w.err != nil {
		return
	}
	if w.proto == 3 {
		w.buf = AppendBigNumber(w.buf, digits)
	} else {
		w.buf = AppendBulkString(w.buf, digits)
	}
	w.done()
}

// WriteVerbatim writes text as a verbatim string of the given 3-byte format
// ("txt", "mkd") in RESP3, and as a bulk string of text in RESP2.
func (w *Writer) WriteVerbatim(format, text string) {
	if w.err != nil {
		return
	}
	if w.proto == 3 {
		w.buf = AppendVerbatim(w.buf, format, text)
	} else {
		w.buf = AppendBulkString(w.buf, text)
	}
	w.done()
}

// WriteValue writes v exactly as [AppendValue] encodes it, whatever the
// protocol.
func (w *Writer) WriteValue(v Value) {
	if w.err != nil {
		return
	}
	w.buf = AppendValue(w.buf, v)
	w.done()
}

// WriteRaw writes pre-encoded bytes as they are.
func (w *Writer) WriteRaw(b []byte) {
	if w.err != nil {
		return
	}
	if len(b) > flushThreshold && w.w != nil {
		w.writeThrough(b)
		return
	}
	w.buf = append(w.buf, b...)
	w.done()
}
