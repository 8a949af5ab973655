package geohash

import (
	"math"
	"math/big"
	"sync"
)

// Redis computes distances with the C library's sin, cos and asin, which on glibc are correctly rounded for all
// but about one argument in a thousand, while Go's math package is an ulp off for a third of them. An ulp is
// enough to change the fourth decimal Redis prints now and then, and every bit of a STOREDIST score. So the
// distance functions use the correctly rounded versions below: a fast evaluation to about 2^-70 from a table of
// sin and cos at multiples of 1/64, which decides the rounding but for near ties, and a double-double (about
// 2^-100) evaluation for those.

// dd is an unevaluated sum hi + lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func fastTwoSum(a, b float64) dd { // |a| >= |b|
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func (x dd) add(y dd) dd {
	s := twoSum(x.hi, y.hi)
	t := twoSum(x.lo, y.lo)
	s.lo += t.hi
	s = fastTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return fastTwoSum(s.hi, s.lo)
}

func (x dd) mul(y dd) dd {
	p := twoProd(x.hi, y.hi)
	p.lo += x.hi*y.lo + x.lo*y.hi
	return fastTwoSum(p.hi, p.lo)
}

func (x dd) mulF(y float64) dd {
	p := twoProd(x.hi, y)
	p.lo += x.lo * y
	return fastTwoSum(p.hi, p.lo)
}

func (x dd) neg() dd { return dd{-x.hi, -x.lo} }

// π/2 as the nearest double, and as a sum of three doubles of which the first two have 33 significant bits (so
// their products with small integers are exact), to about 140 bits.
const (
	pio2a  = 1.5707963267948966
	pio2p1 = 1.57079632673412561417e+00
	pio2p2 = 6.07710050630396597660e-11
	pio2p3 = 2.02226624879595063154e-21
)

// The table of sin and cos at i/64, i = 0..52, in double-double, computed once.
const tableStep = 64

var (
	tableOnce sync.Once
	sinTab    [53]dd
	cosTab    [53]dd
)

func initTables() {
	const prec = 200
	recip := func(n int64) dd {
		return bigToDD(new(big.Float).SetPrec(prec).Quo(big.NewFloat(1).SetPrec(prec), big.NewFloat(float64(n)).SetPrec(prec)))
	}
	inv6, inv24, inv120 = recip(6), recip(24), recip(120)
	for i := range sinTab {
		x := new(big.Float).SetPrec(prec).Quo(big.NewFloat(float64(i)).SetPrec(prec), big.NewFloat(tableStep).SetPrec(prec))
		sinTab[i] = bigToDD(bigSinCos(x, prec, true))
		cosTab[i] = bigToDD(bigSinCos(x, prec, false))
	}
}

// bigSinCos evaluates the Taylor series of sin (or cos) at a small x.
func bigSinCos(x *big.Float, prec uint, sin bool) *big.Float {
	x2 := new(big.Float).SetPrec(prec).Mul(x, x)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	n := int64(0)
	if sin {
		term.Set(x)
		n = 1
	}
	sum := new(big.Float).SetPrec(prec).Set(term)
	for k := 0; k < 60; k++ {
		term.Mul(term, x2)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64((n+1)*(n+2)))
		term.Neg(term)
		n += 2
		sum.Add(sum, term)
	}
	return sum
}

func bigToDD(x *big.Float) dd {
	hi, _ := x.Float64()
	rest := new(big.Float).SetPrec(x.Prec()).Sub(x, big.NewFloat(hi))
	lo, _ := rest.Float64()
	return dd{hi, lo}
}

// Taylor coefficients that need more than a double, set by initTables.
var inv6, inv24, inv120 dd

// sinCosSmall returns sin(d) and cos(d) for |d| <= 1/128 + a little.
func sinCosSmall(d dd) (s, c dd) {
	t := d.mul(d)
	th := t.hi
	// sin d = d - d^3/6 + d^5/120 - d^7/5040 + d^9/362880 - d^11/39916800
	ps := -1.0/5040 + th*(1.0/362880+th*(-1.0/39916800))
	qs := inv120.add(twoProd(th, ps))
	qs = inv6.neg().add(t.mul(qs))
	s = d.add(d.mul(t).mul(qs))
	// cos d = 1 - d^2/2 + d^4/24 - d^6/720 + d^8/40320 - d^10/3628800
	pc := -1.0/720 + th*(1.0/40320+th*(-1.0/3628800))
	qc := inv24.add(twoProd(th, pc))
	qc = dd{-0.5, 0}.add(t.mul(qc))
	c = dd{1, 0}.add(t.mul(qc))
	return s, c
}

