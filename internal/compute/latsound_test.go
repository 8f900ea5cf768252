package compute_test

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
	"github.com/emac-dev/emac/internal/testenv"
)

// TestPessimisticLowerAvailabilityShiftsToSlowPath: in
// Retry(1, 100ms; Timeout(200ms; a, b)) the fallback b answers at 200 ms or
// later, always after the retry's deadline, so only a's answers count. With
// a's true availability at its lower value 0.98, the truth is
// 0.98·P(a within 100 ms) ≈ 0.98; the late fraction read with a's point
// availability (0.99) would put more weight on the fast path and give
// A− ≈ 0.9895.
func TestPessimisticLowerAvailabilityShiftsToSlowPath(t *testing.T) {
	fast := law.Exponential{Mean: 0.005}
	comps := map[string]comp{"a": {a: 0.99, lower: 0.98}, "b": {a: 1}}
	laws := map[string]law.Law{"a": fast, "b": fast}
	j := latencyJourney(retry(1, nil, timeout(nil, leaf("a"), leaf("b"))), comps, laws, 0.99)
	truth := 0.98 * -math.Expm1(-0.1/fast.Mean)
	res, err := compute.Availability(j)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pessimistic > truth+1e-9 {
		t.Errorf("A− = %.8f exceeds the true availability %.8f at the lower leaf values", res.Pessimistic, truth)
	}
	if res.Pessimistic < truth-1e-3 {
		t.Errorf("A− = %.8f is needlessly far below the truth %.8f", res.Pessimistic, truth)
	}
	if want := 0.99 * -math.Expm1(-0.1/fast.Mean); math.Abs(res.Optimistic-want) > 1e-6 {
		t.Errorf("A+ = %.8f, want %.8f", res.Optimistic, want)
	}
	ev, err := compute.Evaluate(j)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Availability.Pessimistic != res.Pessimistic {
		t.Errorf("Evaluate's A− %v differs from Availability's %v", ev.Availability.Pessimistic, res.Pessimistic)
	}
	if len(ev.Latency.Late) != 2 {
		t.Fatalf("late fractions: %+v, want the Retry's and the Timeout's", ev.Latency.Late)
	}
	if l := ev.Latency.Late[1]; l.Kind != "retry" || math.Abs(l.LowerOnTime-truth) > 1e-3 {
		t.Errorf("retry late fraction %+v: want lowerOnTime ≈ %v", l, truth)
	}
}

// Sizes of TestPessimisticLateFractionsMonteCarlo under EMAC_LONG=1, and
// reduced ones for the default run (testenv.Size): the reduced run checks
// the first journeys of the full run with fewer samples.
const (
	lateSoundJourneys = 120
	lateSoundSamples  = 200_000

	lateSoundJourneysReduced = 30
	lateSoundSamplesReduced  = 100_000
)

// TestPessimisticLateFractionsMonteCarlo checks A− against the simulator
// on random journeys with latency laws, Timeout and Retry, and lower
// availabilities below the point values: the truth is simulated with every
// component at its lower availability (its latency law unchanged, so within
// its band), under independence and under the Gaussian copula. The
// simulated availability must not fall below A− by more than crossZ
// standard errors.
func TestPessimisticLateFractionsMonteCarlo(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo check skipped in -short mode")
	}
	journeys := testenv.Size(t, lateSoundJourneys, lateSoundJourneysReduced)
	samples := testenv.Size(t, lateSoundSamples, lateSoundSamplesReduced)
	r := rand.New(rand.NewPCG(2026, 77))
	corrs := []sim.Correlation{sim.Independent(), sim.Gaussian(0.3), sim.Gaussian(1)}
	fails := 0
	worst := math.Inf(-1)
	for i := 0; i < journeys; {
		j := genJourney(r, genOptions{leaves: 2 + r.IntN(9), pool: 5, domains: 3, intervals: true, laws: true})
		j.Root = wrapDeadline(r, j.Root)
		if !hasDeadline(j.Root) {
			continue
		}
		lowerBelowPoint(r, j)
		res, err := compute.Availability(j)
		if err != nil {
			t.Fatalf("journey %d %s: %v", i, j.Root, err)
		}
		truth := atLowerAvailability(j)
		for _, corr := range corrs {
			mc, err := sim.Simulate(truth, sim.Options{Samples: samples, Seed: uint64(500 + i), Correlation: corr})
			if err != nil {
				t.Fatal(err)
			}
			se := math.Max(mc.StdErr, 1/float64(samples))
			z := (res.Pessimistic - mc.Availability) / se
			worst = math.Max(worst, z)
			if z > crossZ {
				fails++
				t.Errorf("journey %d %s, %v: simulated %.6f ± %.6f at the lower availabilities, below A− = %.6f (%.1f se)",
					i, j.Root, corr, mc.Availability, mc.StdErr, res.Pessimistic, z)
			}
		}
		i++
	}
	t.Logf("%d journeys × %d laws × %d samples: %d runs below A− by more than %.1f se; worst A− − MC = %.2f se",
		journeys, len(corrs), samples, fails, crossZ, worst)
}

// wrapDeadline wraps root, two times in three, in a Retry (100 ms per try)
// or a Timeout (200 ms) with a fallback, so that nested deadlines and slow
// fallbacks are frequent.
func wrapDeadline(r *rand.Rand, root journey.Node) journey.Node {
	switch r.IntN(3) {
	case 0:
		return &journey.Retry{Attempts: 1 + r.IntN(3), PerTryTimeout: 0.1, Target: root}
	case 1:
		return &journey.Timeout{Timeout: 0.2, Primary: root, Fallback: &journey.Leaf{Name: "c0"}}
	}
	return root
}

// hasDeadline reports whether the tree holds a Timeout or a Retry.
func hasDeadline(root journey.Node) bool {
	found := false
	journey.Walk(root, func(n journey.Node) bool {
		switch n.(type) {
		case *journey.Timeout, *journey.Retry:
			found = true
		}
		return !found
	})
	return found
}

// atLowerAvailability returns a copy of j whose components' point
// availabilities are their lower values (the tree is shared).
func atLowerAvailability(j *model.Journey) *model.Journey {
	out := *j
	out.Components = make(map[string]*model.Component, len(j.Components))
	for name, c := range j.Components {
		cc := *c
		cc.Availability.Point = c.Availability.Lower
		out.Components[name] = &cc
	}
	return &out
}

// lowerBelowPoint draws every component's lower availability up to 0.05
// below its point value (at least 0.5).
func lowerBelowPoint(r *rand.Rand, j *model.Journey) {
	for _, name := range slices.Sorted(maps.Keys(j.Components)) {
		a := &j.Components[name].Availability
		a.Lower = max(0.5, a.Point-0.05*r.Float64())
	}
}
