package node

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/geohash"
	"github.com/carminedb/carmine/keyspace"
	"github.com/carminedb/carmine/resp"
	"github.com/carminedb/carmine/server/difftest"
)

// TestParseCoordinate checks the strtod reading GEO arguments share with ZADD scores (parseScore).
func TestParseCoordinate(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true}, {"-1.5", -1.5, true}, {"+.5e1", 5, true}, {"1.", 1, true}, {"0x10", 16, true},
		{"0x1.8", 1.5, true}, {"0X1P-2", 0.25, true}, {"inf", math.Inf(1), true}, {"-Infinity", math.Inf(-1), true},
		{"1e-310", 1e-310, true}, {"0e999", 0, true}, {"-0", 0, true},
		{"", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"nan", 0, false}, {"1e400", 0, false}, {"1e-400", 0, false},
		{"0x1p-1200", 0, false}, {"0x1p2000", 0, false}, {"1_0", 0, false}, {"0x", 0, false}, {"1e", 0, false},
		{".", 0, false}, {"--1", 0, false}, {"1,5", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseScore([]byte(tt.in))
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		if tt.ok {
			assert.Equal(t, tt.want, got, "%q", tt.in)
		}
	}
}

func FuzzParseCoordinate(f *testing.F) {
	for _, s := range []string{"1", "-1.5e3", "0x1.8p1", "inf", "nan", "1e-400", "1e400", " 1", "0x", "1_0", "5e-324"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseScore([]byte(s))
		if !ok {
			return
		}
		if math.IsNaN(v) {
			t.Fatalf("%q parsed to NaN", s)
		}
		lower := strings.ToLower(strings.TrimLeft(s, "+-"))
		if strings.HasPrefix(lower, "0x") || strings.HasPrefix(lower, "inf") {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || want != v {
			t.Fatalf("%q parsed to %v; strconv says %v, %v", s, v, want, err)
		}
	})
}

func TestAppendGeoDistance(t *testing.T) {
	tests := []struct {
		d    float64
		want string
	}{
		{0, "0.0000"}, {1, "1.0000"}, {0.00004, "0.0000"}, {0.00006, "0.0001"}, {166274.15156960032, "166274.1516"},
		{12345678.9, "12345678.9000"}, {-2.5, "-2.5000"},
		// Matches Redis 7.2 (fixedpoint_d2string): d*10^4 rounds half to even, where printf's %.4f of the exact
		// binary value gives 0.0001 and 0.1235.
		{0.00005, "0.0000"}, {0.12345, "0.1234"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(appendGeoDistance(nil, tt.d)), "%v", tt.d)
	}
}

func TestAppendGeoCoord(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{180, "180"}, {-0.0, "0"}, {0.5, "0.5"}, {13.36138933897018433, "13.36138933897018433"},
		{85.05112878, "85.0511287799999991"}, {-1e-18, "0"}, {-4e-17, "-0.00000000000000004"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(appendGeoCoord(nil, tt.f)), "%v", tt.f)
	}
}

func TestFormatCFloat(t *testing.T) {
	assert.Equal(t, "200.000000", string(formatCFloat(nil, 200)))
	assert.Equal(t, "-inf", string(formatCFloat(nil, math.Inf(-1))))
	assert.Equal(t, "inf", string(formatCFloat(nil, math.Inf(1))))
	assert.Equal(t, "0.000000", string(formatCFloat(nil, 1e-300)))
}

// geoBenchSet is a sorted set of n members spread over Europe, as GEOADD stores them.
func geoBenchSet(tb testing.TB, n int) *keyspace.ZSet {
	lim := keyspace.DefaultLimits()
	z := keyspace.NewZSetFor(&lim, n, 8)
	for i := range n {
		// A deterministic scatter over 0..20 E, 40..55 N.
		lon := 20 * math.Mod(float64(i)*0.6180339887, 1)
		lat := 40 + 15*math.Mod(float64(i)*0.7548776662, 1)
		s, ok := geohash.Score(lon, lat)
		require.True(tb, ok)
		z.Add(&lim, []byte("member:"+strconv.Itoa(i)), float64(s), 0)
	}
	return z
}

func TestGeoMembersInShape(t *testing.T) {
	z := geoBenchSet(t, 5000)
	shape := geohash.Shape{Lon: 10, Lat: 47, Radius: 100, Unit: 1000}
	prep := shape.Prepare()
	got := geoMembersInShape(z, &prep, shape, 0, true, nil)
	require.NotEmpty(t, got)
	// The same set by brute force: every member within 100 km.
	want := 0
	z.Range(0, z.Len()-1, false, func(m []byte, score float64) bool {
		lon, lat := geohash.DecodeScore(score)
		if geohash.Distance(10, 47, lon, lat) <= 100000 {
			want++
		}
		return true
	})
	assert.Len(t, got, want)
	limited := geoMembersInShape(z, &prep, shape, 3, true, nil)
	assert.Len(t, limited, 3)
	assert.Equal(t, got[:3], limited, "ANY stops at the first points in scan order")
}

