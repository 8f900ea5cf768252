package compute

import (
	"slices"

	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
)

// pass evaluates one flavour of every node of a tree, each node on its
// scope's grid (latscope.go), in post-order. A child's curve is released
// as soon as its parent is computed unless keep marks it (latency shares
// and availability perturbations re-evaluate ancestors from the kept
// curves).
type pass struct {
	m    *latModel
	g    grids
	f    dist.Flavour
	keep []bool // per node; nil keeps none
	set  *leafSet
	// leaf holds, per scope and component, an override of the set's curve
	// (perturbations), or nothing.
	leaf  [][]dist.Sub
	skip  []dist.Sub // per scope
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
	m := set.m
	n := len(m.t.nodes)
	p := &pass{
		m: m, g: set.g, f: f, keep: keep, set: set,
		leaf:  make([][]dist.Sub, len(set.g)),
		skip:  make([]dist.Sub, len(set.g)),
		vals:  make([]dist.Sub, n),
		owned: make([]bool, n),
		at:    make([]float64, n),
		mass:  make([]float64, n),
	}
	for s := range p.leaf {
		p.leaf[s] = make([]dist.Sub, len(m.t.comps))
	}
	return p
}

// calc returns node i's calculator.
func (p *pass) calc(i int32) *dist.Calc { return p.g[p.m.sc.of[i]] }

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
		p.calc(i).Release(p.vals[i])
		p.owned[i] = false
	}
	p.vals[i] = dist.Sub{}
}

// close releases every curve the pass holds.
func (p *pass) close() {
	for i := range p.vals {
		p.drop(int32(i))
	}
	for s, leaves := range p.leaf {
		for c, l := range leaves {
			if l.V != nil {
				p.g[s].Release(l)
				leaves[c] = dist.Sub{}
			}
		}
		if p.skip[s].V != nil {
			p.g[s].Release(p.skip[s])
			p.skip[s] = dist.Sub{}
		}
	}
}

// leafCurve returns component c's curve on scope s's grid, shared by all
// its leaves there.
func (p *pass) leafCurve(s, c int32) dist.Sub {
	if l := p.leaf[s][c]; l.V != nil {
		return l
	}
	return p.set.get(p.f, s, c)
}

// override replaces component c's curve in every scope that calls it by
// curve's, until
// the returned function restores the previous curves.
func (p *pass) override(c int32, curve func(calc *dist.Calc) dist.Sub) (restore func()) {
	in := p.m.sc.comp[c]
	old := make([]dist.Sub, len(in))
	for k, s := range in {
		old[k] = p.leaf[s][c]
		p.leaf[s][c] = curve(p.g[s])
	}
	return func() {
		for k, s := range in {
			p.g[s].Release(p.leaf[s][c])
			p.leaf[s][c] = old[k]
		}
	}
}

// newLeaf returns component c's curve on calc's grid at the set's current
// availability of c (perturbations change it), avail: a leaf curve is its
// availability times a curve of the law alone, so the set's curve is
// rescaled rather than computed again.
func (p *pass) newLeaf(c int32, avail float64) func(calc *dist.Calc) dist.Sub {
	return func(calc *dist.Calc) dist.Sub {
		var base dist.Sub
		for s, g := range p.g {
			if g == calc {
				base = p.set.get(p.f, int32(s), c)
			}
		}
		if a := p.set.orig[c]; base.V != nil && a > 0 {
			out := calc.Clone(base)
			r := avail / a
			for k := range out.V {
				out.V[k] *= r
			}
			out.Mass *= r
			return out
		}
		return calc.Leaf(p.f, avail, p.m.laws[c], p.m.eps[c])
	}
}

// leafSet holds the leaf curves on every scope's grid, shared by the
// passes on them: per scope and component, the estimate, lower-band and
// upper-band curves, one curve for all three when the law is exact (no
// observations, no band), scaled by the component's availability in avail
// (the tree's point values, or its lower values for the shared-fate
// band). Curves are computed on first use.
type leafSet struct {
	m     *latModel
	g     grids
	avail []float64
	// orig is avail when the set was made: the cached curves use it, so
	// that a perturbation of avail (which overrides the curves it
	// changes) never reaches the cache.
	orig   []float64
	curves [][][3]dist.Sub // [scope][component]
}

