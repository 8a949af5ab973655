package resp

import (
	"bytes"
	"io"
	"math"
)

// cmdState is the resumable state of parsing one command from the front of a
// buffer. Offsets are relative to the command's first byte, so the buffer may
// move between calls as long as the command's bytes keep their order.
type cmdState struct {
	pos  int   // bytes of the command parsed so far
	scan int   // where the search for the end of the current line resumes
	left int64 // multibulk arguments still to read; -1 before the header
	bulk int   // length of the next argument; -1 before its header
}

var freshCmd = cmdState{left: -1, bulk: -1}

// need returns how many bytes the command needs at least, when known.
func (st *cmdState) need() int {
	if st.bulk >= 0 {
		return st.pos + st.bulk + 2
	}
	return 0
}

// ParseCommand parses one client command from the front of buf: a multibulk
// request ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") or an inline one ("GET k\r\n").
// It returns the arguments appended to args[:0], the number of bytes consumed
// and an error, which is a [*ProtocolError] for a malformed request.
//
// The arguments alias buf, except inline arguments whose quotes or escapes
// make them differ from the bytes in buf; those are allocated. If buf holds
// an incomplete command, ParseCommand returns (args[:0], 0, nil). An empty
// command (a blank inline line, or a multibulk count <= 0) is consumed and
// yields no arguments: the caller skips it, as Redis does.
//
// Matches Redis 7 (processMultibulkBuffer, processInlineBuffer): the same
// requests are accepted and rejected with the same reasons. Like Redis, it
// does not check the two bytes that end a bulk argument, takes the byte after
// a header's CR as its LF, and a NUL byte before a line's end hides that end
// (C string search), so such a request stays incomplete until it is too big.
//
// A multibulk command with args of sufficient capacity parses without
// allocating.
func ParseCommand(buf []byte, args [][]byte, lim Limits) ([][]byte, int, error) {
	lim = lim.withDefaults()
	st := freshCmd
	out, done, err := parseCmd(buf, &st, args[:0], lim, false)
	if err != nil {
		return args[:0], 0, err
	}
	if !done {
		return args[:0], 0, nil
	}
	return out, st.pos, nil
}

// parseCmd continues parsing the command at the front of buf from st,
// appending arguments to args. It reports whether the command is complete;
// then st.pos is its length. With inPlace, inline escapes are decoded inside
// buf.
func parseCmd(buf []byte, st *cmdState, args [][]byte, lim Limits, inPlace bool) ([][]byte, bool, error) {
	if len(buf) == 0 {
		return args, false, nil
	}
	if buf[0] != '*' {
		return parseInline(buf, st, args, lim, inPlace)
	}
	if st.left < 0 {
		end, err := st.line(buf, lim, errBigMbulkCount)
		if end < 0 || err != nil {
			return args, false, err
		}
		n, ok := parseLL(buf[st.pos+1 : end])
		if !ok || n > math.MaxInt32 || n > lim.MaxMultiBulkLen {
			return args, false, errMultibulkLen
		}
		if n > UnauthMaxMultiBulkLen && lim.Unauthenticated {
			return args, false, errUnauthMbulk
		}
		st.pos = end + 2
		st.scan = st.pos
		if n <= 0 {
			return args, true, nil
		}
		st.left = n
	}
	for st.left > 0 {
		if st.bulk < 0 {
			end, err := st.line(buf, lim, errBigBulkCount)
			if end < 0 || err != nil {
				return args, false, err
			}
			if buf[st.pos] != '$' {
				return args, false, errExpectedDollar(buf[st.pos])
			}
			n, ok := parseLL(buf[st.pos+1 : end])
			if !ok || n < 0 || n > lim.MaxBulkLen || n > math.MaxInt-4 {
				return args, false, errBulkLen
			}
			if n > UnauthMaxBulkLen && lim.Unauthenticated {
				return args, false, errUnauthBulk
			}
			st.bulk = int(n)
			st.pos = end + 2
		}
		if len(buf)-st.pos < st.bulk+2 {
			st.scan = st.pos
			return args, false, nil
		}
		args = append(args, buf[st.pos:st.pos+st.bulk])
		st.pos += st.bulk + 2
		st.scan = st.pos
		st.bulk = -1
		st.left--
	}
	return args, true, nil
}

// line finds the CR that ends the header line starting at st.pos, the way
// Redis does: strchr(p, '\r'), which a NUL byte stops, followed by at least
// one more byte. It returns the CR's offset, or -1 if the line is incomplete,
// with tooBig once more than MaxInlineLen bytes wait without a CR.
func (st *cmdState) line(buf []byte, lim Limits, tooBig error) (int, error) {
	i := st.scan
	for i < len(buf) && buf[i] != '\r' && buf[i] != 0 {
		i++
	}
	st.scan = i
	if i == len(buf) || buf[i] == 0 {
		if len(buf)-st.pos > lim.MaxInlineLen {
			return -1, tooBig
		}
		return -1, nil
	}
	if i+1 >= len(buf) {
		return -1, nil
	}
	return i, nil
}

