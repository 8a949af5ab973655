package resp_test

import (
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/resp"
)

func bulk(s string) resp.Value   { return resp.Value{Type: resp.TypeBulk, Str: []byte(s)} }
func simple(s string) resp.Value { return resp.Value{Type: resp.TypeSimple, Str: []byte(s)} }
func integer(n int64) resp.Value { return resp.Value{Type: resp.TypeInt, Int: n} }

// parseCases are canonical: AppendValue gives back exactly the input.
var parseCases = []struct {
	name string
	in   string
	want resp.Value
}{
	{"simple", "+OK\r\n", simple("OK")},
	{"simple empty", "+\r\n", simple("")},
	{"error", "-ERR unknown\r\n", resp.Value{Type: resp.TypeError, Str: []byte("ERR unknown")}},
	{"int", ":-42\r\n", integer(-42)},
	{"int zero", ":0\r\n", integer(0)},
	{"int min", ":-9223372036854775808\r\n", integer(math.MinInt64)},
	{"bulk", "$5\r\nhello\r\n", bulk("hello")},
	{"bulk empty", "$0\r\n\r\n", bulk("")},
	{"bulk binary", "$4\r\na\r\nb\r\n", bulk("a\r\nb")},
	{"null bulk", "$-1\r\n", resp.Value{Type: resp.TypeBulk, Null: true}},
	{"null array", "*-1\r\n", resp.Value{Type: resp.TypeArray, Null: true}},
	{"null", "_\r\n", resp.Value{Type: resp.TypeNull, Null: true}},
	{"array", "*2\r\n$1\r\na\r\n:1\r\n", resp.Value{Type: resp.TypeArray, Elems: []resp.Value{bulk("a"), integer(1)}}},
	{"array empty", "*0\r\n", resp.Value{Type: resp.TypeArray}},
	{"double", ",1.1000000000000001\r\n", resp.Value{Type: resp.TypeDouble, Str: []byte("1.1000000000000001"), Float: 1.1}},
	{"double exp", ",1e+20\r\n", resp.Value{Type: resp.TypeDouble, Str: []byte("1e+20"), Float: 1e20}},
	{"double inf", ",inf\r\n", resp.Value{Type: resp.TypeDouble, Str: []byte("inf"), Float: math.Inf(1)}},
	{"double -inf", ",-inf\r\n", resp.Value{Type: resp.TypeDouble, Str: []byte("-inf"), Float: math.Inf(-1)}},
	{"bool true", "#t\r\n", resp.Value{Type: resp.TypeBool, Int: 1}},
	{"bool false", "#f\r\n", resp.Value{Type: resp.TypeBool}},
	{"big number", "(3492890328409238509324850943850943825024385\r\n",
		resp.Value{Type: resp.TypeBigNumber, Str: []byte("3492890328409238509324850943850943825024385")}},
	{"big number negative", "(-1\r\n", resp.Value{Type: resp.TypeBigNumber, Str: []byte("-1")}},
	{"bulk error", "!21\r\nSYNTAX invalid syntax\r\n", resp.Value{Type: resp.TypeBulkError, Str: []byte("SYNTAX invalid syntax")}},
	{"verbatim", "=15\r\ntxt:Some string\r\n", resp.Value{Type: resp.TypeVerbatim, Format: "txt", Str: []byte("Some string")}},
	{"verbatim empty", "=4\r\nmkd:\r\n", resp.Value{Type: resp.TypeVerbatim, Format: "mkd", Str: []byte{}}},
	{"map", "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n", resp.Value{Type: resp.TypeMap, Elems: []resp.Value{
		simple("first"), integer(1), simple("second"), integer(2)}}},
	{"set", "~2\r\n+a\r\n+b\r\n", resp.Value{Type: resp.TypeSet, Elems: []resp.Value{simple("a"), simple("b")}}},
	{"push", ">2\r\n+message\r\n$2\r\nhi\r\n", resp.Value{Type: resp.TypePush, Elems: []resp.Value{simple("message"), bulk("hi")}}},
	{"nested", "*2\r\n*1\r\n%1\r\n+k\r\n~1\r\n_\r\n:3\r\n", resp.Value{Type: resp.TypeArray, Elems: []resp.Value{
		{Type: resp.TypeArray, Elems: []resp.Value{{Type: resp.TypeMap, Elems: []resp.Value{
			simple("k"), {Type: resp.TypeSet, Elems: []resp.Value{{Type: resp.TypeNull, Null: true}}},
		}}}},
		integer(3),
	}}},
	{"attribute", "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
		resp.Value{Type: resp.TypeArray, Elems: []resp.Value{integer(2039123), integer(9543892)}, Attrs: []resp.Value{
			simple("key-popularity"),
			{Type: resp.TypeMap, Elems: []resp.Value{
				bulk("a"), {Type: resp.TypeDouble, Str: []byte("0.1923"), Float: 0.1923},
				bulk("b"), {Type: resp.TypeDouble, Str: []byte("0.0012"), Float: 0.0012},
			}},
		}}},
	{"attribute inside", "*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n", resp.Value{Type: resp.TypeArray, Elems: []resp.Value{
		integer(1), {Type: resp.TypeInt, Int: 2, Attrs: []resp.Value{simple("ttl"), integer(3600)}},
	}}},
	{"attribute empty", "|0\r\n+x\r\n", resp.Value{Type: resp.TypeSimple, Str: []byte("x"), Attrs: []resp.Value{}}},
}

func TestParse(t *testing.T) {
	for _, tt := range parseCases {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in + "+next\r\n"
			v, n, err := resp.Parse([]byte(in), resp.DefaultLimits())
			require.NoError(t, err)
			assert.Equal(t, len(tt.in), n)
			assertValue(t, tt.want, v)
			assert.Equal(t, tt.in, string(resp.AppendValue(nil, v)), "round trip")
		})
	}
}

