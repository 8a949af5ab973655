package script

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// The cjson library, as Redis bundles lua-cjson: cjson.encode, cjson.decode and cjson.null, with its error texts.

const cjsonMaxDepth = 1000

// cjsonNull is cjson.null, a light userdata in lua-cjson.
var cjsonNull = &lua.LUserData{}

func openCJSON(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	L.SetFuncs(t, map[string]lua.LGFunction{
		"encode": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				L.ArgError(1, "expected 1 argument")
			}
			b, err := EncodeJSON(nil, L.Get(1), 0)
			if err != nil {
				L.RaiseError("%s", err.Error())
			}
			L.Push(lua.LString(b))
			return 1
		},
		"decode": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				L.ArgError(1, "expected 1 argument")
			}
			v, err := DecodeJSON(L, []byte(L.CheckString(1)))
			if err != nil {
				L.RaiseError("%s", err.Error())
			}
			L.Push(v)
			return 1
		},
	})
	for _, name := range []string{"encode_sparse_array", "encode_max_depth", "decode_max_depth",
		"encode_number_precision", "encode_keep_buffer", "encode_invalid_numbers", "decode_invalid_numbers"} {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int { return 0 }))
	}
	t.RawSetString("null", cjsonNull)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

// EncodeJSON appends v as JSON, as lua-cjson's encode does.
func EncodeJSON(dst []byte, v lua.LValue, depth int) ([]byte, error) {
	switch v := v.(type) {
	case *lua.LNilType:
		return append(dst, "null"...), nil
	case lua.LBool:
		if v {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("Cannot serialise number: must not be NaN or Inf")
		}
		return append(dst, formatLuaNumber(f)...), nil
	case lua.LString:
		return appendJSONString(dst, string(v)), nil
	case *lua.LUserData:
		if v == cjsonNull {
			return append(dst, "null"...), nil
		}
		return nil, fmt.Errorf("Cannot serialise userdata: type not supported")
	case *lua.LTable:
		depth++
		if depth > cjsonMaxDepth {
			return nil, fmt.Errorf("Cannot serialise, excessive nesting (%d)", depth)
		}
		n, err := jsonArrayLen(v)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			dst = append(dst, '[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					dst = append(dst, ',')
				}
				if dst, err = EncodeJSON(dst, v.RawGetInt(i), depth); err != nil {
					return nil, err
				}
			}
			return append(dst, ']'), nil
		}
		dst = append(dst, '{')
		first := true
		var ferr error
		v.ForEach(func(k, val lua.LValue) {
			if ferr != nil {
				return
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			switch k := k.(type) {
			case lua.LString:
				dst = appendJSONString(dst, string(k))
			case lua.LNumber:
				dst = appendJSONString(dst, formatLuaNumber(float64(k)))
			default:
				ferr = fmt.Errorf("Cannot serialise table: table key must be a number or string")
				return
			}
			dst = append(dst, ':')
			dst, ferr = EncodeJSON(dst, val, depth)
		})
		if ferr != nil {
			return nil, ferr
		}
		return append(dst, '}'), nil
	}
	return nil, fmt.Errorf("Cannot serialise %s: type not supported", v.Type().String())
}

// jsonArrayLen returns the length of t as an array, 0 when it is an object (or empty), as lua-cjson decides.
func jsonArrayLen(t *lua.LTable) (int, error) {
	max, items := 0, 0
	isArray := true
	t.ForEach(func(k, _ lua.LValue) {
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) < 1 || float64(n) != math.Floor(float64(n)) {
			isArray = false
			return
		}
		if int(n) > max {
			max = int(n)
		}
		items++
	})
	if !isArray {
		return 0, nil
	}
	if max > items*2 && max > 10 {
		return 0, fmt.Errorf("Cannot serialise table: excessively sparse array")
	}
	return max, nil
}

func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '/':
			dst = append(dst, '\\', '/')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 || c == 0x7f {
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}

// jsonDecoder parses JSON into Lua values, as lua-cjson's decode (errors name the character, counted from 1).
type jsonDecoder struct {
	L     *lua.LState
	s     []byte
	i     int
	depth int
}

// DecodeJSON parses one JSON value, with lua-cjson's error texts.
func DecodeJSON(L *lua.LState, s []byte) (lua.LValue, error) {
	d := &jsonDecoder{L: L, s: s}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	d.space()
	if d.i < len(d.s) {
		return nil, d.errorf("the end", "")
	}
	return v, nil
}

