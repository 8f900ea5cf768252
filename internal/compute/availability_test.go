package compute_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/journey"
)

const (
	va = 0.99
	vb = 0.95
	vc = 0.9
)

// indep gives a, b, c independent components; shared puts a and b in
// domain "net".
var (
	indep  = map[string]comp{"a": {a: va}, "b": {a: vb}, "c": {a: vc}}
	shared = map[string]comp{"a": {a: va, domains: []string{"net"}}, "b": {a: vb, domains: []string{"net"}}, "c": {a: vc}}
	chain  = map[string]comp{ // a–b share x, b–c share y: one group transitively
		"a": {a: va, domains: []string{"x"}}, "b": {a: vb, domains: []string{"x", "y"}}, "c": {a: vc, domains: []string{"y"}}}
	lowered = map[string]comp{"a": {a: va, lower: 0.98}, "b": {a: vb, lower: 0.9}}
)

func TestAvailabilityClosedForms(t *testing.T) {
	s := func(a float64, tp float64) float64 { return a * (1 - tp) }
	pb2of3 := va*vb + va*vc + vb*vc - 2*va*vb*vc
	tests := []struct {
		name       string
		root       journey.Node
		comps      map[string]comp
		plus, minu float64
	}{
		{"leaf", leaf("a"), indep, va, va},
		{"leaf lower", leaf("a"), lowered, va, 0.98},
		{"skip", skip(), indep, 1, 1},
		{"series", series(leaf("a"), leaf("b"), leaf("c")), indep, va * vb * vc, va * vb * vc},
		{"series shared", series(leaf("a"), leaf("b")), shared, va * vb, va * vb},
		{"series repeated", series(leaf("a"), leaf("a")), indep, va * va, va * va},
		{"series lower", series(leaf("a"), leaf("b")), lowered, va * vb, 0.98 * 0.9},
		{"parallel", parallel(leaf("a"), leaf("b")), indep, va * vb, va * vb},
		{"race independent", race(leaf("a"), leaf("b")), indep, 1 - (1-va)*(1-vb), 1 - (1-va)*(1-vb)},
		{"race shared", race(leaf("a"), leaf("b")), shared, 1 - (1-va)*(1-vb), va},
		{"race shared + independent", race(leaf("b"), leaf("a"), leaf("c")), shared,
			1 - (1-va)*(1-vb)*(1-vc), 1 - (1-va)*(1-vc)},
		{"race same component", race(leaf("c"), leaf("c")), indep, 1 - (1-vc)*(1-vc), vc},
		{"race transitive", race(leaf("a"), leaf("b"), leaf("c")), chain, 1 - (1-va)*(1-vb)*(1-vc), va},
		{"race lower", race(leaf("a"), leaf("b")), lowered, 1 - (1-va)*(1-vb), 1 - 0.02*0.1},
		{"race of subtrees sharing a leaf", race(series(leaf("a"), leaf("c")), series(leaf("b"), leaf("c"))), indep,
			1 - (1-va*vc)*(1-vb*vc), va * vc},
		{"kofn 2 of 3", kofn(2, leaf("a"), leaf("b"), leaf("c")), indep, pb2of3, pb2of3},
		{"kofn 1 of 3", kofn(1, leaf("a"), leaf("b"), leaf("c")), indep, 1 - (1-va)*(1-vb)*(1-vc), 1 - (1-va)*(1-vb)*(1-vc)},
		{"kofn 3 of 3", kofn(3, leaf("a"), leaf("b"), leaf("c")), indep, va * vb * vc, va * vb * vc},
		// {a, b} comonotone: count 2 w.p. b, 1 w.p. a−b; then P(≥2) = b + (a−b)c.
		// Dependence-free: (a+b+c−1)/2 = 0.92 is the smallest.
		// Group {a, b} has mean μ = va+vb; its two-point count laws are
		// {1, 2} (P(2) = μ−1) and {0, 2} (P(2) = μ/2); c is independent.
		// The Esary–Proschan bound is va·vb.
		{"kofn 2 of 3 shared", kofn(2, leaf("a"), leaf("b"), leaf("c")), shared, pb2of3,
			math.Max(math.Min((va+vb)/2, (va+vb-1)+(2-va-vb)*vc), va*vb)},
		{"kofn 1 of 3 shared", kofn(1, leaf("a"), leaf("b"), leaf("c")), shared, 1 - (1-va)*(1-vb)*(1-vc), 1 - (1-va)*(1-vc)},
		{"kofn 3 of 3 shared", kofn(3, leaf("a"), leaf("b"), leaf("c")), shared, va * vb * vc, va * vb * vc},
		{"cond point", cond([]float64{0.8, 0.2}, leaf("a"), leaf("b")), indep, 0.8*va + 0.2*vb, 0.8*va + 0.2*vb},
		{"cond skip", cond([]float64{0.5, 0.5}, skip(), leaf("c")), indep, 0.5 + 0.5*vc, 0.5 + 0.5*vc},
		{"cond interval", condBox([]float64{0.7, 0.1}, []float64{0.9, 0.3}, leaf("a"), leaf("b")), indep,
			0.9*va + 0.1*vb, 0.7*va + 0.3*vb},
		// Greedy vertices: best gives the free mass 0.3 to a (up to +0.2),
		// then b (+0.1); worst gives it to c (+0.2), then b (+0.1).
		{"cond 3 intervals", condBox([]float64{0.3, 0.2, 0.2}, []float64{0.5, 0.6, 0.4}, leaf("a"), leaf("b"), leaf("c")), indep,
			0.5*va + 0.3*vb + 0.2*vc, 0.3*va + 0.3*vb + 0.4*vc},
		{"timeout no fallback", timeout(ptr(0.1), leaf("a")), indep, s(va, 0.1), s(va, 0.1)},
		{"timeout no evidence", timeout(nil, leaf("a"), leaf("b")), indep, va + (1-va)*vb, va + (1-va)*vb},
		{"timeout fallback independent", timeout(ptr(0.1), leaf("a"), leaf("c")), indep,
			s(va, 0.1) + (1-s(va, 0.1))*vc, s(va, 0.1) + (1-s(va, 0.1))*vc},
		{"timeout fallback shared", timeout(ptr(0.1), leaf("a"), leaf("b")), shared,
			s(va, 0.1) + (1-s(va, 0.1))*vb, math.Max(s(va, 0.1), vb)},
		{"timeout fallback same component", timeout(ptr(0.2), leaf("c"), leaf("c")), indep,
			s(vc, 0.2) + (1-s(vc, 0.2))*vc, vc},
		{"retry", retry(3, ptr(0.1), leaf("c")), indep, 1 - math.Pow(1-s(vc, 0.1), 3), s(vc, 0.1)},
		{"retry no evidence", retry(2, nil, race(leaf("a"), leaf("c"))), indep,
			1 - math.Pow(1-va-vc+va*vc, 2), 1 - (1-va)*(1-vc)},
		{"retry once", retry(1, ptr(0.3), leaf("b")), indep, s(vb, 0.3), s(vb, 0.3)},
		{"nested", series(leaf("a"), timeout(ptr(0.05), race(leaf("a"), leaf("b")), leaf("c"))), shared,
			va * (s(1-(1-va)*(1-vb), 0.05) + (1-s(1-(1-va)*(1-vb), 0.05))*vc),
			va * (s(va, 0.05) + (1-s(va, 0.05))*vc)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := compute.Availability(journeyOf(tc.root, tc.comps))
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.Optimistic-tc.plus) > 1e-9 {
				t.Errorf("A+ = %.12f, want %.12f", got.Optimistic, tc.plus)
			}
			if math.Abs(got.Pessimistic-tc.minu) > 1e-9 {
				t.Errorf("A− = %.12f, want %.12f", got.Pessimistic, tc.minu)
			}
			if got.Pessimistic > got.Optimistic+1e-15 {
				t.Errorf("A− = %v exceeds A+ = %v", got.Pessimistic, got.Optimistic)
			}
		})
	}
}

