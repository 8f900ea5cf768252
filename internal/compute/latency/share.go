package latency

import (
	"fmt"
	"math"
	"slices"

	"github.com/emac-dev/emac/internal/dist"
)

// maxShareLeaves is the most leaves with latency evidence for which
// latency shares are computed.
const maxShareLeaves = 200

// shareScale is the factor a component's latency law is scaled by to
// measure its latency share.
const shareScale = 1.1

// Shares returns the latency share of each of components (names), in
// order: the elasticity of res's estimate quantile to the component's
// latency, (Δq/q)/0.10 when its latency law is scaled by 1.1. A share is
// nil for a component without latency evidence, and for one whose share
// cannot be computed; res's assumptions then say why. res is this model's
// Result, and Options.Shares must have been set.
func (l *Model) Shares(res *Result, components []string) []*float64 {
	out := make([]*float64, len(components))
	if !l.shares {
		res.Assumptions = append(res.Assumptions, fmt.Sprintf("latency shares not computed: the journey has %d leaves with latency evidence (at most %d) or its curves exceed %d MiB",
			l.m.latencyLeaves(), maxShareLeaves, keepBudget>>20))
		return out
	}
	base := res.EstimateSeconds
	if !(base > 0) || math.IsInf(base, 0) {
		return out // no relative change to measure
	}
	t := l.m.t
	for k, name := range components {
		c, ok := t.ComponentIndex[name]
		if !ok || l.m.laws[c] == nil {
			continue
		}
		if q, ok := l.scaledQuantile(c); ok {
			s := (q - base) / base / (shareScale - 1)
			out[k] = &s
		} else {
			res.Assumptions = append(res.Assumptions, "latency share of "+name+" not computed: the scaled estimate leaves the grid")
		}
	}
	return out
}

// scaledQuantile returns the estimate's q-quantile with component c's
// latency law scaled by shareScale, re-evaluating only the ancestors of
// c's leaves on the kept estimate curves.
func (l *Model) scaledQuantile(c int32) (float64, bool) {
	t, p := l.m.t, l.mg.est
	var dirty []int32
	seen := map[int32]bool{}
	for _, leaf := range t.Leaves[c] {
		for i := leaf; i >= 0 && !seen[i]; i = t.Nodes[i].Parent {
			seen[i] = true
			dirty = append(dirty, i)
		}
	}
	slices.Sort(dirty) // post-order: children first
	saved := make([]dist.Sub, len(dirty))
	savedOwned := make([]bool, len(dirty))
	savedAt := make([][2]float64, len(dirty))
	scaled := l.m.laws[c].Scale(shareScale)
	restore := p.override(c, func(calc *dist.Calc) dist.Sub { return calc.Leaf(dist.Estimate, t.Point[c], scaled, 0) })
	for k, i := range dirty {
		saved[k], savedOwned[k], savedAt[k] = p.vals[i], p.owned[i], [2]float64{p.at[i], p.mass[i]}
		p.vals[i], p.owned[i] = p.eval(i)
	}
	q, ok := p.g[0].Quantile(p.vals[len(p.vals)-1], l.q)
	for k, i := range dirty {
		if p.owned[i] {
			p.calc(i).Release(p.vals[i])
		}
		p.vals[i], p.owned[i] = saved[k], savedOwned[k]
		p.at[i], p.mass[i] = savedAt[k][0], savedAt[k][1]
	}
	restore()
	return q, ok
}
