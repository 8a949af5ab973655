package resp

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
)

// Protocol errors of generic values (replies). Redis never parses replies,
// so these reasons are this package's own.
var (
	errType       = &ProtocolError{Reason: "invalid type byte"}
	errCRLF       = &ProtocolError{Reason: "expected CRLF"}
	errLine       = &ProtocolError{Reason: "line too long"}
	errLF         = &ProtocolError{Reason: "newline inside a simple string"}
	errInt        = &ProtocolError{Reason: "invalid integer"}
	errDouble     = &ProtocolError{Reason: "invalid double"}
	errBool       = &ProtocolError{Reason: "invalid boolean"}
	errBigNumber  = &ProtocolError{Reason: "invalid big number"}
	errNull       = &ProtocolError{Reason: "invalid null"}
	errVerbatim   = &ProtocolError{Reason: "invalid verbatim string"}
	errAggregate  = &ProtocolError{Reason: "invalid aggregate length"}
	errNoProgress = errors.New("resp: source returned no data")
)

// frame is an aggregate under construction.
type frame struct {
	v    Value
	left int64   // children still expected
	pend []Value // attribute read for the next child
}

// valueParser parses one generic value and can resume after incomplete
// input. Offsets are relative to the value's first byte.
type valueParser struct {
	stack []frame
	pend  []Value // attribute read for the top-level value
	pos   int     // bytes consumed so far
	scan  int     // where the search for the current line's CR resumes
	copy  bool    // copy strings instead of aliasing the input
	lim   Limits
}

func (p *valueParser) reset() {
	p.stack = p.stack[:0]
	p.pend = nil
	p.pos, p.scan = 0, 0
}

// need returns how many bytes the value needs at least when a bulk string's
// header is parsed but its data is incomplete, else 0.
func (p *valueParser) need(buf []byte) int {
	if p.pos >= len(buf) {
		return 0
	}
	switch Type(buf[p.pos]) {
	case TypeBulk, TypeBulkError, TypeVerbatim:
	default:
		return 0
	}
	if p.scan+1 >= len(buf) || buf[p.scan] != '\r' {
		return 0
	}
	n, ok := parseLL(buf[p.pos+1 : p.scan])
	if !ok || n < 0 || n > p.lim.MaxBulkLen {
		return 0
	}
	return p.scan + 2 + int(n) + 2
}

// line finds the CRLF that ends the line starting at p.pos and returns the
// CR's offset, or -1 if the line is incomplete.
func (p *valueParser) line(buf []byte, max int64) (int, error) {
	if p.scan < p.pos+1 {
		p.scan = p.pos + 1
	}
	i := p.scan
	if j := bytes.IndexByte(buf[i:], '\r'); j >= 0 {
		i += j
	} else {
		i = len(buf)
	}
	p.scan = i
	if int64(i-p.pos) > max+1 {
		return -1, errLine
	}
	if i+1 >= len(buf) {
		return -1, nil
	}
	if buf[i+1] != '\n' {
		return -1, errCRLF
	}
	return i, nil
}

func (p *valueParser) str(b []byte) []byte {
	if p.copy {
		return append(make([]byte, 0, len(b)), b...) // never nil
	}
	return b
}