func TestAvailabilityCheckoutArtifact(t *testing.T) {
	got, err := compute.Availability(checkout())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.Optimistic-0.99747706) > 1e-8 {
		t.Errorf("A+ = %.10f, want 0.99747706", got.Optimistic)
	}
	if math.Abs(got.Pessimistic-0.99251449) > 1e-8 {
		t.Errorf("A− = %.10f, want 0.99251449", got.Pessimistic)
	}
	var paths []string
	for _, s := range got.Trace {
		paths = append(paths, s.Path)
	}
	wantPaths := []string{"Series", "Series/front[0]", "Series/Parallel[1]", "Series/Parallel[1]/cart[0]",
		"Series/Parallel[1]/pricing[1]", "Series/Race[2]", "Series/Race[2]/paya[0]", "Series/Race[2]/payb[1]"}
	if !slices.Equal(paths, wantPaths) {
		t.Errorf("trace paths = %q, want %q", paths, wantPaths)
	}
	raceStep := got.Trace[5]
	if raceStep.Expr != "Race(paya, payb)" || raceStep.Kind != "race" {
		t.Errorf("race step = %q (%s)", raceStep.Expr, raceStep.Kind)
	}
	if math.Abs(raceStep.Pessimistic-0.995) > 1e-12 || math.Abs(raceStep.Optimistic-0.999975) > 1e-12 {
		t.Errorf("race step A+ = %v, A− = %v; want 0.999975, 0.995", raceStep.Optimistic, raceStep.Pessimistic)
	}
	wantGroup := compute.FateGroup{Children: []int{0, 1}, Members: []string{"paya", "payb"},
		SharedDomains: []string{"payment-network"}}
	if len(raceStep.FateGroups) != 1 || !equalGroup(raceStep.FateGroups[0], wantGroup) {
		t.Errorf("race fate groups = %+v, want [%+v]", raceStep.FateGroups, wantGroup)
	}
	wantNote := "paya and payb share failure domain payment-network: treated as one fate group (comonotone) inside Race at Series/Race[2]"
	if !slices.Contains(got.Assumptions, wantNote) {
		t.Errorf("assumptions %q lack %q", got.Assumptions, wantNote)
	}
	if got.Trace[0].Expr != "Series(front, Parallel(cart, pricing), Race(paya, payb))" {
		t.Errorf("root expr = %q", got.Trace[0].Expr)
	}
}

