package rdbfmt_test

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/rdbfmt"
)

// encodeAll writes recs (entries, aux fields, functions) into an RDB file.
func encodeAll(t testing.TB, cfg rdbfmt.Config, recs []rdbfmt.Record) []byte {
	var buf bytes.Buffer
	e := rdbfmt.NewEncoder(&buf, cfg)
	for _, rec := range recs {
		var err error
		switch r := rec.(type) {
		case *rdbfmt.Entry:
			err = e.Entry(r)
		case *rdbfmt.Aux:
			err = e.Aux(r.Key, r.Value)
		case *rdbfmt.Function:
			err = e.Function(r.Code)
		case *rdbfmt.SelectDB:
			err = e.SelectDB(r.DB)
		case *rdbfmt.ResizeDB:
			err = e.ResizeDB(r.Keys, r.Expires)
		case *rdbfmt.ModuleAux:
			err = e.ModuleAux(r)
		}
		require.NoError(t, err)
	}
	require.NoError(t, e.Close())
	return buf.Bytes()
}

// normalize puts a value in a canonical order where its order carries no meaning (set members, sorted-set
// members), so decoded values compare with what was encoded.
func normalize(v rdbfmt.Value) rdbfmt.Value {
	switch v := v.(type) {
	case rdbfmt.Set:
		s := slices.Clone(v)
		slices.SortFunc(s, bytes.Compare)
		return s
	case rdbfmt.ZSet:
		z := slices.Clone(v)
		slices.SortFunc(z, func(a, b rdbfmt.ZMember) int { return bytes.Compare(a.Member, b.Member) })
		return z
	}
	return v
}

// sameEntries checks that got holds the entries of want with the same values, in the same order.
func sameEntries(t *testing.T, want, got []rdbfmt.Record) {
	t.Helper()
	var we, ge []*rdbfmt.Entry
	for _, r := range want {
		if e, ok := r.(*rdbfmt.Entry); ok {
			we = append(we, e)
		}
	}
	for _, r := range got {
		if e, ok := r.(*rdbfmt.Entry); ok {
			ge = append(ge, e)
		}
	}
	require.Equal(t, len(we), len(ge))
	for i := range we {
		w, g := *we[i], *ge[i]
		w.Type, g.Type = 0, 0
		w.Value, g.Value = normalize(w.Value), normalize(g.Value)
		if !assert.Equal(t, w, g, "entry %q", we[i].Key) {
			return
		}
	}
}

