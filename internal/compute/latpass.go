package compute

import (
	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
)

// pass evaluates one flavour of every node of a tree on one grid, in
// post-order. A child's curve is released as soon as its parent is
// computed unless keep marks it (latency shares and availability
// perturbations re-evaluate ancestors from the kept curves).
type pass struct {
	m     *latModel
	c     *dist.Calc
	f     dist.Flavour
	keep  []bool // per node; nil keeps none
	set   *leafSet
	leaf  []dist.Sub // per component: an override of the set's curve, or empty
	skip  dist.Sub
	vals  []dist.Sub // per node
	owned []bool     // vals[i] was allocated for node i
	// at and mass hold, per Timeout and Retry node, the primary's S(τ) as
	// the flavour reads it and the primary's mass.
	at, mass []float64
	kids     []dist.Sub // scratch
	// shared makes the pass the shared-fate lower band (latshared.go):
	// flavour Lower, except where the children of a node share failure
	// domains.
	shared bool
	// upper makes the pass the class upper band (latclass.go): flavour
	// Upper, except where the children of a node share failure domains.
	upper bool
}

func newPass(set *leafSet, f dist.Flavour, keep []bool) *pass {
	m, c := set.m, set.c
	n := len(m.t.nodes)
	return &pass{
		m: m, c: c, f: f, keep: keep, set: set,
		leaf:  make([]dist.Sub, len(m.t.comps)),
		vals:  make([]dist.Sub, n),
		owned: make([]bool, n),
		at:    make([]float64, n),
		mass:  make([]float64, n),
	}
}

// run evaluates every node and returns the root's curve, which stays
// owned by the pass.
func (p *pass) run() dist.Sub {
	for i := range p.m.t.nodes {
		p.vals[i], p.owned[i] = p.eval(int32(i))
		for _, c := range p.m.t.nodes[i].kids {
			if p.keep == nil || !p.keep[c] {
				p.drop(c)
			}
		}
	}
	return p.vals[len(p.vals)-1]
}

// drop releases node i's curve if the pass allocated it.
func (p *pass) drop(i int32) {
	if p.owned[i] {
		p.c.Release(p.vals[i])
		p.owned[i] = false
	}
	p.vals[i] = dist.Sub{}
}

// close releases every curve the pass holds.
func (p *pass) close() {
	for i := range p.vals {
		p.drop(int32(i))
	}
	for c, s := range p.leaf {
		if s.V != nil {
			p.c.Release(s)
			p.leaf[c] = dist.Sub{}
		}
	}
	if p.skip.V != nil {
		p.c.Release(p.skip)
		p.skip = dist.Sub{}
	}
}

// leafCurve returns component c's curve, shared by all its leaves.
func (p *pass) leafCurve(c int32) dist.Sub {
	if p.leaf[c].V != nil {
		return p.leaf[c]
	}
	return p.set.get(p.f, c)
}

// newLeaf computes component c's curve afresh from the set's current
// availability of c (perturbations change it).
func (p *pass) newLeaf(c int32) dist.Sub {
	return p.c.Leaf(p.f, p.set.avail[c], p.m.laws[c], p.m.eps[c])
}

// leafSet holds the leaf curves on one grid, shared by the passes on it:
// per component, the estimate, lower-band and upper-band curves, one curve
// for all three when the law is exact (no observations, no band), scaled
// by the component's availability in avail (the tree's point values, or
// its lower values for the shared-fate band).
type leafSet struct {
	m      *latModel
	c      *dist.Calc
	avail  []float64
	curves [][3]dist.Sub
}

func newLeafSet(m *latModel, c *dist.Calc) *leafSet {
	return newLeafSetAt(m, c, m.t.point)
}

func newLeafSetAt(m *latModel, c *dist.Calc, avail []float64) *leafSet {
	return &leafSet{m: m, c: c, avail: avail, curves: make([][3]dist.Sub, len(m.t.comps))}
}