func BenchmarkGeoSearch(b *testing.B) {
	z := geoBenchSet(b, 100000)
	shape := geohash.Shape{Lon: 10, Lat: 47, Radius: 50, Unit: 1000}
	prep := shape.Prepare()
	var out []geoPoint
	b.ReportAllocs()
	for b.Loop() {
		out = geoMembersInShape(z, &prep, shape, 0, false, out[:0])
	}
	b.ReportMetric(float64(len(out)), "results")
}

// BenchmarkGeoCommands measures GEO commands through the dispatcher, without the network, on a set of 10,000
// members spread over 20 by 15 degrees.
func BenchmarkGeoCommands(b *testing.B) {
	c := benchClient(b)
	for i := range 10000 {
		lon := 20 * math.Mod(float64(i)*0.6180339887, 1)
		lat := 40 + 15*math.Mod(float64(i)*0.7548776662, 1)
		c.execute(bs("GEOADD", "g", strconv.FormatFloat(lon, 'f', 6, 64), strconv.FormatFloat(lat, 'f', 6, 64), "member:"+strconv.Itoa(i)))
	}
	// tools/bench's geo set: a 100 x 100 grid over central Europe.
	for i := range 100 {
		cmd := bs("GEOADD", "grid")
		for j := range 100 {
			lon, lat := 5+float64(j)*0.2, 45+float64(i)*0.1
			cmd = append(cmd, []byte(strconv.FormatFloat(lon, 'f', 4, 64)), []byte(strconv.FormatFloat(lat, 'f', 4, 64)),
				[]byte(fmt.Sprintf("p%d:%d", i, j)))
		}
		c.execute(cmd)
	}
	runBenchCommands(b, c, []benchCommand{
		{"grid-50km-count10-asc", bs("GEOSEARCH", "grid", "FROMLONLAT", "13.4", "50.5", "BYRADIUS", "50", "km", "COUNT", "10", "ASC")},
		{"geoadd", bs("GEOADD", "g", "13.361389", "38.115556", "member:1")},
		{"geopos", bs("GEOPOS", "g", "member:1", "member:2")},
		{"geodist", bs("GEODIST", "g", "member:1", "member:2", "km")},
		{"geohash", bs("GEOHASH", "g", "member:1")},
		{"geosearch-30km", bs("GEOSEARCH", "g", "FROMLONLAT", "10", "47", "BYRADIUS", "30", "km")},
		{"geosearch-30km-withdist-asc", bs("GEOSEARCH", "g", "FROMLONLAT", "10", "47", "BYRADIUS", "30", "km", "WITHDIST", "ASC")},
		{"geosearch-box-count10", bs("GEOSEARCH", "g", "FROMMEMBER", "member:7", "BYBOX", "100", "100", "km", "COUNT", "10")},
	})
}

