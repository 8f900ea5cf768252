package dist_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/law"
)

// exact is a closed-form sub-distribution S(t) with its mass.
type exact struct {
	s    func(t float64) float64
	mass float64
}

func expS(a, mean float64) func(float64) float64 {
	return func(t float64) float64 {
		if t < 0 {
			return 0
		}
		return a * -math.Expm1(-t/mean)
	}
}

// hypoexp is the sub-distribution of X1 + X2, Xi exponential with the
// given means (distinct), times a.
func hypoexp(a, m1, m2 float64) func(float64) float64 {
	l1, l2 := 1/m1, 1/m2
	return func(t float64) float64 {
		if t <= 0 {
			return 0
		}
		return a * (1 - (l2*math.Exp(-l1*t)-l1*math.Exp(-l2*t))/(l2-l1))
	}
}

// quantile inverts S/mass at q by bisection.
func (e exact) quantile(q float64) float64 {
	lo, hi := 0.0, 1.0
	for e.s(hi) < q*e.mass {
		hi *= 2
	}
	for range 200 {
		m := (lo + hi) / 2
		if e.s(m) >= q*e.mass {
			hi = m
		} else {
			lo = m
		}
	}
	return hi
}

// operatorCase builds one operator over leaves in flavour f.
type operatorCase struct {
	name   string
	breaks []float64
	build  func(c *dist.Calc, f dist.Flavour) dist.Sub
	want   exact
}

func leafOf(c *dist.Calc, f dist.Flavour, a float64, l law.Law) dist.Sub {
	return c.Leaf(f, a, l, 0)
}

