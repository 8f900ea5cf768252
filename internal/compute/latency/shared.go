package latency

import (
	"github.com/emac-dev/emac/internal/compute/kofn"
	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
)

// The shared-fate lower band S↓ caps the on-time success A− gives the
// primary N of a timed Timeout or Retry: S−_N(τ) = min(A−_N·(1 − tp−),
// S↓_N(τ)), where tp− is the late fraction read from the lower confidence
// band at the leaves' point availabilities.
//
// tp− alone is not conservative: the share of answers that arrive late
// depends on the availabilities, and lower ones can shift weight to a slow
// path (in Retry(1, 100ms; Timeout(200ms; a, b)) every answer of the
// fallback b is late, so the fewer answers a gives the larger the late
// fraction). Nor is a band composed under independence: calls that share a
// failure domain are slow together as well as down together (Race(a, a)
// is no faster than a). S↓ therefore takes every leaf at its lower
// availability and its lower latency band (the time of a successful call
// is at most its band's quantile), and composes the tree as a lower band
// for the failure laws of DESIGN §3.2 — distinct fate groups independent,
// calls within one positively dependent (associated) in both failure and
// latency:
//
//   - children whose leaves share no failure domain are independent, so
//     the independent lower band (flavour Lower) of the operator holds;
//   - Parallel, and KofN with k = n, succeed within t when every child
//     does; those events are increasing in the calls' successes and
//     decreasing in their times, hence positively correlated (Harris–FKG,
//     Pitt for the Gaussian copula), so the product of the children's
//     bands holds whatever they share;
//   - Cond draws its branch independently: the worst probability vertex at
//     every t holds;
//   - a Series whose steps share domains adds the latencies of each fate
//     group with Makarov's bound (valid for any dependence: co-moving
//     latencies fatten the tail of a sum) and convolves the groups;
//   - a Race, or a KofN with k = 1, over shared branches counts only the
//     best branch of each fate group, 1 − ∏_g (1 − max_{i∈g} L_i); a KofN
//     with 1 < k < n over shared branches takes A−'s rule at every t
//     (package kofn): the least P(at least k) over independent groups with any
//     success-count law of each group's mean ΣL_i(t), and at least the
//     Esary–Proschan bound (the events "branch i succeeds within t" are
//     increasing in successes and decreasing in times, so associated);
//   - a Timeout whose fallback shares the primary's domains takes the
//     union bound max(S_N(τ), S_M(t − τ)) after the deadline, and a Retry
//     of two or more attempts (the same components) a single attempt.
//
// Every step is monotone in its children's bands, so when the true leaf
// availabilities are at least their lower values and the leaf latencies
// lie within their bands, S↓_N(τ) is at most the probability that N
// succeeds within τ; so is S−_N(τ), whatever tp− is, and the Timeout and
// Retry formulas of A−, increasing in S−_N(τ), stay conservative. The min
// keeps A− at or below its value without the cap.

// sharedOp evaluates node n of the shared-fate band where it differs from
// the independent lower band; ok is false where it does not.
func (p *pass) sharedOp(c *dist.Calc, n *tree.Node, kids []dist.Sub) (s dist.Sub, ok bool) {
	switch n.Op {
	case tree.Series:
		if n.StepGroups != nil {
			return groupedSeries(c, dist.FreeLower, dist.Lower, n.StepGroups, kids), true
		}
	case tree.Race:
		if n.Multi {
			return c.RaceGroups(n.Src.(*journey.Race).HedgeAfter, kids, n.GroupMembers()), true
		}
	case tree.KofN:
		switch {
		case !n.Multi || n.K == len(kids):
		case n.K == 1:
			return c.RaceGroups(0, kids, n.GroupMembers()), true
		default:
			groups := n.GroupMembers()
			return c.Pointwise(dist.Lower, kids, func(x []float64) float64 {
				return max(kofn.GroupwiseMin(x, groups, n.K).Value, kofn.MinPath(x, n.K))
			}), true
		}
	}
	return dist.Sub{}, false
}

// sharedDeadline reports whether the shared-fate band evaluates Timeout or
// Retry node n with the dependence-free arithmetic: a fallback in the
// primary's fate group, or several attempts of the same components.
func (p *pass) sharedDeadline(n *tree.Node) bool {
	if n.Op == tree.Retry {
		return n.K > 1
	}
	return n.Multi
}

// groupedSeries composes the steps of each fate group in flavour inside,
// valid for any dependence (FreeLower: Makarov's bound for the shared-fate
// band; FreeUpper: min U_i for the class upper band), and convolves the
// groups' results in flavour across, as independent (Lower or Upper).
func groupedSeries(c *dist.Calc, inside, across dist.Flavour, groups [][]int, kids []dist.Sub) dist.Sub {
	parts := make([]dist.Sub, len(groups))
	owned := make([]bool, len(groups))
	for gi, g := range groups {
		if len(g) == 1 {
			parts[gi] = kids[g[0]]
			continue
		}
		steps := make([]dist.Sub, len(g))
		for j, k := range g {
			steps[j] = kids[k]
		}
		parts[gi], owned[gi] = c.Series(inside, steps), true
	}
	if len(parts) == 1 {
		return parts[0] // one group of several steps: owned
	}
	s := c.Series(across, parts)
	for gi, o := range owned {
		if o {
			c.Release(parts[gi])
		}
	}
	return s
}

// newSharedPass returns the shared-fate band's pass on the main grid:
// leaves at their lower availabilities.
func newSharedPass(l *Model, keep []bool) *pass {
	p := newPass(newLeafSetAt(l.m, l.mg.g, l.m.t.Lower), dist.Lower, keep)
	p.shared = true
	return p
}

// runTimed evaluates only what decides late fractions: the nodes in the
// primary subtree of a timed Timeout or Retry, and the deadline reads of
// the timed Timeout and Retry nodes outside such subtrees.
func (p *pass) runTimed() {
	m := p.m
	for i := range m.t.Nodes {
		n := &m.t.Nodes[i]
		switch {
		case m.inTimed[i]:
			p.vals[i], p.owned[i] = p.eval(int32(i))
		case m.lateTimed[i]:
			p.readDeadline(int32(i), n)
		default:
			continue
		}
		for _, c := range n.Children {
			if p.keep == nil || !p.keep[c] {
				p.drop(c)
			}
		}
	}
}
