package cmdspec

import (
	"bytes"
	"testing"

	"github.com/carminedb/carmine/resp"
)

var _ ReplyWriter = (*resp.Writer)(nil)

// TestRESPWriter renders through the real resp.Writer in both protocols.
func TestRESPWriter(t *testing.T) {
	tb := baseTable(t)
	for _, proto := range []int{2, 3} {
		var buf bytes.Buffer
		w := resp.NewWriter(&buf)
		w.SetProtocol(proto)
		w.WriteArrayLen(1)
		tb.byName["zunionstore"].WriteInfo(w, nil)
		w.WriteMapLen(1)
		w.WriteBulkString("client")
		tb.byName["client"].WriteDocs(w, nil)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		sfx := map[int]string{2: "_resp2.golden", 3: "_resp3.golden"}[proto]
		want := append(readGolden(t, "info_zunionstore"+sfx), readGolden(t, "docs_client"+sfx)...)
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("RESP%d: %s", proto, firstDiff(buf.Bytes(), want))
		}
	}
}

// TestImplementedFilter checks that only accepted subcommands are rendered.
func TestImplementedFilter(t *testing.T) {
	only := func(s *Spec) bool { return s.Name == "client|setname" }
	w := &bufWriter{proto: 3}
	Lookup("client").WriteInfo(w, only)
	if !bytes.Contains(w.b, []byte("client|setname")) || bytes.Contains(w.b, []byte("client|kill")) {
		t.Errorf("info: %q", w.b)
	}
	w = &bufWriter{proto: 3}
	Lookup("client").WriteDocs(w, only)
	if !bytes.Contains(w.b, []byte("subcommands\r\n%1\r\n$14\r\nclient|setname")) {
		t.Errorf("docs: %q", w.b)
	}
}
