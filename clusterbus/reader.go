package clusterbus

import (
	"bufio"
	"encoding/binary"
	"io"
)

// DefaultMaxLen is the default limit of [Reader.MaxLen]: a PUBLISH of a large message is the longest message.
const DefaultMaxLen = 512 << 20

// Reader reads whole messages from a bus connection.
type Reader struct {
	// MaxLen is the largest totlen accepted; a longer message is an error (ErrLength) that ends the link.
	MaxLen int
	r      *bufio.Reader
	buf    []byte
}

// NewReader returns a Reader of r with MaxLen [DefaultMaxLen].
func NewReader(r io.Reader) *Reader {
	return &Reader{MaxLen: DefaultMaxLen, r: bufio.NewReaderSize(r, 16<<10)}
}

// ReadFrame returns the next message as bytes, valid until the next call. It checks the signature and that
// totlen is at least 16 and at most MaxLen, and reads that many bytes; [Decode] checks the rest.
func (r *Reader) ReadFrame() ([]byte, error) {
	head, err := r.r.Peek(8)
	if err != nil {
		if err == io.EOF && r.r.Buffered() > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if string(head[:4]) != "RCmb" {
		return nil, ErrSignature
	}
	n := int(binary.BigEndian.Uint32(head[4:]))
	if n < 16 || n > r.MaxLen {
		return nil, ErrLength
	}
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.r, r.buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return r.buf, nil
}

// ReadMessage reads and decodes the next message.
func (r *Reader) ReadMessage() (*Message, error) {
	b, err := r.ReadFrame()
	if err != nil {
		return nil, err
	}
	return Decode(b)
}
