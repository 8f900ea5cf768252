package infer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/evidence/trace"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
)

// The random journeys of the round trip. Every operator is used; leaves
// are distinct components. Shapes and parameters that traces cannot
// identify are excluded, each for a stated reason:
//
//   - skip appears only as a branch of a Cond that is a Series step, and
//     every Series keeps one step that is not optional: a skip elsewhere (a
//     Series step of its own, a Race branch that wins at once, a retried
//     Series that may call nothing) leaves no trace or makes the operator
//     around it degenerate;
//   - no operator is nested directly in one of its own kind (Series in
//     Series, Cond in Cond …): those flatten to an equivalent tree;
//   - no Race or KofN lies below a branch of a Race or KofN: the
//     cancellations of the two nodes mix, and a component of the inner one
//     that rarely runs shows too few cancellations by the outer one to be
//     placed;
//   - no Timeout or Retry lies below the primary of a Timeout or the
//     target of a Retry: an inner deadline is seen only when it expires
//     before the outer one, which depends on the draws (a hedged branch
//     starting late may never reach its own deadline);
//   - latencies are lognormal with medians within a factor 3 and σ ≥ 0.3,
//     so that concurrent branches overtake each other now and then (if one
//     branch always finished first, a Parallel of a Series and a call
//     would look exactly like a Series of a Parallel);
//   - deadlines (Timeout, Retry) sit between the 80th and the 95th
//     percentile of the guarded subtree's latency, so that calls are cut
//     now and then but not always; hedge delays sit between the 20th and
//     60th percentile of the first branch, so that the second branch starts
//     in some requests but not all;
//   - Cond probabilities are at least 0.15 and Retry attempts 2 or 3;
//   - finally, a journey is left out of the success rate (and counted
//     apart) when the emitted sample does not exercise it: a component
//     called in fewer than minExercised requests, a Timeout that neither
//     cut nor fell back, or a Retry that retried in fewer (a hedged
//     branch that never starts before the enclosing deadline, a Race that
//     is always decided before a branch's retry) — no method can recover
//     what the traces do not show.
type gen struct {
	r         *rand.Rand
	j         *model.Journey
	next      int
	guarded   int // depth of deadline-guarded subtrees being built
	redundant int // depth of Race and KofN branches being built
}

// randomJourney returns journey number i of the round trip.
func randomJourney(seed uint64, leaves int) *model.Journey {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x67656e)), j: &model.Journey{Name: "random", Components: map[string]*model.Component{}}}
	g.j.Root = g.node(leaves, "", 0)
	return g.j
}

// component adds a new component and returns its leaf.
func (g *gen) component() journey.Node {
	r := g.r
	name := fmt.Sprintf("c%d", g.next)
	g.next++
	c := &model.Component{Name: name, Kind: "service", MissingData: "ignore"}
	a := 0.97 + 0.029*r.Float64()
	c.Availability = model.Availability{Point: a, Lower: a}
	c.Latency = law.Lognormal{Median: 0.02 + 0.04*r.Float64(), Sigma: 0.3 + 0.3*r.Float64()}
	switch r.IntN(8) {
	case 0:
		c.Kind = "external_dependency"
	case 1:
		c.Kind = "database"
	case 2:
		c.Kind = "cache"
	}
	for _, dom := range [][]string{{"zone/a", "zone/b"}, {"node/n1", "node/n2", "node/n3"}, {"cluster/c1", "cluster/c2"}, {"payment-network"}} {
		if r.IntN(3) == 0 {
			c.Domains = append(c.Domains, dom[r.IntN(len(dom))])
		}
	}
	slices.Sort(c.Domains)
	g.j.Components[name] = c
	return &journey.Leaf{Name: name}
}

// Operator choices.
const (
	opSeries = iota
	opParallel
	opCond
	opRace
	opKofN
	opTimeout
	opRetry
	numOps
)

var opKinds = [numOps]string{"series", "parallel", "cond", "race", "kofn", "timeout", "retry"}

// node returns a subtree of about `leaves` leaves whose parent is of kind
// parent ("" at the root).
func (g *gen) node(leaves int, parent string, depth int) journey.Node {
	if leaves <= 1 || depth >= 3 {
		return g.component()
	}
	for {
		op := g.r.IntN(numOps)
		if g.allowed(opKinds[op], parent, leaves) {
			return g.build(op, leaves, depth)
		}
	}
}

// allowed applies the exclusions of the package comment.
func (g *gen) allowed(op, parent string, leaves int) bool {
	switch {
	case op == parent:
		return false
	case (op == "race" || op == "kofn") && g.redundant > 0:
		return false
	case (op == "timeout" || op == "retry") && g.guarded > 0:
		return false
	case op == "kofn" && leaves < 3:
		return false
	}
	return true
}

func (g *gen) split(leaves, k int, parent string, depth int) []journey.Node {
	out := make([]journey.Node, k)
	for i := range out {
		out[i] = g.node(max(1, leaves/k), parent, depth+1)
	}
	return out
}

