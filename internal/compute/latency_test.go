package compute_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
	"github.com/emac-dev/emac/internal/testenv"
)

// latencyJourney is journeyOf with latency laws and a latency objective at
// quantile q.
func latencyJourney(root journey.Node, comps map[string]comp, laws map[string]law.Law, q float64) *model.Journey {
	j := journeyOf(root, comps)
	for name, l := range laws {
		j.Components[name].Latency = l
	}
	j.Objective.Latency = &model.LatencyObjective{Quantile: q, ThresholdSeconds: 1}
	return j
}

// quantileOf inverts the sub-distribution s with mass a at q by bisection.
func quantileOf(s func(float64) float64, a, q float64) float64 {
	lo, hi := 0.0, 1.0
	for s(hi) < q*a {
		hi *= 2
	}
	for range 200 {
		m := (lo + hi) / 2
		if s(m) >= q*a {
			hi = m
		} else {
			lo = m
		}
	}
	return hi
}

func expCDF(mean float64) func(float64) float64 {
	return func(t float64) float64 { return max(0, -math.Expm1(-t/mean)) }
}

func TestLatencyNil(t *testing.T) {
	exp := law.Exponential{Mean: 0.01}
	comps := map[string]comp{"a": {a: 0.99}, "b": {a: 0.98}}
	for _, tc := range []struct {
		name string
		j    *model.Journey
	}{
		{"no objective", func() *model.Journey {
			j := latencyJourney(series(leaf("a"), leaf("b")), comps, map[string]law.Law{"a": exp}, 0.99)
			j.Objective.Latency = nil
			return j
		}()},
		{"no evidence", latencyJourney(series(leaf("a"), leaf("b")), comps, nil, 0.99)},
		{"no evidence, deadlines", latencyJourney(retry(2, nil, timeout(nil, leaf("a"), leaf("b"))), comps, nil, 0.99)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := compute.Latency(tc.j)
			if err != nil || l != nil {
				t.Errorf("Latency = %v, %v; want nil, nil", l, err)
			}
			ev, err := compute.Evaluate(tc.j)
			if err != nil || ev.Latency != nil {
				t.Errorf("Evaluate: latency %v, error %v; want nil, nil", ev.Latency, err)
			}
		})
	}
}

// TestLatencyClosedForms checks the three quantiles of small journeys with
// exact laws against closed forms: the estimate within 1e-3, and
// estimate ≤ upper confidence ≤ upper bound, the confidence bound within a
// cell or two of the exact value (exact laws have no band).
func TestLatencyClosedForms(t *testing.T) {
	e1, e2 := law.Exponential{Mean: 0.05}, law.Exponential{Mean: 0.02}
	f1, f2 := expCDF(0.05), expCDF(0.02)
	a, b := 0.99, 0.98
	comps := map[string]comp{"a": {a: a}, "b": {a: b}}
	laws := map[string]law.Law{"a": e1, "b": e2}
	tau := 0.2
	l1, l2 := 1/0.05, 1/0.02
	for _, tc := range []struct {
		name string
		root journey.Node
		s    func(float64) float64
		mass float64
	}{
		{"leaf", leaf("a"), func(t float64) float64 { return a * f1(t) }, a},
		{"series", series(leaf("a"), leaf("b")), func(t float64) float64 {
			return a * b * (1 - (l2*math.Exp(-l1*t)-l1*math.Exp(-l2*t))/(l2-l1))
		}, a * b},
		{"parallel", parallel(leaf("a"), leaf("b")), func(t float64) float64 { return a * f1(t) * b * f2(t) }, a * b},
		{"race", race(leaf("a"), leaf("b")), func(t float64) float64 { return 1 - (1-a*f1(t))*(1-b*f2(t)) }, 1 - (1-a)*(1-b)},
		{"timeout, instant fallback", timeout(nil, leaf("a"), skip()), func(t float64) float64 {
			if t < tau {
				return a * f1(t)
			}
			return 1
		}, 1},
		{"retry", retry(3, nil, leaf("a")), func(t float64) float64 {
			var s float64
			w := 1 - a*f1(0.1)
			for j := range 3 {
				if u := t - 0.1*float64(j); u >= 0 {
					s += math.Pow(w, float64(j)) * a * f1(min(u, 0.1))
				}
			}
			return s
		}, 1 - math.Pow(1-a*f1(0.1), 3)},
	} {
		for _, q := range []float64{0.5, 0.9, 0.99} {
			j := latencyJourney(tc.root, comps, laws, q)
			l, err := compute.Latency(j)
			if err != nil {
				t.Fatal(err)
			}
			want := quantileOf(tc.s, tc.mass, q)
			if math.Abs(l.EstimateSeconds-want) > 1e-3*want {
				t.Errorf("%s p%g: estimate %.6g, want %.6g", tc.name, 100*q, l.EstimateSeconds, want)
			}
			if math.Abs(l.EstimateAvailability-tc.mass) > 1e-9 {
				t.Errorf("%s: estimate availability %v, want %v", tc.name, l.EstimateAvailability, tc.mass)
			}
			cell := l.Grid.StepSeconds
			if l.UpperConfidenceSeconds < want-1e-12 || l.UpperConfidenceSeconds > want+2*cell || l.UpperBoundSeconds < l.UpperConfidenceSeconds {
				t.Errorf("%s p%g: estimate %v ≤ exact %v ≤ confidence %v (≤ exact + 2 cells) ≤ bound %v fails",
					tc.name, 100*q, l.EstimateSeconds, want, l.UpperConfidenceSeconds, l.UpperBoundSeconds)
			}
		}
	}
}

