package latency

import (
	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
)

// Late is the late fraction of one timed Timeout or Retry — one whose
// primary's latency can be positive — as the availability interval uses
// it: A+ takes the primary's on-time success S+_N(τ) = A+_N·(1 − Plus),
// A− takes S−_N(τ) = min(A−_N·(1 − Minus), OnTimeLow).
type Late struct {
	// Node is the Timeout or Retry node.
	Node int32
	// Plus is the estimate's late fraction (LateFraction.Estimate).
	Plus float64
	// Minus is the lower confidence band's (LateFraction.Pessimistic).
	Minus float64
	// OnTimeLow is S↓_N(τ), the shared-fate band's lower bound of the
	// primary's on-time success (LateFraction.LowerOnTime).
	OnTimeLow float64
}

// Late returns the late fraction of every timed Timeout and Retry, in
// node order.
func (l *Model) Late() []Late {
	out := make([]Late, len(l.late))
	for k, lf := range l.late {
		out[k] = Late{Node: l.deadlines[k], Plus: lf.Estimate, Minus: lf.Pessimistic, OnTimeLow: lf.LowerOnTime}
	}
	return out
}

// LateFractions lists the late fraction of every timed Timeout and Retry,
// in node order, as Result.Late does.
func (l *Model) LateFractions() []LateFraction { return l.late }

// readLate records the late fractions and on-time caps of every Timeout
// and Retry whose primary is timed from the passes' reads. The passes read
// S_N(τ) with a declared timeoutProbability already applied, so the
// fractions combine both: 1 − (1 − tp)·S_N(τ)/A_N.
func (l *Model) readLate() {
	for i := range l.m.t.Nodes {
		if l.m.lateTimed[i] {
			est, pess, low := l.lateAt(int32(i))
			l.record(int32(i), est, pess, low)
		}
	}
}

// takeKnown records the late fractions of every timed Timeout and Retry
// from known, by path, and reports whether known covers them all (when it
// does not, nothing is recorded).
func (l *Model) takeKnown(known []LateFraction) bool {
	byPath := map[string]LateFraction{}
	for _, lf := range known {
		byPath[lf.Path] = lf
	}
	for i := range l.m.t.Nodes {
		if _, ok := byPath[l.m.t.Nodes[i].Path]; l.m.lateTimed[i] && !ok {
			return false
		}
	}
	for i := range l.m.t.Nodes {
		if l.m.lateTimed[i] {
			lf := byPath[l.m.t.Nodes[i].Path]
			l.record(int32(i), lf.Estimate, lf.Pessimistic, lf.LowerOnTime)
		}
	}
	return true
}

// record appends node i's late fraction.
func (l *Model) record(i int32, est, pess, low float64) {
	n := &l.m.t.Nodes[i]
	lf := LateFraction{Path: n.Path, Kind: journey.Kind(n.Src), DeadlineSeconds: n.Deadline(),
		Estimate: est, Pessimistic: pess, LowerOnTime: low}
	if n.HasTimeoutProbability {
		d := n.TimeoutProbability
		lf.Declared = &d
	}
	l.late = append(l.late, lf)
	l.deadlines = append(l.deadlines, i)
}

// saved is a node's state in a pass before a perturbation.
type saved struct {
	val      dist.Sub
	owned    bool
	at, mass float64
}

// PerturbLate re-evaluates, in the kept estimate, lower and shared-fate
// passes, the curves of the dirty nodes (sorted ancestors of comps'
// leaves) that decide a late fraction, with comps' point and lower
// availabilities set to avail, and returns the late fractions of the
// timed Timeout and Retry nodes among dirty. Unless withMinus is set only
// the estimate pass is re-evaluated and only Plus is set. restore returns
// the passes to the journey's values. It needs Perturbable.
func (l *Model) PerturbLate(comps []int32, avail float64, dirty []int32, withMinus bool) (late []Late, restore func()) {
	m := l.m
	passes := []*pass{l.mg.est, l.lower, l.low}
	if !withMinus {
		passes = passes[:1]
	}
	var undo []func()
	for _, p := range passes {
		for _, c := range comps {
			undo = append(undo, p.override(c, p.newLeaf(c, avail)))
		}
		for _, i := range dirty {
			if !m.inTimed[i] && !m.lateTimed[i] {
				continue
			}
			s := saved{p.vals[i], p.owned[i], p.at[i], p.mass[i]}
			if !m.inTimed[i] {
				p.readDeadline(i, &m.t.Nodes[i])
				undo = append(undo, func() { p.at[i], p.mass[i] = s.at, s.mass })
				continue
			}
			p.vals[i], p.owned[i] = p.eval(i)
			undo = append(undo, func() {
				if p.owned[i] {
					p.calc(i).Release(p.vals[i])
				}
				p.vals[i], p.owned[i], p.at[i], p.mass[i] = s.val, s.owned, s.at, s.mass
			})
		}
	}
	for _, i := range dirty {
		if !m.lateTimed[i] {
			continue
		}
		lt := Late{Node: i}
		if withMinus {
			lt.Plus, lt.Minus, lt.OnTimeLow = l.lateAt(i)
		} else {
			lt.Plus = l.lateEstimate(i)
		}
		late = append(late, lt)
	}
	return late, func() {
		for k := len(undo) - 1; k >= 0; k-- {
			undo[k]()
		}
	}
}

// lateAt returns node i's estimate and pessimistic late fractions and its
// on-time cap S↓_N(τ) from the passes' reads of its primary.
func (l *Model) lateAt(i int32) (est, pess, low float64) {
	est, low = l.lateEstimate(i), l.low.at[i]
	if a := l.mg.est.mass[i]; a > 0 {
		pess = max(est, unitClamp(1-l.lower.at[i]/a))
	}
	return est, pess, low
}

// lateEstimate returns node i's estimate late fraction.
func (l *Model) lateEstimate(i int32) float64 {
	a := l.mg.est.mass[i]
	if a <= 0 {
		return 0
	}
	return unitClamp(1 - l.mg.est.at[i]/a)
}

func unitClamp(x float64) float64 { return min(1, max(0, x)) }
