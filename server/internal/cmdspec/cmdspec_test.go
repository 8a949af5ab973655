package cmdspec

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// bufWriter is a ReplyWriter that appends RESP2 or RESP3 to a buffer.
type bufWriter struct {
	proto int
	b     []byte
}

func (w *bufWriter) line(t byte, s string) {
	w.b = append(w.b, t)
	w.b = append(w.b, s...)
	w.b = append(w.b, '\r', '\n')
}

func (w *bufWriter) WriteArrayLen(n int) { w.line('*', strconv.Itoa(n)) }

func (w *bufWriter) WriteMapLen(n int) {
	if w.proto == 3 {
		w.line('%', strconv.Itoa(n))
	} else {
		w.line('*', strconv.Itoa(2*n))
	}
}

func (w *bufWriter) WriteSetLen(n int) {
	if w.proto == 3 {
		w.line('~', strconv.Itoa(n))
	} else {
		w.line('*', strconv.Itoa(n))
	}
}

func (w *bufWriter) WriteBulkString(s string) {
	w.line('$', strconv.Itoa(len(s)))
	w.b = append(w.b, s...)
	w.b = append(w.b, '\r', '\n')
}

func (w *bufWriter) WriteSimple(s string) { w.line('+', s) }
func (w *bufWriter) WriteInt(n int64)     { w.line(':', strconv.FormatInt(n, 10)) }

func (w *bufWriter) WriteNull() {
	if w.proto == 3 {
		w.line('_', "")
	} else {
		w.line('$', "-1")
	}
}

