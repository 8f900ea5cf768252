package latency

import (
	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
)

// pass evaluates one flavour of every node of a tree, each node on its
// scope's grid (scope.go), in post-order. A child's curve is released
// as soon as its parent is computed unless keep marks it (latency shares
// and availability perturbations re-evaluate ancestors from the kept
// curves).
type pass struct {
	m    *timing
	g    grids
	f    dist.Flavour
	keep []bool // per node; nil keeps none
	set  *leafSet
	// leaf holds, per scope and component, an override of the set's curve
	// (perturbations).
	leaf  map[scopeComp]dist.Sub
	skip  []dist.Sub // per scope
	vals  []dist.Sub // per node
	owned []bool     // vals[i] was allocated for node i
	// at and mass hold, per Timeout and Retry node, the primary's S(τ) as
	// the flavour reads it and the primary's mass.
	at, mass []float64
	kids     []dist.Sub // scratch
	// shared makes the pass the shared-fate lower band (shared.go):
	// flavour Lower, except where the children of a node share failure
	// domains.
	shared bool
	// upper makes the pass the class upper band (class.go): flavour
	// Upper, except where the children of a node share failure domains.
	upper bool
}

func newPass(set *leafSet, f dist.Flavour, keep []bool) *pass {
	m := set.m
	n := len(m.t.Nodes)
	p := &pass{
		m: m, g: set.g, f: f, keep: keep, set: set,
		leaf:  map[scopeComp]dist.Sub{},
		skip:  make([]dist.Sub, len(set.g)),
		vals:  make([]dist.Sub, n),
		owned: make([]bool, n),
		at:    make([]float64, n),
		mass:  make([]float64, n),
	}
	return p
}

// calc returns node i's calculator.
func (p *pass) calc(i int32) *dist.Calc { return p.g[p.m.sc.of[i]] }