// assertValue compares values, treating nil and empty Elems alike.
func assertValue(t *testing.T, want, got resp.Value) {
	t.Helper()
	if len(want.Elems) == 0 && len(got.Elems) == 0 {
		want.Elems, got.Elems = nil, nil
	}
	assert.Equal(t, want, got)
}

func TestParseNaN(t *testing.T) {
	v, _, err := resp.Parse([]byte(",nan\r\n"), resp.DefaultLimits())
	require.NoError(t, err)
	assert.True(t, math.IsNaN(v.Float))
	assert.Equal(t, ",nan\r\n", string(resp.AppendValue(nil, v)))
}

func TestParseIncomplete(t *testing.T) {
	for _, tt := range parseCases {
		for i := 0; i < len(tt.in); i++ {
			v, n, err := resp.Parse([]byte(tt.in[:i]), resp.DefaultLimits())
			require.NoError(t, err, "%s: prefix %q", tt.name, tt.in[:i])
			assert.Zero(t, n, "%s: prefix %q", tt.name, tt.in[:i])
			assert.Equal(t, resp.Value{}, v)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"type", "?x\r\n", "invalid type byte"},
		{"no LF", "+OK\rx", "expected CRLF"},
		{"LF in simple", "+a\nb\r\n", "newline inside a simple string"},
		{"int", ":1.5\r\n", "invalid integer"},
		{"int plus", ":+1\r\n", "invalid integer"},
		{"int empty", ":\r\n", "invalid integer"},
		{"bulk length", "$-2\r\n", "invalid bulk length"},
		{"bulk end", "$1\r\nab\r\n", "expected CRLF"},
		{"bulk too big", "$536870913\r\n", "invalid bulk length"},
		{"null bulk error", "!-1\r\n", "invalid bulk length"},
		{"array length", "*-2\r\n", "invalid aggregate length"},
		{"null map", "%-1\r\n", "invalid aggregate length"},
		{"null", "_x\r\n", "invalid null"},
		{"bool", "#x\r\n", "invalid boolean"},
		{"double", ",abc\r\n", "invalid double"},
		{"double empty", ",\r\n", "invalid double"},
		{"big number", "(12a\r\n", "invalid big number"},
		{"verbatim short", "=3\r\ntxt\r\n", "invalid verbatim string"},
		{"verbatim colon", "=5\r\ntxt-x\r\n", "invalid verbatim string"},
		{"line too long", ":" + strings.Repeat("1", 64<<10+1), "line too long"},
		{"nested element", "*2\r\n:1\r\n:x\r\n", "invalid integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n, err := resp.Parse([]byte(tt.in), resp.DefaultLimits())
			var pe *resp.ProtocolError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.reason, pe.Reason)
			assert.Zero(t, n)
		})
	}
}

func TestParseDepth(t *testing.T) {
	deep := strings.Repeat("*1\r\n", 10000) + ":1\r\n"
	_, _, err := resp.Parse([]byte(deep), resp.DefaultLimits())
	assert.EqualError(t, err, "Protocol error: nesting too deep")

	ok := strings.Repeat("*1\r\n", 128) + ":1\r\n"
	v, n, err := resp.Parse([]byte(ok), resp.DefaultLimits())
	require.NoError(t, err)
	assert.Equal(t, len(ok), n)
	assert.Equal(t, ok, string(resp.AppendValue(nil, v)))

	_, _, err = resp.Parse([]byte("*1\r\n*1\r\n:1\r\n"), resp.Limits{MaxDepth: 1})
	assert.EqualError(t, err, "Protocol error: nesting too deep")
}

func TestParseMergesAttributes(t *testing.T) {
	v, _, err := resp.Parse([]byte("|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n:3\r\n"), resp.DefaultLimits())
	require.NoError(t, err)
	assert.Equal(t, []resp.Value{simple("a"), integer(1), simple("b"), integer(2)}, v.Attrs)
}

func TestReader(t *testing.T) {
	var wire strings.Builder
	for _, tt := range parseCases {
		wire.WriteString(tt.in)
	}
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
	} {
		t.Run(name, func(t *testing.T) {
			r := resp.NewReader(wrap(strings.NewReader(wire.String())))
			for _, tt := range parseCases {
				v, err := r.ReadValue()
				require.NoError(t, err, tt.name)
				assertValue(t, tt.want, v)
			}
			_, err := r.ReadValue()
			assert.ErrorIs(t, err, io.EOF)
		})
	}
}

func TestReaderDoesNotAlias(t *testing.T) {
	r := resp.NewReader(strings.NewReader("$5\r\nfirst\r\n$5\r\nsecnd\r\n"))
	a, err := r.ReadValue()
	require.NoError(t, err)
	_, err = r.ReadValue()
	require.NoError(t, err)
	assert.Equal(t, "first", string(a.Str))
}

func TestReaderErrors(t *testing.T) {
	r := resp.NewReader(strings.NewReader("$5\r\nab"))
	_, err := r.ReadValue()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	r.Reset(strings.NewReader(":x\r\n:1\r\n"))
	_, err = r.ReadValue()
	assert.EqualError(t, err, "Protocol error: invalid integer")
	_, err = r.ReadValue()
	assert.EqualError(t, err, "Protocol error: invalid integer", "sticky")
}

func TestReaderLinear(t *testing.T) {
	const n = 1 << 20
	wire := resp.AppendArrayLen(nil, n)
	for range n {
		wire = resp.AppendInt(wire, 7)
	}
	r := resp.NewReader(&chunkReader{data: wire, n: 4096})
	v, err := r.ReadValue()
	require.NoError(t, err)
	assert.Len(t, v.Elems, n)
}
