package geohash

// The limits of Redis's geo index. Latitudes are limited to the band a Web Mercator map shows, so the 52-bit
// scores Redis stores cover -85.05112878..85.05112878 rather than -90..90.
const (
	StepMax = 26 // bits per axis of a full-precision hash; a score has 2*StepMax = 52 bits

	LongMin = -180.0
	LongMax = 180.0
	LatMin  = -85.05112878
	LatMax  = 85.05112878
)

// Range is a closed interval of degrees on one axis.
type Range struct{ Min, Max float64 }

// The coordinate ranges of the stored scores (WGS84) and of the standard geohash alphabet strings.
var (
	LongRange   = Range{LongMin, LongMax}
	LatRange    = Range{LatMin, LatMax}
	StdLatRange = Range{-90, 90}
)

// Hash is a geohash of Step bits per axis: the latitude bits sit in the even positions of Bits (bit 0, 2, ...)
// and the longitude bits in the odd ones, so the most significant bit (2*Step-1) is a longitude bit, as in
// Redis's interleave64(lat, long). The zero Hash (Bits 0, Step 0) means "no cell".
type Hash struct {
	Bits uint64
	Step uint8
}

// IsZero reports whether h is the zero Hash, which Redis uses for a cell excluded from a search.
func (h Hash) IsZero() bool { return h.Bits == 0 && h.Step == 0 }

// Area is the cell a Hash names: its longitude and latitude ranges.
type Area struct {
	Hash      Hash
	Long, Lat Range
}

// spread moves the low 32 bits of v to the even bit positions of the result.
func spread(v uint64) uint64 {
	v &= 0xFFFFFFFF
	v = (v | v<<16) & 0x0000FFFF0000FFFF
	v = (v | v<<8) & 0x00FF00FF00FF00FF
	v = (v | v<<4) & 0x0F0F0F0F0F0F0F0F
	v = (v | v<<2) & 0x3333333333333333
	v = (v | v<<1) & 0x5555555555555555
	return v
}

// squash is the inverse of spread: it gathers the even bits of v into the low 32 bits.
func squash(v uint64) uint64 {
	v &= 0x5555555555555555
	v = (v | v>>1) & 0x3333333333333333
	v = (v | v>>2) & 0x0F0F0F0F0F0F0F0F
	v = (v | v>>4) & 0x00FF00FF00FF00FF
	v = (v | v>>8) & 0x0000FFFF0000FFFF
	v = (v | v>>16) & 0x00000000FFFFFFFF
	return v
}

// Interleave returns the bits of lat in the even positions and those of long in the odd positions.
func Interleave(lat, long uint32) uint64 { return spread(uint64(lat)) | spread(uint64(long))<<1 }

// Deinterleave splits bits into its even (latitude) and odd (longitude) halves; it inverts [Interleave].
func Deinterleave(bits uint64) (lat, long uint32) {
	return uint32(squash(bits)), uint32(squash(bits >> 1))
}

// EncodeRange encodes a point into a hash of step bits per axis over the given ranges. It fails (ok false)
// when step is not in 1..32, a range is empty, or the point lies outside the ranges or outside the WGS84
// limits [LongMin]..[LongMax], [LatMin]..[LatMax].
//
// Matches Redis: each axis offset is (v-min)/(max-min) scaled by 2^step and truncated, so a point on the
// upper edge gets the offset 2^step, one past the last cell.
func EncodeRange(longR, latR Range, lon, lat float64, step uint8) (Hash, bool) {
	if step == 0 || step > 32 || latR.Min == latR.Max || longR.Min == longR.Max {
		return Hash{}, false
	}
	// Written as negations so NaN fails too (Redis's comparisons let NaN through, but it never passes one).
	if !(lon <= LongMax && lon >= LongMin && lat <= LatMax && lat >= LatMin) {
		return Hash{}, false
	}
	if !(lat >= latR.Min && lat <= latR.Max && lon >= longR.Min && lon <= longR.Max) {
		return Hash{}, false
	}
	latOff := (lat - latR.Min) / (latR.Max - latR.Min)
	longOff := (lon - longR.Min) / (longR.Max - longR.Min)
	scale := float64(uint64(1) << step)
	latOff *= scale
	longOff *= scale
	return Hash{Bits: Interleave(toUint32(latOff), toUint32(longOff)), Step: step}, true
}

