package sim_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
)

func leaf(name string) journey.Node { return &journey.Leaf{Name: name} }

func ptr(x float64) *float64 { return &x }

func points(p ...float64) []journey.Prob {
	out := make([]journey.Prob, len(p))
	for i, x := range p {
		out[i] = journey.Prob{Lo: x, Hi: x}
	}
	return out
}

// testJourney has components a (0.99), b (0.95), c (0.9); a and b share
// domain "net".
func testJourney(root journey.Node) *model.Journey {
	j := &model.Journey{Name: "t", Root: root, Components: map[string]*model.Component{}}
	for name, a := range map[string]float64{"a": 0.99, "b": 0.95, "c": 0.9} {
		var doms []string
		if name != "c" {
			doms = []string{"net"}
		}
		j.Components[name] = &model.Component{Name: name, Availability: model.Availability{Point: a, Lower: a}, Domains: doms}
	}
	return j
}

const samples = 200_000

func TestSimulateMatchesClosedForms(t *testing.T) {
	const a, b, c = 0.99, 0.95, 0.9
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	inv := func(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }
	// Race(a, b) under ρ = 1: X = (Z_net + Z_own)/√2, so the two calls have
	// correlation 1/2; P(both fail) = ∫ φ(z)·(1 − Φ(√2·t_a − z))·(1 − Φ(√2·t_b − z)) dz.
	var bothFail float64
	for z := -9.0; z < 9; z += 1e-3 {
		bothFail += 1e-3 * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) *
			(1 - phi(math.Sqrt2*inv(a)-z)) * (1 - phi(math.Sqrt2*inv(b)-z))
	}
	tests := []struct {
		name string
		root journey.Node
		corr sim.Correlation
		want float64
	}{
		{"series", &journey.Series{Steps: []journey.Node{leaf("a"), leaf("b"), leaf("c")}}, sim.Independent(), a * b * c},
		{"parallel", &journey.Parallel{Branches: []journey.Node{leaf("a"), leaf("c")}}, sim.Independent(), a * c},
		{"race", &journey.Race{Branches: []journey.Node{leaf("b"), leaf("c")}}, sim.Independent(), 1 - (1-b)*(1-c)},
		{"kofn", &journey.KofN{K: 2, Branches: []journey.Node{leaf("a"), leaf("b"), leaf("c")}}, sim.Independent(),
			a*b + a*c + b*c - 2*a*b*c},
		{"cond", &journey.Cond{Probs: points(0.3, 0.7), Branches: []journey.Node{&journey.Skip{}, leaf("c")}}, sim.Independent(),
			0.3 + 0.7*c},
		{"timeout", &journey.Timeout{Timeout: 0.2, TimeoutProbability: ptr(0.2), Primary: leaf("b"), Fallback: leaf("c")},
			sim.Independent(), 0.8*b + (1-0.8*b)*c},
		{"retry", &journey.Retry{Attempts: 3, PerTryTimeout: 0.1, TimeoutProbability: ptr(0.1), Target: leaf("c")},
			sim.Independent(), 1 - math.Pow(1-0.9*c, 3)},
		{"repeat independent", &journey.Race{Branches: []journey.Node{leaf("c"), leaf("c")}}, sim.Independent(), 1 - (1-c)*(1-c)},
		{"repeat rho 0", &journey.Race{Branches: []journey.Node{leaf("c"), leaf("c")}}, sim.Gaussian(0), 1 - (1-c)*(1-c)},
		{"repeat rho 1", &journey.Race{Branches: []journey.Node{leaf("c"), leaf("c")}}, sim.Gaussian(1), c},
		{"retry rho 1", &journey.Retry{Attempts: 3, Target: leaf("c")}, sim.Gaussian(1), c},
		{"retry rho 1 late", &journey.Retry{Attempts: 2, TimeoutProbability: ptr(0.5), Target: leaf("c")}, sim.Gaussian(1),
			c * (1 - 0.25)},
		{"shared domain rho 1", &journey.Race{Branches: []journey.Node{leaf("a"), leaf("b")}}, sim.Gaussian(1), 1 - bothFail},
		{"copula marginal", leaf("b"), sim.Gaussian(0.7), b},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sim.Simulate(testJourney(tc.root), sim.Options{Samples: samples, Seed: 42, Correlation: tc.corr})
			if err != nil {
				t.Fatal(err)
			}
			se := math.Max(math.Sqrt(tc.want*(1-tc.want)/samples), 1e-9)
			if z := math.Abs(got.Availability-tc.want) / se; z > 4.5 {
				t.Errorf("availability %.6f ± %.6f, want %.6f (%.1f se)", got.Availability, got.StdErr, tc.want, z)
			}
			if got.Samples != samples || got.Correlation != tc.corr.String() {
				t.Errorf("result header %+v", got)
			}
		})
	}
}

