package resp_test

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/carminedb/carmine/resp"
)

// TestHeaderLengths checks the length headers around the short-length fast path.
func TestHeaderLengths(t *testing.T) {
	for n := -1; n <= 1100; n++ {
		want := "*" + strconv.Itoa(n) + "\r\n"
		if got := string(resp.AppendArrayLen(nil, n)); got != want {
			t.Fatalf("AppendArrayLen(%d) = %q, want %q", n, got, want)
		}
		if n < 0 {
			continue
		}
		b := bytes.Repeat([]byte{'x'}, n)
		want = "$" + strconv.Itoa(n) + "\r\n" + string(b) + "\r\n"
		if got := string(resp.AppendBulk(nil, b)); got != want {
			t.Fatalf("AppendBulk of %d bytes = %q", n, got)
		}
	}
}
