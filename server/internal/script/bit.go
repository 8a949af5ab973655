package script

import (
	lua "github.com/yuin/gopher-lua"
)

// The bit library (LuaBitOp), 32-bit operations on numbers, as Redis bundles it.

func toBit(L *lua.LState, i int) int32 {
	f := float64(L.CheckNumber(i))
	// LuaBitOp normalises with the 2^52+2^51 trick: the number modulo 2^32, rounded.
	const k = 6755399441055744.0
	return int32(uint32(uint64(int64(f + k))))
}

func openBit(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	fold := func(op func(a, b int32) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			r := toBit(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				r = op(r, toBit(L, i))
			}
			L.Push(lua.LNumber(r))
			return 1
		}
	}
	shift := func(op func(a int32, n uint) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			L.Push(lua.LNumber(op(toBit(L, 1), uint(toBit(L, 2))&31)))
			return 1
		}
	}
	L.SetFuncs(t, map[string]lua.LGFunction{
		"tobit":   func(L *lua.LState) int { L.Push(lua.LNumber(toBit(L, 1))); return 1 },
		"bnot":    func(L *lua.LState) int { L.Push(lua.LNumber(^toBit(L, 1))); return 1 },
		"band":    fold(func(a, b int32) int32 { return a & b }),
		"bor":     fold(func(a, b int32) int32 { return a | b }),
		"bxor":    fold(func(a, b int32) int32 { return a ^ b }),
		"lshift":  shift(func(a int32, n uint) int32 { return int32(uint32(a) << n) }),
		"rshift":  shift(func(a int32, n uint) int32 { return int32(uint32(a) >> n) }),
		"arshift": shift(func(a int32, n uint) int32 { return a >> n }),
		"rol":     shift(func(a int32, n uint) int32 { u := uint32(a); return int32(u<<n | u>>(32-n)) }),
		"ror":     shift(func(a int32, n uint) int32 { u := uint32(a); return int32(u>>n | u<<(32-n)) }),
		"bswap": func(L *lua.LState) int {
			u := uint32(toBit(L, 1))
			L.Push(lua.LNumber(int32(u>>24 | u>>8&0xff00 | u<<8&0xff0000 | u<<24)))
			return 1
		},
		"tohex": func(L *lua.LState) int {
			b := uint32(toBit(L, 1))
			n := int32(8)
			if L.GetTop() >= 2 {
				n = toBit(L, 2)
			}
			digits := "0123456789abcdef"
			if n < 0 {
				n = -n
				digits = "0123456789ABCDEF"
			}
			if n > 8 {
				n = 8
			}
			buf := make([]byte, n)
			for i := int(n) - 1; i >= 0; i-- {
				buf[i] = digits[b&15]
				b >>= 4
			}
			L.Push(lua.LString(buf))
			return 1
		},
	})
	return t
}

// argError raises Lua 5.1's luaL_argerror text: "bad argument #n to 'fn' (msg)".
func argError(L *lua.LState, n int, fn, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fn, msg)
}
