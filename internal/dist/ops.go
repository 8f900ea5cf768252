package dist

// Operators without deadlines. Every operation returns a new Sub and
// leaves its inputs untouched; inputs must be of the same flavour.

// isConst reports whether s finishes at once (all its mass at 0).
func isConst(s Sub) bool { return s.V[0] == s.V[len(s.V)-1] && s.V[0] == s.Mass }

// Series returns the sub-distribution of the steps run one after another:
// the Stieltjes convolution (Estimate, Lower, Upper), Makarov's bound
// (FreeLower) or min U_i (FreeUpper).
func (c *Calc) Series(f Flavour, kids []Sub) Sub {
	if f == FreeUpper {
		return c.pointwise(f, kids, minOf, minOf)
	}
	acc := c.Clone(kids[0])
	for _, y := range kids[1:] {
		var next Sub
		switch {
		case f != FreeLower && isConst(y):
			next = c.Clone(acc)
			scale(&next, y.Mass)
		case f != FreeLower && isConst(acc):
			next = c.Clone(y)
			scale(&next, acc.Mass)
		case f == FreeLower:
			next = c.makarovSeries(acc, y)
		default:
			next = c.convolve(f, acc, y)
		}
		c.Release(acc)
		acc = next
	}
	return acc
}

// scale multiplies s, values and mass, by a.
func scale(s *Sub, a float64) {
	for k := range s.V {
		s.V[k] *= a
	}
	s.Mass *= a
}

// Parallel returns the sub-distribution of branches forked and joined on
// all: ∏ S_i (Estimate, Lower), max(0, ΣL_i − (n−1)) (FreeLower) or
// min U_i (FreeUpper).
func (c *Calc) Parallel(f Flavour, kids []Sub) Sub {
	switch f {
	case FreeLower:
		return c.pointwise(f, kids, frechetAll, frechetAll)
	case FreeUpper:
		return c.pointwise(f, kids, minOf, minOf)
	}
	return c.fold(kids, Product, fold{
		first: func(acc, x []float64) { copy(acc, x) },
		step: func(_ int, acc, x []float64) {
			for k, v := range x {
				acc[k] *= v
			}
		},
	})
}

// Race returns the sub-distribution of the first success among branches,
// branch i started i·hedge seconds late: 1 − ∏(1 − S_i) (Estimate, Lower),
// max L_i (FreeLower) or min(1, ΣU_i) (FreeUpper).
func (c *Calc) Race(f Flavour, hedge float64, kids []Sub) Sub {
	in := kids
	if hedge > 0 {
		in = make([]Sub, len(kids))
		for i, s := range kids {
			in[i] = c.shift(f, s, float64(i)*hedge)
		}
		defer func() {
			for _, s := range in {
				c.Release(s)
			}
		}()
	}
	switch f {
	case FreeLower:
		return c.pointwise(f, in, maxOf, maxOf)
	case FreeUpper:
		return c.pointwise(f, in, sumCapped, sumCapped)
	}
	return c.fold(in, AnyOf, fold{ // the product of the complements
		first: func(acc, x []float64) {
			for k, v := range x {
				acc[k] = 1 - v
			}
		},
		step: func(_ int, acc, x []float64) {
			for k, v := range x {
				acc[k] *= 1 - v
			}
		},
		last: func(acc []float64) {
			for k, q := range acc {
				acc[k] = 1 - q
			}
		},
	})
}

// RaceGroups returns a lower band of the first success among branches,
// branch i started i·hedge seconds late, when the branches fall into
// groups (positions; every branch in exactly one group) that are
// independent of each other while the branches of one group may depend on
// each other in any way: 1 − ∏_g (1 − max_{i∈g} L_i). A group succeeds
// within t at least when its best branch does, whatever the dependence, and
// the groups combine as independent events. The inputs are lower bands
// (Lower or FreeLower) and so is the result.
func (c *Calc) RaceGroups(hedge float64, kids []Sub, groups [][]int) Sub {
	in := kids
	if hedge > 0 {
		in = make([]Sub, len(kids))
		for i, s := range kids {
			in[i] = c.shift(Lower, s, float64(i)*hedge)
		}
		defer func() {
			for _, s := range in {
				c.Release(s)
			}
		}()
	}
	anyGroup := func(x []float64) float64 {
		q := 1.0
		for _, g := range groups {
			best := 0.0
			for _, i := range g {
				best = max(best, x[i])
			}
			q *= 1 - best
		}
		return 1 - q
	}
	return c.pointwise(Lower, in, anyGroup, anyGroup)
}

