package replproto

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ReadLine reads one line from br and returns it without its LF and the CR before it. The line aliases br's
// buffer and is valid until the next read. A line longer than br's buffer is an error wrapping
// [ErrLineTooLong]; the end of input inside a line is io.ErrUnexpectedEOF.
func ReadLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, br.Size())
	case err == io.EOF && len(line) > 0:
		return nil, io.ErrUnexpectedEOF
	case err != nil:
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// ReadPreamble reads the line that starts an RDB transfer from br, skipping the empty lines a primary sends to
// keep the link alive while it prepares the payload. See [ParsePreamble] for the errors.
func ReadPreamble(br *bufio.Reader) (Preamble, error) {
	for {
		line, err := ReadLine(br)
		if err != nil {
			return Preamble{}, err
		}
		p, ok, err := ParsePreamble(line)
		if ok || err != nil {
			return p, err
		}
	}
}

// Payload streams an RDB payload from a bufio.Reader without holding it in memory, and stops at its end:
// after Size bytes, or before the EOF mark of a diskless transfer. Whatever follows (the replication stream)
// stays in the bufio.Reader. Read returns io.EOF at the end of the payload, and io.ErrUnexpectedEOF when the
// connection ends before it.
//
// In the diskless form the first occurrence of the mark ends the payload, wherever reads split it, and bytes
// after the mark stay unread. Redis, which likewise trusts that 40 random characters do not occur in an RDB
// file, is stricter: its replica looks for the mark only at the end of each read, so a primary must send
// nothing after a diskless payload until the replica's first REPLCONF ACK (Redis 7 primaries wait for it).
type Payload struct {
	br      *bufio.Reader
	pre     Preamble
	left    int64  // sized form: bytes still to read
	n       int64  // bytes returned so far
	done    bool   // diskless: the mark was found
	held    []byte // diskless: bytes consumed from br that may begin the mark
	scratch []byte // diskless: held bytes and the next peek, searched for the mark
	pend    []byte // diskless: bytes of scratch known to be payload, not yet returned
	skip    *[256]uint8
}

// NewPayload returns a Payload that reads the payload announced by p from br, which is positioned just after
// the preamble line.
func NewPayload(br *bufio.Reader, p Preamble) *Payload {
	pl := &Payload{br: br, pre: p, left: p.Size}
	if p.Diskless() {
		pl.skip = new([256]uint8)
		for c := range pl.skip {
			pl.skip[c] = EOFMarkLen
		}
		for i, c := range p.Mark[:EOFMarkLen-1] {
			pl.skip[c] = uint8(EOFMarkLen - 1 - i)
		}
	}
	return pl
}

// indexMark returns the index of the first occurrence of the mark in s, or -1. It skips ahead by the byte
// under the mark's last position (Horspool), so payload bytes that do not occur in the mark (most bytes, as
// the mark is hexadecimal) cost one comparison per 40 bytes; bytes.Index is slower on data full of the
// mark's first character.
func (p *Payload) indexMark(s []byte) int {
	mark := &p.pre.Mark
	last := mark[EOFMarkLen-1]
	for i := 0; i+EOFMarkLen <= len(s); {
		c := s[i+EOFMarkLen-1]
		if c == last && bytes.Equal(s[i:i+EOFMarkLen], mark[:]) {
			return i
		}
		i += int(p.skip[c])
	}
	return -1
}

// Preamble returns the preamble the payload was announced with.
func (p *Payload) Preamble() Preamble { return p.pre }

// N returns the number of payload bytes read so far.
func (p *Payload) N() int64 { return p.n }

// Read reads up to len(b) bytes of the payload into b.
func (p *Payload) Read(b []byte) (int, error) {
	var n int
	var err error
	if p.pre.Diskless() {
		n, err = p.readMarked(b)
	} else {
		n, err = p.readSized(b)
	}
	p.n += int64(n)
	return n, err
}

func (p *Payload) readSized(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n, err := p.br.Read(b)
	p.left -= int64(n)
	if err == io.EOF {
		err = nil
		if n == 0 {
			err = io.ErrUnexpectedEOF
		}
	}
	return n, err
}

func (p *Payload) readMarked(b []byte) (int, error) {
	for len(p.pend) == 0 {
		if p.done {
			return 0, io.EOF
		}
		if _, err := p.br.Peek(1); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		data, _ := p.br.Peek(p.br.Buffered())
		p.scratch = append(append(p.scratch[:0], p.held...), data...)
		if i := p.indexMark(p.scratch); i >= 0 {
			// The mark was not wholly in held (it would have been found before), so it ends in data.
			if _, err := p.br.Discard(i + EOFMarkLen - len(p.held)); err != nil {
				return 0, err
			}
			p.pend, p.held, p.done = p.scratch[:i], p.held[:0], true
			continue
		}
		if _, err := p.br.Discard(len(data)); err != nil {
			return 0, err
		}
		safe := max(len(p.scratch)-(EOFMarkLen-1), 0) // the last 39 bytes may begin the mark
		p.pend = p.scratch[:safe]
		p.held = append(p.held[:0], p.scratch[safe:]...)
	}
	n := copy(b, p.pend)
	p.pend = p.pend[n:]
	return n, nil
}
