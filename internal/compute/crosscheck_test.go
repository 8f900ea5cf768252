package compute_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
	"github.com/emac-dev/emac/internal/testenv"
)

// Cross-check sizes: crossJourneys random journeys, each simulated with
// crossSamples requests under independence and under the Gaussian copula
// for every ρ in crossRhos. Those are the sizes under EMAC_LONG=1; the
// default run checks the first crossJourneysReduced journeys with
// crossSamplesReduced requests (testenv.Size).
const (
	crossJourneys = 250
	crossSamples  = 250_000
	crossZ        = 4.0 // tolerance in standard errors

	crossJourneysReduced = 60
	crossSamplesReduced  = 125_000
)

var crossRhos = []float64{0.3, 0.5, 0.7, 1}

// TestMonteCarloCrossCheck checks the analytic bounds against the
// independent simulator on random journeys: A+ must match the simulation
// under independence, and the simulation under positive dependence (the
// Gaussian copula) must never fall below A−.
func TestMonteCarloCrossCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo cross-check skipped in -short mode")
	}
	journeys := testenv.Size(t, crossJourneys, crossJourneysReduced)
	samples := testenv.Size(t, crossSamples, crossSamplesReduced)
	r := rand.New(rand.NewPCG(2026, 1))
	var worstPlus, worstMinus float64
	above := 0 // copula runs significantly above A+ (A+ is no upper bound)
	for i := range journeys {
		j := genJourney(r, genOptions{leaves: 1 + r.IntN(10), pool: 5, domains: 3, intervals: true})
		expr := j.Root.String()
		seed := uint64(1000 + i)

		// A− against the copula, with interval probabilities in place: the
		// simulator uses a point of the box, A− the worst vertex.
		res, err := compute.Availability(j)
		if err != nil {
			t.Fatalf("journey %d %s: %v", i, expr, err)
		}
		if res.Pessimistic > res.Optimistic {
			t.Errorf("journey %d %s: A− = %v > A+ = %v", i, expr, res.Pessimistic, res.Optimistic)
		}
		for _, corr := range crossLaws() {
			mc, err := sim.Simulate(j, sim.Options{Samples: samples, Seed: seed, Correlation: corr})
			if err != nil {
				t.Fatal(err)
			}
			se := math.Max(mc.StdErr, 1/float64(samples))
			z := (res.Pessimistic - mc.Availability) / se
			worstMinus = math.Max(worstMinus, z)
			if (mc.Availability-res.Optimistic)/se > crossZ {
				above++
			}
			if z > crossZ {
				t.Errorf("journey %d %s, %s: simulated %.6f ± %.6f below A− = %.6f (%.1f se)",
					i, expr, corr, mc.Availability, mc.StdErr, res.Pessimistic, z)
			}
		}

		// A+ against independence, at the simulator's branch probabilities.
		collapseConds(t, j)
		res, err = compute.Availability(j)
		if err != nil {
			t.Fatal(err)
		}
		mc, err := sim.Simulate(j, sim.Options{Samples: samples, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		// The standard error under the null hypothesis A = A+ keeps the
		// test meaningful when every sample succeeds.
		se := math.Max(mc.StdErr, math.Sqrt(res.Optimistic*(1-res.Optimistic)/float64(samples)))
		z := math.Abs(res.Optimistic-mc.Availability) / math.Max(se, 1e-12)
		worstPlus = math.Max(worstPlus, z)
		if z > crossZ {
			t.Errorf("journey %d %s: A+ = %.6f, simulated %.6f ± %.6f (%.1f se)",
				i, expr, res.Optimistic, mc.Availability, mc.StdErr, z)
		}
	}
	t.Logf("%d journeys × %d samples × %d laws; worst |A+ − MC| = %.2f se; worst A− − MC = %.2f se; "+
		"%d correlated runs above A+ by more than %.1f se", journeys, samples, 1+len(crossLaws()),
		worstPlus, worstMinus, above, crossZ)
}

// crossLaws are the positively dependent laws A− must stay below: the
// Gaussian copula at every loading of crossRhos and common shocks of two
// intensities.
func crossLaws() []sim.Correlation {
	var out []sim.Correlation
	for _, rho := range crossRhos {
		out = append(out, sim.Gaussian(rho))
	}
	return append(out, sim.Shocks(0.5), sim.Shocks(1))
}

// collapseConds replaces every Cond's probabilities by the point the
// simulator uses.
func collapseConds(t *testing.T, j *model.Journey) {
	journey.Walk(j.Root, func(n journey.Node) bool {
		if c, ok := n.(*journey.Cond); ok {
			ps, err := sim.BranchProbabilities(c)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range ps {
				c.Probs[i].Lo, c.Probs[i].Hi = p, p
			}
		}
		return true
	})
}