// run evaluates every node and returns the root's curve, which stays
// owned by the pass.
func (p *pass) run() dist.Sub {
	for i := range p.m.t.Nodes {
		p.vals[i], p.owned[i] = p.eval(int32(i))
		for _, c := range p.m.t.Nodes[i].Children {
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
	for k, l := range p.leaf {
		p.g[k.s].Release(l)
	}
	clear(p.leaf)
	for s := range p.skip {
		if p.skip[s].V != nil {
			p.g[s].Release(p.skip[s])
			p.skip[s] = dist.Sub{}
		}
	}
}

// leafCurve returns component c's curve on scope s's grid, shared by all
// its leaves there.
func (p *pass) leafCurve(s, c int32) dist.Sub {
	if l, ok := p.leaf[scopeComp{s, c}]; ok {
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
	had := make([]bool, len(in))
	for k, s := range in {
		key := scopeComp{s, c}
		old[k], had[k] = p.leaf[key]
		p.leaf[key] = curve(p.g[s])
	}
	return func() {
		for k, s := range in {
			key := scopeComp{s, c}
			p.g[s].Release(p.leaf[key])
			if had[k] {
				p.leaf[key] = old[k]
			} else {
				delete(p.leaf, key)
			}
		}
	}
}

// newLeaf returns component c's curve on calc's grid at availability
// avail (a perturbation's): a leaf curve is its availability times a
// curve of the law alone, so the set's curve is rescaled rather than
// computed again.
func (p *pass) newLeaf(c int32, avail float64) func(calc *dist.Calc) dist.Sub {
	return func(calc *dist.Calc) dist.Sub {
		var base dist.Sub
		for s, g := range p.g {
			if g == calc {
				base = p.set.get(p.f, int32(s), c)
			}
		}
		if a := p.set.avail[c]; base.V != nil && a > 0 {
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
// band; perturbations override the curves they change, never avail).
// Curves are computed on first use.
type leafSet struct {
	m      *timing
	g      grids
	avail  []float64
	curves map[scopeComp]*[3]dist.Sub
	canon  []int32 // per scope, the first scope on the same calculator
}

// scopeComp names a component's curve on one scope's grid. Curves are
// kept per pair that occurs (a map: scopes times components can be
// millions at 10,000 leaves while the pairs are as many as the leaves),
// under the first scope with the same grid.
type scopeComp struct{ s, c int32 }

func newLeafSet(m *timing, g grids) *leafSet {
	return newLeafSetAt(m, g, m.t.Point)
}

func newLeafSetAt(m *timing, g grids, avail []float64) *leafSet {
	return &leafSet{m: m, g: g, avail: avail, curves: map[scopeComp]*[3]dist.Sub{}, canon: g.canon()}
}

// rescoped returns a set on g, whose deadline scopes (all but scope 0)
// are s's: their cached curves are shared.
func (s *leafSet) rescoped(g grids) *leafSet {
	r := newLeafSetAt(s.m, g, s.avail)
	for k, v := range s.curves {
		if k.s != 0 && r.canon[k.s] == k.s {
			r.curves[k] = v
		}
	}
	return r
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
	key := scopeComp{s.canon[sc], c}
	cs := s.curves[key]
	if cs == nil {
		cs = new([3]dist.Sub)
		s.curves[key] = cs
	}
	if cs[k].V == nil {
		cs[k] = s.g[sc].Leaf(f, s.avail[c], s.m.laws[c], s.m.eps[c])
	}
	return cs[k]
}

// eval computes node i's curve from its children's; owned reports whether
// the curve was allocated for the node (leaves and skips share theirs).
func (p *pass) eval(i int32) (s dist.Sub, owned bool) {
	n := &p.m.t.Nodes[i]
	sc := p.m.sc.of[i]
	c := p.g[sc]
	switch n.Op {
	case tree.Leaf:
		return p.leafCurve(sc, n.Component), false
	case tree.Skip:
		if p.skip[sc].V == nil {
			p.skip[sc] = c.Const(1)
		}
		return p.skip[sc], false
	}
	kids := p.kids[:0]
	for _, k := range n.Children {
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
	switch n.Op {
	case tree.Series:
		return c.Series(f, kids), true
	case tree.Parallel:
		return c.Parallel(f, kids), true
	case tree.Cond:
		return c.Cond(f, n.Lo, n.Hi, kids), true
	case tree.Race:
		return c.Race(f, n.Src.(*journey.Race).HedgeAfter, kids), true
	case tree.KofN:
		return c.KofN(f, n.K, kids), true
	case tree.Timeout, tree.Retry:
		return p.deadline(i, n, kids), true
	}
	panic("latency: unknown operator")
}

// deadline evaluates a Timeout or Retry node. A declared
// timeoutProbability tp makes a fraction tp of the primary's on-time
// answers late, independently of their latency (as the simulator draws
// it): the primary's curve is scaled by 1 − tp. A primary in a scope of
// its own is read at τ on its grid and carried onto the node's.
func (p *pass) deadline(i int32, n *tree.Node, kids []dist.Sub) dist.Sub {
	c, f := p.calc(i), p.f
	if p.shared && p.sharedDeadline(n) {
		f = dist.FreeLower
	}
	pc := p.calc(n.Children[0])
	prim := p.primary(i, n, kids[0])
	if n.HasTimeoutProbability {
		defer pc.Release(prim)
	}
	if pc != c {
		prim = c.Rebin(f, prim, pc.Grid())
		defer c.Release(prim)
	}
	at := p.at[i]
	if r, ok := n.Src.(*journey.Retry); ok {
		return c.RetryAt(f, n.K, r.PerTryTimeout, r.Backoff, at, prim)
	}
	to := n.Src.(*journey.Timeout)
	if len(kids) == 2 {
		return c.TimeoutAt(f, to.Timeout, at, prim, &kids[1])
	}
	return c.TimeoutAt(f, to.Timeout, at, prim, nil)
}

// primary returns the curve of Timeout or Retry node i's primary s (on
// the primary's grid), scaled by 1 − tp when tp is declared (then a new
// buffer), and records its mass and its value at the deadline.
func (p *pass) primary(i int32, n *tree.Node, s dist.Sub) dist.Sub {
	pc := p.calc(n.Children[0])
	p.mass[i] = s.Mass
	if n.HasTimeoutProbability {
		s = pc.Clone(s)
		for k := range s.V {
			s.V[k] *= 1 - n.TimeoutProbability
		}
		s.Mass *= 1 - n.TimeoutProbability
	}
	p.at[i] = pc.At(p.f, s, n.Deadline())
	return s
}

// readDeadline records node i's primary reads without computing its curve.
func (p *pass) readDeadline(i int32, n *tree.Node) {
	s := p.primary(i, n, p.vals[n.Children[0]])
	if n.HasTimeoutProbability {
		p.calc(n.Children[0]).Release(s)
	}
}
