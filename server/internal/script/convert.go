package script

import (
	"math"
	"strconv"
	"strings"

	"github.com/carminedb/carmine/resp"
	lua "github.com/yuin/gopher-lua"
)

// ReplyToLua converts a command's reply to the Lua value redis.call returns, as Redis documents it. RESP2: an
// integer is a number, a bulk string a string, an array a table, a null false, a status {ok=...} and an error
// {err=...}. RESP3 (redis.setresp(3)) adds: null is nil, a map {map={...}}, a set {set={member=true}}, a double
// {double=n}, a boolean a boolean, a big number {big_number="..."}, a verbatim string
// {verbatim_string={format=..., string=...}}.
func ReplyToLua(L *lua.LState, v resp.Value) lua.LValue {
	switch v.Type {
	case resp.TypeInt:
		return lua.LNumber(v.Int)
	case resp.TypeBulk:
		if v.Null {
			return lua.LFalse
		}
		return lua.LString(v.Str)
	case resp.TypeSimple:
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", lua.LString(v.Str))
		return t
	case resp.TypeError, resp.TypeBulkError:
		t := L.CreateTable(0, 1)
		t.RawSetString("err", lua.LString(v.Str))
		return t
	case resp.TypeArray, resp.TypePush:
		if v.Null {
			return lua.LFalse
		}
		t := L.CreateTable(len(v.Elems), 0)
		for _, e := range v.Elems {
			t.Append(ReplyToLua(L, e))
		}
		return t
	case resp.TypeNull:
		return lua.LNil
	case resp.TypeBool:
		return lua.LBool(v.Int != 0)
	case resp.TypeDouble:
		t := L.CreateTable(0, 1)
		t.RawSetString("double", lua.LNumber(v.Float))
		return t
	case resp.TypeBigNumber:
		t := L.CreateTable(0, 1)
		t.RawSetString("big_number", lua.LString(v.Str))
		return t
	case resp.TypeVerbatim:
		t := L.CreateTable(0, 1)
		vs := L.CreateTable(0, 2)
		vs.RawSetString("format", lua.LString(v.Format))
		vs.RawSetString("string", lua.LString(v.Str))
		t.RawSetString("verbatim_string", vs)
		return t
	case resp.TypeMap, resp.TypeAttribute:
		t := L.CreateTable(0, 1)
		m := L.CreateTable(0, len(v.Elems)/2)
		for i := 0; i+1 < len(v.Elems); i += 2 {
			m.RawSet(ReplyToLua(L, v.Elems[i]), ReplyToLua(L, v.Elems[i+1]))
		}
		t.RawSetString("map", m)
		return t
	case resp.TypeSet:
		t := L.CreateTable(0, 1)
		s := L.CreateTable(0, len(v.Elems))
		for _, e := range v.Elems {
			s.RawSet(ReplyToLua(L, e), lua.LTrue)
		}
		t.RawSetString("set", s)
		return t
	}
	return lua.LNil
}

// maxDepth bounds the nesting of a script's reply, as Redis's reply conversion does.
const maxDepth = 1000

// WriteReply writes the result of the script that just ran as a reply, as Redis converts it, by the script's
// RESP version (redis.setresp): a number is an integer (truncated), a string a bulk string, true the integer 1
// (RESP2) or true, false a null (RESP2) or false, a table an array up to
// its first nil unless it is one of {err=...}, {ok=...}, {double=...}, {big_number=...}, {map=...}, {set=...},
// {verbatim_string=...}; anything else is a null.
func (vm *VM) WriteReply(w *resp.Writer, v lua.LValue) { writeReply(w, v, vm.proto, 0) }

