package compute

import (
	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
)

// defaultConfidence is the confidence level of the latency bands when the
// governance policy sets none.
const defaultConfidence = 0.95

// latModel is the latency side of a flattened tree: per-component laws and
// band half-widths, and per-node facts the passes need.
type latModel struct {
	t      *tree
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
	// inTimed reports, per node, whether it lies in the primary subtree of
	// a Timeout or Retry whose primary is timed: its curves decide a late
	// fraction.
	inTimed []bool
	// probs holds, per Cond node, the estimate's point probabilities.
	probs [][]float64
	// breaks are the durations that should fall on grid points.
	breaks []float64
	// sc partitions the nodes into scopes with grids of their own, and
	// scopeMed holds each inner scope's median estimate (latscope.go).
	sc       scopes
	scopeMed []float64
}

// newLatModel gathers the latency evidence of t's components.
func newLatModel(t *tree, gov model.Governance) *latModel {
	m := &latModel{
		t:        t,
		laws:     make([]law.Law, len(t.comps)),
		eps:      make([]float64, len(t.comps)),
		evidence: make([]bool, len(t.nodes)),
		timed:    make([]bool, len(t.nodes)),
		probs:    make([][]float64, len(t.nodes)),
	}
	level := gov.ConfidenceLevel
	if !(level > 0 && level < 1) {
		level = defaultConfidence
	}
	m.alpha = 1 - level
	for c, comp := range t.comps {
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
	for i := range t.nodes {
		m.scan(int32(i))
	}
	return m
}

// scan fills the per-node facts of node i (children first: post-order).
func (m *latModel) scan(i int32) {
	n := &m.t.nodes[i]
	switch n.op {
	case opLeaf:
		m.evidence[i] = m.laws[n.comp] != nil
	case opCond:
		m.probs[i] = dist.PointProbs(n.lo, n.hi)
	case opTimeout:
		m.breaks = append(m.breaks, n.src.(*journey.Timeout).Timeout)
		m.timed[i] = len(n.kids) == 2
	case opRetry:
		r := n.src.(*journey.Retry)
		m.breaks = append(m.breaks, r.PerTryTimeout, r.PerTryTimeout+r.Backoff)
		m.timed[i] = n.k > 1
	case opRace:
		d := n.src.(*journey.Race).HedgeAfter
		m.breaks = append(m.breaks, d)
		m.timed[i] = d > 0 && len(n.kids) > 1
	}
	m.timed[i] = m.timed[i] || m.evidence[i]
	for _, c := range n.kids {
		m.evidence[i] = m.evidence[i] || m.evidence[c]
		m.timed[i] = m.timed[i] || m.timed[c]
	}
}

// any reports whether some component has latency evidence.
func (m *latModel) any() bool { return m.evidence[len(m.evidence)-1] }

// markLate marks every Timeout and Retry whose primary is timed (its late
// fraction then comes from the curves) and reports whether there is one.
func (m *latModel) markLate() bool {
	need := false
	m.inTimed = make([]bool, len(m.t.nodes))
	size := make([]int32, len(m.t.nodes)) // subtree sizes; a subtree is the index range (i−size, i]
	for i := range m.t.nodes {
		n := &m.t.nodes[i]
		size[i] = 1
		for _, c := range n.kids {
			size[i] += size[c]
		}
		if (n.op == opTimeout || n.op == opRetry) && m.timed[n.kids[0]] {
			n.lateTimed, need = true, true
			p := n.kids[0]
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
func (m *latModel) perturbWork() int {
	t := m.t
	mark := make([]bool, len(t.nodes))
	dirty := func(comps []int32) int {
		n := 0
		var seen []int32
		for _, c := range comps {
			for _, leaf := range t.occ[c] {
				for i := leaf; i >= 0 && !mark[i]; i = t.nodes[i].parent {
					mark[i] = true
					seen = append(seen, i)
					if m.inTimed[i] || t.nodes[i].lateTimed {
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
	members := make([][]int32, len(t.domains))
	for c := range t.comps {
		work += 4 * dirty([]int32{int32(c)})
		for _, d := range t.compDoms[c] {
			members[d] = append(members[d], int32(c))
		}
	}
	for d, ms := range members {
		if !t.implicit[d] {
			work += 3 * dirty(ms)
		}
	}
	return work
}