// richEntries returns entries of every type, each in the compact and the plain encoding, in two databases.
func richEntries() []rdbfmt.Record {
	rng := rand.New(rand.NewPCG(1, 2))
	str := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return b
	}
	var recs []rdbfmt.Record
	add := func(db uint64, key string, v rdbfmt.Value) *rdbfmt.Entry {
		e := &rdbfmt.Entry{DB: db, Key: []byte(key), Value: v}
		recs = append(recs, e)
		return e
	}
	recs = append(recs, &rdbfmt.Aux{Key: []byte("redis-ver"), Value: []byte("7.0.15")},
		&rdbfmt.Aux{Key: []byte("redis-bits"), Value: []byte("64")},
		&rdbfmt.Function{Code: []byte("#!lua name=lib1\nredis.register_function('f1', function() return 1 end)")})
	add(0, "s:int", rdbfmt.String("-123456"))
	add(0, "s:bigint", rdbfmt.String("9223372036854775807"))
	add(0, "s:raw", rdbfmt.String("hello"))
	add(0, "s:empty", rdbfmt.String(""))
	add(0, "s:lzf", rdbfmt.String(bytes.Repeat([]byte("carmine "), 100)))
	add(0, "s:random", rdbfmt.String(str(5000)))
	e := add(0, "s:expire", rdbfmt.String("x"))
	e.ExpireAtMs, e.HasExpire = 4102444800123, true
	add(0, "l:small", rdbfmt.List{[]byte("a"), []byte("1"), []byte("-4097"), []byte("9223372036854775807"), str(100)})
	var big rdbfmt.List
	for i := range 2000 {
		big = append(big, fmt.Appendf(nil, "element-%d-%s", i, str(i%50)))
	}
	add(0, "l:big", big)
	add(0, "l:huge-element", rdbfmt.List{str(70000), []byte("x")})
	add(0, "set:intset", rdbfmt.Set{[]byte("3"), []byte("-1"), []byte("70000"), []byte("-5000000000")})
	add(0, "set:strings", rdbfmt.Set{[]byte("a"), []byte("b"), []byte("007")})
	var ints rdbfmt.Set
	for i := range 600 {
		ints = append(ints, strconv.AppendInt(nil, int64(i*i), 10))
	}
	add(0, "set:ints600", ints)
	add(0, "h:small", rdbfmt.Hash{{Name: []byte("f"), Value: []byte("v")}, {Name: []byte("n"), Value: []byte("12")}})
	add(0, "h:long", rdbfmt.Hash{{Name: []byte("f"), Value: str(65)}})
	var h rdbfmt.Hash
	for i := range 600 {
		h = append(h, rdbfmt.Field{Name: fmt.Appendf(nil, "field%d", i), Value: str(i % 30)})
	}
	add(0, "h:big", h)
	add(0, "z:small", rdbfmt.ZSet{{Member: []byte("a"), Score: 1.5}, {Member: []byte("b"), Score: -2},
		{Member: []byte("c"), Score: math.Inf(1)}, {Member: []byte("d"), Score: math.Inf(-1)},
		{Member: []byte("e"), Score: 0.1}, {Member: []byte("f"), Score: 1e300}, {Member: []byte("g"), Score: 12345678901234}})
	add(0, "z:long", rdbfmt.ZSet{{Member: str(65), Score: 1}})
	var z rdbfmt.ZSet
	for i := range 200 {
		z = append(z, rdbfmt.ZMember{Member: fmt.Appendf(nil, "m%d", i), Score: float64(i) / 3})
	}
	add(0, "z:big", z)
	s := &rdbfmt.Stream{LastID: rdbfmt.StreamID{Ms: 1700000000500, Seq: 7}, MaxDeletedID: rdbfmt.StreamID{Ms: 1700000000000, Seq: 3},
		FirstID: rdbfmt.StreamID{Ms: 1700000000001}, EntriesAdded: 260}
	for i := range 250 {
		fields := []rdbfmt.Field{{Name: []byte("name"), Value: fmt.Appendf(nil, "n%d", i)}, {Name: []byte("v"), Value: strconv.AppendInt(nil, int64(i*1000), 10)}}
		if i%7 == 3 {
			fields = append(fields, rdbfmt.Field{Name: []byte("extra"), Value: str(i % 20)})
		}
		s.Entries = append(s.Entries, rdbfmt.StreamEntry{ID: rdbfmt.StreamID{Ms: 1700000000001 + uint64(i/3), Seq: uint64(i % 3)}, Fields: fields})
	}
	s.Length = uint64(len(s.Entries))
	id := func(i int) rdbfmt.StreamID { return s.Entries[i].ID }
	s.Groups = []rdbfmt.StreamGroup{{
		Name: []byte("g1"), LastID: id(5), EntriesRead: 6,
		Pending: []rdbfmt.PendingEntry{
			{ID: id(1), DeliveryMs: 1700000001000, DeliveryCount: 1, Consumer: []byte("alice")},
			{ID: id(3), DeliveryMs: 1700000002000, DeliveryCount: 3, Consumer: []byte("bob")},
			{ID: id(4), DeliveryMs: 1700000003000, DeliveryCount: 2, Consumer: []byte("alice")},
		},
		Consumers: []rdbfmt.Consumer{
			{Name: []byte("alice"), SeenMs: 1700000004000, ActiveMs: -1, Pending: []rdbfmt.StreamID{id(1), id(4)}},
			{Name: []byte("bob"), SeenMs: 1700000005000, ActiveMs: -1, Pending: []rdbfmt.StreamID{id(3)}},
			{Name: []byte("idle"), SeenMs: 1700000006000, ActiveMs: -1},
		},
	}, {Name: []byte("g2"), LastID: s.LastID, EntriesRead: -1}}
	add(0, "x:stream", s)
	add(0, "x:empty", &rdbfmt.Stream{LastID: rdbfmt.StreamID{Ms: 5, Seq: 2}, MaxDeletedID: rdbfmt.StreamID{Ms: 5, Seq: 2}, EntriesAdded: 2,
		Groups: []rdbfmt.StreamGroup{{Name: []byte("g"), LastID: rdbfmt.StreamID{Ms: 5, Seq: 2}, EntriesRead: 2}}})
	add(3, "db3:s", rdbfmt.String("three"))
	e = add(3, "db3:l", rdbfmt.List{[]byte("x")})
	e.ExpireAtMs, e.HasExpire = 4102444800000, true
	return recs
}

