package dist_test

import (
	"math"
	"testing"

	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/law"
)

// TestRaceGroups: with singleton groups RaceGroups is the independent
// lower band of Race, with one group the dependence-free one (max L_i),
// and in between 1 − ∏_g (1 − max_{i∈g} L_i).
func TestRaceGroups(t *testing.T) {
	c := dist.NewCalc(dist.NewGrid(dist.Spec{Range: 1, Step: 0.001, Breakpoints: []float64{0.02}}))
	kids := []dist.Sub{
		c.Leaf(dist.Lower, 0.9, law.Exponential{Mean: 0.05}, 0),
		c.Leaf(dist.Lower, 0.8, law.Exponential{Mean: 0.02}, 0),
		c.Leaf(dist.Lower, 0.7, law.Exponential{Mean: 0.1}, 0),
	}
	for _, hedge := range []float64{0, 0.02} {
		same := func(name string, got, want dist.Sub) {
			t.Helper()
			if math.Abs(got.Mass-want.Mass) > 1e-15 {
				t.Errorf("hedge %v, %s: mass %v, want %v", hedge, name, got.Mass, want.Mass)
			}
			for k := range got.V {
				if math.Abs(got.V[k]-want.V[k]) > 1e-15 {
					t.Fatalf("hedge %v, %s: S(t_%d) = %v, want %v", hedge, name, k, got.V[k], want.V[k])
				}
			}
		}
		same("singletons", c.RaceGroups(hedge, kids, [][]int{{0}, {1}, {2}}), c.Race(dist.Lower, hedge, kids))
		same("one group", c.RaceGroups(hedge, kids, [][]int{{0, 1, 2}}), c.Race(dist.FreeLower, hedge, kids))
		mixed := c.RaceGroups(hedge, kids, [][]int{{0, 2}, {1}})
		lo, hi := c.Race(dist.FreeLower, hedge, kids), c.Race(dist.Lower, hedge, kids)
		for k := range mixed.V {
			if mixed.V[k] < lo.V[k]-1e-15 || mixed.V[k] > hi.V[k]+1e-15 {
				t.Fatalf("hedge %v: grouped S(t_%d) = %v outside [%v, %v]", hedge, k, mixed.V[k], lo.V[k], hi.V[k])
			}
		}
		if want := 1 - (1-0.9)*(1-0.8); math.Abs(mixed.Mass-want) > 1e-15 {
			t.Errorf("hedge %v: grouped mass %v, want %v", hedge, mixed.Mass, want)
		}
	}
}
