package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// value is one parsed RESP2/RESP3 reply. Kind is the type byte of the reply
// ('+', '-', ':', '$', '*', '%', '~', '_', ...); a map keeps its pairs in
// order as key, value, key, value in Elems.
type value struct {
	Kind  byte
	Str   string
	Int   int64
	Elems []value
	Null  bool
}

// reader reads replies and remembers the raw bytes of the last one.
type reader struct {
	br  *bufio.Reader
	raw bytes.Buffer
}

func newReader(r io.Reader) *reader { return &reader{br: bufio.NewReaderSize(r, 64<<10)} }

// read reads one whole reply; r.raw then holds its bytes exactly as received.
func (r *reader) read() (value, error) {
	r.raw.Reset()
	return r.value(0)
}

func (r *reader) line() (string, error) {
	s, err := r.br.ReadString('\n')
	if err != nil {
		return "", err
	}
	r.raw.WriteString(s)
	if len(s) < 2 || s[len(s)-2] != '\r' {
		return "", fmt.Errorf("resp: line without CRLF: %q", s)
	}
	return s[:len(s)-2], nil
}

func (r *reader) value(depth int) (value, error) {
	if depth > 64 {
		return value{}, fmt.Errorf("resp: nesting too deep")
	}
	l, err := r.line()
	if err != nil {
		return value{}, err
	}
	if l == "" {
		return value{}, fmt.Errorf("resp: empty line")
	}
	v := value{Kind: l[0]}
	body := l[1:]
	switch v.Kind {
	case '+', '-', ',', '(', '#':
		v.Str = body
	case ':':
		v.Int, err = strconv.ParseInt(body, 10, 64)
	case '_':
		v.Null = true
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, fmt.Errorf("resp: bad length %q: %w", body, err)
		}
		if n < 0 {
			v.Null = true
			return v, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r.br, buf); err != nil {
			return v, err
		}
		r.raw.Write(buf)
		v.Str = string(buf[:n])
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, fmt.Errorf("resp: bad length %q: %w", body, err)
		}
		if n < 0 {
			v.Null = true
			return v, nil
		}
		if v.Kind == '%' || v.Kind == '|' {
			n *= 2
		}
		v.Elems = make([]value, n)
		for i := range v.Elems {
			if v.Elems[i], err = r.value(depth + 1); err != nil {
				return v, err
			}
		}
		if v.Kind == '|' { // an attribute precedes the real reply: skip it
			return r.value(depth + 1)
		}
	default:
		return v, fmt.Errorf("resp: unknown type byte %q", v.Kind)
	}
	return v, err
}

// appendValue serialises v back to RESP, byte for byte as it was read.
func appendValue(dst []byte, v value) []byte {
	dst = append(dst, v.Kind)
	switch v.Kind {
	case '+', '-', ',', '(', '#':
		dst = append(dst, v.Str...)
	case ':':
		dst = strconv.AppendInt(dst, v.Int, 10)
	case '_':
	case '$', '=', '!':
		if v.Null {
			return append(dst, "-1\r\n"...)
		}
		dst = strconv.AppendInt(dst, int64(len(v.Str)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, v.Str...)
	default:
		if v.Null {
			return append(dst, "-1\r\n"...)
		}
		n := len(v.Elems)
		if v.Kind == '%' {
			n /= 2
		}
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, '\r', '\n')
		for _, e := range v.Elems {
			dst = appendValue(dst, e)
		}
		return dst
	}
	return append(dst, '\r', '\n')
}

func (v value) isAggregate() bool {
	switch v.Kind {
	case '*', '~', '%', '>':
		return !v.Null
	}
	return false
}

// pairs returns the key/value pairs of a map reply. In RESP2 a map is a flat
// array of even length, which is accepted too.
func (v value) pairs() ([][2]value, error) {
	if !v.isAggregate() || len(v.Elems)%2 != 0 {
		return nil, fmt.Errorf("expected a map, got %q with %d elements", v.Kind, len(v.Elems))
	}
	out := make([][2]value, 0, len(v.Elems)/2)
	for i := 0; i < len(v.Elems); i += 2 {
		out = append(out, [2]value{v.Elems[i], v.Elems[i+1]})
	}
	return out, nil
}

// sortSubcommands reorders, in a COMMAND INFO or COMMAND DOCS reply, the
// subcommands of every command by name. Redis lists them in the order of a
// dict with a per-process random hash seed, so only a sorted order can be
// compared across runs.
func sortSubcommands(v *value, docs bool) {
	if docs { // map: name -> docs map, which may hold "subcommands"
		sortPairs(v)
		for i := 1; i < len(v.Elems); i += 2 {
			d := &v.Elems[i]
			for j := 0; j+1 < len(d.Elems); j += 2 {
				if d.Elems[j].Str == "subcommands" {
					sortSubcommands(&d.Elems[j+1], true)
				}
			}
		}
		return
	}
	// array of info arrays; element 9 lists the subcommands' info arrays.
	for i := range v.Elems {
		e := &v.Elems[i]
		if len(e.Elems) >= 10 {
			subs := &e.Elems[9]
			sort.SliceStable(subs.Elems, func(a, b int) bool { return infoName(subs.Elems[a]) < infoName(subs.Elems[b]) })
			sortSubcommands(subs, false)
		}
	}
}

func infoName(v value) string {
	if len(v.Elems) == 0 {
		return ""
	}
	return v.Elems[0].Str
}

// sortPairs sorts the pairs of a map reply (or flat RESP2 array) by key.
func sortPairs(v *value) {
	ps, err := v.pairs()
	if err != nil {
		return
	}
	sort.SliceStable(ps, func(a, b int) bool { return ps[a][0].Str < ps[b][0].Str })
	for i, p := range ps {
		v.Elems[2*i], v.Elems[2*i+1] = p[0], p[1]
	}
}
