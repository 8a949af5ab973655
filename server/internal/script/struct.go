package script

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The struct library (Roberto Ierusalimschy's struct.c), as Redis bundles it: struct.pack, struct.unpack and
// struct.size over a format of options: < > = ! for endianness and alignment, x padding, b B h H l L T i[n]
// I[n] integers, f d floats, s zero-terminated and c[n] fixed strings.

const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

type structFormat struct {
	fn     string // the library function, for argument errors
	fmt    string
	i      int
	little bool
	align  int
}

func newStructFormat(fn, f string) *structFormat {
	return &structFormat{fn: fn, fmt: f, little: true, align: 1}
}

// num reads an optional decimal size, def when there is none.
func (f *structFormat) num(def int) (int, error) {
	if f.i >= len(f.fmt) || f.fmt[f.i] < '0' || f.fmt[f.i] > '9' {
		return def, nil
	}
	a := 0
	for f.i < len(f.fmt) && f.fmt[f.i] >= '0' && f.fmt[f.i] <= '9' {
		d := int(f.fmt[f.i] - '0')
		if a > (math.MaxInt32/10) || a*10 > math.MaxInt32-d {
			return 0, errors.New("integral size overflow")
		}
		a = a*10 + d
		f.i++
	}
	return a, nil
}

// next reads one option and its size; ok is false at the end of the format.
func (f *structFormat) next() (opt byte, size int, ok bool, err error) {
	if f.i >= len(f.fmt) {
		return 0, 0, false, nil
	}
	opt = f.fmt[f.i]
	f.i++
	switch opt {
	case 'x', 'b', 'B':
		size = 1
	case 'h', 'H':
		size = 2
	case 'l', 'L', 'T', 'd':
		size = 8
	case 'f':
		size = 4
	case 'c':
		size, err = f.num(1)
	case 'i', 'I':
		size, err = f.num(4)
		if err == nil && size > structMaxIntSize {
			err = fmt.Errorf("integral size %d is larger than limit of %d", size, structMaxIntSize)
		}
	case 's', ' ':
	case '>':
		f.little = false
	case '<', '=':
		f.little = true
	case '!':
		f.align, err = f.num(structMaxAlign)
	default:
		err = fmt.Errorf("bad argument #1 to '%s' (invalid format option '%c')", f.fn, opt)
	}
	return opt, size, true, err
}

// step reads the next option at offset at: the option, its size and the padding before it; ok is false at the
// end of the format.
func (f *structFormat) step(at int) (opt byte, size, pad int, ok bool, err error) {
	opt, size, ok, err = f.next()
	if err != nil || !ok {
		return opt, size, 0, ok, err
	}
	pad, err = f.pad(at, opt, size)
	return opt, size, pad, ok, err
}

// pad returns the padding before an option of size at offset n.
func (f *structFormat) pad(n int, opt byte, size int) (int, error) {
	a := size
	if a <= 1 || opt == 'c' || opt == 's' {
		return 0, nil
	}
	if a > f.align {
		a = f.align
	}
	if a&(a-1) != 0 {
		return 0, fmt.Errorf("alignment %d is not a power of 2", a)
	}
	return (a - (n & (a - 1))) & (a - 1), nil
}

func openStruct(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	L.SetFuncs(t, map[string]lua.LGFunction{
		"pack": structPack,
		"unpack": func(L *lua.LState) int {
			vals, err := StructUnpack(L.CheckString(1), []byte(L.CheckString(2)), L.OptInt(3, 1))
			if err != nil {
				L.RaiseError("%s", err.Error())
			}
			for _, v := range vals {
				L.Push(v)
			}
			return len(vals)
		},
		"size": func(L *lua.LState) int {
			f := newStructFormat("size", L.CheckString(1))
			total := 0
			for {
				opt, size, p, ok, err := f.step(total)
				if err != nil {
					L.RaiseError("%s", err.Error())
				}
				if !ok {
					break
				}
				if opt == 's' || opt == 'c' && size == 0 {
					argError(L, 1, "size", "options 'c0' - 's' have undefined sizes")
				}
				total += p + size
			}
			L.Push(lua.LNumber(total))
			return 1
		},
	})
	return t
}

func structPack(L *lua.LState) int {
	f := newStructFormat("pack", L.CheckString(1))
	arg := 2
	var b []byte
	for {
		opt, size, p, ok, err := f.step(len(b))
		if err != nil {
			L.RaiseError("%s", err.Error())
		}
		if !ok {
			break
		}
		for ; p > 0; p-- {
			b = append(b, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := float64(L.CheckNumber(arg))
			arg++
			var v uint64
			if n < 0 {
				v = uint64(int64(n))
			} else {
				v = uint64(n)
			}
			b = putStructInt(b, v, size, f.little)
		case 'x':
			b = append(b, 0)
		case 'f':
			b = putStructInt(b, uint64(math.Float32bits(float32(L.CheckNumber(arg)))), 4, f.little)
			arg++
		case 'd':
			b = putStructInt(b, math.Float64bits(float64(L.CheckNumber(arg))), 8, f.little)
			arg++
		case 'c', 's':
			s := L.CheckString(arg)
			if size == 0 {
				size = len(s)
			}
			if opt == 'c' {
				if len(s) < size {
					argError(L, arg, "pack", "string too short")
				}
				b = append(b, s[:size]...)
			} else {
				b = append(append(b, s...), 0)
			}
			arg++
		}
	}
	L.Push(lua.LString(b))
	return 1
}

func putStructInt(b []byte, v uint64, size int, little bool) []byte {
	start := len(b)
	for i := 0; i < size; i++ {
		b = append(b, 0)
	}
	for i := 0; i < size && i < 8; i++ {
		if little {
			b[start+i] = byte(v)
		} else {
			b[start+size-1-i] = byte(v)
		}
		v >>= 8
	}
	return b
}

// StructUnpack decodes data from position init (1-based) by format, returning the values and then the position
// after them, with struct.c's errors.
func StructUnpack(format string, data []byte, init int) ([]lua.LValue, error) {
	f := newStructFormat("unpack", format)
	if init < 1 || init-1 > len(data) {
		return nil, errors.New("bad argument #3 to 'unpack' (offset must be 1 or greater)")
	}
	pos := init - 1
	var vals []lua.LValue
	tooShort := errors.New("bad argument #2 to 'unpack' (data string too short)")
	for {
		opt, size, p, ok, err := f.step(pos)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		pos += p
		if pos > len(data) || size > len(data)-pos {
			return nil, tooShort
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			var v uint64
			for i := 0; i < size; i++ {
				var c byte
				if f.little {
					c = data[pos+size-1-i]
				} else {
					c = data[pos+i]
				}
				v = v<<8 | uint64(c)
			}
			signed := opt == 'b' || opt == 'h' || opt == 'l' || opt == 'i'
			if signed && size < 8 && size > 0 {
				mask := ^uint64(0) << (size*8 - 1)
				if v&mask != 0 {
					v |= mask
				}
			}
			if signed {
				vals = append(vals, lua.LNumber(int64(v)))
			} else {
				vals = append(vals, lua.LNumber(v))
			}
		case 'f':
			v := getStructUint(data[pos:pos+4], f.little)
			vals = append(vals, lua.LNumber(math.Float32frombits(uint32(v))))
		case 'd':
			v := getStructUint(data[pos:pos+8], f.little)
			vals = append(vals, lua.LNumber(math.Float64frombits(v)))
		case 'c':
			if size == 0 {
				if len(vals) == 0 {
					return nil, errors.New("format 'c0' needs a previous size")
				}
				n, isNum := vals[len(vals)-1].(lua.LNumber)
				if !isNum {
					return nil, errors.New("format 'c0' needs a previous size")
				}
				vals = vals[:len(vals)-1]
				if float64(n) < 0 || float64(n) > float64(len(data)-pos) {
					return nil, tooShort
				}
				size = int(n)
			}
			vals = append(vals, lua.LString(data[pos:pos+size]))
		case 's':
			e := bytes.IndexByte(data[pos:], 0)
			if e < 0 {
				return nil, errors.New("unfinished string in data")
			}
			vals = append(vals, lua.LString(data[pos:pos+e]))
			size = e + 1
		}
		pos += size
		if len(vals) > msgpackMaxResults {
			return nil, errors.New("too many results")
		}
	}
	return append(vals, lua.LNumber(pos+1)), nil
}

func getStructUint(b []byte, little bool) uint64 {
	var v uint64
	for i := range b {
		c := b[i]
		if little {
			c = b[len(b)-1-i]
		}
		v = v<<8 | uint64(c)
	}
	return v
}