func bs(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// TestGeoAddEncoding checks the encodings GEOADD leaves, including Redis 7.2's up-front conversion of an existing
// listpack set given more than zset-max-listpack-entries elements (7.0, the diff tests' oracle, converts only
// when the set grows past the limit).
func TestGeoAddEncoding(t *testing.T) {
	_, addr := startServer(t)
	c := difftest.Dial(t, addr)
	enc := func(key string) string { return string(c.Do("OBJECT", "ENCODING", key).Str) }
	require.Equal(t, int64(2), c.Do("GEOADD", "g", "1", "1", "a", "2", "2", "b").Int)
	assert.Equal(t, "listpack", enc("g"))
	require.Equal(t, int64(1), c.Do("EXPIRE", "g", "1000").Int)
	args := []string{"GEOADD", "g"}
	for range 65 {
		args = append(args, "1", "1", "a", "2", "2", "b")
	}
	require.Equal(t, int64(0), c.Do(args...).Int, "130 updates")
	assert.Equal(t, "skiplist", enc("g"))
	assert.Greater(t, c.Do("TTL", "g").Int, int64(990), "the conversion keeps the TTL")
	assert.Equal(t, 2, len(c.Do("GEOPOS", "g", "a", "b").Elems))
	require.Equal(t, int64(1), c.Do("GEOADD", "long", "1", "1", strings.Repeat("x", 65)).Int)
	assert.Equal(t, "skiplist", enc("long"), "a first member longer than zset-max-listpack-value")
	require.Equal(t, int64(2), c.Do("GEOADD", "short", "1", "1", "a", "1", "1", strings.Repeat("x", 65)).Int)
	assert.Equal(t, "skiplist", enc("short"), "converted when the long member is added")
}

// FuzzGeoCommand runs GEO commands with fuzzed arguments against a small geo set: any reply is fine, a panic or
// a hang is not.
func FuzzGeoCommand(f *testing.F) {
	for _, s := range []string{
		"GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH",
		"GEOSEARCH g FROMMEMBER a BYBOX 400 400 km COUNT 1 ANY",
		"GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 1e300 km STOREDIST",
		"GEORADIUS g 15 37 200 km STORE d COUNT 2 DESC",
		"GEORADIUSBYMEMBER_RO g a 0 m WITHHASH",
		"GEOADD g NX CH 180 85.05112878 x -180 -85.05112878 y",
		"GEODIST g a b mi", "GEOPOS g a b x", "GEOHASH g a y",
	} {
		f.Add(s)
	}
	srv, err := New(DefaultConfig(), nil)
	require.NoError(f, err)
	c := srv.newClient("127.0.0.1:1", "127.0.0.1:6379", -1, func(*client) {})
	c.w = resp.NewWriter(io.Discard)
	f.Fuzz(func(t *testing.T, line string) {
		args := bytes.Fields([]byte(line))
		if len(args) == 0 || len(args) > 40 || len(args[0]) < 3 || !eqFold(args[0][:3], "geo") {
			return // only GEO commands: others may sleep, shut down or flush
		}
		c.execute(bs("DEL", "g", "d"))
		c.execute(bs("GEOADD", "g", "13.361389", "38.115556", "a", "15.087269", "37.502669", "b", "0", "85", "c"))
		c.execute(bs("ZADD", "g", "-1", "neg", "1e30", "huge"))
		c.execute(args)
		c.w.Discard()
	})
}

// TestGeoNearest checks geoScratch.nearest, which orders by rank and computes exact distances only for near
// ties, against a stable sort of every point by exact distance, on grids symmetric about the centre (many
// ties in distance) with ranks made as wrong as they may be, for every COUNT, ascending and descending.
func TestGeoNearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lim := keyspace.DefaultLimits()
	disagree := 0
	for round := range 40 {
		// Cells on a square grid around a centre cell: mirror images lie at distances equal or an ulp apart.
		ilon0, ilat0 := uint32(rng.Uint64N(1<<26)), uint32(rng.Uint64N(1<<26))
		stride := int64(1) << rng.IntN(12)
		z := keyspace.NewZSetFor(&lim, 0, 0)
		for i := int64(-3); i <= 3; i++ {
			for j := int64(-3); j <= 3; j++ {
				ilon, ilat := int64(ilon0)+i*stride, int64(ilat0)+j*stride
				if ilon < 0 || ilat < 0 || ilon >= 1<<26 || ilat >= 1<<26 {
					continue
				}
				score := float64(geohash.Interleave(uint32(ilat), uint32(ilon)))
				z.Add(&lim, []byte(fmt.Sprintf("m%d:%d", i, j)), score, 0)
			}
		}
		clon, clat := geohash.DecodeScore(float64(geohash.Interleave(ilat0, ilon0)))
		if round%2 == 1 { // between cells
			lon1, _ := geohash.DecodeScore(float64(geohash.Interleave(ilat0, ilon0+1)))
			clon = (clon + lon1) / 2
		}
		step := float64(stride) * 360 / (1 << 26)
		shape := geohash.Shape{Lon: clon, Lat: clat, Radius: step * 1e6, Unit: 1}
		if math.Abs(clat) > 80 {
			continue
		}
		prep := shape.Prepare()
		all := geoMembersInShape(z, &prep, shape, 0, true, nil)
		require.NotEmpty(t, all)
		// Ranks off by as much as geohash.Prepared.Rank may be, so that near ties are out of order.
		for i := range all {
			all[i].rank *= 1 + geohash.RankError*(2*rng.Float64()-1)
		}
		for _, desc := range []bool{false, true} {
			want := slices.Clone(all)
			for i := range want {
				want[i].setDist(&prep)
			}
			slices.SortStableFunc(want, func(a, b geoPoint) int {
				if desc {
					a, b = b, a
				}
				return cmp.Compare(a.dist, b.dist)
			})
			for i := 1; i < len(want); i++ {
				a, b := want[i-1], want[i]
				if cmp.Compare(a.rank, b.rank) != cmp.Compare(a.dist, b.dist) {
					disagree++
				}

			}
			for n := 1; n <= len(all); n++ {
				sc := &geoScratch{found: slices.Clone(all)}
				got := sc.nearest(&prep, n, desc)
				require.Len(t, got, n)
				for i := range got {
					require.Equal(t, string(want[i].member), string(got[i].member), "round %d desc %v n %d at %d", round, desc, n, i)
				}
			}
		}
	}
	t.Logf("%d neighbours in exact order whose ranks compare otherwise", disagree)
	assert.NotZero(t, disagree, "the test needs ranks that do not tell the order")
}