// reduce splits x (|x| <= 8) into k*π/2 + a + d, with a = i/64 and |d| <= 1/128 (and a little), returning the
// quadrant k mod 4, the table index i (signed) and d as a double-double.
func reduce(x float64) (quadrant int, i float64, d dd) {
	r := dd{x, 0}
	k := 0
	if !(math.Abs(x) <= math.Pi/4) {
		k = roundInt(x * (2 / math.Pi))
		kf := float64(k)
		// x - k*π/2 with π/2 split in 33-bit parts, so that the first two products are exact; the first
		// difference is exact as well (x and k*p1 are close), the second is kept as a double-double.
		w := x - kf*pio2p1
		r = twoSum(w, -kf*pio2p2)
		r.lo -= kf * pio2p3
		r = fastTwoSum(r.hi, r.lo)
	}
	i = float64(roundInt(r.hi * tableStep))
	d = twoSum(r.hi, -i/tableStep) // exact: r.hi and i/64 are close
	d.lo += r.lo
	return k & 3, i, fastTwoSum(d.hi, d.lo)
}

// roundInt rounds to the nearest integer, halves away from zero.
func roundInt(x float64) int {
	if x < 0 {
		return int(x - 0.5)
	}
	return int(x + 0.5)
}

// tableAt returns sin and cos of i/64 for a signed index.
func tableAt(i float64) (sa, ca dd) {
	idx := int(math.Abs(i))
	sa, ca = sinTab[idx], cosTab[idx]
	if i < 0 {
		sa = sa.neg()
	}
	return sa, ca
}

// sinCosDD returns sin(x) and cos(x) in double-double (about 2^-100 relative error) for |x| <= 8.
func sinCosDD(x float64) (s, c dd) {
	tableOnce.Do(initTables)
	quadrant, i, d := reduce(x)
	sd, cd := sinCosSmall(d)
	sa, ca := tableAt(i)
	// sin(a+d) = sin a cos d + cos a sin d; cos(a+d) = cos a cos d - sin a sin d
	sr := sa.mul(cd).add(ca.mul(sd))
	cr := ca.mul(cd).add(sa.mul(sd).neg())
	switch quadrant {
	case 0:
		return sr, cr
	case 1:
		return cr, sr.neg()
	case 2:
		return sr.neg(), cr.neg()
	default:
		return cr.neg(), sr
	}
}

// combine returns p*cos(d) + q*sin(d) as hi + lo with an absolute error below about 2^-72 (|p|, |q| <= 1,
// |d| <= 1/128): the leading products exact, the small rest in double precision.
func combine(p, q, d dd) (hi, lo float64) {
	d2 := twoProd(d.hi, d.hi)
	qd := twoProd(q.hi, d.hi)       // q*d
	pm := twoProd(p.hi, -0.5*d2.hi) // p*(-d^2/2), the leading term of p*(cos d - 1)
	t2 := d2.hi
	cosRest := -0.5*d2.lo + t2*t2*(1.0/24+t2*(-1.0/720+t2*(1.0/40320)))           // cos d - 1 + d^2/2
	sinRest := -d.hi * t2 * (1.0/6 + t2*(-1.0/120+t2*(1.0/5040-t2*(1.0/362880)))) // sin d - d
	s := twoSum(p.hi, qd.hi)
	u := twoSum(s.hi, pm.hi)
	// The rest, each term far below an ulp of the result: the rounding errors of the sums and products above,
	// the low parts of p, q and d in the first-order terms (p.lo*(cos d - 1) and p*(-d*d.lo) included: they can
	// reach 2^-70), and the higher-order terms of cos d - 1 and sin d - d.
	lo = s.lo + u.lo + qd.lo + pm.lo + p.lo + q.lo*d.hi + q.hi*d.lo + p.lo*(-0.5*d2.hi) - p.hi*d.hi*d.lo +
		p.hi*cosRest + q.hi*sinRest
	r := fastTwoSum(u.hi, lo)
	return r.hi, r.lo
}