// baseTable is the table as recorded from Redis 7.0.15, without the 7.2
// overlay, which is what the golden files hold.
func baseTable(t *testing.T) *table {
	t.Helper()
	tb, err := load(commandsJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// renderInfo renders "COMMAND INFO names..." and renderDocs "COMMAND DOCS names...".
func renderInfo(tb *table, proto int, names []string) []byte {
	w := &bufWriter{proto: proto}
	w.WriteArrayLen(len(names))
	for _, n := range names {
		tb.byName[n].WriteInfo(w, nil)
	}
	return w.b
}

func renderDocs(tb *table, proto int, names []string) []byte {
	w := &bufWriter{proto: proto}
	w.WriteMapLen(len(names))
	for _, n := range names {
		w.WriteBulkString(n)
		tb.byName[n].WriteDocs(w, nil)
	}
	return w.b
}

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// firstDiff describes where got and want first differ.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("differ at byte %d (len got %d, want %d)\n got: %q\nwant: %q",
		i, len(got), len(want), got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
}

func TestGolden(t *testing.T) {
	tb := baseTable(t)
	names := []string{"get", "set", "client", "zunionstore", "eval", "migrate", "georadius", "sort", "xread", "xadd", "config"}
	for _, proto := range []int{2, 3} {
		for _, name := range names {
			t.Run(fmt.Sprintf("info_%s_resp%d", name, proto), func(t *testing.T) {
				want := readGolden(t, fmt.Sprintf("info_%s_resp%d.golden", name, proto))
				if got := renderInfo(tb, proto, []string{name}); !bytes.Equal(got, want) {
					t.Error(firstDiff(got, want))
				}
			})
			t.Run(fmt.Sprintf("docs_%s_resp%d", name, proto), func(t *testing.T) {
				want := readGolden(t, fmt.Sprintf("docs_%s_resp%d.golden", name, proto))
				if got := renderDocs(tb, proto, []string{name}); !bytes.Equal(got, want) {
					t.Error(firstDiff(got, want))
				}
			})
		}
	}
}

// TestGoldenAll renders every command recorded from Redis and compares it
// with Redis's own replies to COMMAND INFO and COMMAND DOCS for all of them.
func TestGoldenAll(t *testing.T) {
	tb := baseTable(t)
	var names []string
	for _, s := range tb.all {
		names = append(names, s.Name)
	}
	for _, proto := range []int{2, 3} {
		if want, got := readGolden(t, fmt.Sprintf("info_all_resp%d.golden.gz", proto)), renderInfo(tb, proto, names); !bytes.Equal(got, want) {
			t.Errorf("COMMAND INFO, RESP%d: %s", proto, firstDiff(got, want))
		}
		if want, got := readGolden(t, fmt.Sprintf("docs_all_resp%d.golden.gz", proto)), renderDocs(tb, proto, names); !bytes.Equal(got, want) {
			t.Errorf("COMMAND DOCS, RESP%d: %s", proto, firstDiff(got, want))
		}
	}
}

func TestLoad(t *testing.T) {
	all := All()
	if len(all) < 200 {
		t.Fatalf("got %d commands, want more than 200", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Name >= all[i].Name {
			t.Errorf("not sorted: %s before %s", all[i-1].Name, all[i].Name)
		}
	}
	for _, name := range []string{"get", "set", "client|setinfo", "client|no-touch", "client|setname", "waitaof", "cluster|myshardid"} {
		if Lookup(name) == nil {
			t.Errorf("Lookup(%q) = nil", name)
		}
	}
	if Lookup("nosuchcommand") != nil || Lookup("GET") != nil {
		t.Error("Lookup found a command it should not")
	}

	si := Lookup("client|setinfo")
	client := Lookup("client")
	if si.Parent != client || si.Arity != 4 || !si.Has(FlagNoScript|FlagLoading|FlagStale) || si.Docs.Since != "7.2.0" {
		t.Errorf("client|setinfo: %+v", si)
	}
	if client.Sub("SETINFO") != si || client.Sub("setinfo") != si {
		t.Error("client.Sub(setinfo) does not find client|setinfo")
	}
	for i := 1; i < len(client.Subcommands); i++ {
		if client.Subcommands[i-1].Name >= client.Subcommands[i].Name {
			t.Errorf("client subcommands not sorted: %s before %s", client.Subcommands[i-1].Name, client.Subcommands[i].Name)
		}
	}
	if w := Lookup("waitaof"); w.Arity != 4 || !w.Has(FlagBlocking) || strings.Join(w.ACLCategories, " ") != "slow blocking connection" {
		t.Errorf("waitaof: %+v", w)
	}

	get := Lookup("get")
	if !get.Has(FlagReadonly) || !get.Has(FlagFast) || get.Has(FlagWrite) || !get.HasFlag("fast") || get.HasFlag("nosuch") {
		t.Errorf("get flags: %v %b", get.Flags, get.Bits)
	}
	if !Lookup("set").Has(FlagWrite | FlagDenyOOM) {
		t.Error("set is not write+denyoom")
	}

	args := func(s string) [][]byte { return bytes.Split([]byte(s), []byte(" ")) }
	if s := LookupArgs(args("CLIENT SETNAME x")); s == nil || s.Name != "client|setname" {
		t.Errorf("LookupArgs(CLIENT SETNAME) = %v", s)
	}
	if s := LookupArgs(args("client nosuch")); s != client {
		t.Errorf("LookupArgs(client nosuch) = %v", s)
	}
	if s := LookupArgs(args("Get k")); s != get {
		t.Errorf("LookupArgs(Get k) = %v", s)
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := load(commandsJSON, overlayJSON); err != nil {
			b.Fatal(err)
		}
	}
}

func TestKeyPositions(t *testing.T) {
	tests := []struct {
		cmd, args string
		want      []int
		wantErr   bool
	}{
		{"get", "GET k", []int{1}, false},
		{"set", "SET k v EX 10 GET", []int{1}, false},
		{"mset", "MSET a 1 b 2 c 3", []int{1, 3, 5}, false},
		{"mget", "MGET a b c", []int{1, 2, 3}, false},
		{"del", "DEL a b", []int{1, 2}, false},
		{"rename", "RENAME a b", []int{1, 2}, false},
		{"zunionstore", "ZUNIONSTORE dst 2 a b WEIGHTS 1 2", []int{1, 3, 4}, false},
		{"zunionstore", "ZUNIONSTORE dst 3 a b", nil, true},
		{"zunionstore", "ZUNIONSTORE dst x a b", nil, true},
		{"zunionstore", "ZUNIONSTORE dst 0 a", nil, true},
		{"zunion", "ZUNION 2 a b WITHSCORES", []int{2, 3}, false},
		{"eval", "EVAL s 2 k1 k2 a1", []int{3, 4}, false},
		{"eval", "EVAL s 0 a1", nil, true},
		{"evalsha", "EVALSHA sha 1 k", []int{3}, false},
		{"fcall", "FCALL f 1 k a", []int{3}, false},
		{"xread", "XREAD COUNT 2 STREAMS s1 s2 0 0", []int{4, 5}, false},
		{"xread", "XREAD STREAMS s1 $", []int{2}, false},
		{"xreadgroup", "XREADGROUP GROUP g c STREAMS s1 >", []int{5}, false},
		{"lmpop", "LMPOP 2 a b LEFT", []int{2, 3}, false},
		{"blmove", "BLMOVE a b LEFT RIGHT 0", []int{1, 2}, false},
		{"georadius", "GEORADIUS k 0 0 1 km STORE d1 STOREDIST d2", []int{1, 7, 9}, false},
		{"georadius", "GEORADIUS k 0 0 1 km", []int{1}, false},
		{"sort", "SORT k BY w_* LIMIT 0 1 GET store STORE d", []int{1, 10}, false},
		{"sort", "SORT k STORE d1 STORE d2", []int{1, 5}, false},
		{"sort", "SORT k", []int{1}, false},
		{"sort_ro", "SORT_RO k BY x", []int{1}, false},
		{"migrate", "MIGRATE h 6379 k 0 1000", []int{3}, false},
		{"migrate", "MIGRATE h 6379  0 1000 COPY AUTH2 u keys KEYS a b", []int{11, 12}, false},
		{"migrate", "MIGRATE h 6379  0 1000 AUTH keys KEYS a", []int{9}, false},
		{"object|encoding", "OBJECT ENCODING k", []int{2}, false},
		{"spublish", "SPUBLISH ch msg", nil, false},
		{"ping", "PING", nil, false},
		{"bitfield", "BITFIELD k GET u8 0", []int{1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			s := Lookup(tt.cmd)
			if s == nil {
				t.Fatalf("no command %s", tt.cmd)
			}
			got, err := s.KeyPositions(bytes.Split([]byte(tt.args), []byte(" ")))
			if tt.wantErr {
				if err != ErrInvalidArgs {
					t.Fatalf("got %v, %v; want ErrInvalidArgs", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestKeyPositionsLegacy checks, for every fixed-keys command, that the key
// specs agree with the legacy first/last/step triple.
func TestKeyPositionsLegacy(t *testing.T) {
	var walk func([]*Spec)
	walk = func(ss []*Spec) {
		for _, s := range ss {
			walk(s.Subcommands)
			if s.Has(FlagMovableKeys) || s.FirstKey == 0 || s.Name == "migrate" ||
				(len(s.KeySpecs) > 0 && hasString(s.KeySpecs[0].Flags, "not_key")) {
				continue
			}
			n := s.Arity
			if n < 0 {
				n = -n + 5
			}
			args := make([][]byte, n)
			for i := range args {
				args[i] = []byte("a" + strconv.Itoa(i))
			}
			copy(args, bytes.Split([]byte(strings.ReplaceAll(s.Name, "|", " ")), []byte(" ")))
			got, err := s.KeyPositions(args)
			if err != nil {
				t.Errorf("%s: %v", s.Name, err)
				continue
			}
			last := s.LastKey
			if last < 0 {
				last += n
			}
			var want []int
			for i := s.FirstKey; i <= last; i += s.Step {
				want = append(want, i)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s %q: got %v, want %v", s.Name, args, got, want)
			}
		}
	}
	walk(All())
}
