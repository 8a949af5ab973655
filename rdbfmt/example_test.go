package rdbfmt_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/carminedb/carmine/rdbfmt"
)

// DUMP of a string value, and back, as RESTORE reads it.
func ExampleAppendStringDump() {
	p := rdbfmt.AppendStringDump(nil, []byte("hello"))
	fmt.Printf("%q\n", p)

	d, err := rdbfmt.ParseDump(p)
	if err != nil {
		panic(err)
	}
	s, err := d.StringValue()
	fmt.Println(d.Type, d.Version, string(s), err)
	// Output:
	// "\x00\x05hello\n\x00cr\xdfve4 \n"
	// string 10 hello <nil>
}

// Strings are stored as integers when they are canonical 32-bit integers, compressed when that saves space.
func ExampleAppendString() {
	fmt.Printf("%q\n", rdbfmt.AppendString(nil, []byte("300"), true))
	fmt.Printf("%q\n", rdbfmt.AppendString(nil, []byte("0300"), true))
	fmt.Printf("%q\n", rdbfmt.AppendString(nil, []byte("abcabcabcabcabcabcabcabc"), true))
	// Output:
	// "\xc1,\x01"
	// "\x040300"
	// "\xc3\a\x18\x02abc\xe0\f\x02"
}

// Writing a file with an Encoder and reading it back with a Decoder.
func ExampleDecoder() {
	var buf bytes.Buffer
	e := rdbfmt.NewEncoder(&buf, rdbfmt.DefaultConfig())
	e.Aux([]byte("redis-ver"), []byte("7.0.15"))
	e.Entry(&rdbfmt.Entry{Key: []byte("fruits"), Value: rdbfmt.Set{[]byte("apple"), []byte("pear")}})
	e.Entry(&rdbfmt.Entry{DB: 2, Key: []byte("n"), Value: rdbfmt.Set{[]byte("3"), []byte("1")},
		ExpireAtMs: 4102444800000, HasExpire: true})
	if err := e.Close(); err != nil {
		panic(err)
	}

	d := rdbfmt.NewDecoder(&buf)
	for {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			panic(err)
		}
		switch r := rec.(type) {
		case *rdbfmt.Aux:
			fmt.Printf("aux %s=%s\n", r.Key, r.Value)
		case *rdbfmt.SelectDB:
			fmt.Println("db", r.DB)
		case *rdbfmt.Entry:
			fmt.Printf("%s %s %q expires=%v\n", r.Key, r.Type, r.Value, r.HasExpire)
		}
	}
	// Output:
	// aux redis-ver=7.0.15
	// db 0
	// fruits set ["apple" "pear"] expires=false
	// db 2
	// n set-intset ["1" "3"] expires=true
}