// toUint32 truncates a non-negative offset as C's conversion to uint32_t does for in-range values; the
// offsets never exceed 2^32.
func toUint32(f float64) uint32 {
	if f >= 1<<32 {
		return uint32(uint64(f))
	}
	return uint32(f)
}

// Encode encodes a point into a hash of step bits per axis over Redis's WGS84 ranges.
func Encode(lon, lat float64, step uint8) (Hash, bool) {
	return EncodeRange(LongRange, LatRange, lon, lat, step)
}

// Score returns the 52-bit integer Redis stores as a geo member's sorted-set score for the point. It fails
// for a point outside [LongMin]..[LongMax], [LatMin]..[LatMax].
func Score(lon, lat float64) (uint64, bool) {
	h, ok := Encode(lon, lat, StepMax)
	return h.Bits << (52 - 2*StepMax), ok
}

// DecodeRange returns the cell of h over the given ranges. As in Redis, the offsets are read back as 32-bit
// integers, so the upper bound of a cell whose offset is 2^32-1 wraps to the lower edge.
func DecodeRange(longR, latR Range, h Hash) Area {
	ilat, ilong := Deinterleave(h.Bits)
	latScale := latR.Max - latR.Min
	longScale := longR.Max - longR.Min
	div := float64(uint64(1) << h.Step)
	return Area{
		Hash: h,
		Lat: Range{
			Min: latR.Min + (float64(ilat)*1.0/div)*latScale,
			Max: latR.Min + (float64(ilat+1)*1.0/div)*latScale,
		},
		Long: Range{
			Min: longR.Min + (float64(ilong)*1.0/div)*longScale,
			Max: longR.Min + (float64(ilong+1)*1.0/div)*longScale,
		},
	}
}

// Decode returns the cell of h over Redis's WGS84 ranges.
func Decode(h Hash) Area { return DecodeRange(LongRange, LatRange, h) }

// Center returns the middle of the cell, clamped to [LongMin]..[LongMax] and [LatMin]..[LatMax] as Redis
// clamps the positions it reports.
func (a Area) Center() (lon, lat float64) {
	return clamp((a.Long.Min+a.Long.Max)/2, LongMin, LongMax), clamp((a.Lat.Min+a.Lat.Max)/2, LatMin, LatMax)
}

// clamp is min(max(v, lo), hi) for a finite v, in fewer instructions than the built-ins spend on NaN and zeros.
func clamp(v, lo, hi float64) float64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// ScoreBits converts a sorted-set score to the integer Redis decodes a position from, as a C cast of a double
// to uint64_t does on x86-64: fractions are truncated, negative scores wrap around two's complement, and
// values no 64-bit integer holds (and NaN) give 1<<63 or, at 2^64 and above, 0.
func ScoreBits(score float64) uint64 {
	switch {
	case score != score:
		return 1 << 63
	case score < 1<<63:
		if score <= -(1 << 63) {
			return 1 << 63
		}
		return uint64(int64(score))
	case score >= 1<<64:
		return 0
	default:
		return uint64(int64(score-(1<<63))) ^ 1<<63
	}
}

// DecodeScore returns the position Redis reports for a member with the given score: the clamped centre of the
// full-precision cell. Every score decodes, even one Redis never stored.
func DecodeScore(score float64) (lon, lat float64) {
	// Decode(Hash{Bits: ScoreBits(score), Step: StepMax}).Center(), with the same operations in the same order
	// but computing only what the centre needs.
	ilat, ilong := Deinterleave(ScoreBits(score))
	const div = float64(uint64(1) << StepMax)
	const latScale, longScale = LatMax - LatMin, LongMax - LongMin
	latMin := LatMin + (float64(ilat)*1.0/div)*latScale
	latMax := LatMin + (float64(ilat+1)*1.0/div)*latScale
	longMin := LongMin + (float64(ilong)*1.0/div)*longScale
	longMax := LongMin + (float64(ilong+1)*1.0/div)*longScale
	return clamp((longMin+longMax)/2, LongMin, LongMax), clamp((latMin+latMax)/2, LatMin, LatMax)
}

