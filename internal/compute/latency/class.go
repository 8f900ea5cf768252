package latency

import (
	"math"

	"github.com/emac-dev/emac/internal/compute/kofn"
	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/dist"
)

// The latency upper bound (DESIGN §3.3) holds for every failure and
// latency law of A−'s dependence class: distinct fate groups independent,
// calls within one positively dependent, any dependence where positive
// dependence gives no closed form. It reads inf{t : S_lo(t) ≥ q·A_hi}
// from two bands of the class, both with the leaves at their point
// availabilities and latency bands:
//
//   - S_lo, a lower band of P(J succeeds within t): the shared-fate pass
//     of shared.go (Makarov inside a fate group of a Series and
//     independent convolution across groups, the product for Parallel,
//     the best member per group for Race, A−'s groupwise rule for KofN,
//     the union bound for a Timeout whose fallback shares its fate and a
//     single attempt for Retry);
//   - A_hi, the mass of an upper band (upperOp): where the children share
//     no fate the independent upper band (flavour Upper); inside a fate
//     group min U_i for the steps of a Series, the branches of a Parallel
//     and a KofN with k = n (all succeed within t at most as often as the
//     least likely one), the largest P(at least k) over the groupwise
//     class for a KofN with 1 < k < n; and the independent formula for a
//     Race, a KofN with k = 1, a Timeout's fallback and a Retry's
//     attempts, whose success within t is a union of events increasing in
//     the calls' successes and decreasing in their times — positively
//     dependent such events are never more likely to have a member than
//     independent ones (Harris–FKG), so the independent value is an upper
//     bound.
//
// Both passes are monotone in their children, so with every leaf's
// availability at its value and its latency within its band, S_lo and the
// mass of the upper band bracket the truth for every law of the class.
// Without shared failure domains S_lo is the lower confidence band and A_hi
// the independent upper availability, so the bound is the upper confidence
// bound except for repeated calls of one component (each component is its
// own domain).

// upperOp evaluates node n of the class upper band where it differs from
// the independent upper band; ok is false where it does not.
func (p *pass) upperOp(c *dist.Calc, n *tree.Node, kids []dist.Sub) (s dist.Sub, ok bool) {
	switch n.Op {
	case tree.Series:
		if n.StepGroups != nil {
			return groupedSeries(c, dist.FreeUpper, dist.Upper, n.StepGroups, kids), true
		}
	case tree.Parallel:
		if n.StepGroups != nil {
			return c.Pointwise(dist.Upper, kids, minPerGroup(n.StepGroups)), true
		}
	case tree.KofN:
		switch {
		case !n.Multi || n.K == 1:
		case n.K == len(kids):
			return c.Pointwise(dist.Upper, kids, minPerGroup(n.GroupMembers())), true
		default:
			groups := n.GroupMembers()
			return c.Pointwise(dist.Upper, kids, func(x []float64) float64 {
				return kofn.GroupwiseMax(x, groups, n.K)
			}), true
		}
	}
	return dist.Sub{}, false
}

// minPerGroup returns ∏_g min_{i∈g} x_i: every member of independent
// groups succeeding, each group at most as often as its least likely
// member.
func minPerGroup(groups [][]int) func([]float64) float64 {
	return func(x []float64) float64 {
		p := 1.0
		for _, g := range groups {
			m := 1.0
			for _, i := range g {
				m = min(m, x[i])
			}
			p *= m
		}
		return p
	}
}

// classLowerPass returns the class lower band's pass: the shared-fate band
// with the leaves at their point availabilities.
func classLowerPass(set *leafSet) *pass {
	p := newPass(set, dist.Lower, nil)
	p.shared = true
	return p
}

// classUpperPass returns the class upper band's pass.
func classUpperPass(set *leafSet) *pass {
	p := newPass(set, dist.Upper, nil)
	p.upper = true
	return p
}

