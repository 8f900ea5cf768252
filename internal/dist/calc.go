package dist

import (
	"math"

	"github.com/emac-dev/emac/internal/law"
)

// Flavour selects the arithmetic of an operation (see the package
// documentation).
type Flavour uint8

// The flavours.
const (
	// Estimate is the point model under independence.
	Estimate Flavour = iota
	// Lower is a lower band composed under independence.
	Lower
	// FreeLower is a lower band valid for any dependence.
	FreeLower
	// FreeUpper is an upper band valid for any dependence.
	FreeUpper
	// Upper is an upper band composed under independence.
	Upper
)

// String names the flavour.
func (f Flavour) String() string {
	switch f {
	case Estimate:
		return "estimate"
	case Lower:
		return "lower"
	case FreeLower:
		return "free lower"
	case FreeUpper:
		return "free upper"
	case Upper:
		return "upper"
	}
	return "unknown"
}

// lowerSide reports whether f rounds against a lower band.
func (f Flavour) lowerSide() bool { return f == Lower || f == FreeLower }

// upperSide reports whether f rounds against an upper band.
func (f Flavour) upperSide() bool { return f == Upper || f == FreeUpper }

// Sub is a sub-distribution on a grid: V[k] = S(t_k) and Mass = S(∞). For
// a band, Mass is the band's limit at infinity.
type Sub struct {
	V    []float64
	Mass float64
}

// guard is subtracted from lower bands computed by FFT convolution before
// they are made monotone, so that no value rises above what exact
// arithmetic would give: the FFT's rounding error stays below 3e-14 for
// K up to 2^15 (see TestFFTMatchesDirect).
const guard = 1e-12

// Calc computes on one grid, reusing buffers and FFT plans. A Calc is not
// safe for concurrent use.
type Calc struct {
	g    Grid
	pool [][]float64
	conv convolver
	mk   makarov
	idx  []int
	tmp  []float64
	logT []float64 // ln t_k, computed on first use (lognormal leaves)
}

// NewCalc returns a calculator for g.
func NewCalc(g Grid) *Calc {
	c := &Calc{g: g}
	c.conv.init(g.K)
	return c
}

// Grid returns the calculator's grid.
func (c *Calc) Grid() Grid { return c.g }

// buf returns a buffer of K values, not cleared.
func (c *Calc) buf() []float64 {
	if n := len(c.pool); n > 0 {
		b := c.pool[n-1]
		c.pool = c.pool[:n-1]
		return b
	}
	return make([]float64, c.g.K)
}

// Release returns s's buffer for reuse; s must not be used afterwards.
func (c *Calc) Release(s Sub) {
	if len(s.V) == c.g.K {
		c.pool = append(c.pool, s.V)
	}
}

// Clone returns a copy of s in a fresh buffer.
func (c *Calc) Clone(s Sub) Sub {
	v := c.buf()
	copy(v, s.V)
	return Sub{V: v, Mass: s.Mass}
}

// Const returns the sub-distribution of a node that finishes at once with
// probability a (a skip, or a call without latency evidence).
func (c *Calc) Const(a float64) Sub {
	v := c.buf()
	for k := range v {
		v[k] = a
	}
	return Sub{V: v, Mass: a}
}