func writeReply(w *resp.Writer, v lua.LValue, proto, depth int) {
	switch v := v.(type) {
	case lua.LString:
		w.WriteBulkString(string(v))
	case lua.LNumber:
		w.WriteInt(toInt(float64(v)))
	case lua.LBool:
		switch {
		case proto == 3:
			w.WriteBool(bool(v))
		case v == lua.LTrue:
			w.WriteInt(1)
		default:
			w.WriteNull()
		}
	case *lua.LTable:
		if depth > maxDepth {
			w.WriteError("ERR reached lua stack limit")
			return
		}
		if e, ok := v.RawGetString("err").(lua.LString); ok {
			w.WriteError(errorLine(string(e)))
			return
		}
		if s, ok := v.RawGetString("ok").(lua.LString); ok {
			w.WriteSimple(oneLine(string(s)))
			return
		}
		if d, ok := v.RawGetString("double").(lua.LNumber); ok {
			w.WriteDouble(float64(d))
			return
		}
		if b, ok := v.RawGetString("big_number").(lua.LString); ok {
			w.WriteBigNumber(oneLine(string(b)))
			return
		}
		if m, ok := v.RawGetString("map").(*lua.LTable); ok {
			var n int
			m.ForEach(func(lua.LValue, lua.LValue) { n++ })
			w.WriteMapLen(n)
			m.ForEach(func(k, val lua.LValue) {
				writeReply(w, k, proto, depth+1)
				writeReply(w, val, proto, depth+1)
			})
			return
		}
		if s, ok := v.RawGetString("set").(*lua.LTable); ok {
			var n int
			s.ForEach(func(lua.LValue, lua.LValue) { n++ })
			w.WriteSetLen(n)
			s.ForEach(func(k, _ lua.LValue) { writeReply(w, k, proto, depth+1) })
			return
		}
		if vs, ok := v.RawGetString("verbatim_string").(*lua.LTable); ok {
			f, ok1 := vs.RawGetString("format").(lua.LString)
			s, ok2 := vs.RawGetString("string").(lua.LString)
			if ok1 && ok2 {
				w.WriteVerbatim(string(f), string(s))
				return
			}
		}
		n := 0
		for v.RawGetInt(n+1) != lua.LNil {
			n++
		}
		w.WriteArrayLen(n)
		for i := 1; i <= n; i++ {
			writeReply(w, v.RawGetInt(i), proto, depth+1)
		}
	default:
		w.WriteNull()
	}
}

// errorLine is the text of an {err=...} reply: one line, and Redis's generic code when it has none.
func errorLine(s string) string {
	s = oneLine(s)
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	return s
}

func toInt(f float64) int64 {
	if math.IsNaN(f) {
		return math.MinInt64
	}
	if f >= math.MaxInt64 || f <= math.MinInt64 {
		return math.MinInt64
	}
	return int64(f)
}

// rand48 is the lrand48 generator Redis gives math.random, so a script's random numbers are Redis's.
type rand48 struct{ x uint64 }

func (r *rand48) seed(s int32) { r.x = (uint64(uint32(s))<<16 | 0x330E) & (1<<48 - 1) }

func (r *rand48) next() int32 {
	r.x = (0x5DEECE66D*r.x + 0xB) & (1<<48 - 1)
	return int32(r.x >> 17)
}

const rand48Max = math.MaxInt32

// mathRandom is Lua 5.1's math.random over rand48, as Redis's.
func (vm *VM) mathRandom(L *lua.LState) int {
	r := float64(vm.rand.next()%rand48Max) / float64(rand48Max)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := L.CheckInt(1)
		if u < 1 {
			L.ArgError(1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l, u := L.CheckInt(1), L.CheckInt(2)
		if l > u {
			L.ArgError(2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func (vm *VM) mathRandomSeed(L *lua.LState) int {
	vm.rand.seed(int32(L.CheckInt(1)))
	return 0
}

// formatLuaNumber formats n as Lua 5.1's tostring does (%.14g).
func formatLuaNumber(n float64) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e15 {
		return strconv.FormatInt(int64(n), 10)
	}
	switch {
	case math.IsInf(n, 1):
		return "inf"
	case math.IsInf(n, -1):
		return "-inf"
	case math.IsNaN(n):
		return "nan"
	}
	s := strconv.FormatFloat(n, 'g', 14, 64)
	if i := strings.Index(s, "e"); i >= 0 {
		exp := s[i+1:]
		sign := exp[0]
		digits := strings.TrimLeft(exp[1:], "0")
		for len(digits) < 2 {
			digits = "0" + digits
		}
		s = s[:i] + "e" + string(sign) + digits
	}
	return s
}