func operatorCases() []operatorCase {
	e1, e2, e3 := law.Exponential{Mean: 0.05}, law.Exponential{Mean: 0.02}, law.Exponential{Mean: 0.1}
	a1, a2, a3 := 0.99, 0.98, 0.995
	ln1, ln2 := law.Lognormal{Median: 0.03, Sigma: 0.4}, law.Lognormal{Median: 0.002, Sigma: 0.6}
	s1, s2, s3 := expS(a1, 0.05), expS(a2, 0.02), expS(a3, 0.1)
	tau, backoff := 0.06, 0.01
	binom := func(p float64, n, k int) float64 {
		var s float64
		for j := k; j <= n; j++ {
			s += float64(choose(n, j)) * math.Pow(p, float64(j)) * math.Pow(1-p, float64(n-j))
		}
		return s
	}
	return []operatorCase{
		{name: "series hypoexponential", build: func(c *dist.Calc, f dist.Flavour) dist.Sub {
			return c.Series(f, []dist.Sub{leafOf(c, f, a1, e1), leafOf(c, f, a2, e2)})
		}, want: exact{hypoexp(a1*a2, 0.05, 0.02), a1 * a2}},
		{name: "series lognormal narrow+wide", build: func(c *dist.Calc, f dist.Flavour) dist.Sub {
			return c.Series(f, []dist.Sub{leafOf(c, f, a1, ln1), leafOf(c, f, a2, ln2)})
		}, want: exact{lognormalSeries(a1*a2, ln1, ln2), a1 * a2}},
		{name: "series with instant steps", build: func(c *dist.Calc, f dist.Flavour) dist.Sub {
			return c.Series(f, []dist.Sub{c.Const(0.9), leafOf(c, f, a1, e1), c.Const(0.95)})
		}, want: exact{func(t float64) float64 { return 0.9 * 0.95 * s1(t) }, 0.9 * 0.95 * a1}},
		{name: "parallel max", build: func(c *dist.Calc, f dist.Flavour) dist.Sub {
			return c.Parallel(f, []dist.Sub{leafOf(c, f, a1, e1), leafOf(c, f, a2, e2), leafOf(c, f, a3, e3)})
		}, want: exact{func(t float64) float64 { return s1(t) * s2(t) * s3(t) }, a1 * a2 * a3}},
		{name: "race min", build: func(c *dist.Calc, f dist.Flavour) dist.Sub {
			return c.Race(f, 0, []dist.Sub{leafOf(c, f, a1, e1), leafOf(c, f, a3, e3)})
		}, want: exact{func(t float64) float64 { return 1 - (1-s1(t))*(1-s3(t)) }, 1 - (1-a1)*(1-a3)}},
		{name: "race hedged", breaks: []float64{0.03}, build: func(c *dist.Calc, f dist.Flavour) dist.Sub {
			return c.Race(f, 0.03, []dist.Sub{leafOf(c, f, a1, e1), leafOf(c, f, a3, e3)})
		}, want: exact{func(t float64) float64 { return 1 - (1-s1(t))*(1-s3(t-0.03)) }, 1 - (1-a1)*(1-a3)}},
		{name: "2 of 3 iid", build: func(c *dist.Calc, f dist.Flavour) dist.Sub {
			l := leafOf(c, f, a1, e1)
			return c.KofN(f, 2, []dist.Sub{l, l, l})
		}, want: exact{func(t float64) float64 { return binom(s1(t), 3, 2) }, binom(a1, 3, 2)}},
		{name: "cond mixture", build: func(c *dist.Calc, f dist.Flavour) dist.Sub {
			return c.Cond(f, []float64{0.3, 0.7}, []float64{0.3, 0.7}, []dist.Sub{leafOf(c, f, a1, e1), leafOf(c, f, a3, e3)})
		}, want: exact{func(t float64) float64 { return 0.3*s1(t) + 0.7*s3(t) }, 0.3*a1 + 0.7*a3}},
		{name: "timeout with fallback", breaks: []float64{tau}, build: func(c *dist.Calc, f dist.Flavour) dist.Sub {
			m := leafOf(c, f, a2, e2)
			return c.Timeout(f, tau, leafOf(c, f, a1, e1), &m)
		}, want: timeoutExact(s1, s2, tau, a2)},
		{name: "timeout alone", breaks: []float64{tau}, build: func(c *dist.Calc, f dist.Flavour) dist.Sub {
			return c.Timeout(f, tau, leafOf(c, f, a1, e1), nil)
		}, want: exact{func(t float64) float64 { return s1(min(t, tau)) }, s1(tau)}},
		{name: "retry 3", breaks: []float64{tau, tau + backoff}, build: func(c *dist.Calc, f dist.Flavour) dist.Sub {
			return c.Retry(f, 3, tau, backoff, leafOf(c, f, a1, e1))
		}, want: retryExact(s1, 3, tau, backoff)},
	}
}

// lognormalSeries returns a·P(X + Y ≤ t) for independent lognormal X and
// Y by Simpson's rule over u = ln y:
// ∫ F_X(t − e^u) φ((u − ln m_Y)/σ_Y)/σ_Y du.
func lognormalSeries(a float64, x, y law.Lognormal) func(float64) float64 {
	const n = 4000 // even
	return func(t float64) float64 {
		if t <= 0 {
			return 0
		}
		lo := math.Log(y.Median) - 12*y.Sigma
		hi := math.Log(t)
		if hi <= lo {
			return 0
		}
		h := (hi - lo) / n
		var s float64
		for i := 0; i <= n; i++ {
			u := lo + float64(i)*h
			z := (u - math.Log(y.Median)) / y.Sigma
			v := x.CDF(t-math.Exp(u)) * math.Exp(-z*z/2) / (y.Sigma * math.Sqrt(2*math.Pi))
			w := 2.0
			switch {
			case i == 0 || i == n:
				w = 1
			case i%2 == 1:
				w = 4
			}
			s += w * v
		}
		return a * s * h / 3
	}
}

func timeoutExact(sn, sm func(float64) float64, tau, am float64) exact {
	st := sn(tau)
	return exact{func(t float64) float64 {
		v := sn(min(t, tau))
		if t >= tau {
			v += (1 - st) * sm(t-tau)
		}
		return v
	}, st + (1-st)*am}
}