func TestEncoderRoundTrip(t *testing.T) {
	recs := richEntries()
	for _, cfg := range []rdbfmt.Config{rdbfmt.DefaultConfig(), {ListMaxListpackSize: 3, Compress: false}} {
		data := encodeAll(t, cfg, recs)
		version, got := decodeAll(t, data)
		assert.Equal(t, rdbfmt.Version, version)
		sameEntries(t, recs, got)
	}
}

// RDB 11 (Redis 7.2): small sets of strings as listpacks, streams with consumers' active times.
func TestEncoderVersion11(t *testing.T) {
	cfg := rdbfmt.DefaultConfig()
	cfg.Version = 11
	recs := richEntries()
	version, got := decodeAll(t, encodeAll(t, cfg, recs))
	assert.Equal(t, 11, version)
	types := map[string]rdbfmt.Type{}
	for _, r := range got {
		if e, ok := r.(*rdbfmt.Entry); ok {
			types[string(e.Key)] = e.Type
			if s, ok := e.Value.(*rdbfmt.Stream); ok {
				for _, g := range s.Groups {
					for _, c := range g.Consumers {
						assert.Equal(t, c.SeenMs, c.ActiveMs, "active time defaults to the seen time")
					}
				}
			}
		}
	}
	assert.Equal(t, rdbfmt.TypeSetListpack, types["set:strings"])
	assert.Equal(t, rdbfmt.TypeSetIntset, types["set:intset"])
	assert.Equal(t, rdbfmt.TypeSet, types["set:ints600"])
	assert.Equal(t, rdbfmt.TypeStreamListpacks3, types["x:stream"])
	var want, have []rdbfmt.Record
	for i := range recs {
		if e, ok := recs[i].(*rdbfmt.Entry); ok {
			w := reencoded(*e)
			want = append(want, &w)
		}
	}
	for _, r := range got {
		if e, ok := r.(*rdbfmt.Entry); ok {
			h := reencoded(*e)
			have = append(have, &h)
		}
	}
	sameEntries(t, want, have)
	assert.ErrorContains(t, rdbfmt.Config{Version: 12, ListMaxListpackSize: -2}.Validate(), "RDB version 12")
}

// Our file passes redis-check-rdb and loads into redis-server 7.0 with the same contents, in the encodings
// Redis itself chooses.
func TestEncoderRedisLoads(t *testing.T) {
	needRedis(t, "redis-server")
	recs := richEntries()
	data := encodeAll(t, rdbfmt.DefaultConfig(), recs)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ours.rdb"), data, 0o644))

	check := needRedis(t, "redis-check-rdb")
	require.ErrorContains(t, rdbfmt.NewEncoder(io.Discard, rdbfmt.DefaultConfig()).Entry(&rdbfmt.Entry{Key: []byte("k")}), "no value")
	out, err := exec.Command(check, filepath.Join(dir, "ours.rdb")).CombinedOutput()
	require.NoError(t, err, "redis-check-rdb:\n%s", out)
	assert.Contains(t, string(out), "RDB looks OK")

	r := startRedis(t, dir, "ours.rdb")
	_, decoded := decodeAll(t, data)
	perDB := map[uint64]int64{}
	for _, rec := range decoded {
		e, ok := rec.(*rdbfmt.Entry)
		if !ok {
			continue
		}
		perDB[e.DB]++
		r.do("SELECT", e.DB)
		k := r.describeKey(string(e.Key))
		checkFixtureKey(t, k, e)
	}
	for db, n := range perDB {
		r.do("SELECT", db)
		assert.Equal(t, n, r.do("DBSIZE"), "keys in db %d", db)
	}
	libs := r.do("FUNCTION", "LIST", "WITHCODE").([]any)
	require.Len(t, libs, 1)
	assert.Equal(t, string(recs[2].(*rdbfmt.Function).Code), pairsOf(libs[0])["library_code"])
}

