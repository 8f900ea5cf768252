package compute_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
)

// TestLatencyShares checks each component's latency share against a full
// recomputation with its law scaled by 1.1, and that the shares of a
// Series, whose quantile scales with all its latencies, add up to about 1
// (exactly 1 for infinitesimal steps, by Euler's theorem).
func TestLatencyShares(t *testing.T) {
	comps := map[string]comp{"a": {a: 0.999}, "b": {a: 0.99}, "c": {a: 0.995}, "n": {a: 0.999}}
	laws := map[string]law.Law{
		"a": law.Exponential{Mean: 0.01},
		"b": law.Lognormal{Median: 0.03, Sigma: 0.5},
		"c": law.Lognormal{Median: 0.05, Sigma: 0.3},
	}
	for _, tc := range []struct {
		name  string
		root  journey.Node
		total float64 // expected Σ shares, or NaN
	}{
		{"series", series(leaf("a"), leaf("b"), leaf("c"), leaf("n")), 1},
		{"mixed", series(leaf("a"), timeout(nil, race(leaf("b"), leaf("c")), leaf("a")), cond([]float64{0.7, 0.3}, leaf("n"), leaf("c"))), math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := latencyJourney(tc.root, comps, laws, 0.99)
			ev, err := compute.Evaluate(j)
			if err != nil {
				t.Fatal(err)
			}
			base := ev.Latency.EstimateSeconds
			var total float64
			for _, c := range ev.Contributors {
				l := laws[c.Name]
				if c.Kind != compute.KindComponent || l == nil {
					if c.LatencyShare != nil {
						t.Errorf("%s %s: latency share %v, want none", c.Kind, c.Name, *c.LatencyShare)
					}
					continue
				}
				if c.LatencyShare == nil {
					t.Fatalf("%s: no latency share", c.Name)
				}
				j.Components[c.Name].Latency = l.Scale(1.1)
				scaled, err := compute.Latency(j)
				j.Components[c.Name].Latency = l
				if err != nil {
					t.Fatal(err)
				}
				want := (scaled.EstimateSeconds - base) / base / 0.1
				if math.Abs(*c.LatencyShare-want) > 2e-3 {
					t.Errorf("%s: latency share %v, recomputed %v", c.Name, *c.LatencyShare, want)
				}
				total += *c.LatencyShare
			}
			if !math.IsNaN(tc.total) && math.Abs(total-tc.total) > 0.05 { // finite 10 % steps
				t.Errorf("Σ shares = %v, want about %v", total, tc.total)
			}
		})
	}
}

// TestLatencySharesSkippedForLargeJourneys: above 200 leaves with latency
// evidence the shares are nil and an assumption says why.
func TestLatencySharesSkippedForLargeJourneys(t *testing.T) {
	var steps []journey.Node
	comps := map[string]comp{}
	laws := map[string]law.Law{}
	for i := range 201 {
		name := fmt.Sprintf("c%d", i)
		steps = append(steps, leaf(name))
		comps[name] = comp{a: 0.9999}
		laws[name] = law.Exponential{Mean: 0.001}
	}
	ev, err := compute.Evaluate(latencyJourney(series(steps...), comps, laws, 0.99))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ev.Contributors {
		if c.LatencyShare != nil {
			t.Fatalf("%s has a latency share", c.Name)
		}
	}
	if !containsSub(ev.Latency.Assumptions, "latency shares not computed") {
		t.Errorf("no assumption explains the missing shares: %q", ev.Latency.Assumptions)
	}
}

// TestEvaluateMatchesParts checks that Evaluate agrees with Availability,
// Sensitivity and Latency called separately, and is deterministic.
func TestEvaluateMatchesParts(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	for i := range 30 {
		j := genJourney(r, genOptions{leaves: 1 + r.IntN(10), pool: 5, domains: 3, intervals: true, laws: true})
		j.Objective.Latency = &model.LatencyObjective{Quantile: 0.99}
		ev, err := compute.Evaluate(j)
		if err != nil {
			t.Fatal(err)
		}
		av, _ := compute.Availability(j)
		lat, _ := compute.Latency(j)
		cs, _ := compute.Sensitivity(j)
		if ev.Availability.Optimistic != av.Optimistic || ev.Availability.Pessimistic != av.Pessimistic {
			t.Errorf("journey %d: Evaluate availability %v/%v, Availability %v/%v", i,
				ev.Availability.Optimistic, ev.Availability.Pessimistic, av.Optimistic, av.Pessimistic)
		}
		if (lat == nil) != (ev.Latency == nil) || lat != nil && lat.EstimateSeconds != ev.Latency.EstimateSeconds {
			t.Errorf("journey %d: Evaluate and Latency disagree", i)
		}
		for k := range cs {
			if cs[k].Name != ev.Contributors[k].Name || cs[k].BudgetShare != ev.Contributors[k].BudgetShare {
				t.Errorf("journey %d: contributor %d: %v vs %v", i, k, cs[k], ev.Contributors[k])
			}
		}
		again, _ := compute.Evaluate(j)
		a, _ := json.Marshal(ev)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Errorf("journey %d: Evaluate is not deterministic", i)
		}
	}
}

// TestSensitivityWithLatency checks the incremental perturbations, which
// recompute late fractions and on-time caps on the kept curves, against
// full evaluations of modified journeys with latency laws (grids may
// differ: 1e-5); every other journey has lower availabilities below the
// point values.
func TestSensitivityWithLatency(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for i := range 40 {
		j := genJourney(r, genOptions{leaves: 1 + r.IntN(10), pool: 5, domains: 3, intervals: true, laws: true})
		if i%2 == 1 {
			lowerBelowPoint(r, j)
		}
		base, err := compute.Availability(j)
		if err != nil {
			t.Fatal(err)
		}
		got, err := compute.Sensitivity(j)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got {
			members := c.Members
			if c.Kind == compute.KindComponent {
				members = []string{c.Name}
			}
			up := evalWith(t, j, members, 1)
			want := 0.0
			if base.Pessimistic < 1 {
				want = max(0, min(1, (up.Pessimistic-base.Pessimistic)/(1-base.Pessimistic)))
			}
			if math.Abs(c.BudgetShare-want) > 1e-5 {
				t.Errorf("journey %d %s: share %v, recomputed %v", i, c.Name, c.BudgetShare, want)
			}
		}
	}
}
