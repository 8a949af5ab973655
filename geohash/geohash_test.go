package geohash_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/carminedb/carmine/geohash"
)

func randPoint(r *rand.Rand) (lon, lat float64) {
	return r.Float64()*360 - 180, (r.Float64()*2 - 1) * geohash.LatMax
}

func inArea(a geohash.Area, lon, lat float64) bool {
	return lon >= a.Long.Min && lon <= a.Long.Max && lat >= a.Lat.Min && lat <= a.Lat.Max
}

func TestInterleave(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	assert.Equal(t, uint64(1), geohash.Interleave(1, 0), "latitude bits are the even ones")
	assert.Equal(t, uint64(2), geohash.Interleave(0, 1), "longitude bits are the odd ones")
	assert.Equal(t, uint64(0xFFFFFFFFFFFFFFFF), geohash.Interleave(0xFFFFFFFF, 0xFFFFFFFF))
	for range 1000 {
		a, b := r.Uint32(), r.Uint32()
		v := geohash.Interleave(a, b)
		for i := 0; i < 32; i++ {
			require.Equal(t, (a>>i)&1, uint32(v>>(2*i))&1)
			require.Equal(t, (b>>i)&1, uint32(v>>(2*i+1))&1)
		}
		la, lo := geohash.Deinterleave(v)
		require.Equal(t, a, la)
		require.Equal(t, b, lo)
	}
}

func TestEncodeDecodeStaysInCell(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		lon, lat := randPoint(r)
		step := uint8(1 + r.IntN(geohash.StepMax))
		h, ok := geohash.Encode(lon, lat, step)
		require.True(t, ok)
		require.Equal(t, step, h.Step)
		require.Less(t, h.Bits, uint64(1)<<(2*step))
		a := geohash.Decode(h)
		require.True(t, inArea(a, lon, lat), "(%v,%v) step %d not in %+v", lon, lat, step, a)
		clon, clat := a.Center()
		h2, ok := geohash.Encode(clon, clat, step)
		require.True(t, ok)
		require.Equal(t, h, h2, "the centre of a cell encodes to the cell")
	}
}

func TestScoreRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		lon, lat := randPoint(r)
		s, ok := geohash.Score(lon, lat)
		require.True(t, ok)
		require.Less(t, s, uint64(1)<<52)
		plon, plat := geohash.DecodeScore(float64(s))
		// A cell is 360/2^26 degrees wide and 170.1/2^26 degrees high; the centre is within half of that.
		require.InDelta(t, lon, plon, 360.0/(1<<27)*1.0000001)
		require.InDelta(t, lat, plat, 2*geohash.LatMax/(1<<27)*1.0000001)
		s2, _ := geohash.Score(plon, plat)
		require.Equal(t, s, s2, "a decoded position keeps its score")
	}
}

func TestEncodeRejects(t *testing.T) {
	for _, p := range [][2]float64{
		{180.0000001, 0}, {-180.0000001, 0}, {0, 85.05112879}, {0, -85.05112879}, {math.NaN(), 0}, {0, math.NaN()},
		{math.Inf(1), 0}, {0, math.Inf(-1)},
	} {
		_, ok := geohash.Score(p[0], p[1])
		assert.False(t, ok, "%v", p)
	}
	_, ok := geohash.Encode(0, 0, 0)
	assert.False(t, ok, "step 0")
	_, ok = geohash.Encode(0, 0, 33)
	assert.False(t, ok, "step 33")
	_, ok = geohash.EncodeRange(geohash.LongRange, geohash.Range{}, 0, 0, 26)
	assert.False(t, ok, "empty range")
	_, ok = geohash.EncodeRange(geohash.Range{Min: 0, Max: 10}, geohash.LatRange, -1, 0, 26)
	assert.False(t, ok, "outside the range")
}

// cellCoords returns the column and row of h.
func cellCoords(h geohash.Hash) (x, y int64) {
	lat, long := geohash.Deinterleave(h.Bits)
	return int64(long), int64(lat)
}

