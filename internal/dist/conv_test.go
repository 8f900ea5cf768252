package dist_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/law"
)

// TestFFTMatchesDirect checks the FFT convolution against the direct sum:
// the estimates agree to rounding, and the FFT's lower band never rises
// above the direct sum's, staying within the guard (1e-12) below it.
func TestFFTMatchesDirect(t *testing.T) {
	for _, k := range []int{100, 1000, 8000, 32768} {
		g := dist.Grid{Delta: 1.0 / float64(k), K: k, Aligned: true}
		c := dist.NewCalc(g)
		x := c.Leaf(dist.Estimate, 0.99, law.Lognormal{Median: 0.1, Sigma: 1}, 0)
		y := c.Leaf(dist.Estimate, 0.97, law.Exponential{Mean: 0.2}, 0)
		for _, f := range []dist.Flavour{dist.Estimate, dist.Lower} {
			d, ff := c.ConvolveWith(f, x, y, true), c.ConvolveWith(f, x, y, false)
			worst, above := 0.0, 0.0
			for i := range d.V {
				worst = math.Max(worst, math.Abs(d.V[i]-ff.V[i]))
				above = math.Max(above, ff.V[i]-d.V[i])
			}
			t.Logf("K=%d %v: max |FFT − direct| = %.2g", k, f, worst)
			limit := 1e-13
			if f == dist.Lower {
				limit = 1e-12 + 1e-13
				if above > 0 {
					t.Errorf("K=%d: FFT lower band above the direct sum by %g", k, above)
				}
			}
			if worst > limit {
				t.Errorf("K=%d %v: FFT differs from the direct sum by %g", k, f, worst)
			}
		}
	}
}

func BenchmarkConvolve(b *testing.B) {
	for _, k := range []int{64, 128, 256, 512, 1024, 4096} {
		g := dist.Grid{Delta: 1.0 / float64(k), K: k, Aligned: true}
		c := dist.NewCalc(g)
		x := c.Leaf(dist.Estimate, 0.99, law.Lognormal{Median: 0.3, Sigma: 1}, 0)
		y := c.Leaf(dist.Estimate, 0.97, law.Exponential{Mean: 0.2}, 0)
		for _, direct := range []bool{true, false} {
			b.Run(fmt.Sprintf("K=%d/direct=%v", k, direct), func(b *testing.B) {
				for b.Loop() {
					c.Release(c.ConvolveWith(dist.Estimate, x, y, direct))
				}
			})
		}
	}
}