// parse continues parsing the value at the front of buf. It reports whether
// the value is complete; then p.pos is its length.
func (p *valueParser) parse(buf []byte) (Value, bool, error) {
	for {
		if p.pos >= len(buf) {
			return Value{}, false, nil
		}
		typ := Type(buf[p.pos])
		var v Value
		switch typ {
		case TypeSimple, TypeError, TypeBigNumber, TypeInt, TypeNull, TypeDouble, TypeBool:
			max := int64(p.lim.MaxInlineLen)
			if typ == TypeSimple || typ == TypeError || typ == TypeBigNumber {
				max = p.lim.MaxBulkLen
			}
			end, err := p.line(buf, max)
			if end < 0 || err != nil {
				return Value{}, false, err
			}
			text := buf[p.pos+1 : end]
			v, err = scalar(typ, text)
			if err != nil {
				return Value{}, false, err
			}
			if v.Str != nil {
				v.Str = p.str(v.Str)
			}
			p.pos = end + 2
		case TypeBulk, TypeBulkError, TypeVerbatim:
			end, err := p.line(buf, int64(p.lim.MaxInlineLen))
			if end < 0 || err != nil {
				return Value{}, false, err
			}
			n, ok := parseLL(buf[p.pos+1 : end])
			if ok && n == -1 && typ == TypeBulk {
				v = Value{Type: typ, Null: true}
				p.pos = end + 2
				break
			}
			if !ok || n < 0 || n > p.lim.MaxBulkLen {
				return Value{}, false, errBulkLen
			}
			data := end + 2
			if int64(len(buf)-data) < n+2 {
				return Value{}, false, nil // p.scan stays on the CR
			}
			stop := data + int(n)
			if buf[stop] != '\r' || buf[stop+1] != '\n' {
				return Value{}, false, errCRLF
			}
			v = Value{Type: typ, Str: buf[data:stop]}
			if typ == TypeVerbatim {
				if n < 4 || v.Str[3] != ':' {
					return Value{}, false, errVerbatim
				}
				v.Format = string(v.Str[:3])
				v.Str = v.Str[4:]
			}
			v.Str = p.str(v.Str)
			p.pos = stop + 2
		case TypeArray, TypeSet, TypePush, TypeMap, TypeAttribute:
			end, err := p.line(buf, int64(p.lim.MaxInlineLen))
			if end < 0 || err != nil {
				return Value{}, false, err
			}
			n, ok := parseLL(buf[p.pos+1 : end])
			p.pos = end + 2
			if ok && n == -1 && typ == TypeArray {
				v = Value{Type: typ, Null: true}
				break
			}
			if !ok || n < 0 || n > p.lim.MaxMultiBulkLen || n > math.MaxInt32 {
				return Value{}, false, errAggregate
			}
			if typ == TypeMap || typ == TypeAttribute {
				n *= 2
			}
			if n > 0 {
				if len(p.stack) >= p.lim.MaxDepth {
					return Value{}, false, errDepth
				}
				// Never size anything from the announced length.
				f := frame{v: Value{Type: typ, Elems: make([]Value, 0, min(n, 16))}, left: n}
				if typ != TypeAttribute {
					f.v.Attrs = p.takePending()
				}
				p.stack = append(p.stack, f)
				p.scan = p.pos
				continue
			}
			v = Value{Type: typ}
		default:
			return Value{}, false, errType
		}
		p.scan = p.pos
		if typ == TypeAttribute {
			// An empty attribute.
			p.addPending(nil)
			continue
		}
		// v is complete: attach it to its parent, closing finished
		// aggregates.
		v.Attrs = p.takePending()
		for {
			if len(p.stack) == 0 {
				return v, true, nil
			}
			top := &p.stack[len(p.stack)-1]
			top.v.Elems = append(top.v.Elems, v)
			top.left--
			if top.left > 0 {
				break
			}
			v = top.v
			p.stack = p.stack[:len(p.stack)-1]
			if v.Type == TypeAttribute {
				p.addPending(v.Elems)
				break
			}
		}
	}
}

// takePending returns the attribute read for the next value at the current
// level, and clears it.
func (p *valueParser) takePending() []Value {
	var a []Value
	if len(p.stack) == 0 {
		a, p.pend = p.pend, nil
	} else {
		top := &p.stack[len(p.stack)-1]
		a, top.pend = top.pend, nil
	}
	return a
}

// addPending records an attribute for the next value at the current level.
// Consecutive attributes merge.
func (p *valueParser) addPending(kv []Value) {
	dst := &p.pend
	if len(p.stack) > 0 {
		dst = &p.stack[len(p.stack)-1].pend
	}
	if *dst == nil {
		*dst = make([]Value, 0, len(kv))
	}
	*dst = append(*dst, kv...)
}

// scalar parses the line of a simple type.
func scalar(typ Type, text []byte) (Value, error) {
	v := Value{Type: typ}
	switch typ {
	case TypeSimple, TypeError:
		if bytes.IndexByte(text, '\n') >= 0 {
			return v, errLF
		}
		v.Str = text
	case TypeInt:
		n, ok := parseLL(text)
		if !ok {
			return v, errInt
		}
		v.Int = n
	case TypeNull:
		if len(text) != 0 {
			return v, errNull
		}
		v.Null = true
	case TypeBool:
		switch string(text) {
		case "t":
			v.Int = 1
		case "f":
		default:
			return v, errBool
		}
	case TypeBigNumber:
		d := text
		if len(d) > 0 && d[0] == '-' {
			d = d[1:]
		}
		if len(d) == 0 {
			return v, errBigNumber
		}
		for _, c := range d {
			if c < '0' || c > '9' {
				return v, errBigNumber
			}
		}
		v.Str = text
	case TypeDouble:
		f, ok := parseDouble(text)
		if !ok {
			return v, errDouble
		}
		v.Float = f
		v.Str = text
	}
	return v, nil
}

