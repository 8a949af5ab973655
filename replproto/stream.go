package replproto

import (
	"io"

	"github.com/carminedb/carmine/resp"
)

// Stream reads the replication stream, the commands a primary sends after the handshake (and the payload),
// and keeps the replica's offset: the offset of the last byte of the last command returned. A replica
// reports it in REPLCONF ACK and asks for the byte after it in its next PSYNC.
//
// Matches Redis, where every byte of the stream counts, PINGs and REPLCONF GETACK included, and a replica
// answers GETACK with the offset before the GETACK command ([Stream.CommandOffset] while handling it).
type Stream struct {
	cr       *resp.CommandReader
	src      countingReader
	base     int64 // offset of the byte before the first one read from src
	off      int64
	cmdStart int64
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// NewStream returns a Stream that reads commands from r, whose first byte has offset offset+1: offset is the
// +FULLRESYNC offset after a full resynchronisation, or the replica's offset when the primary answered
// +CONTINUE. r is usually [Conn.Reader].
func NewStream(r io.Reader, offset int64) *Stream {
	s := &Stream{src: countingReader{r: r}, base: offset, off: offset, cmdStart: offset}
	s.cr = resp.NewCommandReader(&s.src)
	return s
}

// ReadCommand returns the next command of the stream; see [resp.CommandReader.ReadCommand] for the errors
// and how long the arguments stay valid.
func (s *Stream) ReadCommand() ([][]byte, error) {
	args, err := s.cr.ReadCommand()
	if err == nil {
		s.cmdStart = s.off
		s.off = s.base + s.src.n - int64(s.cr.Buffered())
	}
	return args, err
}

// Offset returns the offset of the last byte of the last command returned (the replica's
// master_repl_offset once it has applied that command).
func (s *Stream) Offset() int64 { return s.off }

// CommandOffset returns the offset just before the last command returned, what a replica reports when that
// command is REPLCONF GETACK.
func (s *Stream) CommandOffset() int64 { return s.cmdStart }

// Commands returns the Stream's command reader, for its limits and buffer size.
func (s *Stream) Commands() *resp.CommandReader { return s.cr }
