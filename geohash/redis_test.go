package geohash_test

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/geohash"
)

// human formats a coordinate as Redis's GEOPOS does ("%.17Lf" without trailing zeros).
func human(x float64) string {
	s := strconv.FormatFloat(x, 'f', 17, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

var units = map[string]float64{"m": 1, "km": 1000, "ft": 0.3048, "mi": 1609.34}

func parseF(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return f
}

// TestRedisVectors checks scores, GEOHASH strings, positions and distances against the values a real
// redis-server gave (testdata/redis_vectors.txt; testdata/README.md says how it was made).
func TestRedisVectors(t *testing.T) {
	f, err := os.Open("testdata/redis_vectors.txt")
	require.NoError(t, err)
	defer f.Close()
	var points, scores, dists, searches, found int
	var members []member
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fs := strings.Fields(line)
		switch fs[0] {
		case "point":
			require.Len(t, fs, 7, line)
			points++
			lon, lat := parseF(t, fs[1]), parseF(t, fs[2])
			score, ok := geohash.Score(lon, lat)
			require.True(t, ok, line)
			assert.Equal(t, fs[3], strconv.FormatUint(score, 10), "score of %s", line)
			assert.Equal(t, fs[4], geohash.Text(float64(score)), "geohash of %s", line)
			plon, plat := geohash.DecodeScore(float64(score))
			assert.Equal(t, fs[5], human(plon), "longitude of %s", line)
			assert.Equal(t, fs[6], human(plat), "latitude of %s", line)
		case "score":
			require.Len(t, fs, 5, line)
			scores++
			score := parseF(t, fs[1])
			assert.Equal(t, fs[2], geohash.Text(score), "geohash of %s", line)
			plon, plat := geohash.DecodeScore(score)
			assert.Equal(t, fs[3], human(plon), "longitude of %s", line)
			assert.Equal(t, fs[4], human(plat), "latitude of %s", line)
		case "dist":
			require.Len(t, fs, 7, line)
			dists++
			// GEODIST measures between the stored (decoded) positions.
			s1, ok1 := geohash.Score(parseF(t, fs[1]), parseF(t, fs[2]))
			s2, ok2 := geohash.Score(parseF(t, fs[3]), parseF(t, fs[4]))
			require.True(t, ok1 && ok2, line)
			lon1, lat1 := geohash.DecodeScore(float64(s1))
			lon2, lat2 := geohash.DecodeScore(float64(s2))
			d := geohash.Distance(lon1, lat1, lon2, lat2) / units[fs[5]]
			assert.Equal(t, fs[6], strconv.FormatFloat(d, 'f', 4, 64), "distance of %s", line)
		case "member":
			require.Len(t, fs, 4, line)
			score, ok := geohash.Score(parseF(t, fs[2]), parseF(t, fs[3]))
			require.True(t, ok, line)
			members = append(members, member{fs[1], score})
		case "radius", "box":
			searches++
			var s geohash.Shape
			var res []string
			if fs[0] == "radius" {
				s = geohash.Shape{Lon: parseF(t, fs[1]), Lat: parseF(t, fs[2]), Radius: parseF(t, fs[3]), Unit: units[fs[4]]}
				res = fs[5:]
			} else {
				s = geohash.Shape{Lon: parseF(t, fs[1]), Lat: parseF(t, fs[2]), Box: true, Width: parseF(t, fs[3]),
					Height: parseF(t, fs[4]), Unit: units[fs[5]]}
				res = fs[6:]
			}
			found += len(res)
			got := search(s, members)
			slices.Sort(res)
			assert.Equal(t, res, got, "%s", line)
		default:
			t.Fatalf("unknown line %q", line)
		}
	}
	require.NoError(t, sc.Err())
	assert.Greater(t, points, 150)
	assert.Greater(t, scores, 10)
	assert.Greater(t, dists, 100)
	assert.Greater(t, searches, 200)
	assert.Greater(t, found, 500)
}

type member struct {
	name  string
	score uint64
}

// search does what GEOSEARCH does with a sorted set: scan the score ranges of the search area and keep the
// members inside the shape. It returns "name:distance" in name order.
func search(s geohash.Shape, members []member) []string {
	sa := s.SearchArea()
	out := []string{}
	for _, r := range sa.AppendRanges(nil) {
		for _, m := range members {
			if m.score < r.Min || m.score >= r.Max {
				continue
			}
			lon, lat := geohash.DecodeScore(float64(m.score))
			if d, ok := s.Contains(lon, lat); ok {
				out = append(out, m.name+":"+strconv.FormatFloat(d/s.Unit, 'f', 4, 64))
			}
		}
	}
	slices.Sort(out)
	return out
}