func (d *jsonDecoder) errorf(expected, found string) error {
	if found == "" {
		found = d.token()
	}
	return fmt.Errorf("Expected %s but found %s at character %d", expected, found, d.i+1)
}

func (d *jsonDecoder) token() string {
	if d.i >= len(d.s) {
		return "T_END"
	}
	switch d.s[d.i] {
	case '{':
		return "T_OBJ_BEGIN"
	case '}':
		return "T_OBJ_END"
	case '[':
		return "T_ARR_BEGIN"
	case ']':
		return "T_ARR_END"
	case ',':
		return "T_COMMA"
	case ':':
		return "T_COLON"
	}
	return "invalid token"
}

func (d *jsonDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value() (lua.LValue, error) {
	d.space()
	if d.i >= len(d.s) {
		return nil, d.errorf("value", "")
	}
	c := d.s[d.i]
	switch {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return lua.LString(s), nil
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case d.lit("true"):
		return lua.LTrue, nil
	case d.lit("false"):
		return lua.LFalse, nil
	case d.lit("null"):
		return cjsonNull, nil
	}
	return nil, d.errorf("value", "")
}

func (d *jsonDecoder) lit(w string) bool {
	if len(d.s)-d.i >= len(w) && string(d.s[d.i:d.i+len(w)]) == w {
		d.i += len(w)
		return true
	}
	return false
}

func (d *jsonDecoder) nest() error {
	d.depth++
	if d.depth > cjsonMaxDepth {
		return fmt.Errorf("Found too many nested data structures (%d) at character %d", d.depth, d.i+1)
	}
	return nil
}

func (d *jsonDecoder) object() (lua.LValue, error) {
	if err := d.nest(); err != nil {
		return nil, err
	}
	d.i++
	t := d.L.NewTable()
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		d.depth--
		return t, nil
	}
	for {
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, d.errorf("object key string", "")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, d.errorf("colon", "")
		}
		d.i++
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		t.RawSetString(k, v)
		d.space()
		if d.i < len(d.s) && d.s[d.i] == ',' {
			d.i++
			continue
		}
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			d.depth--
			return t, nil
		}
		return nil, d.errorf("comma or object end", "")
	}
}

func (d *jsonDecoder) array() (lua.LValue, error) {
	if err := d.nest(); err != nil {
		return nil, err
	}
	d.i++
	t := d.L.NewTable()
	d.space()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		d.depth--
		return t, nil
	}
	for n := 1; ; n++ {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		t.RawSetInt(n, v)
		d.space()
		if d.i < len(d.s) && d.s[d.i] == ',' {
			d.i++
			continue
		}
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			d.depth--
			return t, nil
		}
		return nil, d.errorf("comma or array end", "")
	}
}

func (d *jsonDecoder) number() (lua.LValue, error) {
	start := d.i
	for d.i < len(d.s) {
		c := d.s[d.i]
		if c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			d.i++
			continue
		}
		break
	}
	f, err := strconv.ParseFloat(string(d.s[start:d.i]), 64)
	if err != nil && !isRangeErr(err) {
		d.i = start
		return nil, d.errorf("value", "invalid number")
	}
	return lua.LNumber(f), nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (d *jsonDecoder) str() (string, error) {
	start := d.i
	d.i++
	var out []byte
	for {
		if d.i >= len(d.s) {
			d.i = start
			return "", d.errorf("value", "unexpected end of string")
		}
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return string(out), nil
		case c == '\\':
			if d.i+1 >= len(d.s) {
				d.i = start
				return "", d.errorf("value", "unexpected end of string")
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					d.i = start
					return "", d.errorf("value", "invalid unicode escape code")
				}
				if r >= 0xd800 && r < 0xdc00 {
					if d.i+1 < len(d.s) && d.s[d.i] == '\\' && d.s[d.i+1] == 'u' {
						d.i += 2
						lo, ok := d.hex4()
						if !ok || lo < 0xdc00 || lo > 0xdfff {
							d.i = start
							return "", d.errorf("value", "invalid unicode escape code")
						}
						r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
					} else {
						d.i = start
						return "", d.errorf("value", "invalid unicode escape code")
					}
				} else if r >= 0xdc00 && r < 0xe000 {
					d.i = start
					return "", d.errorf("value", "invalid unicode escape code")
				}
				out = utf8.AppendRune(out, rune(r))
			default:
				d.i = start
				return "", d.errorf("value", "invalid escape code")
			}
		default:
			out = append(out, c)
			d.i++
		}
	}
}

func (d *jsonDecoder) hex4() (int, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.s[d.i:d.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return int(n), true
}