// parseLL parses a decimal int64 the way Redis's string2ll does: an optional
// '-', then digits without leading zeros ("0" alone is fine, "-0" is not), no
// '+', no spaces, no overflow.
func parseLL(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// parseInline parses an inline command: one line split into arguments like
// Redis's sdssplitargs.
func parseInline(buf []byte, st *cmdState, args [][]byte, lim Limits, inPlace bool) ([][]byte, bool, error) {
	i := st.scan
	if i == len(buf) || buf[i] != 0 {
		if j := bytes.IndexByte(buf[i:], '\n'); j >= 0 {
			i += j
		} else {
			i = len(buf)
		}
		// A NUL before the newline hides it from Redis's strchr.
		if k := bytes.IndexByte(buf[st.scan:i], 0); k >= 0 {
			i = st.scan + k
		}
	}
	if i == len(buf) || buf[i] == 0 {
		st.scan = i
		if len(buf) > lim.MaxInlineLen {
			return args, false, errBigInline
		}
		return args, false, nil
	}
	end := i
	if end > 0 && buf[end-1] == '\r' {
		end--
	}
	args, ok := splitArgs(buf[:end], args, inPlace)
	if !ok {
		return args, false, errUnbalanced
	}
	st.pos = i + 1
	return args, true, nil
}

// isSpace reports whether c is a C isspace character.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// token collects one inline argument. While its bytes equal a contiguous run
// of line it aliases line; after that it is copied (or, inPlace, decoded into
// line itself, which is safe because the decoded text never runs ahead of
// the input).
type token struct {
	line    []byte
	inPlace bool
	start   int // offset of the first byte in line; -1 before any
	w       int // end of the aliased bytes in line
	own     []byte
	copied  bool
}

func (t *token) add(c byte, at int) {
	if t.copied {
		t.own = append(t.own, c)
		return
	}
	if t.start < 0 {
		t.start, t.w = at, at
	}
	if t.inPlace {
		t.line[t.w] = c
		t.w++
		return
	}
	if t.line[t.w] == c {
		t.w++
		return
	}
	t.own = make([]byte, 0, t.w-t.start+16)
	t.own = append(t.own, t.line[t.start:t.w]...)
	t.own = append(t.own, c)
	t.copied = true
}

func (t *token) bytes(at int) []byte {
	switch {
	case t.copied:
		return t.own
	case t.start < 0:
		return t.line[at:at]
	}
	return t.line[t.start:t.w]
}

// splitArgs splits an inline line into arguments. It reports false for
// unbalanced quotes.
//
// Matches Redis's sdssplitargs: blanks (isspace) separate arguments; in
// "double quotes" \n \r \t \b \a, \xHH and \<any> escapes work; in 'single
// quotes' only \' does; a closing quote must be followed by a blank or the
// end of the line; a quote inside an unquoted argument opens a quoted part.
func splitArgs(line []byte, args [][]byte, inPlace bool) ([][]byte, bool) {
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return args, true
		}
		t := token{line: line, inPlace: inPlace, start: -1}
		inq, insq := false, false
	scan:
		for i < len(line) {
			c := line[i]
			switch {
			case inq:
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x':
					hi, ok1 := hexVal(line[i+2])
					lo, ok2 := hexVal(line[i+3])
					if ok1 && ok2 {
						t.add(hi<<4|lo, i)
						i += 4
						continue
					}
					t.add('x', i)
					i += 2
				case c == '\\' && i+1 < len(line):
					e := line[i+1]
					switch e {
					case 'n':
						e = '\n'
					case 'r':
						e = '\r'
					case 't':
						e = '\t'
					case 'b':
						e = '\b'
					case 'a':
						e = '\a'
					}
					t.add(e, i)
					i += 2
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return args, false
					}
					i++
					inq = false
					break scan
				default:
					t.add(c, i)
					i++
				}
			case insq:
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					t.add('\'', i)
					i += 2
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return args, false
					}
					i++
					insq = false
					break scan
				default:
					t.add(c, i)
					i++
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t':
					break scan
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					t.add(c, i)
				}
				i++
			}
		}
		if inq || insq {
			return args, false
		}
		args = append(args, t.bytes(i))
	}
}

// initialBufSize is the CommandReader's first buffer, the size Redis reads
// at once (PROTO_IOBUF_LEN).
const initialBufSize = 16 << 10

// shrinkAbove is the buffer size above which an idle CommandReader drops its
// buffer, so that one big request does not pin memory for the connection's
// life.
const shrinkAbove = 1 << 20

