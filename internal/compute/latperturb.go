package compute

import "github.com/emac-dev/emac/internal/dist"

// saved is a node's state in a pass before a perturbation.
type saved struct {
	val      dist.Sub
	owned    bool
	at, mass float64
}

// perturbLate re-evaluates, in the kept estimate, lower and shared-fate
// passes, the curves of the dirty nodes (sorted ancestors of comps'
// leaves) that decide a late fraction, with comps' point and lower
// availabilities as already set on the tree, and sets the late fractions
// and on-time caps of the dirty Timeout and Retry nodes. The returned
// function restores the passes, the late fractions and the caps. Unless
// withMinus is set only the estimate pass and the late fractions of A+ are
// recomputed.
func (l *latency) perturbLate(comps, dirty []int32, withMinus bool) (restore func()) {
	t, m := l.m.t, l.m
	passes := []*pass{l.mg.est, l.lower, l.low}
	if !withMinus {
		passes = passes[:1]
	}
	var undo []func()
	for _, p := range passes {
		for _, c := range comps {
			undo = append(undo, p.override(c, p.newLeaf(c, p.set.avail[c])))
		}
		for _, i := range dirty {
			n := &t.nodes[i]
			if !m.inTimed[i] && !n.lateTimed {
				continue
			}
			s := saved{p.vals[i], p.owned[i], p.at[i], p.mass[i]}
			if !m.inTimed[i] {
				p.readDeadline(i, n)
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
		n := &t.nodes[i]
		if !n.lateTimed {
			continue
		}
		plus, minus, low := n.latePlus, n.lateMinus, n.onTimeLow
		if withMinus {
			n.latePlus, n.lateMinus, n.onTimeLow = l.lateAt(i)
		} else {
			n.latePlus = l.lateEstimate(i)
		}
		undo = append(undo, func() { n.latePlus, n.lateMinus, n.onTimeLow = plus, minus, low })
	}
	return func() {
		for k := len(undo) - 1; k >= 0; k-- {
			undo[k]()
		}
	}
}

// lateAt returns node i's estimate and pessimistic late fractions and its
// on-time cap S↓_N(τ) from the passes' reads of its primary.
func (l *latency) lateAt(i int32) (est, pess, low float64) {
	est, low = l.lateEstimate(i), l.low.at[i]
	if a := l.mg.est.mass[i]; a > 0 {
		pess = max(est, unitClamp(1-l.lower.at[i]/a))
	}
	return est, pess, low
}

// lateEstimate returns node i's estimate late fraction.
func (l *latency) lateEstimate(i int32) float64 {
	a := l.mg.est.mass[i]
	if a <= 0 {
		return 0
	}
	return unitClamp(1 - l.mg.est.at[i]/a)
}