// upperMass returns the class upper band's mass at the root — the class's
// availability upper bound — after p (the class upper pass) has run only
// where curves decide a late fraction (runTimed): every other node's mass
// follows from its children's as the band's arithmetic makes it (leaves
// at their availabilities; products, group minima, the best Cond vertex,
// unions, the groupwise KofN maximum; a Timeout or Retry from its
// primary's S(τ) as the pass read it).
func (p *pass) upperMass() float64 {
	t := p.m.t
	mass := make([]float64, len(t.Nodes))
	var x []float64
	var idx []int
	for i := range t.Nodes {
		n := &t.Nodes[i]
		x = x[:0]
		for _, c := range n.Children {
			x = append(x, mass[c])
		}
		mass[i] = p.nodeUpperMass(int32(i), n, x, &idx)
	}
	return mass[len(mass)-1]
}

// nodeUpperMass is the class upper band's mass of node n from its
// children's masses x.
func (p *pass) nodeUpperMass(i int32, n *tree.Node, x []float64, idx *[]int) float64 {
	switch n.Op {
	case tree.Leaf:
		return p.set.avail[n.Component]
	case tree.Skip:
		return 1
	case tree.Series, tree.Parallel:
		if n.StepGroups != nil {
			return minPerGroup(n.StepGroups)(x)
		}
		return dist.Product(x)
	case tree.Cond:
		return dist.Vertex(n.Lo, n.Hi, x, true, idx, nil)
	case tree.Race:
		return dist.AnyOf(x)
	case tree.KofN:
		switch {
		case !n.Multi || n.K == 1:
			return dist.PoissonBinomialTail(x, n.K, make([]float64, n.K+1))
		case n.K == len(x):
			return minPerGroup(n.GroupMembers())(x)
		}
		return kofn.GroupwiseMax(x, n.GroupMembers(), n.K)
	case tree.Timeout:
		s := p.onTime(i, n, x[0])
		if len(x) == 2 {
			return s + (1-s)*x[1]
		}
		return s
	case tree.Retry:
		return 1 - math.Pow(1-p.onTime(i, n, x[0]), float64(n.K))
	}
	return 1
}

// onTime is the primary's S(τ) of Timeout or Retry node i as the pass
// read it when its primary is timed, else the primary's mass scaled by
// 1 − tp (an instant primary).
func (p *pass) onTime(i int32, n *tree.Node, primary float64) float64 {
	if p.m.lateTimed[i] {
		return p.at[i]
	}
	if n.HasTimeoutProbability {
		return primary * (1 - n.TimeoutProbability)
	}
	return primary
}

// sameAsLower reports, per node, whether the class lower band equals the
// independent lower band there: no node of its subtree has children that
// share failure domains where the shared-fate arithmetic differs.
func (m *timing) sameAsLower() []bool {
	t := m.t
	same := make([]bool, len(t.Nodes))
	for i := range t.Nodes {
		n := &t.Nodes[i]
		s := !sharedDiffers(n)
		for _, c := range n.Children {
			s = s && same[c]
		}
		same[i] = s
	}
	return same
}

// sharedDiffers reports whether the shared-fate band evaluates node n
// differently from the independent lower band (sharedOp, sharedDeadline).
func sharedDiffers(n *tree.Node) bool {
	switch n.Op {
	case tree.Series:
		return n.StepGroups != nil
	case tree.Race, tree.Timeout:
		return n.Multi
	case tree.KofN:
		return n.Multi && n.K != len(n.Children)
	case tree.Retry:
		return n.K > 1
	}
	return false
}

// runPair evaluates the independent lower band lo and the class lower
// band cl node by node: where the two agree (same), cl shares lo's curve.
// It returns both roots.
func runPair(lo, cl *pass, same []bool) (dist.Sub, dist.Sub) {
	for i := range lo.m.t.Nodes {
		lo.vals[i], lo.owned[i] = lo.eval(int32(i))
		if same[i] {
			cl.vals[i], cl.owned[i] = lo.vals[i], false
		} else {
			cl.vals[i], cl.owned[i] = cl.eval(int32(i))
		}
		for _, c := range lo.m.t.Nodes[i].Children {
			cl.drop(c)
			if lo.keep == nil || !lo.keep[c] {
				lo.drop(c)
			}
		}
	}
	root := len(lo.vals) - 1
	return lo.vals[root], cl.vals[root]
}