// Decoding Redis's fixtures and encoding them again gives the same contents, and for every key the encoding
// Redis chose.
func TestEncoderReencodesFixtures(t *testing.T) {
	configs := map[string]rdbfmt.Config{"nocompress": {}}
	lp := rdbfmt.DefaultConfig()
	lp.HashMaxListpackEntries, lp.HashMaxListpackValue = 1000, 100000
	lp.ZSetMaxListpackEntries, lp.ZSetMaxListpackValue = 1000, 100000
	lp.ListMaxListpackSize = -5
	configs["listpack_big"] = lp
	files, err := filepath.Glob("testdata/*.rdb")
	require.NoError(t, err)
	for _, file := range files {
		name := filepath.Base(file[:len(file)-4])
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			cfg, ok := configs[name]
			if !ok {
				cfg = rdbfmt.DefaultConfig()
			}
			if name == "nocompress" {
				cfg = rdbfmt.DefaultConfig()
				cfg.Compress = false
			}
			_, recs := decodeAll(t, data)
			again := encodeAll(t, cfg, recs)
			_, got := decodeAll(t, again)
			sameEntries(t, recs, got)
			if check, ok := redisBin(t, "redis-check-rdb"); ok {
				file := filepath.Join(t.TempDir(), name+".rdb")
				require.NoError(t, os.WriteFile(file, again, 0o644))
				out, err := exec.Command(check, file).CombinedOutput()
				assert.NoError(t, err, "redis-check-rdb:\n%s", out)
			}
			var types, gotTypes []string
			for _, r := range recs {
				if e, ok := r.(*rdbfmt.Entry); ok {
					types = append(types, string(e.Key)+" "+e.Type.String())
				}
			}
			for _, r := range got {
				if e, ok := r.(*rdbfmt.Entry); ok {
					gotTypes = append(gotTypes, string(e.Key)+" "+e.Type.String())
				}
			}
			assert.Equal(t, types, gotTypes)
			if name == "nocompress" || name == "nochecksum" {
				assert.Less(t, len(again), len(data)+64)
			}
		})
	}
}

