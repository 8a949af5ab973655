package script

import (
	"encoding/binary"
	"errors"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The cmsgpack library, as Redis bundles lua-cmsgpack: pack, unpack, unpack_one and unpack_limit.

const (
	msgpackMaxNesting = 16   // deeper tables pack as nil, as lua-cmsgpack
	msgpackMaxDepth   = 1000 // unpacking nests no deeper (a Go stack guard; Redis recurses unbounded)
	msgpackMaxResults = 8000 // values one unpack returns at most (Lua's C stack limit)
)

var (
	errMsgpackEOF = errors.New("Missing bytes in input.")
	errMsgpackBad = errors.New("Bad data format in input.")
)

func openCMsgpack(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	L.SetFuncs(t, map[string]lua.LGFunction{
		"pack": func(L *lua.LState) int {
			n := L.GetTop()
			if n == 0 {
				argError(L, 0, "pack", "MessagePack pack needs input.")
			}
			var b []byte
			for i := 1; i <= n; i++ {
				b = PackMsgpack(b, L.Get(i), 0)
			}
			L.Push(lua.LString(b))
			return 1
		},
		"unpack":       func(L *lua.LState) int { return msgpackUnpack(L, 0, 0, false) },
		"unpack_one":   func(L *lua.LState) int { return msgpackUnpack(L, 1, L.OptInt(2, 0), true) },
		"unpack_limit": func(L *lua.LState) int { return msgpackUnpack(L, L.OptInt(2, 0), L.OptInt(3, 0), true) },
	})
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	return t
}

func msgpackUnpack(L *lua.LState, limit, offset int, withOffset bool) int {
	s := []byte(L.CheckString(1))
	if offset < 0 || limit < 0 {
		argError(L, 2, "unpack_limit", "Invalid request to unpack with offset of "+lua.LNumber(offset).String()+" and limit of "+lua.LNumber(limit).String()+".")
	}
	if offset > len(s) {
		L.RaiseError("Start offset %d greater than input length %d.", offset, len(s))
	}
	vals, next, err := UnpackMsgpack(L, s[offset:], limit)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	if withOffset {
		if offset+next >= len(s) {
			L.Push(lua.LNumber(-1))
		} else {
			L.Push(lua.LNumber(offset + next))
		}
	}
	for _, v := range vals {
		L.Push(v)
	}
	if withOffset {
		return len(vals) + 1
	}
	return len(vals)
}

// PackMsgpack appends v as MessagePack, as lua-cmsgpack encodes it.
func PackMsgpack(b []byte, v lua.LValue, level int) []byte {
	switch v := v.(type) {
	case lua.LString:
		n := len(v)
		switch {
		case n < 32:
			b = append(b, 0xa0|byte(n))
		case n <= 0xff:
			b = append(b, 0xd9, byte(n))
		case n <= 0xffff:
			b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
		default:
			b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
		}
		return append(b, v...)
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if i := int64(f); float64(i) == f && !math.IsInf(f, 0) && f >= -9.2e18 && f <= 9.2e18 {
			return packInt(b, i)
		}
		if f32 := float32(f); float64(f32) == f || math.IsNaN(f) {
			return binary.BigEndian.AppendUint32(append(b, 0xca), math.Float32bits(float32(f)))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(f))
	case *lua.LTable:
		if level >= msgpackMaxNesting {
			return append(b, 0xc0)
		}
		if n, ok := msgpackArrayLen(v); ok {
			switch {
			case n <= 15:
				b = append(b, 0x90|byte(n))
			case n <= 0xffff:
				b = binary.BigEndian.AppendUint16(append(b, 0xdc), uint16(n))
			default:
				b = binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
			}
			for i := 1; i <= n; i++ {
				b = PackMsgpack(b, v.RawGetInt(i), level+1)
			}
			return b
		}
		n := 0
		v.ForEach(func(lua.LValue, lua.LValue) { n++ })
		switch {
		case n <= 15:
			b = append(b, 0x80|byte(n))
		case n <= 0xffff:
			b = binary.BigEndian.AppendUint16(append(b, 0xde), uint16(n))
		default:
			b = binary.BigEndian.AppendUint32(append(b, 0xdf), uint32(n))
		}
		v.ForEach(func(k, val lua.LValue) {
			b = PackMsgpack(b, k, level+1)
			b = PackMsgpack(b, val, level+1)
		})
		return b
	}
	return append(b, 0xc0)
}

func packInt(b []byte, i int64) []byte {
	if i >= 0 {
		switch {
		case i <= 127:
			return append(b, byte(i))
		case i <= 0xff:
			return append(b, 0xcc, byte(i))
		case i <= 0xffff:
			return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(i))
		case i <= 0xffffffff:
			return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(i))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(i))
	}
	switch {
	case i >= -32:
		return append(b, byte(i))
	case i >= -128:
		return append(b, 0xd0, byte(i))
	case i >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(i))
	case i >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(i))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(i))
}