func equalGroup(a, b compute.FateGroup) bool {
	return slices.Equal(a.Children, b.Children) && slices.Equal(a.Members, b.Members) &&
		slices.Equal(a.SharedDomains, b.SharedDomains)
}

func TestAvailabilityAssumptions(t *testing.T) {
	tests := []struct {
		name  string
		root  journey.Node
		comps map[string]comp
		want  []string // substrings, each of some assumption
	}{
		{"timeout without evidence", series(leaf("a"), timeout(nil, leaf("b"), leaf("c"))), indep,
			[]string{"no latency evidence: Timeout at Series/Timeout[1] assumes the primary always answers before 200ms"}},
		{"retry without evidence", retry(3, nil, leaf("a")), indep,
			[]string{"no latency evidence: Retry at Retry assumes every attempt answers before 100ms",
				"Retry at Retry: the 3 attempts of a share fate"}},
		{"repeated component", race(leaf("a"), leaf("a")), indep,
			[]string{"a and a share failure domain component:a: treated as one fate group (comonotone) inside Race at Race"}},
		{"transitive group", race(leaf("a"), leaf("b"), leaf("c")), chain,
			[]string{"a, b and c share failure domains x, y: treated as one fate group"}},
		{"kofn bound", kofn(2, leaf("a"), leaf("b"), leaf("c")), shared,
			[]string{"any law of each group's success count with its members' mean availability", "Esary–Proschan min-path bound"}},
		{"fallback", timeout(ptr(0), leaf("a"), leaf("b")), shared,
			[]string{"the fallback gives no redundancy gain in A−"}},
		{"interval cond", condBox([]float64{0.7, 0.1}, []float64{0.9, 0.3}, leaf("a"), leaf("b")), indep,
			[]string{"Cond at Cond: interval branch probabilities; A+ takes the best vertex [0.9, 0.1], A− the worst vertex [0.7, 0.3]"}},
		{"lower above point", leaf("a"), map[string]comp{"a": {a: 0.9, lower: 0.95}},
			[]string{"component a: lower availability 0.95 exceeds its point value"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := compute.Availability(journeyOf(tc.root, tc.comps))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !slices.ContainsFunc(got.Assumptions, func(s string) bool { return strings.Contains(s, w) }) {
					t.Errorf("assumptions %q lack %q", got.Assumptions, w)
				}
			}
			if len(slices.Compact(slices.Clone(got.Assumptions))) != len(got.Assumptions) {
				t.Errorf("duplicate assumptions: %q", got.Assumptions)
			}
		})
	}
}

