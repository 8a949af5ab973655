package geohash

import (
	"bufio"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const bigPrec = 200

func bigF(x float64) *big.Float { return new(big.Float).SetPrec(bigPrec).SetFloat64(x) }

// bigSin computes sin(x) to about 190 bits: x is reduced by a 200-bit π/2 and the series summed.
func bigSin(x float64) *big.Float {
	pio2 := bigPio2()
	k := math.Round(x / (math.Pi / 2))
	r := new(big.Float).SetPrec(bigPrec).Sub(bigF(x), new(big.Float).SetPrec(bigPrec).Mul(bigF(k), pio2))
	var v *big.Float
	switch int(k) & 3 {
	case 0:
		v = bigSinCos(r, bigPrec, true)
	case 1:
		v = bigSinCos(r, bigPrec, false)
	case 2:
		v = bigSinCos(r, bigPrec, true).Neg(bigSinCos(r, bigPrec, true))
	default:
		v = bigSinCos(r, bigPrec, false).Neg(bigSinCos(r, bigPrec, false))
	}
	return v
}

// bigPio2 is π/2 to 200 bits, from its decimal expansion.
func bigPio2() *big.Float {
	pi, _, err := big.ParseFloat("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798", 10, bigPrec, big.ToNearestEven)
	if err != nil {
		panic(err)
	}
	return pi.Quo(pi, big.NewFloat(2))
}

// correctlyRounded reports whether got is the double nearest to the exact value v.
func correctlyRounded(got float64, v *big.Float) bool {
	want, _ := v.Float64() // big.Float rounds to nearest even
	return got == want
}

func TestSinCosCorrectlyRounded(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for n := range 3000 {
		x := (r.Float64()*2 - 1) * 3.3
		if n%3 == 0 {
			x = math.Ldexp(r.Float64(), -r.IntN(40)) // small arguments
		}
		require.True(t, correctlyRounded(sin(x), bigSin(x)), "sin(%v) = %v", x, sin(x))
		require.True(t, correctlyRounded(cos(x), bigCos(x)), "cos(%v) = %v", x, cos(x))
		s, c := sinCosDD(x)
		require.Equal(t, s.hi+s.lo, sin(x), "the fast path agrees with the double-double one")
		require.Equal(t, c.hi+c.lo, cos(x))
	}
	assert.Equal(t, 0.0, sin(0))
	assert.Equal(t, 1.0, cos(0))
	assert.True(t, math.IsNaN(sin(math.NaN())))
	assert.Equal(t, math.Sin(100.0), sin(100), "beyond |x| <= 8: math.Sin")
}

// bigCos is cos(x) = sin(x + π/2), computed from the reduction of x directly.
func bigCos(x float64) *big.Float {
	pio2 := bigPio2()
	k := math.Round(x / (math.Pi / 2))
	r := new(big.Float).SetPrec(bigPrec).Sub(bigF(x), new(big.Float).SetPrec(bigPrec).Mul(bigF(k), pio2))
	switch int(k) & 3 {
	case 0:
		return bigSinCos(r, bigPrec, false)
	case 1:
		v := bigSinCos(r, bigPrec, true)
		return v.Neg(v)
	case 2:
		v := bigSinCos(r, bigPrec, false)
		return v.Neg(v)
	default:
		return bigSinCos(r, bigPrec, true)
	}
}

func TestAsinCorrectlyRounded(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for n := range 3000 {
		y := r.Float64()
		switch n % 3 {
		case 0:
			y = 1 - math.Ldexp(r.Float64(), -r.IntN(50)) // near 1, where asin is steep
		case 1:
			y = -y
		}
		z := asin(y)
		// z is correctly rounded when y lies between the sines of the midpoints around z.
		bl := bigSinOfBig(bigMid(z, math.Nextafter(z, math.Inf(-1))))
		bh := bigSinOfBig(bigMid(z, math.Nextafter(z, math.Inf(1))))
		if z < math.Pi/2 && z > -math.Pi/2 {
			require.True(t, bl.Cmp(bigF(y)) <= 0 && bigF(y).Cmp(bh) <= 0, "asin(%v) = %v", y, z)
		}
	}
	assert.Equal(t, math.Pi/2, asin(1))
	assert.Equal(t, -math.Pi/2, asin(-1))
	assert.True(t, math.IsNaN(asin(1.0000000000000002)))
}

func bigMid(a, b float64) *big.Float {
	m := new(big.Float).SetPrec(bigPrec).Add(bigF(a), bigF(b))
	return m.Quo(m, big.NewFloat(2))
}

// bigSinOfBig is sin of an argument within ±π/2, where the series converges well enough at 200 bits.
func bigSinOfBig(x *big.Float) *big.Float { return bigSinCos(x, bigPrec, true) }

// TestLibmVectors compares sin, cos, asin and Distance with the C library's (glibc's) values: Redis computes its
// distances with them. glibc's are correctly rounded but for about one argument in a thousand; then the
// difference is one ulp and ours is the correctly rounded one.
func TestLibmVectors(t *testing.T) {
	f, err := os.Open("testdata/libm_vectors.txt")
	require.NoError(t, err)
	defer f.Close()
	h := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		return v
	}
	var trig, trigSame, dists, distSame int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		switch {
		case len(fs) == 0 || strings.HasPrefix(fs[0], "#"):
		case fs[0] == "trig":
			x, y := h(fs[1]), h(fs[4])
			for _, c := range []struct {
				got, libm float64
				exact     *big.Float
			}{{sin(x), h(fs[2]), bigSin(x)}, {cos(x), h(fs[3]), bigCos(x)}, {asin(y), h(fs[5]), nil}} {
				trig++
				if c.got == c.libm {
					trigSame++
					continue
				}
				require.Equal(t, 1.0, math.Abs(c.got-c.libm)/ulp(c.libm), "%s: %v vs glibc %v", sc.Text(), c.got, c.libm)
				if c.exact != nil {
					require.True(t, correctlyRounded(c.got, c.exact), "%s", sc.Text())
				}
			}
		case fs[0] == "dist":
			dists++
			got, libm := Distance(h(fs[1]), h(fs[2]), h(fs[3]), h(fs[4])), h(fs[5])
			if got == libm {
				distSame++
			} else {
				require.LessOrEqual(t, math.Abs(got-libm)/ulp(libm), 2.0, "%s: %v", sc.Text(), got)
			}
		}
	}
	require.NoError(t, sc.Err())
	require.Equal(t, 6000, trig)
	require.Equal(t, 2000, dists)
	t.Logf("equal to glibc: %d of %d sin/cos/asin, %d of %d distances", trigSame, trig, distSame, dists)
	assert.Greater(t, float64(trigSame)/float64(trig), 0.995)
	assert.Greater(t, float64(distSame)/float64(dists), 0.99)
}