// parseDouble parses the text of a RESP3 double: "inf", "-inf", "nan" (any
// case, as C's strtod) or a decimal number. Out of range values become ±Inf
// or 0, as with strtod.
func parseDouble(text []byte) (float64, bool) {
	if len(text) == 0 || bytes.IndexByte(text, '\n') >= 0 || bytes.IndexByte(text, '_') >= 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return f, true
}

// Parse parses one value of any RESP2 or RESP3 type from the front of b. It
// returns the value, the number of bytes consumed and an error, a
// [*ProtocolError] for malformed input. If b holds an incomplete value, Parse
// returns (Value{}, 0, nil), like [ParseCommand].
//
// The value's Str fields alias b. An attribute becomes the Attrs of the value
// that follows it (two attributes in a row merge). Aggregates may nest at
// most lim.MaxDepth deep; nesting is handled without recursion.
func Parse(b []byte, lim Limits) (Value, int, error) {
	p := valueParser{lim: lim.withDefaults()}
	v, done, err := p.parse(b)
	if err != nil || !done {
		return Value{}, 0, err
	}
	return v, p.pos, nil
}

// Reader reads generic values (replies, replication streams) from a
// stream. It keeps its own buffer, which grows only as bytes arrive, and
// resumes parsing where it stopped, so work is linear in the input however
// it is fragmented.
//
// Limits may be changed between values; zero fields mean the defaults.
// A Reader is not safe for concurrent use.
type Reader struct {
	// Limits bounds what the reader accepts; see [Limits].
	Limits Limits

	src        io.Reader
	buf        []byte // buf[start:end] holds unparsed bytes; len(buf) == cap(buf)
	start, end int
	p          valueParser
	err        error // sticky protocol error
}

// NewReader returns a Reader that reads from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{Limits: DefaultLimits(), src: r, p: valueParser{copy: true}}
}

// Reset makes r read from src, dropping buffered bytes, parse state and any
// error.
func (r *Reader) Reset(src io.Reader) {
	r.src = src
	r.start, r.end = 0, 0
	r.p.reset()
	r.err = nil
	if len(r.buf) > shrinkAbove {
		r.buf = nil
	}
}

// Buffered returns the number of bytes read from the source but not yet
// returned as values.
func (r *Reader) Buffered() int { return r.end - r.start }

// ReadValue reads the next value. The value does not alias the reader's
// buffer: the caller may keep it. An error reply is a value (TypeError), not
// an error; see [Value.AsError].
//
// Errors: a [*ProtocolError] for malformed input, which is sticky; io.EOF
// when the source ends between values; io.ErrUnexpectedEOF when it ends
// inside one; or the source's read error.
func (r *Reader) ReadValue() (Value, error) {
	if r.err != nil {
		return Value{}, r.err
	}
	for {
		if r.start < r.end {
			r.p.lim = r.Limits.withDefaults()
			v, done, err := r.p.parse(r.buf[r.start:r.end])
			if err != nil {
				r.err = err
				return Value{}, err
			}
			if done {
				r.start += r.p.pos
				r.p.reset()
				if r.start == r.end {
					r.start, r.end = 0, 0
				}
				return v, nil
			}
		}
		if err := r.fill(); err != nil {
			if err == io.EOF && r.end > r.start {
				err = io.ErrUnexpectedEOF
			}
			return Value{}, err
		}
	}
}

// fill makes room in the buffer and reads from the source once.
func (r *Reader) fill() error {
	if r.start == r.end {
		r.start, r.end = 0, 0
		if len(r.buf) > shrinkAbove {
			r.buf = nil
		}
	}
	if r.buf == nil {
		r.buf = make([]byte, 4096)
	}
	if r.end == len(r.buf) {
		used := r.end - r.start
		if r.start > 0 && used <= len(r.buf)/2 {
			copy(r.buf, r.buf[r.start:r.end])
		} else {
			size := 2 * len(r.buf)
			if need := r.p.need(r.buf[r.start:r.end]); need > used && need < size {
				size = need
			}
			nb := make([]byte, size)
			copy(nb, r.buf[r.start:r.end])
			r.buf = nb
		}
		r.start, r.end = 0, used
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if n > 0 || err != nil {
			if n > 0 && err == io.EOF {
				err = nil // parse what arrived; EOF comes again
			}
			return err
		}
	}
	return errNoProgress
}