// rounded returns hi+lo rounded to a double when an error of err cannot change the rounding.
func rounded(hi, lo, err float64) (float64, bool) {
	a, b := hi+(lo+err), hi+(lo-err)
	return a, a == b
}

// The error bound of combine, relative to the result, with a margin.
const combineErr = 0x1p-68

// sin returns sin(x) correctly rounded, for |x| <= 8; larger arguments, which Redis's formulas never produce,
// fall back to math.Sin.
func sin(x float64) float64 {
	if !(math.Abs(x) <= 8) {
		return math.Sin(x)
	}
	if x == 0 {
		return x
	}
	tableOnce.Do(initTables)
	quadrant, i, d := reduce(x)
	sa, ca := tableAt(i)
	var hi, lo float64
	switch quadrant {
	case 0: // sin(a+d)
		hi, lo = combine(sa, ca, d)
	case 1: // cos(a+d)
		hi, lo = combine(ca, sa.neg(), d)
	case 2:
		hi, lo = combine(sa.neg(), ca.neg(), d)
	default:
		hi, lo = combine(ca.neg(), sa, d)
	}
	if r, ok := rounded(hi, lo, math.Abs(hi)*combineErr); ok {
		return r
	}
	s, _ := sinCosDD(x)
	return s.hi + s.lo
}

// cos returns cos(x) correctly rounded, as sin does.
func cos(x float64) float64 {
	if !(math.Abs(x) <= 8) {
		return math.Cos(x)
	}
	tableOnce.Do(initTables)
	quadrant, i, d := reduce(x)
	sa, ca := tableAt(i)
	var hi, lo float64
	switch quadrant {
	case 0: // cos(a+d)
		hi, lo = combine(ca, sa.neg(), d)
	case 1: // -sin(a+d)
		hi, lo = combine(sa.neg(), ca.neg(), d)
	case 2:
		hi, lo = combine(ca.neg(), sa, d)
	default:
		hi, lo = combine(sa, ca, d)
	}
	if r, ok := rounded(hi, lo, math.Abs(hi)*combineErr); ok {
		return r
	}
	_, c := sinCosDD(x)
	return c.hi + c.lo
}

// asin returns asin(y) correctly rounded: one Newton step from a start within a few ulps, with sin and cos of
// the start to about 2^-70, and a double-double retry when that is not enough to round.
func asin(y float64) float64 {
	switch {
	case !(math.Abs(y) <= 1):
		return math.NaN()
	case y == 1 || y == -1:
		return math.Copysign(pio2a, y)
	case y == 0:
		return y
	}
	// The start: atan2 of y and sqrt(1-y^2), with 1-y^2 as (1-y)(1+y) to keep it accurate.
	z := math.Atan2(y, math.Sqrt((1-y)*(1+y)))
	tableOnce.Do(initTables)
	quadrant, i, d := reduce(z) // z is within ±π/2: quadrant 0, 1 or 3
	sa, ca := tableAt(i)
	var sh, sl, ch, cl float64
	switch quadrant {
	case 0:
		sh, sl = combine(sa, ca, d)
		ch, cl = combine(ca, sa.neg(), d)
	case 1:
		sh, sl = combine(ca, sa.neg(), d)
		ch, cl = combine(sa.neg(), ca.neg(), d)
	default:
		sh, sl = combine(ca.neg(), sa, d)
		ch, cl = combine(sa, ca, d)
	}
	diff := twoSum(y, -sh)
	corr := (diff.hi + (diff.lo - sl)) / (ch + cl)
	// Errors: sin's (2^-68 of |y|) over cos, and Newton's own, corr^2*tan(z)/2, with margins.
	err := (math.Abs(y)*combineErr)/ch + corr*corr*math.Abs(y/ch) + math.Abs(corr)*0x1p-50
	if r, ok := rounded(z, corr, err); ok {
		return r
	}
	// Near a tie: Newton steps with sin and cos to about 2^-100, keeping z as a double-double.
	zz := dd{z, 0}
	for range 2 {
		s, c := sinCosDD(zz.hi)
		// sin(hi+lo) = sin(hi) + lo*cos(hi) to far below an ulp, lo being tiny.
		s = s.add(c.mulF(zz.lo))
		diff := dd{y, 0}.add(s.neg())
		zz = zz.add(dd{(diff.hi + diff.lo) / (c.hi + c.lo), 0})
	}
	return zz.hi + zz.lo
}
