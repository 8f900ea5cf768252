package latency

import (
	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
)

// defaultConfidence is the confidence level of the latency bands when the
// governance policy sets none.
const defaultConfidence = 0.95

// timing is what the stages know of a tree before any curve: per-component
// laws and band half-widths, per-node facts the passes need, and the
// scopes.
type timing struct {
	t      *tree.Tree
	laws   []law.Law // per component; nil: no latency evidence
	eps    []float64 // per component: DKW half-width (0 for exact laws)
	banded int       // components whose law has observations (N > 0)
	alpha  float64   // 1 − confidence level
	// evidence reports, per node, whether some leaf of its subtree has a
	// latency law.
	evidence []bool
	// timed reports, per node, whether its latency can be positive: it has
	// latency evidence, or a deadline that delays it (a Timeout's
	// fallback, a second Retry attempt, a hedged Race branch).
	timed []bool
	// lateTimed reports, per node, whether it is a Timeout or Retry whose
	// primary is timed: its late fraction comes from the curves.
	lateTimed []bool
	// inTimed reports, per node, whether it lies in the primary subtree of
	// such a Timeout or Retry: its curves decide a late fraction.
	inTimed []bool
	// probs holds, per Cond node, the estimate's point probabilities.
	probs [][]float64
	// breaks are the durations that should fall on grid points.
	breaks []float64
	// sc partitions the nodes into scopes with grids of their own, and
	// scopeMed holds each inner scope's median estimate (scope.go).
	sc       scopes
	scopeMed []float64
	// interp holds interpolates' answer per scope, computed on first use.
	interp []bool
}

// newTiming gathers the latency evidence of t's components; level is the
// bands' confidence level (outside (0, 1): defaultConfidence).
func newTiming(t *tree.Tree, level float64) *timing {
	m := &timing{
		t:        t,
		laws:     make([]law.Law, len(t.Components)),
		eps:      make([]float64, len(t.Components)),
		evidence: make([]bool, len(t.Nodes)),
		timed:    make([]bool, len(t.Nodes)),
		probs:    make([][]float64, len(t.Nodes)),
	}
	if !(level > 0 && level < 1) {
		level = defaultConfidence
	}
	m.alpha = 1 - level
	for c, comp := range t.Components {
		m.laws[c] = comp.Latency
		if comp.Latency != nil && comp.Latency.N() > 0 {
			m.banded++
		}
	}
	for c, l := range m.laws {
		if l != nil && l.N() > 0 {
			m.eps[c] = law.DKW(l.N(), m.alpha/float64(m.banded))
		}
	}
	for i := range t.Nodes {
		m.scan(int32(i))
	}
	return m
}

// scan fills the per-node facts of node i (children first: post-order).
func (m *timing) scan(i int32) {
	n := &m.t.Nodes[i]
	switch n.Op {
	case tree.Leaf:
		m.evidence[i] = m.laws[n.Component] != nil
	case tree.Cond:
		m.probs[i] = dist.PointProbs(n.Lo, n.Hi)
	case tree.Timeout:
		m.breaks = append(m.breaks, n.Src.(*journey.Timeout).Timeout)
		m.timed[i] = len(n.Children) == 2
	case tree.Retry:
		r := n.Src.(*journey.Retry)
		m.breaks = append(m.breaks, r.PerTryTimeout, r.PerTryTimeout+r.Backoff)
		m.timed[i] = n.K > 1
	case tree.Race:
		d := n.Src.(*journey.Race).HedgeAfter
		m.breaks = append(m.breaks, d)
		m.timed[i] = d > 0 && len(n.Children) > 1
	}
	m.timed[i] = m.timed[i] || m.evidence[i]
	for _, c := range n.Children {
		m.evidence[i] = m.evidence[i] || m.evidence[c]
		m.timed[i] = m.timed[i] || m.timed[c]
	}
}

// any reports whether some component has latency evidence.
func (m *timing) any() bool { return m.evidence[len(m.evidence)-1] }

// markLate marks every Timeout and Retry whose primary is timed (its late
// fraction then comes from the curves) and reports whether there is one.
func (m *timing) markLate() bool {
	need := false
	m.lateTimed = make([]bool, len(m.t.Nodes))
	m.inTimed = make([]bool, len(m.t.Nodes))
	size := make([]int32, len(m.t.Nodes)) // subtree sizes; a subtree is the index range (i−size, i]
	for i := range m.t.Nodes {
		n := &m.t.Nodes[i]
		size[i] = 1
		for _, c := range n.Children {
			size[i] += size[c]
		}
		if (n.Op == tree.Timeout || n.Op == tree.Retry) && m.timed[n.Children[0]] {
			m.lateTimed[i], need = true, true
			p := n.Children[0]
			for j := p - size[p] + 1; j <= p; j++ {
				m.inTimed[j] = true
			}
		}
	}
	return need
}

// perturbWork counts the node evaluations, summed over the passes, of the
// availability perturbations of Sensitivity that recompute curves:
// ancestors of the changed leaves that lie under a timed deadline or are
// one, in the estimate, lower and shared-fate passes for each component
// and domain made perfect, in the estimate pass alone for each component
// made to fail (only A+ is read).
func (m *timing) perturbWork() int {
	t := m.t
	mark := make([]bool, len(t.Nodes))
	dirty := func(comps []int32) int {
		n := 0
		var seen []int32
		for _, c := range comps {
			for _, leaf := range t.Leaves[c] {
				for i := leaf; i >= 0 && !mark[i]; i = t.Nodes[i].Parent {
					mark[i] = true
					seen = append(seen, i)
					if m.inTimed[i] || m.lateTimed[i] {
						n++
					}
				}
			}
		}
		for _, i := range seen {
			mark[i] = false
		}
		return n
	}
	work := 0
	members := make([][]int32, len(t.Domains))
	for c := range t.Components {
		work += 4 * dirty([]int32{int32(c)})
		for _, d := range t.ComponentDomains[c] {
			members[d] = append(members[d], int32(c))
		}
	}
	for d, ms := range members {
		if !t.Implicit[d] {
			work += 3 * dirty(ms)
		}
	}
	return work
}

// latencyLeaves counts the leaves whose component has latency evidence.
func (m *timing) latencyLeaves() int {
	n := 0
	for _, nd := range m.t.Nodes {
		if nd.Op == tree.Leaf && m.laws[nd.Component] != nil {
			n++
		}
	}
	return n
}
