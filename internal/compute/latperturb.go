package compute

import "github.com/emac-dev/emac/internal/dist"

// saved is a node's state in a pass before a perturbation.
type saved struct {
	val      dist.Sub
	owned    bool
	at, mass float64
}

// perturbLate re-evaluates, in the kept estimate and lower passes, the
// curves of the dirty nodes (sorted ancestors of comps' leaves) that decide
// a late fraction, with comps' point availabilities as already set on the
// tree, and sets the late fractions of the dirty Timeout and Retry nodes.
// The returned function restores the passes and the late fractions.
func (l *latency) perturbLate(comps, dirty []int32) (restore func()) {
	t, m := l.m.t, l.m
	passes := []*pass{l.mg.est, l.lower}
	var undo []func()
	for _, p := range passes {
		for _, c := range comps {
			old := p.leaf[c]
			p.leaf[c] = p.c.Leaf(p.f, t.point[c], m.laws[c], m.eps[c])
			undo = append(undo, func() { p.c.Release(p.leaf[c]); p.leaf[c] = old })
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
					p.c.Release(p.vals[i])
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
		plus, minus := n.latePlus, n.lateMinus
		n.latePlus, n.lateMinus = l.lateAt(i)
		undo = append(undo, func() { n.latePlus, n.lateMinus = plus, minus })
	}
	return func() {
		for k := len(undo) - 1; k >= 0; k-- {
			undo[k]()
		}
	}
}

// lateAt returns node i's estimate and pessimistic late fractions from the
// passes' reads of its primary.
func (l *latency) lateAt(i int32) (est, pess float64) {
	a := l.mg.est.mass[i]
	if a <= 0 {
		return 0, 0
	}
	est = unitClamp(1 - l.mg.est.at[i]/a)
	return est, max(est, unitClamp(1-l.lower.at[i]/a))
}