func ulp(x float64) float64 { return math.Nextafter(math.Abs(x), math.Inf(1)) - math.Abs(x) }

func BenchmarkSin(b *testing.B) {
	x, s := 0.3, 0.0
	for b.Loop() {
		s += sin(x)
		x += 1e-9
	}
	_ = s
}

func BenchmarkAsin(b *testing.B) {
	x, s := 0.3, 0.0
	for b.Loop() {
		s += asin(x)
		x += 1e-9
	}
	_ = s
}

func FuzzSinCos(f *testing.F) {
	for _, x := range []float64{0, 0.3, -0.7853981633974483, 1.5707963267948966, 3.141592653589793, 7.9, 1e-300, math.NaN()} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		s, c := sin(x), cos(x)
		if !(math.Abs(x) <= 8) {
			return
		}
		sd, cd := sinCosDD(x)
		if x != 0 && (s != sd.hi+sd.lo || c != cd.hi+cd.lo) {
			t.Fatalf("sin, cos(%v) = %v, %v; double-double %v, %v", x, s, c, sd.hi+sd.lo, cd.hi+cd.lo)
		}
		if y := math.Abs(s); y <= 1 {
			if z := asin(y); !(z >= 0 && z <= math.Pi/2) {
				t.Fatalf("asin(%v) = %v", y, z)
			}
		}
	})
}

// TestTrigRoundArguments checks the fast paths against the double-double ones on round arguments (decimal
// steps, binary fractions, radians of round degrees), where near ties are likelier than at random; the fuzzer
// found one at -1.29625.
func TestTrigRoundArguments(t *testing.T) {
	check := func(x float64) {
		s, c := sinCosDD(x)
		if x != 0 {
			require.Equal(t, s.hi+s.lo, sin(x), "sin(%v)", x)
		}
		require.Equal(t, c.hi+c.lo, cos(x), "cos(%v)", x)
	}
	for i := -100000; i <= 100000; i++ {
		check(float64(i) * 3e-5)
		check(float64(i) / (1 << 15))
		check(float64(i) * 1e-3 * math.Pi / 180)
	}
	for i := 1; i < 100000; i++ {
		y := float64(i) * 1e-5
		z := asin(y)
		s, c := sinCosDD(z)
		diff := dd{y, 0}.add(s.neg())
		require.LessOrEqual(t, math.Abs(diff.hi/c.hi), ulp(z)/2*(1+1e-9), "asin(%v) = %v", y, z)
	}
}
