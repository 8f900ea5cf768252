package crosscheck

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
	"github.com/emac-dev/emac/internal/testenv"
)

// TestEngineRandomJourneys (issue 10) checks the availability engine on
// random journeys that mix every operator, shared failure domains and
// deadlines with latency evidence:
//
//   - A+ against an independent reference (reference below): exact
//     arithmetic on the tree, the latency read at each deadline from the
//     leaves' closed-form CDFs (Gauss–Legendre quadrature for a Series of
//     two calls) — within 1e-9 without deadlines, 1e-6 with;
//   - A− never above Monte Carlo under laws of its dependence class:
//     Gaussian copulas inside fate groups (ρ 0.5 and 1) and common shocks,
//     within 4 standard errors;
//   - every KofN with 1 < k < n over one shared group: A− of the node at
//     least the exact minimum over the groupwise class, found by a linear
//     program over the group's success-count law (TestGroupwiseKofNLP).
func TestEngineRandomJourneys(t *testing.T) {
	journeys := testenv.Size(t, 200, 150)
	samples := testenv.Size(t, 200_000, 40_000)
	r := rand.New(rand.NewPCG(10, 10))
	timed, worstPlus, worstMinus := 0, 0.0, 0.0
	for i := range journeys {
		j := engineJourney(r)
		name := fmt.Sprintf("journey %d %s", i, j.Root)
		res, err := compute.Availability(j)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ref := refJourney{j: j}
		want := ref.avail(j.Root)
		tol := 1e-9
		if ref.timed {
			tol, timed = 1e-6, timed+1
		}
		d := math.Abs(res.Optimistic - want)
		worstPlus = max(worstPlus, d/tol)
		if d > tol {
			t.Errorf("%s: A+ %.12f, reference %.12f (|Δ| %.2g > %.0g)", name, res.Optimistic, want, d, tol)
		}
		for _, corr := range []sim.Correlation{sim.Gaussian(0.5), sim.Gaussian(1), sim.Shocks(1)} {
			mc, err := sim.Simulate(j, sim.Options{Samples: samples, Seed: uint64(i), Correlation: corr})
			if err != nil {
				t.Fatal(err)
			}
			se := math.Max(mc.StdErr, 1/float64(samples))
			z := (res.Pessimistic - mc.Availability) / se
			worstMinus = max(worstMinus, z)
			if z > 4 {
				t.Errorf("%s, %s: A− %.6f above the simulated %.6f ± %.6f (%.1f se)", name, corr, res.Pessimistic, mc.Availability, mc.StdErr, z)
			}
		}
	}
	if timed < journeys/3 {
		t.Errorf("only %d of %d journeys read a deadline from latency evidence", timed, journeys)
	}
	t.Logf("%d journeys (%d with timed deadlines): worst |A+ − reference| %.2g of its tolerance, worst A− − MC %.2f se",
		journeys, timed, worstPlus, worstMinus)
}

// engineJourney returns a random journey of 3–9 calls over five
// components with exact latency laws (lognormal or exponential),
// availabilities in [0.9, 0.9999] and domains among three; Timeout and
// Retry primaries are simple (a call, a Series of two calls, or a pointwise
// operator over calls) so that the reference reads them exactly.
func engineJourney(r *rand.Rand) *model.Journey {
	j := &model.Journey{Name: "engine", Components: map[string]*model.Component{},
		Objective: model.Objective{Availability: 0.99, Window: "30d"}}
	for c := range 5 {
		name := fmt.Sprintf("c%d", c)
		a := 0.9 + 0.0999*r.Float64()
		var lw law.Law = law.Lognormal{Median: 0.01 + 0.1*r.Float64(), Sigma: 0.2 + 0.8*r.Float64()}
		if r.IntN(3) == 0 {
			lw = law.Exponential{Mean: 0.01 + 0.1*r.Float64()}
		}
		var doms []string
		for range r.IntN(3) {
			doms = append(doms, fmt.Sprintf("d%d", r.IntN(3)))
		}
		j.Components[name] = &model.Component{Name: name, Availability: model.Availability{Point: a, Lower: a},
			Domains: doms, Latency: lw, MissingData: "ignore"}
	}
	g := &engineGen{r: r}
	j.Root = g.node(0)
	return j
}

type engineGen struct{ r *rand.Rand }

func (g *engineGen) call() journey.Node {
	return &journey.Leaf{Name: fmt.Sprintf("c%d", g.r.IntN(5))}
}

func (g *engineGen) calls(n int) []journey.Node {
	out := make([]journey.Node, n)
	for i := range out {
		out[i] = g.call()
	}
	return out
}