// Leaf returns a component's sub-distribution a·F(t) in flavour f, where
// F is l's estimate CDF (Estimate), l.Lower(t) − eps (Lower, FreeLower)
// or l.Upper(t) + eps (Upper, FreeUpper), clamped to [0, 1] and evaluated exactly
// at the grid points. eps is the half-width of the leaf's confidence band
// (0 for an exact law). A nil law is a call without latency evidence: it
// finishes at once.
func (c *Calc) Leaf(f Flavour, a float64, l law.Law, eps float64) Sub {
	if l == nil {
		return c.Const(a)
	}
	if ln, ok := l.(law.Lognormal); ok {
		return c.lognormalLeaf(a, ln)
	}
	v := c.buf()
	cdf, shift := l.CDF, 0.0
	switch f {
	case Lower, FreeLower:
		cdf, shift = l.Lower, -eps
	case Upper, FreeUpper:
		cdf, shift = l.Upper, eps
	}
	for k := range v {
		x := unit(cdf(c.g.Time(k)) + shift)
		v[k] = a * x
		if x == 1 { // a CDF that reached 1 stays there
			for j := k + 1; j < len(v); j++ {
				v[j] = a
			}
			break
		}
	}
	mass := a
	if f.lowerSide() {
		top := cdf(math.Inf(1))
		if math.IsNaN(top) {
			top = 1
		}
		mass = a * unit(top+shift)
	}
	return Sub{V: v, Mass: mass}
}

// lognormalLeaf is Leaf for an exact lognormal law (every flavour alike):
// Φ((ln t − ln median)/σ) from the grid's cached logarithms, stopping
// where the CDF reaches 1 in floating point.
func (c *Calc) lognormalLeaf(a float64, l law.Lognormal) Sub {
	if c.logT == nil {
		c.logT = make([]float64, c.g.K)
		for k := range c.logT {
			c.logT[k] = math.Log(c.g.Time(k))
		}
	}
	v := c.buf()
	mu, inv := math.Log(l.Median), 1/(l.Sigma*math.Sqrt2)
	for k, lt := range c.logT {
		x := 0.5 * math.Erfc(-(lt-mu)*inv)
		v[k] = a * x
		if x == 1 {
			for j := k + 1; j < len(v); j++ {
				v[j] = a
			}
			break
		}
	}
	return Sub{V: v, Mass: a}
}

// unit clamps x to [0, 1].
func unit(x float64) float64 { return min(1, max(0, x)) }

// At returns S(t) as flavour f reads between grid points: interpolated
// (Estimate), at the grid point at or below t (lower bands), at or above t
// (upper bands, Mass beyond the grid). Times before 0 read 0.
func (c *Calc) At(f Flavour, s Sub, t float64) float64 {
	if t < 0 {
		return 0
	}
	down, up := c.g.Cells(t)
	last := c.g.K - 1
	switch {
	case f.upperSide():
		if up > last {
			return s.Mass
		}
		return s.V[up]
	case f.lowerSide() || down >= last:
		return s.V[min(down, last)]
	}
	return interp(s.V, t/c.g.Delta)
}

// Rebin returns s, a Sub on the grid from, on c's grid: every new point
// reads s as flavour f reads between grid points (interpolated for the
// estimate, at the old point at or below for lower bands, at or above for
// upper bands); beyond from's last point an upper band reads its mass and
// the others hold their last value.
func (c *Calc) Rebin(f Flavour, s Sub, from Grid) Sub {
	v := c.buf()
	last := from.K - 1
	end := from.Time(last)
	for k := range v {
		t := c.g.Time(k)
		past := t > end
		if f.upperSide() {
			past = t > end*(1+2e-9) // beyond Cells' tolerance: up > last
		}
		if past {
			// Past the curve's grid every flavour holds its last value
			// (upper bands their mass).
			rest := s.V[last]
			if f.upperSide() {
				rest = s.Mass
			}
			for j := k; j < len(v); j++ {
				v[j] = rest
			}
			break
		}
		down, up := from.Cells(t)
		switch {
		case f.upperSide() && up > last:
			v[k] = s.Mass
		case f.upperSide():
			v[k] = s.V[up]
		case down >= last:
			v[k] = s.V[last]
		case f == Estimate:
			v[k] = interp(s.V, t/from.Delta)
		default:
			v[k] = s.V[down]
		}
	}
	tidy(v, s.Mass, 0)
	return Sub{V: v, Mass: s.Mass}
}