func TestNeighborsAdjacent(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		lon, lat := randPoint(r)
		step := uint8(1 + r.IntN(geohash.StepMax))
		h, _ := geohash.Encode(lon, lat, step)
		n := h.Neighbors()
		x, y := cellCoords(h)
		size := int64(1) << step
		mod := func(v int64) int64 { return ((v % size) + size) % size }
		for _, c := range []struct {
			h      geohash.Hash
			dx, dy int64
		}{
			{n.North, 0, 1}, {n.South, 0, -1}, {n.East, 1, 0}, {n.West, -1, 0},
			{n.NorthEast, 1, 1}, {n.NorthWest, -1, 1}, {n.SouthEast, 1, -1}, {n.SouthWest, -1, -1},
		} {
			require.Equal(t, step, c.h.Step)
			cx, cy := cellCoords(c.h)
			require.Equal(t, mod(x+c.dx), cx, "column of %+v from %+v", c, h)
			require.Equal(t, mod(y+c.dy), cy, "row of %+v from %+v", c, h)
			if mod(x+c.dx) == x+c.dx && mod(y+c.dy) == y+c.dy {
				// Not wrapped: the cells share an edge or a corner.
				a, b := geohash.Decode(h), geohash.Decode(c.h)
				touchX := a.Long.Max == b.Long.Min || a.Long.Min == b.Long.Max || a.Long == b.Long
				touchY := a.Lat.Max == b.Lat.Min || a.Lat.Min == b.Lat.Max || a.Lat == b.Lat
				require.True(t, touchX && touchY, "%+v and %+v", a, b)
			}
		}
	}
}

func TestNeighborsWrap(t *testing.T) {
	h, _ := geohash.Encode(179.9, 0, 4)
	e := geohash.Decode(h.Neighbors().East)
	assert.Equal(t, -180.0, e.Long.Min, "east of the antimeridian is the first column")
	h, _ = geohash.Encode(0, 85, 4)
	nn := geohash.Decode(h.Neighbors().North)
	assert.Equal(t, geohash.LatMin, nn.Lat.Min, "north of the top row is the bottom row")
}

func TestEstimateSteps(t *testing.T) {
	tests := []struct {
		radius, lat float64
		want        uint8
	}{
		// 1 m doubles 25 times to reach 20037726.37 (step 26), less the 2 of the base case.
		{0, 0, 26}, {-5, 0, 26}, {1, 0, 24}, {100, 0, 17}, {1000, 0, 14}, {100000, 0, 7}, {1000, 70, 13},
		{1000, -81, 12}, {5e6, 0, 2}, {1e9, 0, 1}, {math.Inf(1), 0, 1}, {0.001, 0, 26}, {1000, 66, 14},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, geohash.EstimateSteps(tt.radius, tt.lat), "%v at %v", tt.radius, tt.lat)
	}
}

func TestDistance(t *testing.T) {
	// Matches the GEODIST example of redis.io: Palermo to Catania, 166274.1516 m (stored positions).
	d := geohash.Distance(13.36138933897018433, 38.11555639549629859, 15.08726745843887329, 37.50266842333162032)
	assert.InDelta(t, 166274.1516, d, 0.00005)
	assert.Equal(t, 0.0, geohash.Distance(10, 20, 10, 20))
	assert.Equal(t, geohash.LatDistance(10, -10), geohash.Distance(5, 10, 5, -10))
	assert.InDelta(t, math.Pi*geohash.EarthRadius, geohash.Distance(0, 0, 180, 0), 1e-6)
	r := rand.New(rand.NewPCG(9, 10))
	for range 1000 {
		lon1, lat1 := randPoint(r)
		lon2, lat2 := randPoint(r)
		d1, d2 := geohash.Distance(lon1, lat1, lon2, lat2), geohash.Distance(lon2, lat2, lon1, lat1)
		require.InDelta(t, d1, d2, 1e-6)
		require.LessOrEqual(t, d1, math.Pi*geohash.EarthRadius*(1+1e-12))
	}
}