// decode(encode(x)) == x for random values of every type, with random limits that force either encoding.
func TestEncoderRandomRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	elem := func() []byte {
		switch rng.IntN(6) {
		case 0:
			return strconv.AppendInt(nil, rng.Int64N(1<<40)-1<<39, 10)
		case 1:
			return strconv.AppendInt(nil, int64(rng.IntN(300)), 10)
		case 2:
			return bytes.Repeat([]byte{byte(rng.IntN(256))}, rng.IntN(200))
		}
		b := make([]byte, rng.IntN(80))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	distinct := func(n int) [][]byte {
		seen := map[string]bool{}
		var out [][]byte
		for range n {
			e := elem()
			if !seen[string(e)] {
				seen[string(e)] = true
				out = append(out, e)
			}
		}
		return out
	}
	for round := range 40 {
		var recs []rdbfmt.Record
		for i := range 30 {
			n := rng.IntN(300)
			var v rdbfmt.Value
			switch i % 6 {
			case 0:
				v = rdbfmt.String(elem())
			case 1:
				var l rdbfmt.List
				for range n + 1 {
					l = append(l, elem())
				}
				v = l
			case 2:
				v = rdbfmt.Set(distinct(n + 1))
			case 3:
				var h rdbfmt.Hash
				for _, f := range distinct(n + 1) {
					h = append(h, rdbfmt.Field{Name: f, Value: elem()})
				}
				v = h
			case 4:
				var z rdbfmt.ZSet
				for _, m := range distinct(n + 1) {
					score := []float64{rng.NormFloat64() * 1e6, float64(rng.IntN(100)), math.Inf(1), math.Inf(-1), 0.1, -0.0}[rng.IntN(6)]
					z = append(z, rdbfmt.ZMember{Member: m, Score: score})
				}
				v = z
			case 5:
				s := &rdbfmt.Stream{}
				id := rdbfmt.StreamID{Ms: rng.Uint64N(1 << 45)}
				for range n {
					id.Seq += uint64(rng.IntN(3) + 1)
					if rng.IntN(5) == 0 {
						id = rdbfmt.StreamID{Ms: id.Ms + 1 + uint64(rng.IntN(1000)), Seq: uint64(rng.IntN(3))}
					}
					var fs []rdbfmt.Field
					for j := range rng.IntN(4) + 1 {
						fs = append(fs, rdbfmt.Field{Name: []byte{'f', byte('0' + j + rng.IntN(2))}, Value: elem()})
					}
					s.Entries = append(s.Entries, rdbfmt.StreamEntry{ID: id, Fields: fs})
				}
				s.Length, s.LastID, s.EntriesAdded = uint64(len(s.Entries)), id, uint64(len(s.Entries))+rng.Uint64N(5)
				if len(s.Entries) > 0 {
					s.FirstID = s.Entries[0].ID
				} else {
					s.EntriesAdded = 0
				}
				v = s
			}
			e := &rdbfmt.Entry{DB: uint64(i / 10), Key: fmt.Appendf(nil, "k%d", i), Value: v}
			if rng.IntN(3) == 0 {
				e.ExpireAtMs, e.HasExpire = rng.Int64N(1<<50), true
			}
			recs = append(recs, e)
		}
		cfg := rdbfmt.Config{Version: []int{0, 10, 11}[rng.IntN(3)], Compress: rng.IntN(2) == 0,
			SetMaxListpackEntries: rng.IntN(300), SetMaxListpackValue: rng.IntN(100),
			HashMaxListpackEntries: rng.IntN(300), HashMaxListpackValue: rng.IntN(300), SetMaxIntsetEntries: rng.IntN(300),
			ZSetMaxListpackEntries: rng.IntN(300), ZSetMaxListpackValue: rng.IntN(300),
			ListMaxListpackSize:  []int{-1, -2, -5, 1, 7, 1000}[rng.IntN(6)],
			StreamNodeMaxEntries: rng.IntN(200), StreamNodeMaxBytes: rng.IntN(8000)}
		t.Run(strconv.Itoa(round), func(t *testing.T) {
			data := encodeAll(t, cfg, recs)
			_, got := decodeAll(t, data)
			sameEntries(t, recs, got)
		})
	}
}