// simple returns a primary the reference reads exactly.
func (g *engineGen) simple() journey.Node {
	switch g.r.IntN(6) {
	case 0:
		return &journey.Series{Steps: g.calls(2)}
	case 1:
		return &journey.Parallel{Branches: g.calls(2)}
	case 2:
		return &journey.Race{HedgeAfter: float64(g.r.IntN(2)) * 0.02, Branches: g.calls(2)}
	case 3:
		return &journey.KofN{K: 2, Branches: g.calls(3)}
	}
	return g.call()
}

func (g *engineGen) node(depth int) journey.Node {
	if depth >= 3 {
		return g.call()
	}
	kids := func() []journey.Node {
		out := make([]journey.Node, 2+g.r.IntN(2))
		for i := range out {
			out[i] = g.node(depth + 1)
		}
		return out
	}
	switch g.r.IntN(9) {
	case 0:
		return &journey.Series{Steps: kids()}
	case 1:
		return &journey.Parallel{Branches: kids()}
	case 2:
		b := kids()
		return &journey.Cond{Probs: points(len(b), g.r), Branches: b}
	case 3:
		return &journey.Race{Branches: kids()}
	case 4:
		b := kids()
		return &journey.KofN{K: 1 + g.r.IntN(len(b)), Branches: b}
	case 5, 6:
		to := &journey.Timeout{Timeout: 0.05 + 0.2*g.r.Float64(), Primary: g.simple()}
		if g.r.IntN(2) == 0 {
			to.Fallback = g.node(depth + 1)
		}
		return to
	case 7:
		return &journey.Retry{Attempts: 1 + g.r.IntN(3), PerTryTimeout: 0.05 + 0.2*g.r.Float64(), Backoff: 0.01, Target: g.simple()}
	}
	return g.call()
}

// points returns n point probabilities summing to 1.
func points(n int, r *rand.Rand) []journey.Prob {
	w := make([]float64, n)
	var s float64
	for i := range w {
		w[i] = 0.1 + r.Float64()
		s += w[i]
	}
	out := make([]journey.Prob, n)
	for i := range out {
		out[i] = journey.Prob{Lo: w[i] / s, Hi: w[i] / s}
	}
	return out
}

// refJourney is the independent reference: the journey's A+ under
// independence by direct arithmetic on the tree, with S_N(τ) at each
// deadline from closed-form CDFs.
type refJourney struct {
	j     *model.Journey
	timed bool // some deadline was read from latency evidence
}

// avail returns node n's A+.
func (r *refJourney) avail(n journey.Node) float64 {
	var a []float64
	for _, c := range n.Children() {
		a = append(a, r.avail(c))
	}
	switch n := n.(type) {
	case *journey.Leaf:
		return r.j.Components[n.Name].Availability.Point
	case *journey.Skip:
		return 1
	case *journey.Series, *journey.Parallel:
		return prod(a)
	case *journey.Cond:
		var s float64
		for i, p := range n.Probs {
			s += p.Lo * a[i]
		}
		return s
	case *journey.Race:
		return anyOf(a)
	case *journey.KofN:
		return atLeast(a, n.K)
	case *journey.Timeout:
		r.timed = true
		s := r.at(n.Primary, n.Timeout)
		if n.Fallback == nil {
			return s
		}
		return s + (1-s)*a[1]
	case *journey.Retry:
		r.timed = true
		return 1 - math.Pow(1-r.at(n.Target, n.PerTryTimeout), float64(n.Attempts))
	}
	panic("reference: unknown node")
}

// at returns S_N(t) = P(N succeeds within t) of a simple primary.
func (r *refJourney) at(n journey.Node, t float64) float64 {
	if t < 0 {
		return 0
	}
	var s []float64
	switch n := n.(type) {
	case *journey.Leaf:
		c := r.j.Components[n.Name]
		return c.Availability.Point * c.Latency.CDF(t)
	case *journey.Series:
		x, y := r.j.Components[n.Steps[0].(*journey.Leaf).Name], r.j.Components[n.Steps[1].(*journey.Leaf).Name]
		return x.Availability.Point * y.Availability.Point * convolveAt(x.Latency, y.Latency, t)
	case *journey.Race:
		for i, b := range n.Branches {
			s = append(s, r.at(b, t-float64(i)*n.HedgeAfter))
		}
		return anyOf(s)
	}
	for _, b := range n.Children() {
		s = append(s, r.at(b, t))
	}
	switch n := n.(type) {
	case *journey.Parallel:
		return prod(s)
	case *journey.KofN:
		return atLeast(s, n.K)
	}
	panic("reference: not a simple primary")
}