// fill computes every curve of every component.
func (s *leafSet) fill() {
	for c := range s.curves {
		for _, f := range []dist.Flavour{dist.Estimate, dist.Lower, dist.FreeUpper} {
			s.get(f, int32(c))
		}
	}
}

// get returns component c's curve in flavour f, computed on first use.
func (s *leafSet) get(f dist.Flavour, c int32) dist.Sub {
	k := 0
	switch {
	case s.m.laws[c] == nil || s.m.eps[c] == 0:
		f = dist.Estimate
	case f == dist.Lower || f == dist.FreeLower:
		k = 1
	case f == dist.FreeUpper || f == dist.Upper:
		k = 2
	}
	if s.curves[c][k].V == nil {
		s.curves[c][k] = s.c.Leaf(f, s.avail[c], s.m.laws[c], s.m.eps[c])
	}
	return s.curves[c][k]
}

// eval computes node i's curve from its children's; owned reports whether
// the curve was allocated for the node (leaves and skips share theirs).
func (p *pass) eval(i int32) (s dist.Sub, owned bool) {
	n := &p.m.t.nodes[i]
	switch n.op {
	case opLeaf:
		return p.leafCurve(n.comp), false
	case opSkip:
		if p.skip.V == nil {
			p.skip = p.c.Const(1)
		}
		return p.skip, false
	}
	kids := p.kids[:0]
	for _, c := range n.kids {
		kids = append(kids, p.vals[c])
	}
	p.kids = kids
	if p.shared {
		if s, ok := p.sharedOp(n, kids); ok {
			return s, true
		}
	}
	if p.upper {
		if s, ok := p.upperOp(n, kids); ok {
			return s, true
		}
	}
	c, f := p.c, p.f
	switch n.op {
	case opSeries:
		return c.Series(f, kids), true
	case opParallel:
		return c.Parallel(f, kids), true
	case opCond:
		return c.Cond(f, n.lo, n.hi, kids), true
	case opRace:
		return c.Race(f, n.src.(*journey.Race).HedgeAfter, kids), true
	case opKofN:
		return c.KofN(f, n.k, kids), true
	case opTimeout, opRetry:
		return p.deadline(i, n, kids), true
	}
	panic("compute: unknown operator")
}

// deadline evaluates a Timeout or Retry node. A declared
// timeoutProbability tp makes a fraction tp of the primary's on-time
// answers late, independently of their latency (as the simulator draws
// it): the primary's curve is scaled by 1 − tp.
func (p *pass) deadline(i int32, n *node, kids []dist.Sub) dist.Sub {
	c, f := p.c, p.f
	if p.shared && p.sharedDeadline(n) {
		f = dist.FreeLower
	}
	prim := p.primary(i, n, kids[0])
	if n.tpSet {
		defer c.Release(prim)
	}
	if r, ok := n.src.(*journey.Retry); ok {
		return c.Retry(f, n.k, r.PerTryTimeout, r.Backoff, prim)
	}
	to := n.src.(*journey.Timeout)
	if len(kids) == 2 {
		return c.Timeout(f, to.Timeout, prim, &kids[1])
	}
	return c.Timeout(f, to.Timeout, prim, nil)
}

// primary returns the curve of Timeout or Retry node i's primary s, scaled
// by 1 − tp when tp is declared (then a new buffer), and records its mass
// and its value at the deadline.
func (p *pass) primary(i int32, n *node, s dist.Sub) dist.Sub {
	p.mass[i] = s.Mass
	if n.tpSet {
		s = p.c.Clone(s)
		for k := range s.V {
			s.V[k] *= 1 - n.tp
		}
		s.Mass *= 1 - n.tp
	}
	p.at[i] = p.c.At(p.f, s, deadlineOf(n))
	return s
}

// readDeadline records node i's primary reads without computing its curve.
func (p *pass) readDeadline(i int32, n *node) {
	s := p.primary(i, n, p.vals[n.kids[0]])
	if n.tpSet {
		p.c.Release(s)
	}
}