func TestAvailabilityErrors(t *testing.T) {
	bad := &journey.Cond{Branches: []journey.Node{leaf("a"), leaf("b")},
		Probs: []journey.Prob{{Param: "p_hit"}, {Param: "p_hit", Implicit: true}}}
	tests := []struct {
		name  string
		root  journey.Node
		comps map[string]comp
		want  []string
	}{
		{"unknown component", series(leaf("a"), leaf("zz")), indep, []string{`unknown component "zz"`}},
		{"k too large", kofn(3, leaf("a"), leaf("b")), indep, []string{"k = 3 must lie in [1, 2]"}},
		{"unbound cond", bad, indep, []string{"cannot sum to 1"}},
		{"zero attempts", retry(0, nil, leaf("a")), indep, []string{"attempts = 0"}},
		{"bad availability", leaf("a"), map[string]comp{"a": {a: 1.5}}, []string{"must lie in [0, 1]"}},
		{"bad tp", timeout(ptr(2), leaf("a")), indep, []string{"timeoutProbability 2"}},
		{"all at once", series(leaf("zz"), kofn(0, leaf("a"))), indep, []string{`unknown component "zz"`, "k = 0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compute.Availability(journeyOf(tc.root, tc.comps))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := compute.Availability(nil); err == nil {
		t.Error("nil journey: no error")
	}
}

// TestPessimisticSoundUnderCommonShock checks A− against a law the copula
// simulation cannot produce: branches of one domain that, given a common
// shock level Θ, succeed independently with probability Θ. Such mixtures are
// positively dependent, yet for 1 < k < n they push P(at least k) below both
// the comonotone and the independent value, so A− needs the dependence-free
// bound.
func TestPessimisticSoundUnderCommonShock(t *testing.T) {
	tests := []struct {
		n, k  int
		theta []float64 // shock levels
		w     []float64 // their probabilities
	}{
		{3, 2, []float64{1, 0.4}, []float64{0.9, 0.1}},
		{4, 2, []float64{1, 0.3}, []float64{0.95, 0.05}},
		{5, 3, []float64{0.999, 0.5}, []float64{0.9, 0.1}},
		{4, 3, []float64{1, 0.9, 0.6}, []float64{0.8, 0.15, 0.05}},
		{3, 1, []float64{1, 0.2}, []float64{0.9, 0.1}},
		{3, 3, []float64{1, 0.7}, []float64{0.9, 0.1}},
	}
	for _, tc := range tests {
		var a, truth float64
		for i, th := range tc.theta {
			a += tc.w[i] * th
			truth += tc.w[i] * binomialTail(tc.n, tc.k, th)
		}
		comps := map[string]comp{}
		var kids []journey.Node
		for i := range tc.n {
			name := string(rune('a' + i))
			comps[name] = comp{a: a, domains: []string{"shock"}}
			kids = append(kids, leaf(name))
		}
		got, err := compute.Availability(journeyOf(kofn(tc.k, kids...), comps))
		if err != nil {
			t.Fatal(err)
		}
		if got.Pessimistic > truth+1e-12 {
			t.Errorf("KofN(%d of %d), marginal %.4f: A− = %.6f exceeds the true %.6f", tc.k, tc.n, a, got.Pessimistic, truth)
		}
	}
}

// binomialTail is P(at least k of n independent successes of probability p).
func binomialTail(n, k int, p float64) float64 {
	var s float64
	for j := k; j <= n; j++ {
		c := 1.0
		for i := range j {
			c = c * float64(n-i) / float64(i+1)
		}
		s += c * math.Pow(p, float64(j)) * math.Pow(1-p, float64(n-j))
	}
	return s
}