// msgpackArrayLen reports whether t is an array for lua-cmsgpack (keys 1..n exactly) and its length.
func msgpackArrayLen(t *lua.LTable) (int, bool) {
	count, max := 0, 0
	ok := true
	t.ForEach(func(k, _ lua.LValue) {
		n, isNum := k.(lua.LNumber)
		if !isNum || float64(n) <= 0 || float64(n) != math.Floor(float64(n)) {
			ok = false
			return
		}
		count++
		if int(n) > max {
			max = int(n)
		}
	})
	return max, ok && count == max
}

// UnpackMsgpack decodes up to limit values (all when limit is 0) from s and returns them with the number of
// bytes they took, with lua-cmsgpack's errors.
func UnpackMsgpack(L *lua.LState, s []byte, limit int) ([]lua.LValue, int, error) {
	d := msgpackDecoder{L: L, s: s}
	var vals []lua.LValue
	for d.i < len(d.s) && (limit == 0 || len(vals) < limit) {
		if len(vals) >= msgpackMaxResults {
			return nil, 0, errors.New("too many results to unpack")
		}
		v, err := d.value(0)
		if err != nil {
			return nil, 0, err
		}
		vals = append(vals, v)
	}
	return vals, d.i, nil
}

type msgpackDecoder struct {
	L *lua.LState
	s []byte
	i int
}

func (d *msgpackDecoder) take(n int) ([]byte, error) {
	if n < 0 || len(d.s)-d.i < n {
		return nil, errMsgpackEOF
	}
	b := d.s[d.i : d.i+n]
	d.i += n
	return b, nil
}

func (d *msgpackDecoder) uint(n int) (uint64, error) {
	b, err := d.take(n)
	if err != nil {
		return 0, err
	}
	var u uint64
	for _, c := range b {
		u = u<<8 | uint64(c)
	}
	return u, nil
}

func (d *msgpackDecoder) value(depth int) (lua.LValue, error) {
	if depth > msgpackMaxDepth {
		return nil, errMsgpackBad
	}
	tb, err := d.take(1)
	if err != nil {
		return nil, err
	}
	t := tb[0]
	switch {
	case t <= 0x7f:
		return lua.LNumber(t), nil
	case t >= 0xe0:
		return lua.LNumber(int8(t)), nil
	case t&0xe0 == 0xa0:
		return d.str(int(t & 0x1f))
	case t&0xf0 == 0x90:
		return d.array(int(t&0x0f), depth)
	case t&0xf0 == 0x80:
		return d.dict(int(t&0x0f), depth)
	}
	switch t {
	case 0xc0:
		return lua.LNil, nil
	case 0xc2:
		return lua.LFalse, nil
	case 0xc3:
		return lua.LTrue, nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		u, err := d.uint(1 << (t - 0xcc))
		return lua.LNumber(u), err
	case 0xd0, 0xd1, 0xd2, 0xd3:
		size := 1 << (t - 0xd0)
		u, err := d.uint(size)
		if err != nil {
			return nil, err
		}
		shift := 64 - 8*size
		return lua.LNumber(int64(u<<shift) >> shift), nil
	case 0xca:
		u, err := d.uint(4)
		return lua.LNumber(math.Float32frombits(uint32(u))), err
	case 0xcb:
		u, err := d.uint(8)
		return lua.LNumber(math.Float64frombits(u)), err
	case 0xd9, 0xc4:
		n, err := d.uint(1)
		if err != nil {
			return nil, err
		}
		return d.str(int(n))
	case 0xda, 0xc5:
		n, err := d.uint(2)
		if err != nil {
			return nil, err
		}
		return d.str(int(n))
	case 0xdb, 0xc6:
		n, err := d.uint(4)
		if err != nil {
			return nil, err
		}
		return d.str(int(n))
	case 0xdc, 0xdd:
		n, err := d.uint(2 << (t - 0xdc))
		if err != nil {
			return nil, err
		}
		return d.array(int(n), depth)
	case 0xde, 0xdf:
		n, err := d.uint(2 << (t - 0xde))
		if err != nil {
			return nil, err
		}
		return d.dict(int(n), depth)
	}
	return nil, errMsgpackBad
}

func (d *msgpackDecoder) str(n int) (lua.LValue, error) {
	b, err := d.take(n)
	if err != nil {
		return nil, err
	}
	return lua.LString(b), nil
}

func (d *msgpackDecoder) array(n, depth int) (lua.LValue, error) {
	if n > len(d.s)-d.i { // every element takes a byte at least
		return nil, errMsgpackEOF
	}
	t := d.L.CreateTable(n, 0)
	for i := 1; i <= n; i++ {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		t.RawSetInt(i, v)
	}
	return t, nil
}

func (d *msgpackDecoder) dict(n, depth int) (lua.LValue, error) {
	if n > (len(d.s)-d.i)/2 {
		return nil, errMsgpackEOF
	}
	t := d.L.CreateTable(0, n)
	for i := 0; i < n; i++ {
		k, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if k == lua.LNil {
			return nil, errors.New("table index is nil")
		}
		if f, ok := k.(lua.LNumber); ok && math.IsNaN(float64(f)) {
			return nil, errors.New("table index is NaN")
		}
		t.RawSet(k, v)
	}
	return t, nil
}