func TestShapeContains(t *testing.T) {
	c := geohash.Shape{Lon: 0, Lat: 0, Radius: 100, Unit: 1000}
	_, ok := c.Contains(0, 0.8)
	assert.True(t, ok, "89 km north")
	_, ok = c.Contains(0, 0.9)
	assert.False(t, ok, "100.1 km north")
	d, ok := c.Contains(0.5, 0)
	assert.True(t, ok)
	assert.InDelta(t, geohash.EarthRadius*0.5*math.Pi/180, d, 1e-6)

	b := geohash.Shape{Lon: 10, Lat: 50, Box: true, Width: 200, Height: 100, Unit: 1000}
	_, ok = b.Contains(10, 50.4)
	assert.True(t, ok, "44 km north, within 50")
	_, ok = b.Contains(10, 50.5)
	assert.False(t, ok, "56 km north")
	_, ok = b.Contains(11.3, 50)
	assert.True(t, ok, "93 km east, within 100")
	_, ok = b.Contains(11.5, 50)
	assert.False(t, ok, "107 km east")
	d, ok = b.Contains(11.3, 50.4)
	assert.True(t, ok, "a corner point")
	assert.Equal(t, geohash.Distance(10, 50, 11.3, 50.4), d)
}

func TestBoundingBox(t *testing.T) {
	s := geohash.Shape{Lon: 0, Lat: 0, Radius: 111.2, Unit: 1000}
	minLon, minLat, maxLon, maxLat := s.BoundingBox()
	assert.InDelta(t, -1, minLon, 0.001)
	assert.InDelta(t, 1, maxLon, 0.001)
	assert.InDelta(t, -1, minLat, 0.001)
	assert.InDelta(t, 1, maxLat, 0.001)
	// Northern hemisphere: the longitude spread is the one at the northern edge, wider than at the centre.
	s = geohash.Shape{Lon: 20, Lat: 60, Box: true, Width: 100, Height: 100, Unit: 1000}
	minLon, _, maxLon, _ = s.BoundingBox()
	north := math.Abs(20-minLon) * geohash.EarthRadius * math.Cos((60+0.45)*math.Pi/180) * math.Pi / 180
	assert.InDelta(t, 50000, north, 100)
	assert.InDelta(t, 20-minLon, maxLon-20, 1e-9)
	s.Lat = -60
	minLon2, _, _, _ := s.BoundingBox()
	assert.Equal(t, minLon, minLon2, "mirrored in the southern hemisphere")
}

// destination returns the point d meters from (lon, lat) on the given bearing (radians).
func destination(lon, lat, bearing, d float64) (float64, float64) {
	phi1, lam1 := lat*math.Pi/180, lon*math.Pi/180
	delta := d / geohash.EarthRadius
	phi2 := math.Asin(math.Sin(phi1)*math.Cos(delta) + math.Cos(phi1)*math.Sin(delta)*math.Cos(bearing))
	lam2 := lam1 + math.Atan2(math.Sin(bearing)*math.Sin(delta)*math.Cos(phi1), math.Cos(delta)-math.Sin(phi1)*math.Sin(phi2))
	lon2 := math.Mod(lam2*180/math.Pi+540, 360) - 180
	return lon2, phi2 * 180 / math.Pi
}

func covered(ranges []geohash.ScoreRange, score uint64) bool {
	for _, r := range ranges {
		if score >= r.Min && score < r.Max {
			return true
		}
	}
	return false
}

// randCentre picks centres anywhere, near the poles and near the antimeridian.
func randCentre(r *rand.Rand) (lon, lat float64) {
	lon, lat = randPoint(r)
	switch r.IntN(4) {
	case 0:
		lat = math.Copysign(80+r.Float64()*(geohash.LatMax-80), lat)
	case 1:
		lon = math.Copysign(179+r.Float64(), lon)
	}
	return lon, lat
}