func (g *gen) build(op, leaves, depth int) journey.Node {
	r := g.r
	switch op {
	case opSeries:
		return g.series(leaves, depth)
	case opParallel:
		return &journey.Parallel{Branches: g.split(leaves, 2+r.IntN(2), "parallel", depth)}
	case opCond:
		return g.cond(g.split(leaves, 2+r.IntN(2), "cond", depth), false)
	case opRace:
		g.redundant++
		n := &journey.Race{Branches: g.split(leaves, 2+r.IntN(2), "race", depth)}
		g.redundant--
		if r.IntN(2) == 0 {
			n.HedgeAfter = g.quantileMs(n.Branches[0], 0.2, 0.6)
		}
		return n
	case opKofN:
		g.redundant++
		bs := g.split(leaves, 3+r.IntN(2), "kofn", depth)
		g.redundant--
		return &journey.KofN{K: 1 + r.IntN(len(bs)), Branches: bs}
	case opTimeout:
		g.guarded++
		n := &journey.Timeout{Primary: g.node(max(1, leaves-1), "timeout-primary", depth+1)}
		g.guarded--
		if r.IntN(3) > 0 {
			n.Fallback = g.node(max(1, leaves/3), "timeout", depth+1)
		}
		n.Timeout = g.quantileMs(n.Primary, 0.8, 0.95)
		return n
	}
	g.guarded++
	n := &journey.Retry{Attempts: 2 + r.IntN(2), Backoff: float64(r.IntN(21)) / 1000,
		Target: g.node(max(1, leaves-1), "retry", depth+1)}
	g.guarded--
	n.PerTryTimeout = g.quantileMs(n.Target, 0.8, 0.95)
	return n
}

// series returns a Series whose steps may be optional (a Cond with skip).
func (g *gen) series(leaves, depth int) journey.Node {
	steps := g.split(leaves, 2+g.r.IntN(2), "series", depth)
	mandatory := g.r.IntN(len(steps))
	for i, s := range steps {
		if _, isLeaf := s.(*journey.Leaf); isLeaf && i != mandatory && g.r.IntN(5) == 0 {
			steps[i] = g.cond([]journey.Node{s}, true)
		}
	}
	return &journey.Series{Steps: steps}
}

// cond returns a Cond over bs (plus a skip branch) with probabilities of
// at least 0.15, in hundredths.
func (g *gen) cond(bs []journey.Node, skip bool) journey.Node {
	if skip {
		bs = append(bs, &journey.Skip{})
	}
	c := &journey.Cond{Branches: bs}
	k := len(bs)
	rest := 100 - 15*k
	for i := range bs {
		p := 15
		if i < k-1 {
			x := g.r.IntN(rest + 1)
			p += x
			rest -= x
		} else {
			p += rest
		}
		c.Probs = append(c.Probs, journey.Prob{Lo: float64(p) / 100, Hi: float64(p) / 100})
	}
	return c
}

// quantileMs returns a whole number of milliseconds between the lo and hi
// quantiles of the latency of n's successful runs (by simulation).
func (g *gen) quantileMs(n journey.Node, lo, hi float64) float64 {
	sub := &model.Journey{Name: "sub", Root: n, Components: g.j.Components}
	res, err := sim.Simulate(sub, sim.Options{Samples: 20000, Seed: g.r.Uint64(), Workers: 1})
	if err != nil {
		panic(err)
	}
	q := lo + (hi-lo)*g.r.Float64()
	return math.Max(1, math.Round(1000*res.Quantile(q))) / 1000
}

// minExercised is the number of requests in which every component must be
// called, every Timeout must cut or fall back and every Retry must retry
// for a journey to count in the round trip's success rate.
const minExercised = 20

// exercise counts what the emitted traces show of each component: the
// requests calling it, cutting one of its calls, calling it twice.
type exercise struct {
	called, cut, twice map[string]int
}

func newExercise() *exercise {
	return &exercise{called: map[string]int{}, cut: map[string]int{}, twice: map[string]int{}}
}

// add counts one trace.
func (e *exercise) add(spans []trace.Span) {
	n := map[string]int{}
	cut := map[string]bool{}
	for _, s := range spans {
		if s.Kind != trace.KindClient {
			continue
		}
		p := s.Attrs[trace.AttrPeerService]
		n[p]++
		cut[p] = cut[p] || s.Attrs[trace.AttrErrorType] == "timeout"
	}
	for p, k := range n {
		e.called[p]++
		if k > 1 {
			e.twice[p]++
		}
		if cut[p] {
			e.cut[p]++
		}
	}
}

// missing returns why the sample does not show the tree root, "" when it
// shows every component and operator.
func (e *exercise) missing(root journey.Node) string {
	sum := func(m map[string]int, n journey.Node) int {
		t := 0
		for _, l := range journey.Leaves(n) {
			t += m[l]
		}
		return t
	}
	var why []string
	journey.Walk(root, func(n journey.Node) bool {
		switch n := n.(type) {
		case *journey.Leaf:
			if e.called[n.Name] < minExercised {
				why = append(why, fmt.Sprintf("%s called in %d requests", n.Name, e.called[n.Name]))
			}
		case *journey.Timeout:
			k := sum(e.cut, n.Primary)
			if n.Fallback != nil {
				k = max(k, sum(e.called, n.Fallback))
			}
			if k < minExercised {
				why = append(why, fmt.Sprintf("%s cut or fell back in about %d requests", n, k))
			}
		case *journey.Retry:
			if k := sum(e.twice, n.Target); k < minExercised {
				why = append(why, fmt.Sprintf("%s retried in about %d requests", n, k))
			}
		}
		return true
	})
	return strings.Join(why, "; ")
}
