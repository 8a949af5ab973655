package geohash

import "math"

// EarthRadius is the earth's radius in meters that Redis's distances use.
const EarthRadius = 6372797.560856

const degToRad = math.Pi / 180.0

func radians(deg float64) float64 { return deg * degToRad }
func degrees(rad float64) float64 { return rad / degToRad }

// LatDistance returns the distance in meters between two latitudes on one meridian.
func LatDistance(lat1, lat2 float64) float64 {
	return EarthRadius * math.Abs(radians(lat2)-radians(lat1))
}

// Distance returns the haversine distance in meters between two points, with Redis's [EarthRadius]. Matches
// Redis: the same operations in the same order, and when the longitudes give a zero half-angle sine the result
// is [LatDistance]. Its sin, cos and asin are correctly rounded (see trig.go).
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	v := sin((radians(lon2) - radians(lon1)) / 2)
	if v == 0 {
		return LatDistance(lat1, lat2)
	}
	lat1r, lat2r := radians(lat1), radians(lat2)
	u := sin((lat2r - lat1r) / 2)
	a := u*u + cos(lat1r)*cos(lat2r)*v*v
	return 2.0 * EarthRadius * asin(math.Sqrt(a))
}

// Shape is the area of a GEOSEARCH: a circle of Radius or a box of Width by Height around (Lon, Lat), with
// sizes in a unit of Unit meters (1 for m, 1000 for km, 0.3048 for ft, 1609.34 for mi). Redis keeps the
// unit apart from the sizes and multiplies where it needs meters, and so does Shape, so that every rounding
// step matches.
type Shape struct {
	Lon, Lat      float64
	Box           bool    // a box of Width by Height; otherwise a circle of Radius
	Radius        float64 // in units
	Width, Height float64 // in units
	Unit          float64 // meters per unit
}

// BoundingBox returns the longitudes and latitudes that enclose the shape. Matches Redis: the longitude
// half-width is taken at the latitude edge nearer the pole (the northern edge in the northern hemisphere,
// the southern one otherwise), and the box is not wrapped at the antimeridian or clipped at the poles.
func (s Shape) BoundingBox() (minLon, minLat, maxLon, maxLat float64) {
	var height, width float64
	if s.Box {
		height = s.Unit * (s.Height / 2)
		width = s.Unit * (s.Width / 2)
	} else {
		height = s.Unit * s.Radius
		width = s.Unit * s.Radius
	}
	latDelta := degrees(height / EarthRadius)
	longDeltaTop := degrees(width / EarthRadius / cos(radians(s.Lat+latDelta)))
	longDeltaBottom := degrees(width / EarthRadius / cos(radians(s.Lat-latDelta)))
	if s.Lat < 0 {
		minLon, maxLon = s.Lon-longDeltaBottom, s.Lon+longDeltaBottom
	} else {
		minLon, maxLon = s.Lon-longDeltaTop, s.Lon+longDeltaTop
	}
	return minLon, s.Lat - latDelta, maxLon, s.Lat + latDelta
}

// Contains reports whether the point (lon, lat) lies in the shape, and if so its distance in meters from the
// centre. Matches Redis: a circle holds the points at most Radius away; a box holds the points whose
// latitude distance from the centre is at most Height/2 and whose distance along their own parallel from the
// centre's meridian is at most Width/2. To test many points, use [Shape.Prepare].
func (s Shape) Contains(lon, lat float64) (distM float64, ok bool) {
	p := s.Prepare()
	return p.Contains(lon, lat)
}

// Within is Contains without the distance.
func (s Shape) Within(lon, lat float64) bool {
	p := s.Prepare()
	return p.Within(lon, lat)
}

// Prepared is a Shape made ready to test many points: what depends only on the centre and the size is
// computed once. Its methods give the same results as the Shape's.
type Prepared struct {
	s                  Shape
	lon1r, lat1r       float64 // the centre in radians
	cosLat1, cosLat1Go float64 // cos of the centre's latitude: correctly rounded, and math.Cos's
	limitM             float64 // the radius, or half the width, in meters
	halfHeightM        float64
	aLimit             float64 // a circle's haversine term sin^2(radius/2R) at the radius; 0 to skip the shortcut
	lonLimit           float64 // more than a circle's points differ in longitude from the centre; 0 if unknown
	// The cell offsets (as Deinterleave returns them) of the stored positions that may lie in the shape.
	latLo, latHi, longLo, longHi uint32
}