// KofN returns the sub-distribution of the k-th success among branches:
// the Poisson-binomial tail P(at least k of the S_i(t)) (Estimate, Lower),
// max(0, (ΣL_i − (k−1))/(n−k+1)) (FreeLower) or min(1, ΣU_i/k)
// (FreeUpper).
func (c *Calc) KofN(f Flavour, k int, kids []Sub) Sub {
	n := float64(len(kids))
	switch f {
	case FreeLower:
		fl := func(x []float64) float64 { return max(0, (sum(x)-float64(k-1))/(n-float64(k)+1)) }
		return c.pointwise(f, kids, fl, fl)
	case FreeUpper:
		fu := func(x []float64) float64 { return min(1, sum(x)/float64(k)) }
		return c.pointwise(f, kids, fu, fu)
	}
	dp := make([]float64, k+1)
	tail := func(x []float64) float64 { return PoissonBinomialTail(x, k, dp) }
	return c.pointwise(f, kids, tail, tail)
}

// Cond returns the sub-distribution of one branch taken with probability
// p_i in the box lo ≤ p ≤ hi intersected with Σp = 1: Σ p_i S_i at the
// point PointProbs(lo, hi) (Estimate), the worst vertex at every t (Lower,
// FreeLower) or the best vertex at every t (FreeUpper).
func (c *Calc) Cond(f Flavour, lo, hi []float64, kids []Sub) Sub {
	if f == Estimate || isPoint(lo, hi) {
		p := PointProbs(lo, hi)
		mix := func(x []float64) float64 {
			var s float64
			for i, v := range x {
				s += p[i] * v
			}
			return s
		}
		return c.fold(kids, mix, fold{
			first: func(acc, x []float64) {
				for k, v := range x {
					acc[k] = p[0] * v
				}
			},
			step: func(i int, acc, x []float64) {
				for k, v := range x {
					acc[k] += p[i] * v
				}
			},
		})
	}
	best := f.upperSide()
	vx := func(x []float64) float64 { return Vertex(lo, hi, x, best, &c.idx, nil) }
	return c.pointwise(f, kids, vx, vx)
}

func isPoint(lo, hi []float64) bool {
	for i := range lo {
		if hi[i] > lo[i] {
			return false
		}
	}
	return true
}

// Pointwise returns op applied at every grid point to the children's
// values, and to their masses: for an operator whose sub-distribution at
// t depends only on the children's at t, op monotone in each of them. The
// result is made non-decreasing (a running maximum, which keeps a lower
// band a lower band) and capped at its mass.
func (c *Calc) Pointwise(f Flavour, kids []Sub, op func([]float64) float64) Sub {
	return c.pointwise(f, kids, op, op)
}

// fold describes an operator that combines the children one after
// another (a product, a weighted sum) as whole-grid loops: first sets the
// values from child 0, step folds in child i ≥ 1, last (optional)
// transforms the result.
type fold struct {
	first func(acc, x []float64)
	step  func(i int, acc, x []float64)
	last  func(acc []float64)
}

// fold is pointwise for an operator given as a fold: the same arithmetic
// in the same order at every grid point, without a call per point. mass
// combines the children's masses.
func (c *Calc) fold(kids []Sub, mass func([]float64) float64, op fold) Sub {
	v := c.buf()
	op.first(v, kids[0].V)
	for i := 1; i < len(kids); i++ {
		op.step(i, v, kids[i].V)
	}
	if op.last != nil {
		op.last(v)
	}
	x := grow(c.tmp, len(kids))
	c.tmp = x
	for i, s := range kids {
		x[i] = s.Mass
	}
	m := mass(x)
	tidy(v, m, 0)
	return Sub{V: v, Mass: m}
}

