package dist_test

import (
	"math"
	"testing"

	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/law"
)

func TestNewGrid(t *testing.T) {
	for _, tc := range []struct {
		name    string
		spec    dist.Spec
		aligned bool
		maxStep float64 // Δ must not exceed it
	}{
		{"no breakpoints", dist.Spec{Range: 2, Step: 0.001}, true, 0.001},
		{"timeouts", dist.Spec{Range: 2, Step: 0.001, Breakpoints: []float64{0.2, 0.15, 0.35}}, true, 0.001},
		{"coarse step", dist.Spec{Range: 2, Step: 0.07, Breakpoints: []float64{0.2, 0.15}}, true, 0.07},
		{"odd microseconds", dist.Spec{Range: 1, Step: 0.001, Breakpoints: []float64{0.2, 0.000125}}, true, 0.001},
		{"microsecond gcd beyond the cap", dist.Spec{Range: 1, Step: 0.001, Breakpoints: []float64{0.2, 0.000123}}, false, 0.001},
		{"sub-microsecond", dist.Spec{Range: 1, Step: 0.001, Breakpoints: []float64{0.2, 1.5e-7}}, false, 0.001},
		{"cap forbids alignment", dist.Spec{Range: 100, Step: 1e-6, Breakpoints: []float64{0.2, 0.000001}, MaxK: 4096}, false, 1},
		{"cap limits resolution", dist.Spec{Range: 100, Step: 1e-6, Breakpoints: []float64{0.2}, MaxK: 4096}, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := dist.NewGrid(tc.spec)
			maxK := tc.spec.MaxK
			if maxK == 0 {
				maxK = dist.DefaultMaxK
			}
			if g.Aligned != tc.aligned {
				t.Errorf("%v: aligned %v, want %v", g, g.Aligned, tc.aligned)
			}
			if g.K > maxK || g.Time(g.K-1) < tc.spec.Range*(1-1e-12) || g.Delta > tc.maxStep*(1+1e-12) {
				t.Errorf("%v: want at most %d points reaching %g with Δ ≤ %g", g, maxK, tc.spec.Range, tc.maxStep)
			}
			if !g.Aligned {
				return
			}
			for _, b := range tc.spec.Breakpoints {
				down, up := g.Cells(b)
				if down != up || g.Time(down) != b {
					t.Errorf("%v: breakpoint %g is not the grid point %d (t = %.17g)", g, b, down, g.Time(down))
				}
			}
		})
	}
}

func TestPointProbsAndVertex(t *testing.T) {
	lo, hi := []float64{0.2, 0.1, 0.3}, []float64{0.5, 0.3, 0.4}
	p := dist.PointProbs(lo, hi)
	// Σlo = 0.6, width 0.6: λ = 2/3.
	want := []float64{0.2 + 0.2, 0.1 + 0.4/3, 0.3 + 0.2/3}
	var sum float64
	for i := range p {
		sum += p[i]
		if math.Abs(p[i]-want[i]) > 1e-12 {
			t.Errorf("p = %v, want %v", p, want)
		}
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("Σp = %v", sum)
	}
	a := []float64{0.9, 0.5, 0.7}
	var idx []int
	worst, best := dist.Vertex(lo, hi, a, false, &idx, nil), dist.Vertex(lo, hi, a, true, &idx, nil)
	// worst: 0.5 gets 0.3, then 0.7 gets 0.4 (the rest 0.3 to 0.9): 0.15 + 0.28 + 0.27
	// best: 0.9 gets 0.5, 0.7 gets 0.4, 0.5 keeps 0.1: 0.45 + 0.28 + 0.05
	if math.Abs(worst-0.70) > 1e-12 || math.Abs(best-0.78) > 1e-12 {
		t.Errorf("worst %v, best %v; want 0.70, 0.78", worst, best)
	}
	if mix := p[0]*0.9 + p[1]*0.5 + p[2]*0.7; !(worst <= mix && mix <= best) {
		t.Errorf("point mixture %v outside [%v, %v]", mix, worst, best)
	}
}

// TestCondBandsBracketMixtures checks that an interval Cond's lower band
// lies below, and its upper band above, the mixture at every vertex.
func TestCondBandsBracketMixtures(t *testing.T) {
	g := dist.NewGrid(dist.Spec{Range: 1, Step: 0.001})
	c := dist.NewCalc(g)
	lo, hi := []float64{0.1, 0.2}, []float64{0.8, 0.9}
	kids := func(f dist.Flavour) []dist.Sub {
		return []dist.Sub{c.Leaf(f, 0.99, law.Exponential{Mean: 0.02}, 0), c.Leaf(f, 0.9, law.Exponential{Mean: 0.1}, 0)}
	}
	l, u := c.Cond(dist.Lower, lo, hi, kids(dist.Lower)), c.Cond(dist.FreeUpper, lo, hi, kids(dist.FreeUpper))
	est := kids(dist.Estimate)
	for _, p := range [][]float64{{0.1, 0.9}, {0.8, 0.2}, {0.5, 0.5}} {
		for k := range g.K {
			m := p[0]*est[0].V[k] + p[1]*est[1].V[k]
			if l.V[k] > m+1e-15 || u.V[k] < m-1e-15 {
				t.Fatalf("p = %v, t = %g: mixture %v outside [%v, %v]", p, g.Time(k), m, l.V[k], u.V[k])
			}
		}
	}
}

// TestQuantileReads checks the estimate's read (interpolated, exact at an
// atom on a grid point) and the bound's (a grid point; unbounded when the
// band's limit is below the level).
func TestQuantileReads(t *testing.T) {
	g := dist.NewGrid(dist.Spec{Range: 1, Step: 0.01, Breakpoints: []float64{0.2}})
	c := dist.NewCalc(g)
	n := c.Leaf(dist.Estimate, 0.99, law.Exponential{Mean: 0.1}, 0)
	s := c.Timeout(dist.Estimate, 0.2, n, &dist.Sub{V: c.Const(1).V, Mass: 1})
	// F_N(0.2) = 0.8647: the p90 level lies in the fallback's atom at 0.2.
	if q, ok := c.Quantile(s, 0.9); !ok || q != 0.2 {
		t.Errorf("p90 = %v (ok %v), want the deadline 0.2", q, ok)
	}
	want := -0.1 * math.Log(1-0.5/0.99)
	if q, _ := c.Quantile(s, 0.5); math.Abs(q-want) > 1e-4 {
		t.Errorf("p50 = %v, want %v", q, want)
	}
	lo := c.Leaf(dist.Lower, 0.99, law.Exponential{Mean: 0.1}, 0.05)
	if b, ok, _ := c.Bound(lo, 0.5); !ok || b != g.Time(int(math.Round(b/g.Delta))) || lo.V[int(math.Round(b/g.Delta))] < 0.5 {
		t.Errorf("bound %v is not the first grid point reaching the level", b)
	}
	if b, ok, unbounded := c.Bound(lo, 0.95); ok || !unbounded || !math.IsInf(b, 1) {
		t.Errorf("band with limit %v read at 0.95: %v, ok %v, unbounded %v; want +Inf, unbounded", lo.Mass, b, ok, unbounded)
	}
}