// alphabet is the standard geohash base-32 alphabet.
const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// AppendText appends the 11-character standard geohash string GEOHASH reports for a member with the given
// score. Matches Redis: the position is decoded, re-encoded with the standard latitude range -90..90 at 26
// steps, and the 52 bits give ten characters; the eleventh is always '0'.
func AppendText(dst []byte, score float64) []byte {
	lon, lat := DecodeScore(score)
	h, _ := EncodeRange(LongRange, StdLatRange, lon, lat, StepMax)
	for i := 0; i < 10; i++ {
		dst = append(dst, alphabet[(h.Bits>>(52-(i+1)*5))&0x1f])
	}
	return append(dst, alphabet[0])
}

// Text returns [AppendText] as a string.
func Text(score float64) string { return string(AppendText(make([]byte, 0, 11), score)) }

// Align52 returns h's bits shifted to a 52-bit score: the lowest score of the cell.
func (h Hash) Align52() uint64 { return h.Bits << (52 - 2*uint(h.Step)) }

// ScoreRange returns the scores [min, max) of the members stored inside h's cell.
func (h Hash) ScoreRange() (min, max uint64) {
	return h.Align52(), Hash{Bits: h.Bits + 1, Step: h.Step}.Align52()
}

// Neighbors are the eight cells around a cell, all of the same step. The zero Hash marks a neighbour a search
// excluded.
type Neighbors struct {
	North, South, East, West                   Hash
	NorthEast, NorthWest, SouthEast, SouthWest Hash
}

const (
	evenBits = 0x5555555555555555 // latitude bits
	oddBits  = 0xaaaaaaaaaaaaaaaa // longitude bits
)

// moveX moves h d cells east (d > 0) or west (d < 0). Matches Redis: the step-bit longitude wraps, so the
// cell east of the last column is the first column (the antimeridian), and bits above the step are dropped.
func moveX(h Hash, d int) Hash {
	if d == 0 {
		return h
	}
	x, y := h.Bits&oddBits, h.Bits&evenBits
	fill := uint64(evenBits) >> (64 - 2*uint(h.Step)) // every latitude bit: carries skip over them
	if d > 0 {
		x += fill + 1
	} else {
		x = (x | fill) - (fill + 1)
	}
	x &= uint64(oddBits) >> (64 - 2*uint(h.Step))
	return Hash{Bits: x | y, Step: h.Step}
}

// moveY moves h d cells north (d > 0) or south (d < 0). Matches Redis: the latitude wraps too, so the cell
// north of the top row is the bottom row.
func moveY(h Hash, d int) Hash {
	if d == 0 {
		return h
	}
	x, y := h.Bits&oddBits, h.Bits&evenBits
	fill := uint64(oddBits) >> (64 - 2*uint(h.Step))
	if d > 0 {
		y += fill + 1
	} else {
		y = (y | fill) - (fill + 1)
	}
	y &= uint64(evenBits) >> (64 - 2*uint(h.Step))
	return Hash{Bits: x | y, Step: h.Step}
}

// Neighbors returns the eight cells around h, wrapping at the edges of the grid as Redis does. h.Step must
// be in 1..32.
func (h Hash) Neighbors() Neighbors {
	return Neighbors{
		East:      moveX(h, 1),
		West:      moveX(h, -1),
		South:     moveY(h, -1),
		North:     moveY(h, 1),
		NorthWest: moveY(moveX(h, -1), 1),
		SouthWest: moveY(moveX(h, -1), -1),
		NorthEast: moveY(moveX(h, 1), 1),
		SouthEast: moveY(moveX(h, 1), -1),
	}
}

// mercatorMax is the half circumference of the Web Mercator world Redis measures step sizes against.
const mercatorMax = 20037726.37

// EstimateSteps returns the step Redis searches with for a radius of radiusM meters around a point at
// latitude lat: the largest step whose cells are roughly no smaller than the radius, one or two less near the
// poles, within 1..26. A radius of 0 gives 26; so does a negative one, for which Redis's loop would not end
// (its commands reject negative radii first).
func EstimateSteps(radiusM, lat float64) uint8 {
	if radiusM <= 0 {
		return StepMax
	}
	step := 1
	for radiusM < mercatorMax {
		radiusM *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), StepMax))
}