func newLeafSet(m *latModel, g grids) *leafSet {
	return newLeafSetAt(m, g, m.t.point)
}

func newLeafSetAt(m *latModel, g grids, avail []float64) *leafSet {
	s := &leafSet{m: m, g: g, avail: avail, orig: slices.Clone(avail), curves: make([][][3]dist.Sub, len(g))}
	for i := range s.curves {
		s.curves[i] = make([][3]dist.Sub, len(m.t.comps))
	}
	return s
}

// get returns component c's curve in flavour f on scope sc's grid.
func (s *leafSet) get(f dist.Flavour, sc, c int32) dist.Sub {
	k := 0
	switch {
	case s.m.laws[c] == nil || s.m.eps[c] == 0:
		f = dist.Estimate
	case f == dist.Lower || f == dist.FreeLower:
		k = 1
	case f == dist.FreeUpper || f == dist.Upper:
		k = 2
	}
	if s.curves[sc][c][k].V == nil {
		s.curves[sc][c][k] = s.g[sc].Leaf(f, s.orig[c], s.m.laws[c], s.m.eps[c])
	}
	return s.curves[sc][c][k]
}

// eval computes node i's curve from its children's; owned reports whether
// the curve was allocated for the node (leaves and skips share theirs).
func (p *pass) eval(i int32) (s dist.Sub, owned bool) {
	n := &p.m.t.nodes[i]
	sc := p.m.sc.of[i]
	c := p.g[sc]
	switch n.op {
	case opLeaf:
		return p.leafCurve(sc, n.comp), false
	case opSkip:
		if p.skip[sc].V == nil {
			p.skip[sc] = c.Const(1)
		}
		return p.skip[sc], false
	}
	kids := p.kids[:0]
	for _, k := range n.kids {
		kids = append(kids, p.vals[k])
	}
	p.kids = kids
	if p.shared {
		if s, ok := p.sharedOp(c, n, kids); ok {
			return s, true
		}
	}
	if p.upper {
		if s, ok := p.upperOp(c, n, kids); ok {
			return s, true
		}
	}
	f := p.f
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
// it): the primary's curve is scaled by 1 − tp. A primary in a scope of
// its own is read at τ on its grid and carried onto the node's.
func (p *pass) deadline(i int32, n *node, kids []dist.Sub) dist.Sub {
	c, f := p.calc(i), p.f
	if p.shared && p.sharedDeadline(n) {
		f = dist.FreeLower
	}
	pc := p.calc(n.kids[0])
	prim := p.primary(i, n, kids[0])
	if n.tpSet {
		defer pc.Release(prim)
	}
	if pc != c {
		prim = c.Rebin(f, prim, pc.Grid())
		defer c.Release(prim)
	}
	at := p.at[i]
	if r, ok := n.src.(*journey.Retry); ok {
		return c.RetryAt(f, n.k, r.PerTryTimeout, r.Backoff, at, prim)
	}
	to := n.src.(*journey.Timeout)
	if len(kids) == 2 {
		return c.TimeoutAt(f, to.Timeout, at, prim, &kids[1])
	}
	return c.TimeoutAt(f, to.Timeout, at, prim, nil)
}

// primary returns the curve of Timeout or Retry node i's primary s (on
// the primary's grid), scaled by 1 − tp when tp is declared (then a new
// buffer), and records its mass and its value at the deadline.
func (p *pass) primary(i int32, n *node, s dist.Sub) dist.Sub {
	pc := p.calc(n.kids[0])
	p.mass[i] = s.Mass
	if n.tpSet {
		s = pc.Clone(s)
		for k := range s.V {
			s.V[k] *= 1 - n.tp
		}
		s.Mass *= 1 - n.tp
	}
	p.at[i] = pc.At(p.f, s, deadlineOf(n))
	return s
}

// readDeadline records node i's primary reads without computing its curve.
func (p *pass) readDeadline(i int32, n *node) {
	s := p.primary(i, n, p.vals[n.kids[0]])
	if n.tpSet {
		p.calc(n.kids[0]).Release(s)
	}
}
