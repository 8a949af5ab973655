package resp_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/carminedb/carmine/resp"
)

func ExampleWriter() {
	var conn bytes.Buffer // a net.Conn in a server
	w := resp.NewWriter(&conn)
	for _, proto := range []int{2, 3} {
		w.SetProtocol(proto)
		w.WriteMapLen(1)
		w.WriteBulkString("score")
		w.WriteDouble(1.5)
		w.WriteNull()
		if err := w.Flush(); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("RESP%d %q\n", proto, conn.String())
		conn.Reset()
	}
	// Output:
	// RESP2 "*2\r\n$5\r\nscore\r\n$3\r\n1.5\r\n$-1\r\n"
	// RESP3 "%1\r\n$5\r\nscore\r\n,1.5\r\n_\r\n"
}

func ExampleParseCommand() {
	buf := []byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n")
	args := make([][]byte, 0, 8)
	for len(buf) > 0 {
		var n int
		var err error
		args, n, err = resp.ParseCommand(buf, args, resp.DefaultLimits())
		if err != nil {
			fmt.Println("-ERR " + err.Error())
			return
		}
		if n == 0 {
			break // incomplete: read more
		}
		fmt.Printf("%q\n", args)
		buf = buf[n:]
	}
	// Output:
	// ["GET" "k"]
	// ["PING"]
}

func ExampleCommandReader() {
	r := resp.NewCommandReader(strings.NewReader("SET k \"hello world\"\r\n*1\r\n$3\r\nGET\r\n*1\r\n+x\r\n"))
	for {
		args, err := r.ReadCommand()
		if err != nil {
			fmt.Println("-ERR " + err.Error())
			return
		}
		fmt.Printf("%q\n", args)
	}
	// Output:
	// ["SET" "k" "hello world"]
	// ["GET"]
	// -ERR Protocol error: expected '$', got '+'
}

func ExampleParse() {
	in := []byte("%1\r\n+key\r\n*2\r\n:1\r\n,inf\r\n")
	v, n, err := resp.Parse(in, resp.DefaultLimits())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, v.Type, len(v.Elems)/2, string(v.Elems[0].Str), v.Elems[1].Elems[1].Float)
	fmt.Println(bytes.Equal(resp.AppendValue(nil, v), in))
	// Output:
	// 24 map 1 key +Inf
	// true
}

func ExampleReader() {
	r := resp.NewReader(strings.NewReader("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"))
	v, err := r.ReadValue()
	if err != nil {
		fmt.Println(err)
		return
	}
	e := v.AsError()
	fmt.Println(e.Code)
	// Output: WRONGTYPE
}

func ExampleAppendBulk() {
	b := resp.AppendArrayLen(nil, 2)
	b = resp.AppendBulk(b, []byte("a"))
	b = resp.AppendInt(b, 1)
	fmt.Printf("%q\n", b)
	// Output: "*2\r\n$1\r\na\r\n:1\r\n"
}
