package crosscheck

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
	"github.com/emac-dev/emac/internal/testenv"
)

// TestEngineUpperBound (issue 10) reads the p99 latency upper bound of the
// random engine journeys (TestEngineRandomJourneys' generator, its own
// seed) and checks it against Monte Carlo under laws of A−'s dependence
// class — common shocks and Gaussian copulas (ρ 0.5 and 1) inside fate
// groups: never below the simulated p99 (beyond sampling error), and
// finite in at least 90 % of the journeys that succeed often enough to
// have a p99.
func TestEngineUpperBound(t *testing.T) {
	journeys := testenv.Size(t, 200, 60)
	samples := testenv.Size(t, 200_000, 40_000)
	r := rand.New(rand.NewPCG(11, 3))
	finite, checked := 0, 0
	var ratios []float64 // bound / independent simulated p99
	for i := range journeys {
		j := engineJourney(r)
		j.Objective.Latency = &model.LatencyObjective{Quantile: 0.99}
		name := fmt.Sprintf("journey %d %s", i, j.Root)
		res, err := compute.Latency(j)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res == nil {
			continue
		}
		checked++
		if !math.IsInf(res.UpperBoundSeconds, 1) {
			finite++
		}
		for _, corr := range []sim.Correlation{sim.Independent(), sim.Gaussian(0.5), sim.Gaussian(1), sim.Shocks(1)} {
			mc, err := sim.Simulate(j, sim.Options{Samples: samples, Seed: uint64(i), Correlation: corr})
			if err != nil {
				t.Fatal(err)
			}
			checkBound(t, fmt.Sprintf("%s %s", name, corr), "upperBound", 0.99, res.UpperBoundSeconds, &mc)
			if corr == sim.Independent() && mc.Successes > 0 && !math.IsInf(res.UpperBoundSeconds, 1) {
				ratios = append(ratios, res.UpperBoundSeconds/mc.Quantile(0.99))
			}
		}
	}
	if finite*10 < checked*9 {
		t.Errorf("the p99 upper bound is finite in only %d of %d journeys, want at least 90 %%", finite, checked)
	}
	slices.Sort(ratios)
	if len(ratios) > 0 {
		t.Logf("p99 upper bound finite in %d of %d journeys; bound / simulated p99: median %.2f, 90th percentile %.2f, worst %.2f",
			finite, checked, ratios[len(ratios)/2], ratios[len(ratios)*9/10], ratios[len(ratios)-1])
	}
}
