package rdbfmt_test

import (
	"fmt"

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