// TestQuantileAtDeadline reads a quantile whose level falls in the atom an
// instant fallback puts at a Timeout's deadline: all three numbers are the
// deadline itself.
func TestQuantileAtDeadline(t *testing.T) {
	j := latencyJourney(timeout(nil, leaf("a"), skip()), map[string]comp{"a": {a: 0.99}},
		map[string]law.Law{"a": law.Lognormal{Median: 0.1, Sigma: 0.8}}, 0.99)
	l, err := compute.Latency(j)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Grid.Aligned {
		t.Errorf("grid %+v not aligned to the 200ms deadline", l.Grid)
	}
	for name, got := range map[string]float64{"estimate": l.EstimateSeconds, "confidence": l.UpperConfidenceSeconds, "bound": l.UpperBoundSeconds} {
		if math.Abs(got-0.2) > 1e-12 {
			t.Errorf("%s = %v, want the deadline 0.2", name, got)
		}
	}
}

// TestLateFractions checks that Timeout and Retry late fractions come from
// latency evidence (and nested deadlines) and feed availability: A+ with
// the estimate, A− with the lower confidence band, combined with a
// declared timeoutProbability.
func TestLateFractions(t *testing.T) {
	e := law.Exponential{Mean: 0.1}
	h, err := law.NewHistogram([]float64{0.05, 0.1, 0.2, 0.4}, []float64{300, 300, 250, 100, 50})
	if err != nil {
		t.Fatal(err)
	}
	fe := -math.Expm1(-0.2 / 0.1)
	eps := law.DKW(h.N(), 0.05)
	comps := map[string]comp{"a": {a: 0.99, lower: 0.98}, "b": {a: 0.95}}
	for _, tc := range []struct {
		name        string
		root        journey.Node
		laws        map[string]law.Law
		plus, minus float64
		note        string
	}{
		{"exponential", timeout(nil, leaf("a")), map[string]law.Law{"a": e}, 0.99 * fe, 0.98 * fe, "arrive after 200ms"},
		{"histogram band", timeout(nil, leaf("a")), map[string]law.Law{"a": h}, 0.99 * 0.85, 0.98 * (0.85 - eps), "arrive after 200ms"},
		{"declared", timeout(ptr(0.1), leaf("a")), map[string]law.Law{"a": e}, 0.99 * 0.9 * fe, 0.98 * 0.9 * fe, "declared timeoutProbability 0.1"},
		// The fallback starts at 200ms, after the retry's 100ms deadline:
		// only a's answers are on time. The late fraction of the point
		// model applied to the primary's A− would give
		// (0.98 + 0.02·0.95)·0.99/(0.99 + 0.01·0.95) ≈ 0.9895; A− is
		// capped by the on-time success at a's lower availability.
		{"nested deadline", retry(1, nil, timeout(nil, leaf("a"), leaf("b"))), nil, 0.99, 0.98, "nested deadlines"},
		{"no timing", timeout(nil, leaf("a")), nil, 0.99, 0.98, "no latency evidence"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := latencyJourney(tc.root, comps, tc.laws, 0.99)
			res, err := compute.Availability(j)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(res.Optimistic-tc.plus) > 1e-9 || math.Abs(res.Pessimistic-tc.minus) > 1e-9 {
				t.Errorf("A+ = %v, A− = %v; want %v, %v", res.Optimistic, res.Pessimistic, tc.plus, tc.minus)
			}
			if !containsSub(res.Assumptions, tc.note) {
				t.Errorf("no assumption mentions %q: %q", tc.note, res.Assumptions)
			}
			if tc.laws != nil && containsSub(res.Assumptions, "no latency evidence") {
				t.Errorf("assumptions still say there is no latency evidence: %q", res.Assumptions)
			}
		})
	}
}

