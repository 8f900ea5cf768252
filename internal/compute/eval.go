package compute

import (
	"math"
	"slices"

	"github.com/emac-dev/emac/internal/compute/kofn"
	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/dist"
)

// value is the evaluation of one node.
type value struct {
	plus float64 // A+
	// indep is A− computed from the children's A− as if the children were
	// independent (worst vertex for Cond).
	indep float64
	// shared is A− under shared fate (DESIGN §3.2): fate groups
	// independent, any or positive dependence inside a group; equal to
	// indep for operators without redundancy.
	shared float64
	// comon is KofN's comonotone-within-groups value when computed (k = 1
	// or k = n), else NaN.
	comon float64
	// groupwise and minPath are KofN's shared-fate lower bounds for
	// 1 < k < n (see evalKofN), else NaN; merged counts the fate groups
	// merged to keep the groupwise enumeration within its budget.
	groupwise, minPath float64
	merged             int
	minus              float64 // A− = min(shared, indep)
}

// scratch holds buffers reused across node evaluations; evaluation is not
// recursive, so one set per evaluator suffices.
type scratch struct {
	p, m, g, dist, next []float64
	idx                 []int
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// evalAll evaluates every node in post-order.
func (e *evaluator) evalAll() {
	for i := range e.t.Nodes {
		v := e.evalNode(int32(i))
		e.plus[i], e.minus[i] = v.plus, v.minus
	}
}

// evalNode evaluates node i from its children's cached values.
func (e *evaluator) evalNode(i int32) value {
	n := &e.t.Nodes[i]
	v := value{comon: math.NaN(), groupwise: math.NaN(), minPath: math.NaN()}
	switch n.Op {
	case tree.Leaf:
		v.plus, v.indep = e.leafPlus[n.Component], e.leafMinus[n.Component]
		v.shared, v.minus = v.indep, v.indep
		return v
	case tree.Skip:
		v.plus, v.indep, v.shared, v.minus = 1, 1, 1, 1
		return v
	}
	s := &e.s
	s.p, s.m = grow(s.p, len(n.Children)), grow(s.m, len(n.Children))
	for j, c := range n.Children {
		s.p[j], s.m[j] = e.plus[c], e.minus[c]
	}
	p, m := s.p, s.m
	switch n.Op {
	case tree.Series, tree.Parallel:
		v.plus, v.indep = dist.Product(p), dist.Product(m)
		v.shared = v.indep
	case tree.Cond:
		v.plus = dist.Vertex(n.Lo, n.Hi, p, true, &s.idx, nil)
		v.indep = dist.Vertex(n.Lo, n.Hi, m, false, &s.idx, nil)
		v.shared = v.indep
	case tree.Race:
		v.plus, v.indep = dist.AnyOf(p), dist.AnyOf(m)
		v.shared = raceShared(m, n.Groups)
	case tree.KofN:
		e.evalKofN(n, p, m, &v)
	case tree.Timeout:
		l := &e.late[i]
		sp, sm := p[0]*(1-l.plus), l.onTimeMinus(m[0])
		v.plus, v.indep = sp, sm
		if len(n.Children) == 2 {
			v.plus = sp + (1-sp)*p[1]
			v.indep = sm + (1-sm)*m[1]
		}
		v.shared = v.indep
		if n.Multi {
			// The fallback shares the primary's fate: it only counts when it
			// alone is better than the primary.
			v.shared = max(sm, m[1])
		}
	case tree.Retry:
		l := &e.late[i]
		sp, sm := p[0]*(1-l.plus), l.onTimeMinus(m[0])
		v.plus = 1 - math.Pow(1-sp, float64(n.K))
		v.indep = 1 - math.Pow(1-sm, float64(n.K))
		// Every attempt runs the same components: one fate group, so A−
		// counts a single attempt.
		v.shared = sm
	}
	v.minus = min(v.shared, v.indep)
	return v
}

// onTimeMinus returns S−_N(τ), the on-time success A− gives the primary
// of a Timeout or Retry with late fraction l whose A− is a: a·(1 − tp−),
// capped, when the primary is timed, by the shared-fate band's S↓_N(τ)
// (see package latency, shared.go).
func (l *late) onTimeMinus(a float64) float64 {
	s := a * (1 - l.minus)
	if l.timed {
		s = min(s, l.onTimeLow)
	}
	return s
}

// evalKofN fills v for a KofN node.
//
// A+ and the independent A− are Poisson-binomial tails. When some fate group
// has two or more members, A− also takes the shared-fate value:
//
//   - k = 1 (a Race) and k = n (a Series): members of a group succeed
//     together as far as their marginals allow — group g has at least j
//     successes with probability its j-th largest A− — groups independent.
//     For k = 1 a group is up at least when its best member is, and for
//     k = n positively dependent successes are at least as likely together
//     as independent ones, so this is sound (and the min with the
//     independent tail keeps A− at or below both);
//   - 1 < k < n: comonotone is not the worst case (a shock that takes down
//     two of three members beats one that takes all three). A− is the
//     larger of the exact minimum over independent groups with any law of
//     each group's success count with the members' mean (package kofn)
//     and the Esary–Proschan min-path bound.
func (e *evaluator) evalKofN(n *tree.Node, p, m []float64, v *value) {
	v.plus = e.tail(p, n.K)
	v.indep = e.tail(m, n.K)
	v.shared = v.indep
	if !n.Multi {
		return
	}
	if nk := len(m); n.K > 1 && n.K < nk {
		gw := kofn.GroupwiseMin(m, n.GroupMembers(), n.K)
		v.groupwise, v.minPath, v.merged = gw.Value, kofn.MinPath(m, n.K), gw.Merged
		v.shared = max(v.groupwise, v.minPath)
		return
	}
	v.comon = e.comonotoneTail(m, n.Groups, n.K)
	v.shared = v.comon
}

// raceShared is 1 − ∏_g (1 − max_{i∈g} a_i).
func raceShared(a []float64, groups []tree.Group) float64 {
	q := 1.0
	for _, g := range groups {
		best := 0.0
		for _, i := range g.Members {
			best = max(best, a[i])
		}
		q *= 1 - best
	}
	return 1 - q
}

// tail returns P(at least k of independent events with probabilities a),
// dist.PoissonBinomialTail on the evaluator's scratch.
func (e *evaluator) tail(a []float64, k int) float64 {
	e.s.dist = grow(e.s.dist, k+1)
	return dist.PoissonBinomialTail(a, k, e.s.dist)
}

// comonotoneTail returns P(at least k successes) when members of each fate
// group are comonotone and groups are independent.
func (e *evaluator) comonotoneTail(a []float64, groups []tree.Group, k int) float64 {
	s := &e.s
	dist := grow(s.dist, k+1)
	clear(dist)
	dist[0] = 1
	for _, g := range groups {
		vals := grow(s.g, len(g.Members))
		for j, i := range g.Members {
			vals[j] = a[i]
		}
		slices.Sort(vals)
		slices.Reverse(vals)
		s.g = vals
		next := grow(s.next, k+1)
		clear(next)
		for c, pc := range dist {
			if pc == 0 {
				continue
			}
			prev := 1.0 // P(group count ≥ j) for j = 0
			for j := 0; j <= len(vals); j++ {
				atLeastNext := 0.0
				if j < len(vals) {
					atLeastNext = vals[j]
				}
				q := prev - atLeastNext // P(group count = j)
				prev = atLeastNext
				next[min(c+j, k)] += pc * q
			}
		}
		dist, s.next = next, dist
	}
	s.dist = dist
	return dist[k]
}