func retryExact(sn func(float64) float64, n int, tau, b float64) exact {
	w := 1 - sn(tau)
	return exact{func(t float64) float64 {
		var v float64
		for j := range n {
			if s := t - float64(j)*(tau+b); s >= 0 {
				v += math.Pow(w, float64(j)) * sn(min(s, tau))
			}
		}
		return v
	}, 1 - math.Pow(w, float64(n))}
}

func choose(n, k int) int {
	r := 1
	for i := range k {
		r = r * (n - i) / (i + 1)
	}
	return r
}

// gridFor returns a grid reaching the 0.9999 quantile of e with about 256
// cells below its median.
func gridFor(e exact, breaks []float64) dist.Grid {
	return dist.NewGrid(dist.Spec{Range: 1.2 * e.quantile(0.9999), Step: e.quantile(0.5) / 256, Breakpoints: breaks})
}

func TestOperatorsMatchClosedForms(t *testing.T) {
	for _, tc := range operatorCases() {
		t.Run(tc.name, func(t *testing.T) {
			g := gridFor(tc.want, tc.breaks)
			if len(tc.breaks) > 0 && !g.Aligned {
				t.Fatalf("grid %v not aligned to %v", g, tc.breaks)
			}
			c := dist.NewCalc(g)
			got := tc.build(c, dist.Estimate)
			if d := math.Abs(got.Mass - tc.want.mass); d > 1e-12 {
				t.Errorf("mass = %v, want %v", got.Mass, tc.want.mass)
			}
			for _, q := range []float64{0.5, 0.9, 0.99} {
				est, ok := c.Quantile(got, q)
				want := tc.want.quantile(q)
				if !ok || math.Abs(est-want) > 1e-3*want {
					t.Errorf("p%g = %.6g (ok %v), want %.6g (rel err %.2g)", q*100, est, ok, want, (est-want)/want)
				}
			}
		})
	}
}

// TestBandsBelowExact checks on every grid point that the independent
// lower band stays below the exact S, the dependence-free lower band below
// the independent one, and both upper bands (independent and
// dependence-free) above the exact S, on aligned and unaligned grids.
func TestBandsBelowExact(t *testing.T) {
	for _, tc := range operatorCases() {
		for _, align := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/aligned=%v", tc.name, align), func(t *testing.T) {
				g := gridFor(tc.want, tc.breaks)
				if !align {
					g = dist.NewGrid(dist.Spec{Range: 1.2 * tc.want.quantile(0.9999), Step: tc.want.quantile(0.5) / 97.3,
						Breakpoints: []float64{1e-7}})
				}
				c := dist.NewCalc(g)
				lo, free, up := tc.build(c, dist.Lower), tc.build(c, dist.FreeLower), tc.build(c, dist.FreeUpper)
				iup := tc.build(c, dist.Upper)
				for k := range g.K {
					s := tc.want.s(g.Time(k))
					if lo.V[k] > s+1e-12 || free.V[k] > lo.V[k]+1e-12 || iup.V[k] < s-1e-12 || up.V[k] < s-1e-12 {
						t.Fatalf("t=%g: free %v ≤ lower %v ≤ exact %v ≤ upper %v, free upper %v fails", g.Time(k), free.V[k], lo.V[k], s, iup.V[k], up.V[k])
					}
				}
				if lo.Mass > tc.want.mass+1e-12 || free.Mass > lo.Mass+1e-12 || iup.Mass < tc.want.mass-1e-12 || up.Mass < tc.want.mass-1e-12 {
					t.Errorf("masses: free %v ≤ lower %v ≤ exact %v ≤ upper %v, free upper %v fails", free.Mass, lo.Mass, tc.want.mass, iup.Mass, up.Mass)
				}
			})
		}
	}
}