// interp reads v at the fractional index p ≥ 0 by linear interpolation,
// holding the last value beyond the end.
func interp(v []float64, p float64) float64 {
	i := int(p)
	if i >= len(v)-1 {
		return v[len(v)-1]
	}
	fr := p - float64(i)
	if fr <= 0 {
		return v[i]
	}
	return v[i] + fr*(v[i+1]-v[i])
}

// tidy makes v a valid sub-distribution after arithmetic with rounding
// error: every value is lowered by g (a guard for lower bands computed with
// rounding error, else 0), clamped to [0, mass], and the curve is made
// non-decreasing by a running maximum (which, after the guard, never
// exceeds the exact values).
func tidy(v []float64, mass, g float64) {
	// Plain comparisons: the builtin min and max order NaNs and signed
	// zeros, which costs a fifth of a large evaluation here.
	run := 0.0
	for k, x := range v {
		x -= g
		if x > run || x != x { // a NaN stays, as with max
			run = x
		}
		if run > mass {
			run = mass
		}
		v[k] = run
	}
}

// Quantile returns the estimate's q-quantile inf{t : S(t) ≥ q·S(∞)},
// interpolated linearly between grid points; ok is false when the level
// is not reached on the grid.
func (c *Calc) Quantile(s Sub, q float64) (t float64, ok bool) {
	level := q * s.Mass
	k := firstAtLeast(s.V, level)
	switch {
	case k == len(s.V):
		return 0, false
	case k == 0:
		return 0, true
	}
	lo, rise := s.V[k-1], s.V[k]-s.V[k-1]
	// A rise far steeper than the neighbouring cells' is an atom at t_k
	// (a deadline's instant fallback, a retry of an instant call): the
	// cell's continuous part is taken as the neighbours' rise and the
	// level, once past it, is reached at t_k itself.
	var next float64
	if k >= 2 {
		next = lo - s.V[k-2]
	}
	if k+1 < len(s.V) {
		next = max(next, s.V[k+1]-s.V[k])
	}
	if rise > jumpRatio*next {
		rise = next
	}
	if rise > 0 && level-lo < rise {
		return c.g.Time(k-1) + c.g.Delta*(level-lo)/rise, true
	}
	return c.g.Time(k), true
}

// jumpRatio is how much steeper than its neighbours a cell's rise must be
// for the estimate's quantile read to treat it as an atom at the cell's
// right end.
const jumpRatio = 8

// Bound returns the grid point inf{t_k : S_lo(t_k) ≥ level} of a lower
// band. ok is false when the band does not reach the level on the grid;
// then unbounded reports whether it never does (its limit lo.Mass is below
// the level), as opposed to reaching it beyond the grid.
func (c *Calc) Bound(lo Sub, level float64) (t float64, ok, unbounded bool) {
	k := firstAtLeast(lo.V, level)
	if k < len(lo.V) {
		return c.g.Time(k), true, false
	}
	return math.Inf(1), false, lo.Mass < level
}

// firstAtLeast returns the first index of the non-decreasing v whose value
// is at least level, or len(v).
func firstAtLeast(v []float64, level float64) int {
	lo, hi := 0, len(v)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if v[m] >= level {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// shift returns s delayed by d seconds, S(t − d), read as flavour f reads
// between grid points (0 before d).
func (c *Calc) shift(f Flavour, s Sub, d float64) Sub {
	v := c.buf()
	down, up := c.g.Cells(d)
	n := up // lower bands start late
	if f.upperSide() {
		n = down
	}
	if f == Estimate && down != up {
		p := d / c.g.Delta
		for k := range v {
			v[k] = 0
			if x := float64(k) - p; x >= 0 {
				v[k] = interp(s.V, x)
			}
		}
		return Sub{V: v, Mass: s.Mass}
	}
	for k := range v {
		v[k] = 0
		if k >= n {
			v[k] = s.V[k-n]
		}
	}
	return Sub{V: v, Mass: s.Mass}
}
