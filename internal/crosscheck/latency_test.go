package crosscheck

import (
	"fmt"
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

// quantiles checked on every journey.
var quantiles = []float64{0.5, 0.9, 0.99}

// latencyAt runs the analytic latency evaluation for quantile q.
func latencyAt(t *testing.T, j *model.Journey, q float64) *compute.LatencyResult {
	t.Helper()
	saved := *j.Objective.Latency
	defer func() { *j.Objective.Latency = saved }()
	j.Objective.Latency.Quantile = q
	res, err := compute.Latency(j)
	if err != nil {
		t.Fatalf("compute.Latency: %v", err)
	}
	if res == nil {
		t.Fatal("no latency result")
	}
	return res
}

// accuracy accumulates relative errors per quantile.
type accuracy struct {
	errs        map[float64][]float64
	within1pct  map[float64]int
	withinNoise map[float64]int
	n           int
	finite      int // journeys whose p99 upper bound is finite
}

func newAccuracy() *accuracy {
	return &accuracy{errs: map[float64][]float64{}, within1pct: map[float64]int{}, withinNoise: map[float64]int{}}
}

// check compares the analytic estimate with the simulated quantile: within
// 1 %, or — where the CDF is nearly flat — inside the simulation's own
// 99.9 % sampling interval of the quantile.
func (a *accuracy) check(t *testing.T, name string, q, est float64, res *sim.Result) {
	t.Helper()
	simQ := res.Quantile(q)
	rel := 0.0 // both zero: the quantile sits on an instantaneous path
	if est != simQ {
		rel = math.Abs(est-simQ) / simQ
	}
	a.errs[q] = append(a.errs[q], rel)
	if rel <= 0.01 {
		a.within1pct[q]++
		return
	}
	n := float64(res.Successes)
	d := 3.3 * math.Sqrt(q*(1-q)/n)
	lo, hi := res.Quantile(max(q-d, 1e-9)), res.Quantile(min(q+d, 1-1e-9))
	if est >= lo*(1-0.002) && est <= hi*(1+0.002) {
		a.withinNoise[q]++
		return
	}
	t.Errorf("%s p%g: estimate %.6gs vs simulated %.6gs (rel %.2f%%, sampling interval [%.6g, %.6g])",
		name, q*100, est, simQ, 100*rel, lo, hi)
}

func (a *accuracy) report(t *testing.T) {
	for _, q := range quantiles {
		errs := slices.Clone(a.errs[q])
		slices.Sort(errs)
		if len(errs) == 0 {
			continue
		}
		t.Logf("p%g: %d journeys, median rel err %.4f%%, worst %.4f%%, within 1%%: %d, within sampling noise only: %d",
			q*100, len(errs), 100*errs[len(errs)/2], 100*errs[len(errs)-1], a.within1pct[q], a.withinNoise[q])
	}
}

// TestLatencyEstimateMatchesSimulation compares estimateSeconds with a
// 10⁶-sample independent simulation on 200 randomized journeys, and checks
// the bounds: upperBound ≥ the simulated quantile under every correlation
// model, upperConfidence ≥ the independent one. Those are the sizes under
// EMAC_LONG=1; the default run checks the first 50 journeys on 250,000
// samples (testenv.Size).
func TestLatencyEstimateMatchesSimulation(t *testing.T) {
	journeys := testenv.Size(t, 200, 50)
	samples := testenv.Size(t, 1_000_000, 250_000)
	corrSamples := testenv.Size(t, 200_000, 50_000)
	if testing.Short() {
		journeys, samples, corrSamples = 20, 200_000, 50_000
	}
	checked := 0
	r := rand.New(rand.NewPCG(7, 11))
	acc := newAccuracy()
	for i := 0; checked < journeys; i++ {
		j := randomJourney(r, 2+r.IntN(9), 0.99)
		for len(journey.Leaves(j.Root)) == 0 {
			j = randomJourney(r, 2+r.IntN(9), 0.99)
		}
		name := fmt.Sprintf("journey %d %s", i, j.Root)
		if checkJourney(t, name, j, samples, corrSamples, acc) {
			checked++
		}
	}
	acc.report(t)
	// The upper bound stays informative: with these journeys' thin
	// histograms the upper confidence bound itself is finite in about 80 %
	// of them, the shared-fate bound in about 55 % (issue 10 asks for 90 %:
	// not reached yet, see the closing note); fewer means a regression.
	if acc.finite < checked/2 {
		t.Errorf("the p99 upper bound is finite in only %d of %d journeys", acc.finite, checked)
	}
	t.Logf("p99 upper bound finite in %d of %d journeys", acc.finite, checked)
}

// checkJourney reports whether the journey was checked (one that mostly
// fails says little about latency and is skipped).
func checkJourney(t *testing.T, name string, j *model.Journey, samples, corrSamples int, acc *accuracy) bool {
	t.Helper()
	ind, err := sim.Simulate(j, sim.Options{Samples: samples, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ind.Successes < samples/2 {
		return false
	}
	results := map[float64]*compute.LatencyResult{}
	for _, q := range quantiles {
		res := latencyAt(t, j, q)
		results[q] = res
		acc.check(t, name, q, res.EstimateSeconds, &ind)
		checkBound(t, name, "upperConfidence", q, res.UpperConfidenceSeconds, &ind)
		checkBound(t, name, "upperBound", q, res.UpperBoundSeconds, &ind)
	}
	for _, corr := range []sim.Correlation{sim.Gaussian(0.3), sim.Gaussian(0.5), sim.Gaussian(0.7), sim.Gaussian(1), sim.Shocks(1)} {
		cor, err := sim.Simulate(j, sim.Options{Samples: corrSamples, Seed: 2, Correlation: corr})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range quantiles {
			checkBound(t, fmt.Sprintf("%s %s", name, corr), "upperBound", q, results[q].UpperBoundSeconds, &cor)
		}
	}
	if !math.IsInf(results[0.99].UpperBoundSeconds, 1) {
		acc.finite++
	}
	return true
}

// checkBound fails when bound is below the simulated q-quantile beyond
// sampling error (the simulated quantile at level q − DKW ε, 99.9 %).
func checkBound(t *testing.T, name, what string, q, bound float64, res *sim.Result) {
	t.Helper()
	if math.IsInf(bound, 1) || res.Successes == 0 {
		return
	}
	eps := law.DKW(float64(res.Successes), 1e-3)
	if floor := res.Quantile(max(q-eps, 1e-9)); bound < floor {
		t.Errorf("%s p%g: %s %.6gs below the simulated quantile %.6gs (at level q-%.4f)", name, q*100, what, bound, floor, eps)
	}
}
