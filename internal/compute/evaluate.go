package compute

import (
	"fmt"
	"math"
	"slices"

	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/model"
)

// maxShareLeaves is the most leaves with latency evidence for which
// Evaluate computes latency shares.
const maxShareLeaves = 200

// shareScale is the factor a component's latency law is scaled by to
// measure its latency share.
const shareScale = 1.1

// Evaluation is everything derived for one journey: the availability
// interval, the latency quantiles and the contributors.
type Evaluation struct {
	// Availability is the availability interval with its derivation; its
	// Timeout and Retry late fractions come from latency evidence when
	// there is some.
	Availability AvailabilityResult
	// Latency is nil when the journey has no latency objective or no
	// component has latency evidence.
	Latency *LatencyResult
	// Contributors are Sensitivity's contributors, with LatencyShare set
	// for components with latency evidence when Latency is not nil and the
	// journey has at most 200 leaves with latency evidence.
	Contributors []Contributor
	// Inexact lists why some numbers are not computed to their stated
	// accuracy (e.g. a deadline the latency grid cannot resolve); empty
	// when all are. A decision must then be REVIEW.
	Inexact []string
}

// Evaluate computes j's availability interval, latency quantiles and
// contributors from one flattened tree: the entry point of `emac eval`.
func Evaluate(j *model.Journey) (*Evaluation, error) {
	t, lat, err := prepare(j, prepOpts{curves: true, shares: true, perturb: true})
	if err != nil {
		return nil, err
	}
	ev := &Evaluation{Availability: t.availability(), Contributors: t.sensitivity(), Inexact: t.inexact}
	if lat != nil {
		ev.Latency = lat.result(t)
		lat.addShares(ev.Latency, ev.Contributors)
	}
	return ev, nil
}

// latencyLeaves counts the leaves whose component has latency evidence.
func (m *latModel) latencyLeaves() int {
	n := 0
	for _, nd := range m.t.nodes {
		if nd.op == opLeaf && m.laws[nd.comp] != nil {
			n++
		}
	}
	return n
}

// addShares sets the LatencyShare of every component contributor with
// latency evidence, or states why it cannot.
func (l *latency) addShares(res *LatencyResult, cs []Contributor) {
	if !l.shares {
		res.Assumptions = append(res.Assumptions, fmt.Sprintf("latency shares not computed: the journey has %d leaves with latency evidence (at most %d) or its curves exceed %d MiB",
			l.m.latencyLeaves(), maxShareLeaves, keepBudget>>20))
		return
	}
	base := res.EstimateSeconds
	if !(base > 0) || math.IsInf(base, 0) {
		return // no relative change to measure
	}
	t := l.m.t
	for i := range cs {
		c, ok := t.compIdx[cs[i].Name]
		if cs[i].Kind != KindComponent || !ok || l.m.laws[c] == nil {
			continue
		}
		if q, ok := l.scaledQuantile(c); ok {
			s := (q - base) / base / (shareScale - 1)
			cs[i].LatencyShare = &s
		} else {
			res.Assumptions = append(res.Assumptions, "latency share of "+cs[i].Name+" not computed: the scaled estimate leaves the grid")
		}
	}
}

// scaledQuantile returns the estimate's q-quantile with component c's
// latency law scaled by shareScale, re-evaluating only the ancestors of
// c's leaves on the kept estimate curves.
func (l *latency) scaledQuantile(c int32) (float64, bool) {
	t, p := l.m.t, l.mg.est
	var dirty []int32
	seen := map[int32]bool{}
	for _, leaf := range t.occ[c] {
		for i := leaf; i >= 0 && !seen[i]; i = t.nodes[i].parent {
			seen[i] = true
			dirty = append(dirty, i)
		}
	}
	slices.Sort(dirty) // post-order: children first
	saved := make([]dist.Sub, len(dirty))
	savedOwned := make([]bool, len(dirty))
	savedAt := make([][2]float64, len(dirty))
	scaled := l.m.laws[c].Scale(shareScale)
	restore := p.override(c, func(calc *dist.Calc) dist.Sub { return calc.Leaf(dist.Estimate, t.point[c], scaled, 0) })
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