// Prepare returns the shape made ready to test many points.
func (s Shape) Prepare() Prepared {
	p := Prepared{s: s, lon1r: radians(s.Lon), lat1r: radians(s.Lat)}
	p.cosLat1, p.cosLat1Go = cos(p.lat1r), math.Cos(p.lat1r)
	latDelta := 90.0 // degrees of latitude that points may lie north or south of the centre
	longDelta := 0.0 // degrees of longitude east or west, 0 for any
	if s.Box {
		p.limitM, p.halfHeightM = s.Width*s.Unit/2, s.Height*s.Unit/2
		// A point lies at most halfHeightM north or south, and at most limitM along its parallel, whose
		// haversine distance 2R asin(cos(lat) sin(dLong/2)) is smallest for the parallel nearest a pole.
		latDelta = degrees(p.halfHeightM / EarthRadius)
		if maxLat := math.Abs(s.Lat) + latDelta; maxLat < 89 {
			if x := math.Sin(p.limitM/(2*EarthRadius)) / math.Cos(radians(maxLat)); x < 0.99 {
				longDelta = 2 * degrees(math.Asin(x))
			}
		}
	} else {
		p.limitM = s.Radius * s.Unit
		if theta := p.limitM / (2 * EarthRadius); theta < 1.4 {
			sn := math.Sin(theta)
			p.aLimit = sn * sn
		}
		// A cap of angular radius r around latitude lat that holds no pole spans asin(sin r / cos lat) of
		// longitude either side of its centre; with a margin far above the errors of computing it.
		if r := p.limitM / EarthRadius; r < 1 && math.Abs(s.Lat)+degrees(r) < 89 {
			if x := math.Sin(r) / math.Cos(p.lat1r); x < 0.99 {
				p.lonLimit = degrees(math.Asin(x))*(1+1e-6) + 1e-9
			}
		}
		latDelta, longDelta = degrees(p.limitM/EarthRadius), p.lonLimit
	}
	// The offsets of the cells whose centres may lie within those bounds, with margins of a relative 1e-6
	// and of a cell on each side.
	latDelta = latDelta*(1+1e-6) + 1e-9
	p.latLo, p.latHi = cellOffsets(s.Lat-latDelta, s.Lat+latDelta, LatRange)
	p.longLo, p.longHi = 0, 1<<StepMax-1
	if longDelta > 0 && s.Lon-longDelta > LongMin && s.Lon+longDelta < LongMax {
		longDelta = longDelta*(1+1e-6) + 1e-9
		p.longLo, p.longHi = cellOffsets(s.Lon-longDelta, s.Lon+longDelta, LongRange)
	}
	return p
}

// cellOffsets returns the first and the last offset along r of the full-precision cells whose centres may lie
// between lo and hi: with a cell to spare on each side, and clamped to the offsets of scores GEOADD stores.
func cellOffsets(lo, hi float64, r Range) (first, last uint32) {
	const cells = 1 << StepMax
	f := math.Floor((lo-r.Min)/(r.Max-r.Min)*cells-0.5) - 1
	l := math.Ceil((hi-r.Min)/(r.Max-r.Min)*cells-0.5) + 1
	return uint32(min(max(f, 0), cells-1)), uint32(min(max(l, 0), cells-1))
}

// MayContain is a cheap test on a stored score before decoding it: false means that the position
// [DecodeScore] gives lies outside the shape; true, that it may lie inside.
func (p *Prepared) MayContain(score float64) bool {
	bits := ScoreBits(score)
	if bits >= 1<<(2*StepMax) {
		return true // not a score GEOADD stores; its offsets wrap around when decoded
	}
	lat, long := Deinterleave(bits)
	return lat >= p.latLo && lat <= p.latHi && long >= p.longLo && long <= p.longHi
}

// Contains is [Shape.Contains].
func (p *Prepared) Contains(lon, lat float64) (distM float64, ok bool) {
	if !p.Within(lon, lat) {
		return 0, false
	}
	return p.distance(lon, lat), true
}

// Within is [Shape.Within]: it computes distances exactly only for points near the edge.
func (p *Prepared) Within(lon, lat float64) bool {
	if !p.s.Box {
		if p.outsideCircleBox(lon, lat) {
			return false
		}
		return !p.exceeds(lon, lat)
	}
	if LatDistance(lat, p.s.Lat) > p.halfHeightM {
		return false
	}
	return !exceeds(lon, lat, p.s.Lon, lat, p.limitM)
}