// CommandReader reads client commands from a stream, such as a net.Conn,
// into an internal buffer that grows only as bytes arrive (doubling), never
// from a length that the peer announces. Parsing resumes where it stopped,
// so work is linear in the input however it is fragmented.
//
// Limits may be changed between calls; zero fields mean the defaults.
// A CommandReader is not safe for concurrent use.
type CommandReader struct {
	// Limits bounds what the reader accepts; see [Limits].
	Limits Limits

	src        io.Reader
	buf        []byte // buf[start:end] holds unparsed bytes; len(buf) == cap(buf)
	start, end int
	st         cmdState
	args       [][]byte // arguments of the command being parsed
	spare      [][]byte // the arguments returned last
	ready      bool     // args holds a complete command not yet returned
	readyLen   int      // its length in bytes
	readyAt    int      // where it starts in buf
	last       []byte   // the bytes of the command returned last
	err        error    // sticky
	readErr    error    // from src, reported once the buffer is drained
}

// NewCommandReader returns a CommandReader that reads from r.
func NewCommandReader(r io.Reader) *CommandReader {
	return &CommandReader{Limits: DefaultLimits(), src: r, st: freshCmd}
}

// Reset makes r read from src, dropping buffered bytes, parse state and any
// error. It keeps the buffer's memory unless it is large.
func (r *CommandReader) Reset(src io.Reader) {
	r.src = src
	r.start, r.end = 0, 0
	r.st = freshCmd
	r.args = r.args[:0]
	r.ready, r.readyLen, r.last = false, 0, nil
	r.err, r.readErr = nil, nil
	if len(r.buf) > shrinkAbove {
		r.buf = nil
	}
}

// Buffered returns the number of bytes read from the source but not yet
// returned as commands. A server flushes its replies when it is 0, that is,
// once per pipeline batch. (See also [CommandReader.Ready].)
func (r *CommandReader) Buffered() int { return r.end - r.start + r.readyLen }

// BufferSize returns the size of the reader's buffer in bytes (what CLIENT LIST reports as rbs).
func (r *CommandReader) BufferSize() int { return len(r.buf) }

// Ready reports whether [CommandReader.ReadCommand] would return without
// reading from the source: a whole command (or a protocol error) is
// buffered. A server that flushes its replies whenever Ready is false never
// waits for input while holding replies, even if a client sends part of its
// next command early. Ready does not invalidate the arguments that
// ReadCommand returned last.
func (r *CommandReader) Ready() bool {
	if r.ready || r.err != nil {
		return true
	}
	return r.next()
}

