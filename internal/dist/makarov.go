package dist

// CoarseMax is the most points of the coarse grid on which the Makarov
// bound of a dependence-free Series is computed (its cost is quadratic).
const CoarseMax = 256

// makarov holds the coarse-grid scratch of the dependence-free Series.
type makarov struct {
	x, y, z []float64
}

// coarseStep returns r, the number of fine cells per coarse cell: the
// coarse grid is t_0, t_r, t_2r, … on the fine grid.
func coarseStep(k int) int { return (k + CoarseMax - 1) / CoarseMax }

// makarovSeries returns Makarov's lower bound on the sub-distribution of
// X + Y for any dependence, S(t) ≥ sup_s max(0, S_X(s) + S_Y(t−s) − 1),
// from lower bands of X and Y. s runs over the coarse grid points and each
// coarse value holds on the fine grid until the next coarse point, which
// keeps the result a lower band.
func (c *Calc) makarovSeries(x, y Sub) Sub {
	mass := max(0, x.Mass+y.Mass-1)
	if mass == 0 { // values never exceed the masses
		v := c.buf()
		clear(v)
		return Sub{V: v}
	}
	r := coarseStep(c.g.K)
	n := (c.g.K-1)/r + 1
	mk := &c.mk
	mk.x, mk.y, mk.z = grow(mk.x, n), grow(mk.y, n), grow(mk.z, n)
	for i := range n {
		mk.x[i], mk.y[i] = x.V[i*r], y.V[i*r]
	}
	xs, ys := mk.x, mk.y
	for m := range n {
		// Only i with xs[i] + ys[m] > 1 and ys[m−i] + xs[m] > 1 can add.
		i0 := firstAbove(xs[:m+1], 1-ys[m])
		i1 := m - firstAbove(ys[:m+1], 1-xs[m])
		best := 0.0
		for i := i0; i <= i1; i++ {
			best = max(best, xs[i]+ys[m-i])
		}
		mk.z[m] = max(0, best-1)
	}
	v := c.buf()
	for k := range v {
		v[k] = mk.z[k/r]
	}
	tidy(v, mass, 0)
	return Sub{V: v, Mass: mass}
}

// firstAbove returns the first index of the non-decreasing v whose value
// exceeds level, or len(v).
func firstAbove(v []float64, level float64) int {
	lo, hi := 0, len(v)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if v[m] > level {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}