func TestSimulateDeterministic(t *testing.T) {
	j := testJourney(&journey.Series{Steps: []journey.Node{leaf("c"),
		&journey.Race{Branches: []journey.Node{leaf("a"), leaf("b")}}}})
	run := func(seed uint64, workers int) int {
		r, err := sim.Simulate(j, sim.Options{Samples: 100_003, Seed: seed, Correlation: sim.Gaussian(0.5), Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		return r.Successes
	}
	want := run(7, 1)
	for _, w := range []int{1, 2, 3, 0} {
		if got := run(7, w); got != want {
			t.Errorf("workers %d: %d successes, want %d", w, got, want)
		}
	}
	if run(8, 2) == want {
		t.Error("seeds 7 and 8 give the same result")
	}
}

func TestSimulateErrors(t *testing.T) {
	j := testJourney(leaf("a"))
	tests := []struct {
		name string
		j    *model.Journey
		opts sim.Options
		want string
	}{
		{"no samples", j, sim.Options{}, "samples must be positive"},
		{"bad rho", j, sim.Options{Samples: 10, Correlation: sim.Gaussian(1.5)}, "rho 1.5"},
		{"unknown", testJourney(leaf("zz")), sim.Options{Samples: 10}, `unknown component "zz"`},
		{"bad k", testJourney(&journey.KofN{K: 3, Branches: []journey.Node{leaf("a")}}), sim.Options{Samples: 10}, "k = 3"},
		{"unbound cond", testJourney(&journey.Cond{Probs: []journey.Prob{{Param: "p"}, {Param: "p"}},
			Branches: []journey.Node{leaf("a"), leaf("b")}}), sim.Options{Samples: 10}, "cannot sum to 1"},
		{"nil", nil, sim.Options{Samples: 10}, "no operator tree"},
		{"negative hedge", testJourney(&journey.Race{HedgeAfter: -1, Branches: []journey.Node{leaf("a"), leaf("b")}}),
			sim.Options{Samples: 10}, "hedgeAfter -1"},
		{"infinite timeout", testJourney(&journey.Timeout{Timeout: math.Inf(1), Primary: leaf("a")}),
			sim.Options{Samples: 10}, "Timeout duration +Inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sim.Simulate(tc.j, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseCorrelation(t *testing.T) {
	tests := []struct {
		in      string
		want    sim.Correlation
		wantErr bool
	}{
		{"independent", sim.Independent(), false},
		{"shared", sim.Gaussian(1), false},
		{"rho=0.3", sim.Gaussian(0.3), false},
		{"rho=1.2", sim.Correlation{}, true},
		{"rho=x", sim.Correlation{}, true},
		{"copula", sim.Correlation{}, true},
	}
	for _, tc := range tests {
		got, err := sim.ParseCorrelation(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseCorrelation(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err == nil && tc.in != "shared" && got.String() != tc.in {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), tc.in)
		}
	}
}

func TestBranchProbabilities(t *testing.T) {
	iv := func(lo, hi float64) journey.Prob { return journey.Prob{Lo: lo, Hi: hi} }
	tests := []struct {
		name  string
		probs []journey.Prob
		want  []float64
	}{
		{"points", points(0.8, 0.2), []float64{0.8, 0.2}},
		{"one interval", []journey.Prob{iv(0.7, 0.9), iv(0.1, 0.3)}, []float64{0.8, 0.2}},
		// Σlo = 0.5, Σwidth = 1: λ = 0.5.
		{"three", []journey.Prob{iv(0.1, 0.5), iv(0.2, 0.6), iv(0.2, 0.4)}, []float64{0.3, 0.4, 0.3}},
		{"mixed", []journey.Prob{iv(0.5, 0.5), iv(0, 1)}, []float64{0.5, 0.5}},
	}
	for _, tc := range tests {
		c := &journey.Cond{Probs: tc.probs, Branches: make([]journey.Node, len(tc.probs))}
		got, err := sim.BranchProbabilities(c)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.EqualFunc(got, tc.want, func(x, y float64) bool { return math.Abs(x-y) < 1e-12 }) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	c := &journey.Cond{Probs: points(0.5, 0.2), Branches: make([]journey.Node, 2)}
	if _, err := sim.BranchProbabilities(c); err == nil {
		t.Error("probabilities summing to 0.7: no error")
	}
}

func BenchmarkSimulateCopula(b *testing.B) {
	j := testJourney(&journey.Series{Steps: []journey.Node{leaf("c"),
		&journey.Timeout{Timeout: 0.2, TimeoutProbability: ptr(0.1),
			Primary: &journey.Race{Branches: []journey.Node{leaf("a"), leaf("b")}}, Fallback: leaf("c")}}})
	for b.Loop() {
		if _, err := sim.Simulate(j, sim.Options{Samples: 100_000, Seed: 1, Correlation: sim.Gaussian(0.5)}); err != nil {
			b.Fatal(err)
		}
	}
}
