package prom

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
)

func splitJourney(root journey.Node, laws map[string]law.Law) *model.Journey {
	j := &model.Journey{Name: "s", Root: root, Components: map[string]*model.Component{},
		Objective: model.Objective{Latency: &model.LatencyObjective{Quantile: 0.99, ThresholdSeconds: 1}}}
	for _, n := range journey.Leaves(root) {
		j.Components[n] = &model.Component{Name: n, Latency: laws[n]}
	}
	return j
}

// leavesOf is telemetry for every leaf of j (the builder needs some).
func leavesOf(j *model.Journey) []Leaf {
	var out []Leaf
	for _, n := range journey.Leaves(j.Root) {
		out = append(out, Leaf{Name: n, GoodQuery: `sum(rate(ok_total{c="` + n + `"}[5m]))`, TotalQuery: `sum(rate(all_total{c="` + n + `"}[5m]))`})
	}
	return out
}

// TestSplitFromEvidence checks that the ε split follows the evidence: in
// a Series of a heavy-tailed and a tight step the heavy one gets the
// larger share, the shares add up to ε, the bound is no larger than the
// equal split's, and a Monte Carlo run of the steps — independent and
// comonotone — exceeds the bound with probability at most ε.
func TestSplitFromEvidence(t *testing.T) {
	heavy := law.Lognormal{Median: 0.05, Sigma: 1.2}
	tight := law.Lognormal{Median: 0.1, Sigma: 0.1}
	cases := []struct {
		name  string
		join  string
		root  func(a, b journey.Node) journey.Node
		heavy int // index that must get the larger share
	}{
		{"series", "sum", func(a, b journey.Node) journey.Node { return &journey.Series{Steps: []journey.Node{a, b}} }, 0},
		{"parallel", "max", func(a, b journey.Node) journey.Node { return &journey.Parallel{Branches: []journey.Node{a, b}} }, 0},
	}
	const eps = 0.01
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, bb := &journey.Leaf{Name: "heavy"}, &journey.Leaf{Name: "tight"}
			root := c.root(a, bb)
			j := splitJourney(root, map[string]law.Law{"heavy": heavy, "tight": tight})
			b, err := newBuilder(Input{Journey: j, Leaves: leavesOf(j)})
			if err != nil {
				t.Fatal(err)
			}
			kids := root.Children()
			s := b.split(root, kids, eps, c.join)
			if got := s[0] + s[1]; math.Abs(got-eps) > 1e-15 {
				t.Fatalf("shares %v add up to %g, want %g", s, got, eps)
			}
			if s[c.heavy] <= s[1-c.heavy] {
				t.Errorf("shares %v: the heavy-tailed step should get the larger share", s)
			}
			equal := []float64{eps / 2, eps / 2}
			got, eq := b.cost(kids, s, c.join), b.cost(kids, equal, c.join)
			if got > eq {
				t.Errorf("bound %g with the chosen split exceeds %g with the equal split", got, eq)
			}
			t.Logf("%s: shares %v, bound %.4gs (equal split %.4gs)", c.name, s, got, eq)
			rng := rand.New(rand.NewPCG(1, 2))
			const n = 400000
			for _, como := range []bool{false, true} {
				over := 0
				for range n {
					u := rng.Float64()
					v := u
					if !como {
						v = rng.Float64()
					}
					x, y := heavy.Quantile(u), tight.Quantile(v)
					total := x + y
					if c.join == "max" {
						total = max(x, y)
					}
					if total > got {
						over++
					}
				}
				p := float64(over) / n
				if se := math.Sqrt(eps / n); p > eps+4*se {
					t.Errorf("comonotone=%v: P(latency > bound) = %g > ε = %g", como, p, eps)
				}
			}
		})
	}
}

// TestSplitEqualWithoutEvidence checks the fallback: a step without
// offline latency evidence makes the split equal.
func TestSplitEqualWithoutEvidence(t *testing.T) {
	root := &journey.Series{Steps: []journey.Node{&journey.Leaf{Name: "a"}, &journey.Leaf{Name: "b"}, &journey.Leaf{Name: "c"}}}
	j := splitJourney(root, map[string]law.Law{"a": law.Lognormal{Median: 0.05, Sigma: 1.2}, "b": law.Exponential{Mean: 0.02}})
	b, err := newBuilder(Input{Journey: j, Leaves: leavesOf(j)})
	if err != nil {
		t.Fatal(err)
	}
	s := b.split(root, root.Steps, 0.03, "sum")
	if !slices.Equal(s, []float64{0.01, 0.01, 0.01}) {
		t.Errorf("split %v, want equal shares", s)
	}
}
