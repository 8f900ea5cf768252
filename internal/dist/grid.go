package dist

import (
	"fmt"
	"math"
)

// DefaultMaxK is the default cap on the number of grid points.
const DefaultMaxK = 1 << 15

// minK is the fewest points a grid has.
const minK = 16

// Spec says what a grid must hold.
type Spec struct {
	// Range is the latest time, in seconds, the grid must reach.
	Range float64
	// Step is the widest acceptable cell, in seconds; 0 lets the range and
	// MaxK decide.
	Step float64
	// Breakpoints are durations, in seconds, that should fall on grid
	// points: timeouts, per-try timeout plus backoff, hedge delays.
	Breakpoints []float64
	// MaxK caps the number of points; 0 means DefaultMaxK.
	MaxK int
}

// Grid is the uniform working grid t_k = k·Delta, k = 0..K−1.
type Grid struct {
	// Delta is the cell width in seconds.
	Delta float64
	// K is the number of grid points.
	K int
	// Aligned reports whether every breakpoint of the Spec is a whole
	// number of cells.
	Aligned bool
	// us and div, when set, give Delta exactly as us/div microseconds, so
	// that grid times equal to a round duration (a deadline, a histogram
	// bound) are computed exactly.
	us, div int64
}

// NewGrid returns the grid for s: the widest Δ not above s.Step that
// keeps every breakpoint on a grid point, with enough points to reach
// s.Range, at most s.MaxK of them (see the package documentation).
func NewGrid(s Spec) Grid {
	maxK := s.MaxK
	if maxK <= 0 {
		maxK = DefaultMaxK
	}
	maxK = max(maxK, minK)
	rng := s.Range
	if !(rng > 0) || math.IsInf(rng, 0) {
		rng = 1
	}
	finest := rng / float64(maxK-1) // narrowest cell the cap allows
	step := s.Step
	if !(step > finest) {
		step = finest
	}
	g := Grid{Delta: step, Aligned: true}
	switch unit, ok := gcdMicros(s.Breakpoints); {
	case !ok:
		g.Aligned = false
	case unit > 0:
		most := math.Floor(unit / finest) // most cells per unit the cap allows
		want := math.Ceil(unit/step - 1e-9)
		if most >= 1 {
			m := min(want, most)
			g.Delta = unit / m
			g.us, g.div = int64(math.Round(unit*1e6)), int64(m)
		} else {
			g.Aligned = false
		}
	}
	k := int(math.Ceil(rng/g.Delta-1e-9)) + 1
	g.K = max(k, minK)
	return g
}

// String describes the grid, e.g. "4096 points of 250µs up to 1.024s".
func (g Grid) String() string {
	return fmt.Sprintf("%d points of %s up to %s", g.K, duration(g.Delta), duration(g.Time(g.K-1)))
}

// Time returns t_k, correctly rounded when the grid is aligned.
func (g Grid) Time(k int) float64 {
	if g.div > 0 && int64(k) < (1<<53)/g.us {
		return float64(int64(k)*g.us) / (float64(g.div) * 1e6)
	}
	return float64(k) * g.Delta
}

// Cells returns d/Δ rounded down and up; the two are equal when d is a
// whole number of cells (up to rounding of the division).
func (g Grid) Cells(d float64) (down, up int) {
	x := d / g.Delta
	r := math.Round(x)
	if math.Abs(x-r) <= 1e-9*math.Max(1, math.Abs(x)) {
		return int(r), int(r)
	}
	return int(math.Floor(x)), int(math.Ceil(x))
}

// gcdMicros returns the greatest common divisor, in seconds, of the
// positive durations ds when each is a whole number of microseconds; ok is
// false when one is not. With no positive duration it returns (0, true):
// nothing needs aligning.
func gcdMicros(ds []float64) (unit float64, ok bool) {
	var g int64
	for _, d := range ds {
		if !(d > 0) {
			continue
		}
		us := d * 1e6
		r := math.Round(us)
		if r < 1 || r > 1e15 || math.Abs(us-r) > 1e-6*r {
			return 0, false
		}
		g = gcd(g, int64(r))
	}
	return float64(g) * 1e-6, true
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// duration renders seconds compactly ("250µs", "80ms", "1.5s").
func duration(s float64) string {
	switch {
	case s == 0:
		return "0s"
	case s < 1e-3:
		return fmt.Sprintf("%.4gµs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.4gms", s*1e3)
	}
	return fmt.Sprintf("%.4gs", s)
}