// ReadCommand returns the next command's arguments, skipping empty commands,
// so it always has at least one. The arguments alias the reader's buffer and
// are valid only until the next call of ReadCommand or Reset. It reads from
// the source only when the buffer holds no complete command.
//
// Errors: a [*ProtocolError] for a malformed request, which is sticky (the
// caller replies and closes the connection); [ErrQueryLimit], also sticky
// (the caller closes the connection); io.EOF when the source ends between
// commands; io.ErrUnexpectedEOF when it ends inside one; or the source's read
// error.
func (r *CommandReader) ReadCommand() ([][]byte, error) {
	for {
		if r.ready {
			r.last = nil
			if r.buf[r.readyAt] == '*' {
				r.last = r.buf[r.readyAt : r.readyAt+r.readyLen : r.readyAt+r.readyLen]
			}
			r.ready, r.readyLen = false, 0
			out := r.args
			r.args, r.spare = r.spare[:0], out
			return out, nil
		}
		if r.err != nil {
			return nil, r.err
		}
		if r.next() {
			continue
		}
		if r.readErr != nil {
			// Read errors are not sticky: after a timeout the caller may
			// try again.
			err := r.readErr
			r.readErr = nil
			if err == io.EOF && r.end > r.start {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		r.fill()
	}
}

// Last returns the bytes of the command [CommandReader.ReadCommand] returned last, exactly as they arrived,
// when it was in multibulk form; nil after an inline command, whose bytes the parser may rewrite in place while
// unquoting. Like the arguments, they alias the reader's buffer and are valid only until the next call of
// ReadCommand or Reset. A replica uses it to pass its primary's stream on to its own replicas byte for byte.
func (r *CommandReader) Last() []byte { return r.last }

// next parses buffered bytes. It reports true when a command is ready or an
// error was found.
func (r *CommandReader) next() bool {
	lim := r.Limits.withDefaults()
	for r.start < r.end {
		args, done, err := parseCmd(r.buf[r.start:r.end], &r.st, r.args, lim, true)
		r.args = args
		if err != nil {
			r.err = err
			return true
		}
		if !done {
			return false
		}
		n := r.st.pos
		at := r.start
		r.start += n
		r.st = freshCmd
		if r.start == r.end {
			// The buffer is empty: refill from the front. The bytes the
			// arguments alias stay put until the next read.
			r.start, r.end = 0, 0
		}
		if len(args) > 0 {
			r.ready, r.readyLen, r.readyAt = true, n, at
			return true
		}
		r.args = args[:0]
	}
	return false
}

// fill makes room in the buffer and reads from the source once.
func (r *CommandReader) fill() {
	if r.start == r.end && r.st == freshCmd {
		r.start, r.end = 0, 0
		if len(r.buf) > shrinkAbove {
			r.buf = nil
		}
	}
	if r.buf == nil {
		r.buf = make([]byte, initialBufSize)
	}
	if r.end == len(r.buf) {
		used := r.end - r.start
		if r.start > 0 && used <= len(r.buf)/2 {
			r.move(r.buf, used)
		} else {
			size := 2 * len(r.buf)
			if need := r.st.need(); need > used && need < size {
				size = need
			}
			r.move(make([]byte, size), used)
		}
	}
	for tries := 0; ; tries++ {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if int64(r.end-r.start) > r.Limits.withDefaults().MaxQueryLen {
			// Matches Redis: checked after each read, on all that waits to be parsed.
			r.err = ErrQueryLimit
			return
		}
		if err != nil {
			r.readErr = err
			return
		}
		if n > 0 {
			return
		}
		if tries == 100 {
			r.readErr = io.ErrNoProgress
			return
		}
	}
}

// move copies the unparsed bytes to the front of dst, which becomes the
// buffer, and repoints the arguments parsed so far.
func (r *CommandReader) move(dst []byte, used int) {
	old := r.buf
	for i, a := range r.args {
		off := cap(old) - cap(a) - r.start
		r.args[i] = dst[off : off+len(a) : len(dst)]
	}
	copy(dst, old[r.start:r.end])
	r.buf = dst[:len(dst)]
	r.start, r.end = 0, used
}

// PeekArgs appends to dst argument i of each of the next n commands that are
// already buffered whole (first a command parsed but not yet returned, see
// [CommandReader.Ready], then the multibulk commands after it), or nil for a
// command with no argument i. It stops early at a command that is not
// complete, not in multibulk form or not within the reader's limits, so it
// may peek fewer; what it peeks is what ReadCommand will return. It consumes
// and reads nothing. The slices alias the buffer and are valid until the next
// ReadCommand or Reset.
//
// A server uses it to prepare for a pipeline, for example by loading the
// pipeline's keys into the CPU's cache together before running its commands
// one by one.
func (r *CommandReader) PeekArgs(dst [][]byte, i, n int) [][]byte {
	if n <= 0 || r.err != nil {
		return dst
	}
	if r.ready {
		if i < len(r.args) {
			dst = append(dst, r.args[i])
		} else {
			dst = append(dst, nil)
		}
		n--
	} else if r.st != freshCmd {
		return dst // in the middle of a command
	}
	lim := r.Limits.withDefaults()
	b := r.buf[r.start:r.end]
	for ; n > 0; n-- {
		arg, used, ok := peekArg(b, i, lim)
		if !ok {
			break
		}
		dst = append(dst, arg)
		b = b[used:]
	}
	return dst
}

// peekArg returns argument i (nil if there are fewer) of the whole multibulk
// command at the start of b and its length, or false if b does not start with
// one that the parser would accept.
func peekArg(b []byte, i int, lim Limits) (arg []byte, used int, ok bool) {
	count, p, ok := peekHeader(b, 0, '*', lim)
	if !ok || count <= 0 || count > lim.MaxMultiBulkLen || lim.Unauthenticated && count > UnauthMaxMultiBulkLen {
		return nil, 0, false
	}
	for j := int64(0); j < count; j++ {
		size, q, ok := peekHeader(b, p, '$', lim)
		if !ok || size < 0 || size > lim.MaxBulkLen || lim.Unauthenticated && size > UnauthMaxBulkLen ||
			int64(len(b)-q) < size+2 {
			return nil, 0, false
		}
		end := q + int(size)
		if b[end] != '\r' || b[end+1] != '\n' {
			return nil, 0, false
		}
		if j == int64(i) {
			arg = b[q:end:end]
		}
		p = end + 2
	}
	return arg, p, true
}

// peekHeader parses the line "<kind><integer>\r\n" at b[p:], returning the
// integer and where the line ends.
func peekHeader(b []byte, p int, kind byte, lim Limits) (int64, int, bool) {
	if p >= len(b) || b[p] != kind {
		return 0, 0, false
	}
	nl := bytes.IndexByte(b[p:], '\n')
	if nl < 2 || nl > lim.MaxInlineLen || b[p+nl-1] != '\r' {
		return 0, 0, false
	}
	v, ok := parseLL(b[p+1 : p+nl-1])
	return v, p + nl + 1, ok
}
