package keyspace

import (
	"bytes"
	"runtime"
	"testing"
)

// TestBoxKeys checks that a box keeps keys of every length, inline or not, and measures what it allocates.
func TestBoxKeys(t *testing.T) {
	var boxes []*objBox
	for n := 0; n <= 2*boxInlineMax; n++ {
		key := bytes.Repeat([]byte{byte('a' + n%26)}, n)
		obj := NewHash()
		b := newBox(key, obj)
		if n > 0 {
			key[0] = '!' // the box keeps a copy
		}
		boxes = append(boxes, b)
		if b.obj != Object(obj) || b.size != objectSize(obj) {
			t.Fatalf("key length %d: box holds the wrong object", n)
		}
		if alloc := b.allocBytes(); n <= boxInlineMax && alloc != allocSize(int(boxHdr)+max(n, 4)) || alloc < n+int(boxHdr) {
			t.Fatalf("key length %d: allocBytes %d", n, alloc)
		}
	}
	runtime.GC() // the boxes' keys survive a collection
	for n, b := range boxes {
		want := bytes.Repeat([]byte{byte('a' + n%26)}, n)
		if got := b.key(); !bytes.Equal(got, want) {
			t.Fatalf("key length %d: got %q", n, got)
		}
	}
}