// RankError bounds the relative error of the keys [Prepared.Rank] returns.
const RankError = 1e-12

// Rank decides as [Prepared.Contains] does whether (lon, lat) lies in the shape, and returns instead of the
// distance d a cheaper key that grows with it: the haversine term sin^2(d/2R), computed with the math package's
// functions to within a relative [RankError] of its value for the exact d. So points whose keys differ by more
// than that (relative to the larger) are in the same order by exact distance, and only points whose keys are
// closer need [Prepared.Distance] to be ordered.
func (p *Prepared) Rank(lon, lat float64) (key float64, ok bool) {
	if !p.s.Box && p.outsideCircleBox(lon, lat) {
		return 0, false
	}
	lat2r := radians(lat)
	v := math.Sin((radians(lon) - p.lon1r) / 2)
	u := math.Sin((lat2r - p.lat1r) / 2)
	a := u*u + p.cosLat1Go*math.Cos(lat2r)*v*v
	if p.s.Box {
		return a, p.Within(lon, lat)
	}
	// As exceeds: away from the edge and from antipodes, a decides.
	if v != 0 && a < 0.99 {
		if p.aLimit > 0 {
			switch {
			case a > p.aLimit*(1+1e-9):
				return 0, false
			case a < p.aLimit*(1-1e-9):
				return a, true
			}
		} else {
			d := 2.0 * EarthRadius * math.Asin(math.Sqrt(a))
			switch {
			case d > p.limitM*(1+1e-9):
				return 0, false
			case d < p.limitM*(1-1e-9):
				return a, true
			}
		}
	}
	return a, p.distance(lon, lat) <= p.limitM
}

// Distance returns [Distance] from the centre to (lon, lat).
func (p *Prepared) Distance(lon, lat float64) float64 { return p.distance(lon, lat) }

// outsideCircleBox is a cheap test for points clearly outside a circle: farther north or south than the radius
// (a point's distance is at least its latitude distance), or farther east or west than the circle reaches.
func (p *Prepared) outsideCircleBox(lon, lat float64) bool {
	if LatDistance(p.s.Lat, lat) > p.limitM*(1+1e-9) {
		return true
	}
	if p.lonLimit > 0 {
		dl := math.Abs(lon - p.s.Lon)
		if dl > 180 {
			dl = 360 - dl
		}
		return dl > p.lonLimit
	}
	return false
}

// distance is Distance(centre, point) with the centre's part computed once; the same operations in the same
// order, so the same result.
func (p *Prepared) distance(lon2, lat2 float64) float64 {
	v := sin((radians(lon2) - p.lon1r) / 2)
	if v == 0 {
		return LatDistance(p.s.Lat, lat2)
	}
	lat2r := radians(lat2)
	u := sin((lat2r - p.lat1r) / 2)
	a := u*u + p.cosLat1*cos(lat2r)*v*v
	return 2.0 * EarthRadius * asin(math.Sqrt(a))
}

// exceeds is the package's exceeds for the centre and the radius.
func (p *Prepared) exceeds(lon2, lat2 float64) bool {
	v := math.Sin((radians(lon2) - p.lon1r) / 2)
	if v != 0 {
		lat2r := radians(lat2)
		u := math.Sin((lat2r - p.lat1r) / 2)
		a := u*u + p.cosLat1Go*math.Cos(lat2r)*v*v
		// Away from the edge, and from antipodes (where asin amplifies errors), a decides: the distance grows
		// with it, so a is compared with its value at the radius when there is one, or the distance computed.
		if a < 0.99 {
			if p.aLimit > 0 {
				switch {
				case a > p.aLimit*(1+1e-9):
					return true
				case a < p.aLimit*(1-1e-9):
					return false
				}
			} else {
				d := 2.0 * EarthRadius * math.Asin(math.Sqrt(a))
				switch {
				case d > p.limitM*(1+1e-9):
					return true
				case d < p.limitM*(1-1e-9):
					return false
				}
			}
		}
	}
	return p.distance(lon2, lat2) > p.limitM
}