// convolveAt returns P(X + Y ≤ t) = ∫_0^t f_X(u)·F_Y(t − u) du by
// Gauss–Legendre quadrature on pieces of [0, t].
func convolveAt(x, y law.Law, t float64) float64 {
	f := func(u float64) float64 { return density(x, u) * y.CDF(t-u) }
	var s float64
	const pieces = 64
	for k := range pieces {
		lo, hi := t*float64(k)/pieces, t*float64(k+1)/pieces
		s += quad.Fixed(f, lo, hi, 40, quad.Legendre{}, 0)
	}
	return s
}

// density is the probability density of an exact law.
func density(l law.Law, u float64) float64 {
	if u <= 0 {
		return 0
	}
	switch l := l.(type) {
	case law.Lognormal:
		z := (math.Log(u) - math.Log(l.Median)) / l.Sigma
		return math.Exp(-z*z/2) / (u * l.Sigma * math.Sqrt(2*math.Pi))
	case law.Exponential:
		return math.Exp(-u/l.Mean) / l.Mean
	}
	panic("reference: no density")
}

func prod(a []float64) float64 {
	p := 1.0
	for _, x := range a {
		p *= x
	}
	return p
}

func anyOf(a []float64) float64 {
	q := 1.0
	for _, x := range a {
		q *= 1 - x
	}
	return 1 - q
}

// atLeast is P(at least k of independent events a) by enumeration.
func atLeast(a []float64, k int) float64 {
	var p float64
	for mask := 0; mask < 1<<len(a); mask++ {
		w, n := 1.0, 0
		for i, x := range a {
			if mask&(1<<i) != 0 {
				w *= x
				n++
			} else {
				w *= 1 - x
			}
		}
		if n >= k {
			p += w
		}
	}
	return p
}

// TestGroupwiseKofNLP: on random KofN(k; n calls), 1 < k < n, whose calls
// form one shared fate group and independent singletons, the node's A−
// is at least the exact minimum of P(at least k) over the groupwise class
// — every law of the group's success count with its members' mean —
// found here by a linear program over that law (gonum's simplex), and
// never more than that minimum or the Esary–Proschan bound allows.
func TestGroupwiseKofNLP(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for trial := range 200 {
		m := 2 + r.IntN(3)   // group members
		singles := r.IntN(3) // independent calls
		n := m + singles
		k := 2 + r.IntN(n-2+1) // 2 ≤ k ≤ n
		if k >= n {
			k = n - 1
		}
		if k < 2 {
			continue
		}
		j := &model.Journey{Name: "kofn", Components: map[string]*model.Component{}}
		var kids []journey.Node
		a := make([]float64, n)
		for i := range n {
			name := fmt.Sprintf("c%d", i)
			a[i] = 0.7 + 0.3*r.Float64()
			var doms []string
			if i < m {
				doms = []string{"zone"}
			}
			j.Components[name] = &model.Component{Name: name, Availability: model.Availability{Point: a[i], Lower: a[i]}, Domains: doms}
			kids = append(kids, &journey.Leaf{Name: name})
		}
		j.Root = &journey.KofN{K: k, Branches: kids}
		res, err := compute.Availability(j)
		if err != nil {
			t.Fatal(err)
		}
		lpMin := groupLP(t, a[:m], a[m:], k)
		ep := topProduct(a, k)
		if got := res.Pessimistic; got < lpMin-1e-9 || got > max(lpMin, ep)+1e-9 {
			t.Errorf("trial %d KofN(%d; %v, group of %d): A− %.10f, LP minimum %.10f, Esary–Proschan %.10f", trial, k, a, m, got, lpMin, ep)
		}
	}
}

// groupLP returns min over laws x of the group's count on {0..m} with
// mean Σg of P(count + singles ≥ k), singles independent Bernoullis.
func groupLP(t *testing.T, g, singles []float64, k int) float64 {
	m := len(g)
	var mu float64
	for _, x := range g {
		mu += x
	}
	// tail[j] = P(singles ≥ k − j)
	c := make([]float64, m+1)
	for j := range c {
		c[j] = atLeast(singles, max(0, k-j))
		if k-j <= 0 {
			c[j] = 1
		}
	}
	A := mat.NewDense(2, m+1, nil)
	for j := 0; j <= m; j++ {
		A.Set(0, j, 1)
		A.Set(1, j, float64(j))
	}
	opt, _, err := lp.Simplex(c, A, []float64{1, mu}, 1e-12, nil)
	if err != nil {
		t.Fatalf("simplex: %v", err)
	}
	return opt
}

// topProduct is the product of the k largest of a.
func topProduct(a []float64, k int) float64 {
	s := append([]float64(nil), a...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] > s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return prod(s[:k])
}