// randRadius picks radii from a meter to thousands of kilometers, in random units.
func randRadius(r *rand.Rand) (radius, unit float64) {
	unit = []float64{1, 1000, 0.3048, 1609.34}[r.IntN(4)]
	meters := math.Pow(10, r.Float64()*6.5)
	return meters / unit, unit
}

// crossesPole reports whether the shape's bounding box reaches past a pole. Redis's bounding box then takes
// the cosine of a latitude beyond 90 degrees, its longitudes flip, and its search can miss points (see
// TestSearchMissesPastPole); the coverage property holds everywhere else.
func crossesPole(s geohash.Shape) bool {
	_, minLat, _, maxLat := s.BoundingBox()
	return maxLat >= 90 || minLat <= -90
}

// TestSearchCoversRadius checks that every stored position within a circle lies in one of the cells the
// search scans, for random centres (also near the poles and the antimeridian) and radii.
func TestSearchCoversRadius(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var checked int
	for range 3000 {
		lon, lat := randCentre(r)
		radius, unit := randRadius(r)
		s := geohash.Shape{Lon: lon, Lat: lat, Radius: radius, Unit: unit}
		if crossesPole(s) {
			continue
		}
		ranges := s.SearchArea().AppendRanges(nil)
		require.NotEmpty(t, ranges)
		for range 50 {
			d := radius * unit * math.Sqrt(r.Float64())
			if r.IntN(4) == 0 {
				d = radius * unit * (1 - r.Float64()*1e-6) // at the edge
			}
			plon, plat := destination(lon, lat, r.Float64()*2*math.Pi, d)
			score, ok := geohash.Score(plon, plat)
			if !ok {
				continue // beyond the polar limit
			}
			slon, slat := geohash.DecodeScore(float64(score))
			if _, in := s.Contains(slon, slat); !in {
				continue
			}
			checked++
			p := s.Prepare()
			require.True(t, p.MayContain(float64(score)), "shape %+v: (%v,%v) ruled out", s, slon, slat)
			require.True(t, covered(ranges, score), "centre (%v,%v) radius %v*%v: (%v,%v) missed; ranges %v",
				lon, lat, radius, unit, slon, slat, ranges)
		}
	}
	assert.Greater(t, checked, 50000)
}

// TestSearchCoversBox checks the same for boxes.
func TestSearchCoversBox(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	var checked int
	for range 3000 {
		lon, lat := randCentre(r)
		w, unit := randRadius(r)
		h := w * (0.2 + r.Float64()*2)
		s := geohash.Shape{Lon: lon, Lat: lat, Box: true, Width: w, Height: h, Unit: unit}
		if crossesPole(s) {
			continue
		}
		ranges := s.SearchArea().AppendRanges(nil)
		for range 50 {
			// A point at a random latitude within the height, then east or west along its parallel.
			_, plat := destination(lon, lat, 0, (r.Float64()-0.5)*h*unit)
			plon, _ := destination(lon, plat, math.Pi/2, (r.Float64()-0.5)*w*unit)
			score, ok := geohash.Score(plon, plat)
			if !ok {
				continue
			}
			slon, slat := geohash.DecodeScore(float64(score))
			if _, in := s.Contains(slon, slat); !in {
				continue
			}
			checked++
			p := s.Prepare()
			require.True(t, p.MayContain(float64(score)), "shape %+v: (%v,%v) ruled out", s, slon, slat)
			require.True(t, covered(ranges, score), "centre (%v,%v) box %vx%v*%v: (%v,%v) missed",
				lon, lat, w, h, unit, slon, slat)
		}
	}
	assert.Greater(t, checked, 30000)
}

