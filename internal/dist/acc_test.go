package dist_test

import (
	"math"
	"testing"

	"github.com/emac-dev/emac/internal/dist"
)

// TestAccuracyByResolution measures the estimate's worst relative error at
// p50, p90 and p99 over the closed-form cases as a function of the number
// of cells below the median, and checks second-order convergence: at 100
// cells (the least package compute accepts before refining) the error is
// below 1e-4.
func TestAccuracyByResolution(t *testing.T) {
	for _, cells := range []float64{25, 50, 100, 200} {
		worst, at := 0.0, ""
		for _, tc := range operatorCases() {
			g := dist.NewGrid(dist.Spec{Range: 1.2 * tc.want.quantile(0.9999), Step: tc.want.quantile(0.5) / cells, Breakpoints: tc.breaks})
			c := dist.NewCalc(g)
			got := tc.build(c, dist.Estimate)
			for _, q := range []float64{0.5, 0.9, 0.99} {
				est, _ := c.Quantile(got, q)
				want := tc.want.quantile(q)
				if e := math.Abs(est-want) / want; e > worst {
					worst, at = e, tc.name
				}
			}
		}
		t.Logf("%3g cells below the median: worst relative error %.2g (%s)", cells, worst, at)
		if cells >= 100 && worst > 1e-4 {
			t.Errorf("%g cells: worst relative error %.2g above 1e-4 (%s)", cells, worst, at)
		}
	}
}
