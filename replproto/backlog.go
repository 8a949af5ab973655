package replproto

import (
	"fmt"
	"io"
)

// MinBacklogSize is the smallest backlog, 16 KiB. Matches Redis: a repl-backlog-size below it is raised to it
// when the backlog is created or resized.
const MinBacklogSize = 16 << 10

// DefaultBacklogSize is Redis's default repl-backlog-size, 1 MiB.
const DefaultBacklogSize = 1 << 20

// A Backlog keeps the most recent bytes of the replication stream, up to its size, in a ring buffer, so that a
// replica that reconnects can continue from where it stopped instead of loading a new snapshot.
//
// Offsets are stream positions as Redis counts them. [Backlog.Offset] is master_repl_offset, the number of
// bytes of the stream so far (the offset of the last byte written, bytes being numbered from 1).
// [Backlog.FirstByteOffset] is repl_backlog_first_byte_offset, the offset of the oldest byte held. A replica
// asks to continue with "PSYNC <replid> <offset>", where offset is the first byte it does not have (its own
// offset plus one); [Backlog.Covers] says whether the backlog can serve it and [Backlog.AppendFrom] gives the
// bytes.
//
// Memory grows with the bytes written, up to the size, so a large, mostly empty backlog costs little. A
// Backlog is not safe for concurrent use.
type Backlog struct {
	buf  []byte // ring; len(buf) < size only while the backlog is filling, and then the data is buf[:n]
	head int    // index in buf of the oldest byte
	n    int    // bytes held (Redis's repl_backlog_histlen)
	size int
	off  int64 // master_repl_offset
}

// NewBacklog returns an empty backlog of size bytes (at least [MinBacklogSize]) whose stream so far has
// offset bytes: the next byte appended has offset offset+1. Matches Redis: a backlog created when the first
// replica attaches starts at master_repl_offset+1 and holds no history.
func NewBacklog(size int, offset int64) *Backlog {
	return &Backlog{size: max(size, MinBacklogSize), off: offset}
}

// Size returns the capacity in bytes (repl_backlog_size).
func (b *Backlog) Size() int { return b.size }

// Len returns the number of bytes held (repl_backlog_histlen).
func (b *Backlog) Len() int { return b.n }

// Offset returns the offset of the last byte appended (master_repl_offset).
func (b *Backlog) Offset() int64 { return b.off }

// FirstByteOffset returns the offset of the oldest byte held (repl_backlog_first_byte_offset). When the
// backlog holds nothing it is Offset()+1, the offset the next byte will have.
func (b *Backlog) FirstByteOffset() int64 { return b.off - int64(b.n) + 1 }

// Append adds p to the end of the stream, dropping the oldest bytes when the backlog is full. The offset
// grows by len(p) even for bytes that do not fit.
func (b *Backlog) Append(p []byte) {
	b.off += int64(len(p))
	if len(p) >= b.size { // only the last size bytes survive
		if len(b.buf) < b.size {
			b.buf = make([]byte, b.size)
		}
		copy(b.buf, p[len(p)-b.size:])
		b.head, b.n = 0, b.size
		return
	}
	if len(b.buf) < b.size { // filling: the data is buf[:n], linear
		take := min(b.size-len(b.buf), len(p))
		b.buf = append(b.buf, p[:take]...)
		b.n += take
		p = p[take:]
		if len(p) == 0 {
			return
		}
	}
	// Full ring: len(buf) == size and n == size, so the tail is the head; the new bytes overwrite the oldest.
	k := copy(b.buf[b.head:], p)
	k += copy(b.buf, p[k:])
	b.head += len(p)
	if b.head >= b.size {
		b.head -= b.size
	}
}

// Write appends p and returns len(p), nil. It makes a Backlog an [io.Writer].
func (b *Backlog) Write(p []byte) (int, error) {
	b.Append(p)
	return len(p), nil
}

// Covers reports whether the backlog can serve a partial resynchronisation to a replica whose next wanted
// byte is next, that is FirstByteOffset() <= next <= Offset()+1. Matches Redis (masterTryPartialResynchronization):
// a replica that has everything (next == Offset()+1) is served with no bytes, and an empty backlog covers
// only that.
func (b *Backlog) Covers(next int64) bool {
	return next >= b.FirstByteOffset() && next <= b.off+1
}

// AppendFrom appends the held bytes from offset next to the end of the stream to dst and returns the
// extended slice. It returns an error, and dst unchanged, when the backlog does not cover next.
func (b *Backlog) AppendFrom(dst []byte, next int64) ([]byte, error) {
	if !b.Covers(next) {
		return dst, fmt.Errorf("%w: offset %d, backlog holds %d..%d", ErrNotInBacklog, next, b.FirstByteOffset(), b.off)
	}
	skip := int(next - b.FirstByteOffset())
	first, second := b.parts(skip)
	dst = append(dst, first...)
	return append(dst, second...), nil
}

// WriteFrom writes the held bytes from offset next to the end of the stream to w, without copying them, and
// returns the number of bytes written. It returns an error wrapping [ErrNotInBacklog] when the backlog does not
// cover next.
func (b *Backlog) WriteFrom(w io.Writer, next int64) (int64, error) {
	if !b.Covers(next) {
		return 0, fmt.Errorf("%w: offset %d, backlog holds %d..%d", ErrNotInBacklog, next, b.FirstByteOffset(), b.off)
	}
	first, second := b.parts(int(next - b.FirstByteOffset()))
	n1, err := w.Write(first)
	if err != nil {
		return int64(n1), err
	}
	n2, err := w.Write(second)
	return int64(n1 + n2), err
}

// parts returns the held bytes after skipping the oldest skip, as at most two slices of the ring.
func (b *Backlog) parts(skip int) (first, second []byte) {
	if b.n == 0 || skip >= b.n {
		return nil, nil
	}
	start := (b.head + skip) % len(b.buf)
	end := b.head + b.n // exclusive, may pass the end of the ring
	if end <= len(b.buf) {
		return b.buf[start:end], nil
	}
	end -= len(b.buf)
	if start < b.head { // the skipped bytes already reach into the wrapped part
		return b.buf[start:end], nil
	}
	return b.buf[start:], b.buf[:end]
}

// Resize changes the capacity to size bytes (at least [MinBacklogSize]), keeping the most recent history
// that fits: everything when the backlog grows, the newest size bytes when it shrinks. The offset does not
// change. Matches Redis 7 on CONFIG SET repl-backlog-size, which keeps the history (Redis 6 and older threw
// it away); Redis 7 trims in 16 KiB blocks and may keep slightly more than size, Backlog keeps exactly size.
func (b *Backlog) Resize(size int) {
	size = max(size, MinBacklogSize)
	if size == b.size {
		return
	}
	keep := min(b.n, size)
	buf := make([]byte, 0, keep)
	first, second := b.parts(b.n - keep)
	buf = append(append(buf, first...), second...)
	b.buf, b.head, b.n, b.size = buf, 0, keep, size
}

// Reset drops the history and sets the offset, as when a replica's stream restarts from a new snapshot at
// offset (Redis re-creates the backlog after a full resynchronisation).
func (b *Backlog) Reset(offset int64) {
	b.buf, b.head, b.n, b.off = b.buf[:0], 0, 0, offset
}
