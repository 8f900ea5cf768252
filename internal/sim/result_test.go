package sim_test

import (
	"math"
	"slices"
	"testing"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/sim"
)

func TestResultQuantile(t *testing.T) {
	r := &sim.Result{Latencies: []float64{0.1, 0.2, 0.3, 0.4}}
	tests := []struct {
		p, want float64
	}{
		{0, 0.1}, {0.1, 0.1}, {0.25, 0.1}, {0.26, 0.2}, {0.5, 0.2}, {0.51, 0.3}, {0.75, 0.3}, {0.99, 0.4}, {1, 0.4},
		{-1, 0.1}, {2, 0.4},
	}
	for _, tc := range tests {
		if got := r.Quantile(tc.p); got != tc.want {
			t.Errorf("Quantile(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := r.Quantiles([]float64{0.25, 0.26, 1}); !slices.Equal(got, []float64{0.1, 0.2, 0.4}) {
		t.Errorf("Quantiles = %v", got)
	}
	for _, tc := range []struct{ t, want float64 }{{0.05, 0}, {0.1, 0.25}, {0.25, 0.5}, {0.4, 1}, {9, 1}} {
		if got := r.CDF(tc.t); got != tc.want {
			t.Errorf("CDF(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
	empty := &sim.Result{}
	if !math.IsNaN(empty.Quantile(0.5)) || !math.IsNaN(empty.CDF(1)) || !math.IsNaN(r.Quantile(math.NaN())) {
		t.Error("Quantile and CDF without successes, or at NaN, are not NaN")
	}
}

// detJourney has a Race over a shared domain, a hedge, a KofN, a Timeout
// with fallback and a Retry, so every operator draws latencies.
func detJourney() *journey.Series {
	return &journey.Series{Steps: []journey.Node{leaf("ln"),
		&journey.Race{HedgeAfter: 0.02, Branches: []journey.Node{leaf("p"), leaf("q")}},
		&journey.KofN{K: 2, Branches: []journey.Node{leaf("e1"), leaf("e2"), leaf("h")}},
		&journey.Timeout{Timeout: 0.1, Primary: leaf("x"), Fallback: leaf("n")},
		&journey.Retry{Attempts: 2, PerTryTimeout: 0.1, Target: leaf("y")}}}
}

func TestSimulateDeterministicLatencies(t *testing.T) {
	j := latJourney(detJourney())
	for _, corr := range []sim.Correlation{sim.Independent(), sim.Gaussian(0.5)} {
		run := func(seed uint64, workers int) sim.Result {
			r, err := sim.Simulate(j, sim.Options{Samples: 100_003, Seed: seed, Correlation: corr, Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		want := run(7, 1)
		if len(want.Latencies) != want.Successes || !slices.IsSorted(want.Latencies) {
			t.Fatalf("%v: %d latencies for %d successes, sorted %v", corr, len(want.Latencies), want.Successes,
				slices.IsSorted(want.Latencies))
		}
		for _, w := range []int{2, 3, 0} {
			if got := run(7, w); got.Successes != want.Successes || !slices.Equal(got.Latencies, want.Latencies) {
				t.Errorf("%v, workers %d: %d successes, latencies equal %v; want %d", corr, w, got.Successes,
					slices.Equal(got.Latencies, want.Latencies), want.Successes)
			}
		}
		if other := run(8, 2); slices.Equal(other.Latencies, want.Latencies) {
			t.Errorf("%v: seeds 7 and 8 give the same latencies", corr)
		}
	}
}

func TestNoLatencyEvidence(t *testing.T) {
	j := testJourney(&journey.Series{Steps: []journey.Node{leaf("a"), leaf("b")}})
	r, err := sim.Simulate(j, sim.Options{Samples: 10_000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Quantile(0) != 0 || r.Quantile(1) != 0 || len(r.Latencies) != r.Successes {
		t.Errorf("without latency laws: quantiles %v, %d latencies for %d successes",
			r.Quantiles([]float64{0, 1}), len(r.Latencies), r.Successes)
	}
	// Timeouts without latency evidence: the fallback still starts at τ.
	j = testJourney(&journey.Timeout{Timeout: 0.2, TimeoutProbability: ptr(1), Primary: leaf("a"), Fallback: leaf("b")})
	if r, err = sim.Simulate(j, sim.Options{Samples: 10_000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if r.Quantile(0) != 0.2 || r.Quantile(1) != 0.2 {
		t.Errorf("fallback after a declared timeout: latencies %v, want 0.2 s", r.Quantiles([]float64{0, 1}))
	}
}

func TestProgress(t *testing.T) {
	const n = 5*(1<<14) + 3 // several blocks and a short last one
	for _, workers := range []int{1, 3} {
		var calls [][2]int // appended without a lock: calls must be serialized (go test -race)
		opts := sim.Options{Samples: n, Seed: 1, Workers: workers,
			Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }}
		if _, err := sim.Simulate(latJourney(detJourney()), opts); err != nil {
			t.Fatal(err)
		}
		if len(calls) == 0 || calls[len(calls)-1] != [2]int{n, n} {
			t.Fatalf("workers %d: progress calls %v, want the last to be (%d, %d)", workers, calls, n, n)
		}
		for i, c := range calls {
			if c[1] != n || c[0] <= 0 || (i > 0 && c[0] <= calls[i-1][0]) {
				t.Errorf("workers %d: progress calls %v: done must increase, total be %d", workers, calls, n)
				break
			}
		}
	}
}