// With rdbcompression no, our payloads of compact values are byte for byte Redis's DUMP: the same listpack and
// intset layouts, integer encodings and back lengths, quicklist nodes and stream nodes.
func TestPayloadsMatchRedis(t *testing.T) {
	r := startRedis(t, t.TempDir(), "none.rdb", "--rdbcompression", "no")
	cfg := rdbfmt.DefaultConfig()
	cfg.Compress = false
	ints := []string{"0", "127", "128", "-1", "-4096", "4095", "4096", "-4097", "32767", "-32768", "32768",
		"8388607", "-8388608", "8388608", "2147483647", "-2147483648", "2147483648", "9223372036854775807",
		"-9223372036854775808", "9223372036854775808", "007", "-0", "+1", " 1", "1.5", "", "x"}
	var hashArgs []any
	var h rdbfmt.Hash
	for i, v := range ints {
		f := fmt.Sprintf("f%d", i)
		hashArgs = append(hashArgs, f, v)
		h = append(h, rdbfmt.Field{Name: []byte(f), Value: []byte(v)})
	}
	long := strings.Repeat("y", 63)
	hashArgs = append(hashArgs, "long", long)
	h = append(h, rdbfmt.Field{Name: []byte("long"), Value: []byte(long)})
	var list rdbfmt.List
	var listArgs []any
	for i := range 1500 { // several 8 KiB nodes
		v := fmt.Sprintf("item-%d", i*7919%100000)
		if i%5 == 0 {
			v = strconv.Itoa(i * 31)
		}
		list = append(list, []byte(v))
		listArgs = append(listArgs, v)
	}
	var entries []rdbfmt.StreamEntry
	for i := 1; i <= 120; i++ { // two nodes of at most 100 entries
		fields := []rdbfmt.Field{{Name: []byte("a"), Value: []byte(strconv.Itoa(i))}, {Name: []byte("b"), Value: []byte("text")}}
		if i%9 == 0 {
			fields = []rdbfmt.Field{{Name: []byte("other"), Value: []byte("x")}}
		}
		entries = append(entries, rdbfmt.StreamEntry{ID: rdbfmt.StreamID{Ms: 1000 + uint64(i/4), Seq: uint64(i % 4)}, Fields: fields})
	}
	tests := []struct {
		name  string
		setup [][]any
		value rdbfmt.Value
	}{
		{"hash listpack", [][]any{append([]any{"HSET", "k"}, hashArgs...)}, h},
		{"intset 16", [][]any{{"SADD", "k", "5", "-3", "100"}}, rdbfmt.Set(bs("5", "-3", "100"))},
		{"intset 64", [][]any{{"SADD", "k", "5", "-9223372036854775808", "70000"}}, rdbfmt.Set(bs("5", "-9223372036854775808", "70000"))},
		{"zset listpack", [][]any{{"ZADD", "k", "1.5", "a", "-2", "b", "100000", "c", "0", "d", "2.25", "e"}},
			rdbfmt.ZSet{{Member: []byte("a"), Score: 1.5}, {Member: []byte("b"), Score: -2}, {Member: []byte("c"), Score: 100000},
				{Member: []byte("d"), Score: 0}, {Member: []byte("e"), Score: 2.25}}},
		{"list", [][]any{append([]any{"RPUSH", "k"}, listArgs...)}, list},
		{"stream", nil, &rdbfmt.Stream{Entries: entries, Length: uint64(len(entries)), LastID: entries[len(entries)-1].ID}},
	}
	for _, e := range entries {
		args := []any{"XADD", "k", e.ID.String()}
		for _, f := range e.Fields {
			args = append(args, f.Name, f.Value)
		}
		tests[len(tests)-1].setup = append(tests[len(tests)-1].setup, args)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.do("DEL", "k")
			for _, c := range tt.setup {
				r.do(c...)
			}
			want := []byte(r.do("DUMP", "k").(string))
			typ, p := rdbfmt.AppendValue([]byte{0}, tt.value, cfg)
			p[0] = byte(typ)
			got := rdbfmt.SealDump(p, 0, rdbfmt.Version)
			assert.Equal(t, want, got)
		})
	}
}

// TestEncoderPause checks that Config.Pause is called every few thousand elements of big values of each kind,
// and that it changes nothing in what is written.
func TestEncoderPause(t *testing.T) {
	const n = 20000
	var (
		list   rdbfmt.List
		set    rdbfmt.Set
		hash   rdbfmt.Hash
		zset   rdbfmt.ZSet
		stream = &rdbfmt.Stream{}
	)
	for i := range n {
		s := []byte("element-" + strconv.Itoa(i))
		list = append(list, s)
		set = append(set, s)
		hash = append(hash, rdbfmt.Field{Name: s, Value: s})
		zset = append(zset, rdbfmt.ZMember{Member: s, Score: float64(i)})
		stream.Entries = append(stream.Entries, rdbfmt.StreamEntry{ID: rdbfmt.StreamID{Ms: uint64(i + 1)}, Fields: []rdbfmt.Field{{Name: []byte("f"), Value: s}}})
	}
	stream.Length, stream.LastID = n, stream.Entries[n-1].ID
	for _, v := range []rdbfmt.Value{list, set, hash, zset, stream} {
		plain := rdbfmt.DefaultConfig()
		typ, want := rdbfmt.AppendValue(nil, v, plain)
		pauses := 0
		paused := plain
		paused.Pause = func() { pauses++ }
		gotTyp, got := rdbfmt.AppendValue(nil, v, paused)
		assert.Equal(t, typ, gotTyp)
		assert.True(t, bytes.Equal(want, got), "%T: Pause changed the encoding", v)
		assert.GreaterOrEqual(t, pauses, n/4096, "%T", v)
		assert.LessOrEqual(t, pauses, 2*n/4096+2, "%T", v) // a stream also counts the bytes its nodes compress
	}
}