// pointwise returns the Sub whose value at every grid point is op of the
// children's values there, and whose mass is mass of their masses.
func (c *Calc) pointwise(f Flavour, kids []Sub, op, mass func([]float64) float64) Sub {
	x := grow(c.tmp, len(kids))
	c.tmp = x
	v := c.buf()
	for k := range v {
		for i, s := range kids {
			x[i] = s.V[k]
		}
		v[k] = op(x)
	}
	for i, s := range kids {
		x[i] = s.Mass
	}
	m := mass(x)
	tidy(v, m, 0)
	return Sub{V: v, Mass: m}
}

// Product is ∏ x_i: all of independent events.
func Product(x []float64) float64 {
	p := 1.0
	for _, v := range x {
		p *= v
	}
	return p
}

// AnyOf is 1 − ∏(1 − x_i): at least one of independent events.
func AnyOf(x []float64) float64 {
	q := 1.0
	for _, v := range x {
		q *= 1 - v
	}
	return 1 - q
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

func sumCapped(x []float64) float64 { return min(1, sum(x)) }

func frechetAll(x []float64) float64 { return max(0, sum(x)-float64(len(x)-1)) }

func minOf(x []float64) float64 {
	m := x[0]
	for _, v := range x[1:] {
		m = min(m, v)
	}
	return m
}

func maxOf(x []float64) float64 {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	return m
}

// PoissonBinomialTail returns P(at least k of independent events with
// probabilities p), by dynamic programming over success counts capped at
// k, using dp (length k+1) as scratch.
func PoissonBinomialTail(p []float64, k int, dp []float64) float64 {
	clear(dp)
	dp[0] = 1
	for _, x := range p {
		dp[k] += dp[k-1] * x // reaching k is absorbing
		for j := k - 1; j >= 1; j-- {
			dp[j] = dp[j]*(1-x) + dp[j-1]*x
		}
		dp[0] *= 1 - x
	}
	return dp[k]
}

// PointProbs returns the point p_i = lo_i + λ·(hi_i − lo_i), one λ ∈ [0, 1]
// for all branches, with Σ p_i = 1 (renormalised against rounding): the
// probabilities the estimate and the simulator use for an interval Cond.
func PointProbs(lo, hi []float64) []float64 {
	var sLo, width float64
	for i := range lo {
		sLo += lo[i]
		width += hi[i] - lo[i]
	}
	lambda := 0.0
	if width > 0 {
		lambda = min(1, max(0, (1-sLo)/width))
	}
	p := make([]float64, len(lo))
	var s float64
	for i := range lo {
		p[i] = lo[i] + lambda*(hi[i]-lo[i])
		s += p[i]
	}
	if s > 0 {
		for i := range p {
			p[i] /= s
		}
	}
	return p
}

// Vertex returns the minimum (best false) or maximum (best true) of
// Σ p_i a_i over the box lo ≤ p ≤ hi intersected with Σp = 1: every p_i
// starts at lo_i and the remaining mass goes to the branches in order of
// increasing (worst) or decreasing (best) a_i, each up to hi_i; ties keep
// branch order. idx is scratch; when out is non-nil the vertex p is
// written to it.
func Vertex(lo, hi, a []float64, best bool, idx *[]int, out []float64) float64 {
	order := (*idx)[:0]
	rem := 1.0
	for i := range a {
		rem -= lo[i]
		// insertion sort: branches are few
		j := len(order)
		order = append(order, i)
		for j > 0 && (a[order[j-1]] > a[i]) != best && a[order[j-1]] != a[i] {
			order[j] = order[j-1]
			j--
		}
		order[j] = i
	}
	*idx = order
	var s float64
	for _, i := range order {
		p := lo[i]
		if rem > 0 {
			add := min(hi[i]-lo[i], rem)
			p += add
			rem -= add
		}
		s += p * a[i]
		if out != nil {
			out[i] = p
		}
	}
	return s
}
