package geohash_test

import (
	"math"
	"testing"

	"github.com/carminedb/carmine/geohash"
)

func FuzzEncode(f *testing.F) {
	f.Add(0.0, 0.0, uint8(26))
	f.Add(180.0, geohash.LatMax, uint8(26))
	f.Add(-180.0, geohash.LatMin, uint8(1))
	f.Add(13.361389, 38.115556, uint8(32))
	f.Add(math.NaN(), 0.0, uint8(26))
	f.Add(1e-300, -1e-300, uint8(0))
	f.Fuzz(func(t *testing.T, lon, lat float64, step uint8) {
		h, ok := geohash.Encode(lon, lat, step)
		if !ok {
			if step >= 1 && step <= 32 && lon >= geohash.LongMin && lon <= geohash.LongMax &&
				lat >= geohash.LatMin && lat <= geohash.LatMax {
				t.Fatalf("Encode(%v, %v, %d) rejected a valid point", lon, lat, step)
			}
			return
		}
		a := geohash.Decode(h)
		// At step 32 an upper-edge offset of 2^32 wraps to 0, as the C cast to uint32_t does on x86-64.
		wraps := step == 32 && (lon == geohash.LongMax || lat == geohash.LatMax)
		// The offset is computed in floating point, so a point within an ulp of an edge may land in the next
		// cell (as in Redis): allow 1e-12 degrees.
		a.Long.Min, a.Long.Max, a.Lat.Min, a.Lat.Max = a.Long.Min-1e-12, a.Long.Max+1e-12, a.Lat.Min-1e-12, a.Lat.Max+1e-12
		if !wraps && !inArea(a, lon, lat) {
			t.Fatalf("Encode(%v, %v, %d) = %+v, decoded to %+v", lon, lat, step, h, a)
		}
		_ = h.Neighbors()
		if lo, hi := h.ScoreRange(); step <= 26 && lo >= hi {
			t.Fatalf("empty score range %d..%d of %+v", lo, hi, h)
		}
	})
}

func FuzzDecodeScore(f *testing.F) {
	for _, s := range []float64{0, 1, -1, 0.5, 1 << 52, 3 * (1 << 52), 1 << 63, 1e19, 2e19, -1e30, math.Inf(1), math.NaN()} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, score float64) {
		lon, lat := geohash.DecodeScore(score)
		if !(lon >= geohash.LongMin && lon <= geohash.LongMax && lat >= geohash.LatMin && lat <= geohash.LatMax) {
			t.Fatalf("DecodeScore(%v) = %v, %v: out of range", score, lon, lat)
		}
		if txt := geohash.Text(score); len(txt) != 11 {
			t.Fatalf("Text(%v) = %q", score, txt)
		}
		if score >= 0 && score < 1<<52 {
			// A stored score decodes into its own cell and re-encodes to itself.
			s, ok := geohash.Score(lon, lat)
			if !ok || s != uint64(score) {
				t.Fatalf("DecodeScore(%v) = %v, %v, which encodes to %d (%v)", score, lon, lat, s, ok)
			}
		}
	})
}

func FuzzSearchArea(f *testing.F) {
	f.Add(0.0, 0.0, 100.0, 0.0, 0.0, 1.0, false)
	f.Add(179.9, 85.0, 5000.0, 10.0, 10.0, 1000.0, true)
	f.Add(-180.0, -85.05112878, 1e9, 1e9, 1e-9, 0.3048, true)
	f.Add(4.484630592533307, 85.04902261190031, 581260.5489689653, 0.0, 0.0, 1.0, false)
	f.Fuzz(func(t *testing.T, lon, lat, radius, width, height, unit float64, box bool) {
		s := geohash.Shape{Lon: lon, Lat: lat, Box: box, Radius: radius, Width: width, Height: height, Unit: unit}
		ranges := s.SearchArea().AppendRanges(nil)
		_, _ = s.Contains(lat, lon)
		if _, ok := geohash.Score(lon, lat); !ok || len(ranges) == 0 {
			return
		}
		for _, r := range ranges {
			if r.Min >= r.Max {
				t.Fatalf("%+v: empty range %+v", s, r)
			}
		}
	})
}

func FuzzDistance(f *testing.F) {
	f.Add(13.361389, 38.115556, 15.087269, 37.502669)
	f.Add(0.0, 0.0, 180.0, 0.0)
	f.Add(-180.0, 85.05112878, 180.0, -85.05112878)
	f.Add(10.0, 20.0, 10.0, -20.0)
	f.Fuzz(func(t *testing.T, lon1, lat1, lon2, lat2 float64) {
		d := geohash.Distance(lon1, lat1, lon2, lat2)
		if !(lon1 >= -180 && lon1 <= 180 && lon2 >= -180 && lon2 <= 180 && math.Abs(lat1) <= 90 && math.Abs(lat2) <= 90) {
			return
		}
		if !(d >= 0 && d <= math.Pi*geohash.EarthRadius*(1+1e-12)) {
			t.Fatalf("Distance(%v, %v, %v, %v) = %v", lon1, lat1, lon2, lat2, d)
		}
		// The fast decision of Within agrees with the exact distance.
		s := geohash.Shape{Lon: lon1, Lat: lat1, Radius: d, Unit: 1}
		if !s.Within(lon2, lat2) {
			t.Fatalf("a point at exactly the radius %v is outside", d)
		}
		s.Radius = math.Nextafter(d, 0)
		if d > 0 && s.Within(lon2, lat2) {
			t.Fatalf("a point an ulp beyond the radius %v is inside", s.Radius)
		}
	})
}
