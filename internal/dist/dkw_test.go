package dist_test

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/law"
)

const (
	dkwReps    = 500
	dkwSamples = 200
	dkwAlpha   = 0.05
)

// histogramOf bins xs into a Prometheus-style histogram with the given
// bounds.
func histogramOf(t *testing.T, xs, bounds []float64) *law.Histogram {
	counts := make([]float64, len(bounds)+1)
	for _, x := range xs {
		counts[sort.SearchFloat64s(bounds, x)]++ // first bound ≥ x: bucket (b[i−1], b[i]]
	}
	h, err := law.NewHistogram(bounds, counts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// covers reports whether lo ≤ s ≤ up at every grid point.
func covers(g dist.Grid, lo, up dist.Sub, s func(float64) float64) bool {
	for k := range g.K {
		v := s(g.Time(k))
		if lo.V[k] > v || (up.V != nil && up.V[k] < v) {
			return false
		}
	}
	return true
}

// TestDKWCoverage draws histogram evidence from known laws and checks how
// often the DKW band, widened by interval censoring, contains the true
// CDF: for one leaf, simultaneously for three leaves with α split
// (Bonferroni), and for the independent lower band of their Series against
// the exact hypoexponential law. Each rate must reach 1 − α.
func TestDKWCoverage(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	means := []float64{0.05, 0.02, 0.1}
	bounds := []float64{0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5}
	g := dist.NewGrid(dist.Spec{Range: 1.5, Step: 0.0005})
	c := dist.NewCalc(g)
	var single, joint, series int
	for range dkwReps {
		hs := make([]*law.Histogram, len(means))
		for i, m := range means {
			xs := make([]float64, dkwSamples)
			for j := range xs {
				xs[j] = r.ExpFloat64() * m
			}
			hs[i] = histogramOf(t, xs, bounds)
		}
		eps1 := law.DKW(dkwSamples, dkwAlpha)
		lo, up := c.Leaf(dist.Lower, 1, hs[0], eps1), c.Leaf(dist.FreeUpper, 1, hs[0], eps1)
		if covers(g, lo, up, expS(1, means[0])) {
			single++
		}
		c.Release(lo)
		c.Release(up)
		eps3 := law.DKW(dkwSamples, dkwAlpha/3)
		all := true
		var los []dist.Sub
		for i, h := range hs {
			lo, up := c.Leaf(dist.Lower, 1, h, eps3), c.Leaf(dist.FreeUpper, 1, h, eps3)
			all = all && covers(g, lo, up, expS(1, means[i]))
			los = append(los, lo)
			c.Release(up)
		}
		if all {
			joint++
		}
		s := c.Series(dist.Lower, los[:2])
		if covers(g, s, dist.Sub{}, hypoexp(1, means[0], means[1])) {
			series++
		}
		for _, l := range append(los, s) {
			c.Release(l)
		}
	}
	for _, x := range []struct {
		name string
		n    int
	}{{"one leaf", single}, {"three leaves jointly", joint}, {"series lower band", series}} {
		rate := float64(x.n) / dkwReps
		t.Logf("DKW coverage, %s, n=%d, %d repetitions: %.1f%%", x.name, dkwSamples, dkwReps, 100*rate)
		if rate < 1-dkwAlpha {
			t.Errorf("%s: coverage %.3f below %.2f", x.name, rate, 1-dkwAlpha)
		}
	}
}

// TestDKWBandShape checks the leaf band against its definition: lower
// a·(Lower(t) − ε) and upper a·(Upper(t) + ε), clamped to [0, a].
func TestDKWBandShape(t *testing.T) {
	h, err := law.NewHistogram([]float64{0.1, 0.2}, []float64{50, 30, 20})
	if err != nil {
		t.Fatal(err)
	}
	g := dist.NewGrid(dist.Spec{Range: 0.5, Step: 0.05, Breakpoints: []float64{0.1, 0.2}})
	c := dist.NewCalc(g)
	eps := law.DKW(h.N(), 0.05)
	lo, up := c.Leaf(dist.Lower, 0.9, h, eps), c.Leaf(dist.FreeUpper, 0.9, h, eps)
	for k := range g.K {
		tk := g.Time(k)
		wantLo := 0.9 * math.Max(0, h.Lower(tk)-eps)
		wantUp := 0.9 * math.Min(1, h.Upper(tk)+eps)
		if math.Abs(lo.V[k]-wantLo) > 1e-12 || math.Abs(up.V[k]-wantUp) > 1e-12 {
			t.Errorf("t=%g: band [%v, %v], want [%v, %v]", tk, lo.V[k], up.V[k], wantLo, wantUp)
		}
	}
	if want := 0.9 * (0.8 - eps); math.Abs(lo.Mass-want) > 1e-12 {
		t.Errorf("lower band limit %v, want %v (the +Inf bucket never counts)", lo.Mass, want)
	}
}