func TestSearchAreaRedisOrder(t *testing.T) {
	s := geohash.Shape{Lon: 13.361389, Lat: 38.115556, Radius: 200, Unit: 1000}
	a := s.SearchArea()
	cells := a.Cells()
	n := a.Neighbors
	assert.Equal(t, [9]geohash.Hash{a.Hash, n.North, n.South, n.East, n.West, n.NorthEast, n.NorthWest, n.SouthEast, n.SouthWest}, cells)
	// Radius 200 km: estimate 7 (~156 km cells)... the step is whatever keeps the box inside the 9 cells.
	minLon, minLat, maxLon, maxLat := s.BoundingBox()
	lo := geohash.Decode(n.SouthWest)
	hi := geohash.Decode(n.NorthEast)
	if !n.SouthWest.IsZero() && !n.NorthEast.IsZero() {
		assert.LessOrEqual(t, lo.Long.Min, minLon)
		assert.LessOrEqual(t, lo.Lat.Min, minLat)
		assert.GreaterOrEqual(t, hi.Long.Max, maxLon)
		assert.GreaterOrEqual(t, hi.Lat.Max, maxLat)
	}
	// A huge radius uses step 1: a 2x2 grid whose neighbours repeat; repeats of the previous cell are skipped.
	big := geohash.Shape{Lon: 0, Lat: 0, Radius: 10000, Unit: 1000}
	ba := big.SearchArea()
	assert.Equal(t, uint8(1), ba.Hash.Step)
	ranges := ba.AppendRanges(nil)
	assert.Len(t, ranges, 4, "%v", ranges)
	var total uint64
	for _, r := range ranges {
		total += r.Max - r.Min
	}
	assert.Equal(t, uint64(1)<<52, total, "the four cells cover the world once")
}

// TestSearchMissesPastPole pins a miss real Redis 7.0.15 shows (GEOADD k -5.9914568066596985 80.25858827229234 p;
// GEOSEARCH k FROMLONLAT 4.484630592533307 85.04902261190031 BYRADIUS 581260.5489689653 m finds nothing, though
// p is 551085.0782 m away): the bounding box passes the pole and the west cells are dropped.
func TestSearchMissesPastPole(t *testing.T) {
	s := geohash.Shape{Lon: 4.484630592533307, Lat: 85.04902261190031, Radius: 581260.5489689653, Unit: 1}
	require.True(t, crossesPole(s))
	score, ok := geohash.Score(-5.9914568066596985, 80.25858827229234)
	require.True(t, ok)
	plon, plat := geohash.DecodeScore(float64(score))
	d, in := s.Contains(plon, plat)
	require.True(t, in)
	assert.Equal(t, "551085.0782", strconv.FormatFloat(d, 'f', 4, 64))
	assert.False(t, covered(s.SearchArea().AppendRanges(nil), score), "as in Redis, the point is not scanned")
}

// TestWithinExact checks the fast decisions of Within against the definition, Distance <= radius, at radii
// an ulp or two around each point's distance and far from it, for circles and boxes.
func TestWithinExact(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for range 20000 {
		lon1, lat1 := randCentre(r)
		lon2, lat2 := randCentre(r)
		if r.IntN(2) == 0 { // a near point
			lon2 = math.Max(-180, math.Min(180, lon1+(r.Float64()-0.5)*r.Float64()))
			lat2 = math.Max(-85, math.Min(85, lat1+(r.Float64()-0.5)*r.Float64()))
		}
		d := geohash.Distance(lon1, lat1, lon2, lat2)
		unit := []float64{1, 1000, 0.3048, 1609.34}[r.IntN(4)]
		for _, rm := range []float64{d, math.Nextafter(d, 0), math.Nextafter(d, math.Inf(1)), d * 0.999, d * 1.001} {
			s := geohash.Shape{Lon: lon1, Lat: lat1, Radius: rm / unit, Unit: unit}
			want := !(geohash.Distance(lon1, lat1, lon2, lat2) > s.Radius*s.Unit)
			p := s.Prepare()
			require.Equal(t, want, p.Within(lon2, lat2), "circle (%v,%v) r %v*%v, point (%v,%v)", lon1, lat1, s.Radius, unit, lon2, lat2)
			got, ok := p.Contains(lon2, lat2)
			require.Equal(t, want, ok)
			if ok {
				require.Equal(t, d, got)
			}
		}
		// A box whose half width is the point's distance along its parallel, give or take an ulp.
		w := geohash.Distance(lon2, lat2, lon1, lat2)
		h := geohash.LatDistance(lat2, lat1)
		for _, hw := range []float64{w, math.Nextafter(w, 0), w * 1.01} {
			s := geohash.Shape{Lon: lon1, Lat: lat1, Box: true, Width: 2 * hw, Height: 2 * h * 1.01, Unit: 1}
			want := !(geohash.LatDistance(lat2, lat1) > s.Height/2) && !(geohash.Distance(lon2, lat2, lon1, lat2) > s.Width/2)
			require.Equal(t, want, s.Within(lon2, lat2), "box (%v,%v) %vx%v, point (%v,%v)", lon1, lat1, s.Width, s.Height, lon2, lat2)
		}
	}
}