func containsSub(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestLatencyUnbounded: a histogram with 5 % of its mass in the +Inf
// bucket bounds no p99; the bounds are +Inf, explained, and marshal as
// null.
func TestLatencyUnbounded(t *testing.T) {
	h, err := law.NewHistogram([]float64{0.1, 0.2}, []float64{800, 150, 50})
	if err != nil {
		t.Fatal(err)
	}
	j := latencyJourney(leaf("a"), map[string]comp{"a": {a: 0.99}}, map[string]law.Law{"a": h}, 0.99)
	l, err := compute.Latency(j)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(l.UpperConfidenceSeconds, 1) || !math.IsInf(l.UpperBoundSeconds, 1) || math.IsInf(l.EstimateSeconds, 0) {
		t.Errorf("estimate %v, confidence %v, bound %v; want finite, +Inf, +Inf", l.EstimateSeconds, l.UpperConfidenceSeconds, l.UpperBoundSeconds)
	}
	if !containsSub(l.Assumptions, "upper confidence unbounded") {
		t.Errorf("no assumption explains the unbounded confidence bound: %q", l.Assumptions)
	}
	out, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"upperConfidenceSeconds":null`) || !strings.Contains(string(out), `"upperBoundSeconds":null`) {
		t.Errorf("JSON does not write the unbounded quantiles as null: %.300s", out)
	}
}

// TestLatencyOrder checks estimate ≤ upper confidence ≤ upper bound on
// random journeys with lognormal and histogram leaves, and that Latency is
// deterministic.
func TestLatencyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 4))
	for i := range 80 {
		j := genJourney(r, genOptions{leaves: 1 + r.IntN(12), pool: 5, domains: 3, intervals: true, laws: true})
		j.Objective.Latency = &model.LatencyObjective{Quantile: []float64{0.5, 0.9, 0.99}[i%3]}
		l, err := compute.Latency(j)
		if err != nil {
			t.Fatal(err)
		}
		if l == nil {
			continue // only skips
		}
		if !(l.EstimateSeconds <= l.UpperConfidenceSeconds+1e-12 && l.UpperConfidenceSeconds <= l.UpperBoundSeconds) {
			t.Errorf("journey %d %s: estimate %v ≤ confidence %v ≤ bound %v fails", i, j.Root, l.EstimateSeconds, l.UpperConfidenceSeconds, l.UpperBoundSeconds)
		}
		again, _ := compute.Latency(j)
		a, _ := json.Marshal(l)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Errorf("journey %d: Latency is not deterministic", i)
		}
	}
}

// TestLatencyMonteCarlo is a quick sanity check against the simulator on
// random journeys, read in probability space (robust to atoms and to the
// simulator's noise): the estimate's level q lies within the simulated
// CDF's jump at the estimate, the upper confidence bound holds under
// independence and the dependence-free bound under the Gaussian copula.
// The full accuracy test (10⁶ samples, 200 journeys under EMAC_LONG=1) is
// in package crosscheck. The default run simulates 100,000 instead of
// 200,000 requests per journey (testenv.Size).
func TestLatencyMonteCarlo(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo check skipped in -short mode")
	}
	n := testenv.Size(t, 200_000, 100_000)
	r := rand.New(rand.NewPCG(12, 21))
	for i := range 15 {
		j := genJourney(r, genOptions{leaves: 2 + r.IntN(8), pool: 5, domains: 3, laws: true})
		q := []float64{0.5, 0.9, 0.99}[i%3]
		j.Objective.Latency = &model.LatencyObjective{Quantile: q}
		l, err := compute.Latency(j)
		if err != nil || l == nil {
			continue
		}
		tol := 4.5*math.Sqrt(q*(1-q)/float64(n)) + 2e-4
		for _, corr := range []sim.Correlation{sim.Independent(), sim.Gaussian(0.5), sim.Gaussian(1)} {
			mc, err := sim.Simulate(j, sim.Options{Samples: n, Seed: uint64(i), Correlation: corr})
			if err != nil {
				t.Fatal(err)
			}
			below, at := 0.0, mc.CDF(l.EstimateSeconds)
			if l.EstimateSeconds > 0 {
				below = mc.CDF(math.Nextafter(l.EstimateSeconds, 0))
			}
			if corr == sim.Independent() && (below > q+tol || at < q-tol) {
				t.Errorf("journey %d %s: estimate p%g %v: simulated CDF %v just below, %v at it", i, j.Root, 100*q, l.EstimateSeconds, below, at)
			}
			if f := mc.CDF(l.UpperConfidenceSeconds); corr == sim.Independent() && f < q-tol {
				t.Errorf("journey %d %s: upper confidence p%g %v below the simulated quantile (CDF %v)", i, j.Root, 100*q, l.UpperConfidenceSeconds, f)
			}
			if f := mc.CDF(l.UpperBoundSeconds); f < q-tol {
				t.Errorf("journey %d %s, %v: upper bound p%g %v below the simulated quantile (CDF %v)", i, j.Root, corr, 100*q, l.UpperBoundSeconds, f)
			}
		}
	}
}