// exceeds reports whether Distance(lon1, lat1, lon2, lat2) > limit. It decides with the math package's
// functions, whose error is a few ulps, unless the distance is within a relative 1e-9 of the limit or the points
// are nearly antipodal (where asin amplifies errors); then it computes the distance exactly.
func exceeds(lon1, lat1, lon2, lat2, limit float64) bool {
	v := math.Sin((radians(lon2) - radians(lon1)) / 2)
	if v != 0 {
		lat1r, lat2r := radians(lat1), radians(lat2)
		u := math.Sin((lat2r - lat1r) / 2)
		a := u*u + math.Cos(lat1r)*math.Cos(lat2r)*v*v
		if a < 0.99 {
			d := 2.0 * EarthRadius * math.Asin(math.Sqrt(a))
			switch {
			case d > limit*(1+1e-9):
				return true
			case d < limit*(1-1e-9):
				return false
			}
		}
	}
	return Distance(lon1, lat1, lon2, lat2) > limit
}

// radiusM is the radius in meters the step estimate uses: the radius, or the half diagonal of a box.
func (s Shape) radiusM() float64 {
	r := s.Radius
	if s.Box {
		r = math.Sqrt((s.Width/2)*(s.Width/2) + (s.Height/2)*(s.Height/2))
	}
	return r * s.Unit
}

// SearchArea is the set of cells a search scans: the cell of the centre and its eight neighbours, some of them
// zeroed because they cannot hold a point of the shape.
type SearchArea struct {
	Hash      Hash
	Neighbors Neighbors
	Area      Area
}

// SearchArea returns the cells Redis scans for the shape. The centre must lie within the WGS84 limits.
// Matches Redis: the step comes from [EstimateSteps] for the radius (or half diagonal); it drops by one when a
// side neighbour does not reach the bounding box; and from step 2 up, the neighbours on a side where the
// centre's own cell already extends past the bounding box are zeroed.
func (s Shape) SearchArea() SearchArea {
	minLon, minLat, maxLon, maxLat := s.BoundingBox()
	steps := EstimateSteps(s.radiusM(), s.Lat)
	h, _ := Encode(s.Lon, s.Lat, steps)
	nb := h.Neighbors()
	area := Decode(h)

	north, south := Decode(nb.North), Decode(nb.South)
	east, west := Decode(nb.East), Decode(nb.West)
	decrease := north.Lat.Max < maxLat || south.Lat.Min > minLat ||
		east.Long.Max < maxLon || west.Long.Min > minLon
	if steps > 1 && decrease {
		steps--
		h, _ = Encode(s.Lon, s.Lat, steps)
		nb = h.Neighbors()
		area = Decode(h)
	}
	if steps >= 2 {
		if area.Lat.Min < minLat {
			nb.South, nb.SouthWest, nb.SouthEast = Hash{}, Hash{}, Hash{}
		}
		if area.Lat.Max > maxLat {
			nb.North, nb.NorthEast, nb.NorthWest = Hash{}, Hash{}, Hash{}
		}
		if area.Long.Min < minLon {
			nb.West, nb.SouthWest, nb.NorthWest = Hash{}, Hash{}, Hash{}
		}
		if area.Long.Max > maxLon {
			nb.East, nb.SouthEast, nb.NorthEast = Hash{}, Hash{}, Hash{}
		}
	}
	return SearchArea{Hash: h, Neighbors: nb, Area: area}
}

// Cells returns the nine cells in the order Redis scans them: the centre, then north, south, east, west,
// north-east, north-west, south-east, south-west. Zeroed cells are included.
func (a SearchArea) Cells() [9]Hash {
	n := a.Neighbors
	return [9]Hash{a.Hash, n.North, n.South, n.East, n.West, n.NorthEast, n.NorthWest, n.SouthEast, n.SouthWest}
}

// ScoreRange is a range of stored scores [Min, Max).
type ScoreRange struct{ Min, Max uint64 }

// AppendRanges appends the score ranges Redis scans for the area, in its order: the cells of [SearchArea.Cells]
// without the zeroed ones and without a cell equal to the last one scanned. Matches Redis: only a repeat of the
// previously scanned cell is skipped (and never a repeat of the centre), so a range may appear twice and its
// members be reported twice.
func (a SearchArea) AppendRanges(dst []ScoreRange) []ScoreRange {
	cells := a.Cells()
	last := 0
	for i, c := range cells {
		if c.IsZero() {
			continue
		}
		if last != 0 && c == cells[last] {
			continue
		}
		lo, hi := c.ScoreRange()
		dst = append(dst, ScoreRange{lo, hi})
		last = i
	}
	return dst
}