// TestRank checks Prepared.Rank against Contains: the same decision, and a key within RankError of the
// haversine term of the exact distance, for circles and boxes, points near the edge and nearly antipodal.
func TestRank(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	var antipodal int
	for range 2000 {
		lon, lat := randCentre(r)
		size, unit := randRadius(r)
		if r.IntN(8) == 0 {
			size, unit = 19000+r.Float64()*1100, 1000 // reaching the antipode
		}
		s := geohash.Shape{Lon: lon, Lat: lat, Radius: size, Unit: unit}
		if r.IntN(2) == 0 {
			s = geohash.Shape{Lon: lon, Lat: lat, Box: true, Width: 2 * size, Height: size * (0.2 + 2*r.Float64()), Unit: unit}
		}
		p := s.Prepare()
		for range 50 {
			d := size * unit * 1.5 * r.Float64()
			switch r.IntN(4) {
			case 0:
				d = size * unit * (1 + (r.Float64()-0.5)*1e-9) // at the edge
			case 1:
				d = math.Pi*geohash.EarthRadius - d/1000 // nearly antipodal
			}
			plon, plat := destination(lon, lat, r.Float64()*2*math.Pi, d)
			wantD, wantOK := s.Contains(plon, plat)
			key, ok := p.Rank(plon, plat)
			require.Equal(t, wantOK, ok, "shape %+v point (%v, %v)", s, plon, plat)
			if !s.Box {
				require.Equal(t, geohash.Distance(lon, lat, plon, plat) <= size*unit, ok, "shape %+v point (%v, %v)", s, plon, plat)
			}
			if !ok {
				continue
			}
			want := math.Sin(wantD / (2 * geohash.EarthRadius))
			want *= want
			require.InDelta(t, want, key, 2*geohash.RankError*want, "shape %+v point (%v, %v)", s, plon, plat)
			require.Equal(t, wantD, p.Distance(plon, plat))
			if key > 0.99 {
				antipodal++
			}
		}
	}
	assert.Greater(t, antipodal, 100)
}

// TestDecodeScoreAsDecode checks DecodeScore's shortcut against the cell Decode returns, for random 52-bit
// scores, scores at the limits, and scores GEOADD never stores.
func TestDecodeScoreAsDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	scores := []float64{0, 1, 1<<52 - 1, 1 << 52, -1, 0.5, 1e19, -1e30, math.Inf(1), math.NaN()}
	for range 100000 {
		scores = append(scores, float64(r.Uint64N(1<<52)))
	}
	for _, s := range scores {
		wantLon, wantLat := geohash.Decode(geohash.Hash{Bits: geohash.ScoreBits(s), Step: geohash.StepMax}).Center()
		lon, lat := geohash.DecodeScore(s)
		require.Equal(t, math.Float64bits(wantLon), math.Float64bits(lon), "score %v", s)
		require.Equal(t, math.Float64bits(wantLat), math.Float64bits(lat), "score %v", s)
	}
}
