package latency

import (
	"slices"

	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
)

// Scopes. The curves of a tree live on several grids. The primary of a
// Timeout or Retry whose latency can be positive is read at its deadline
// τ only: S_N(min(t, τ)) is all the operator uses. Such a primary and its
// subtree (down to the primaries of nested deadlines) form a scope whose
// grid ends exactly at τ with enough cells to resolve it, however coarse
// the journey's own grid is; the root and everything outside such
// primaries form scope 0, whose grid is sized for the journey's quantile.
// A Timeout or Retry reads its primary's S_N(τ) on the primary's grid and
// carries the curve up to τ onto its own grid (dist.Rebin), so a deadline
// is never read at the wrong time, whatever the journey's size, and a
// subtree's late fractions do not depend on the rest of the tree.
//
// Cell sizes: scope 0 aims at cellsPerMedian cells below the journey's
// median and at most rootMaxK points; a deadline's scope at cellsPerMedian
// cells below its primary's median, between scopeMinK and scopeMaxK
// points across [0, τ].
const (
	rootMaxK  = 4096
	scopeMinK = 2048
	scopeMaxK = 4096
)

// scopes partitions the nodes of a tree.
type scopes struct {
	of  []int32   // per node: its scope
	top []int32   // per scope: its topmost node (the tree's root for scope 0)
	tau []float64 // per scope: the deadline its curves are read at (0 for scope 0)
	// comp lists, per component, the scopes its leaves lie in.
	comp [][]int32
}

// assignScopes partitions m's nodes into scopes (after markLate).
func (m *timing) assignScopes() {
	nodes := m.t.Nodes
	root := int32(len(nodes) - 1)
	sc := scopes{of: make([]int32, len(nodes)), top: []int32{root}, tau: []float64{0}}
	for i := root - 1; i >= 0; i-- {
		pi := nodes[i].Parent
		p := &nodes[pi]
		if m.lateTimed[pi] && p.Children[0] == i {
			sc.of[i] = int32(len(sc.top))
			sc.top = append(sc.top, i)
			sc.tau = append(sc.tau, p.Deadline())
			continue
		}
		sc.of[i] = sc.of[nodes[i].Parent]
	}
	sc.comp = make([][]int32, len(m.t.Components))
	for i := range nodes {
		if n := &nodes[i]; n.Op == tree.Leaf && !slices.Contains(sc.comp[n.Component], sc.of[i]) {
			sc.comp[n.Component] = append(sc.comp[n.Component], sc.of[i])
		}
	}
	m.sc = sc
}

// breaksOf returns the durations that should fall on scope s's grid
// points: its deadline, and the hedges, deadlines and retry periods of its
// own nodes.
func (m *timing) breaksOf(s int32) []float64 {
	var out []float64
	if s > 0 {
		out = append(out, m.sc.tau[s])
	}
	for i := range m.t.Nodes {
		if m.sc.of[i] != s {
			continue
		}
		switch src := m.t.Nodes[i].Src.(type) {
		case *journey.Timeout:
			out = append(out, src.Timeout)
		case *journey.Retry:
			out = append(out, src.PerTryTimeout, src.PerTryTimeout+src.Backoff)
		case *journey.Race:
			out = append(out, src.HedgeAfter)
		}
	}
	return out
}

// scopeSpec returns the grid of scope s > 0 given the median estimate of
// its top node: exactly [0, τ], with cellsPerMedian cells below the median
// where scopeMinK..scopeMaxK points allow.
func (m *timing) scopeSpec(s int32, med float64) dist.Spec {
	tau := m.sc.tau[s]
	if !m.interpolates(s) {
		// Leaves and pointwise operators are exact at every grid point,
		// and τ is one: a coarse grid reads S_N(τ) exactly.
		return dist.Spec{Range: tau, Step: tau / (coarseScopeK - 1), Breakpoints: m.breaksOf(s), MaxK: coarseScopeK}
	}
	step := tau / scopeMinK
	if med > 0 {
		step = min(step, med/cellsPerMedian)
	}
	step = max(step, tau/(scopeMaxK-1))
	return dist.Spec{Range: tau, Step: step, Breakpoints: m.breaksOf(s), MaxK: scopeMaxK}
}

// coarseScopeK is the grid size of a scope whose curves are exact at grid
// points (see interpolates).
const coarseScopeK = 512

// interpolates reports whether scope s's curves carry discretisation
// error at its grid points: it convolves (a Series of two or more steps
// that take time), shifts by a hedge, or holds a deadline (whose fallback,
// retries or nested primary are carried between grids).
func (m *timing) interpolates(s int32) bool {
	if m.interp == nil {
		m.interp = make([]bool, len(m.sc.top))
		for i := range m.t.Nodes {
			if m.interpolatesAt(int32(i)) {
				m.interp[m.sc.of[i]] = true
			}
		}
	}
	return m.interp[s]
}

// interpolatesAt reports whether node i makes its scope interpolate.
func (m *timing) interpolatesAt(i int32) bool {
	n := &m.t.Nodes[i]
	switch n.Op {
	case tree.Series:
		timed := 0
		for _, c := range n.Children {
			if m.timed[c] {
				timed++
			}
		}
		return timed > 1
	case tree.Race:
		return m.timed[i] && n.Src.(*journey.Race).HedgeAfter > 0
	case tree.Timeout, tree.Retry:
		return true
	}
	return false
}

// grids holds one calculator per scope.
type grids []*dist.Calc

// newGrids returns calculators for scope 0's spec and the inner scopes'
// specs. Scopes whose grids are equal (deadlines of the same length
// usually are) share one calculator, and with it buffers, FFT plans and
// leaf curves.
func newGrids(root dist.Spec, inner []dist.Spec) grids {
	g := grids{dist.NewCalc(dist.NewGrid(root))}
	seen := map[dist.Grid]*dist.Calc{}
	for _, s := range inner[1:] {
		grid := dist.NewGrid(s)
		c := seen[grid]
		if c == nil {
			c = dist.NewCalc(grid)
			seen[grid] = c
		}
		g = append(g, c)
	}
	return g
}

// canon returns, per scope, the first scope with the same calculator.
func (g grids) canon() []int32 {
	first := map[*dist.Calc]int32{}
	out := make([]int32, len(g))
	for s, c := range g {
		f, ok := first[c]
		if !ok {
			f = int32(s)
			first[c] = f
		}
		out[s] = f
	}
	return out
}

// points returns the grid points of all scopes together.
func (g grids) points() int {
	n := 0
	for _, c := range g {
		n += c.Grid().K
	}
	return n
}

// innerSpecs returns the specs of every scope (index 0 unused) from the
// median estimates med of the nodes.
func (m *timing) innerSpecs(med []float64) []dist.Spec {
	specs := make([]dist.Spec, len(m.sc.top))
	m.scopeMed = make([]float64, len(m.sc.top))
	for s := int32(1); s < int32(len(specs)); s++ {
		m.scopeMed[s] = finite(med[m.sc.top[s]])
		specs[s] = m.scopeSpec(s, m.scopeMed[s])
	}
	return specs
}

// rootStep returns scope 0's cell for range r and the journey's median md:
// 1/cellsPerMedian of the median, but at least r/rootMaxK.
func rootStep(r, md float64) float64 {
	step := r / 1024
	if md > 0 {
		step = md / cellsPerMedian
	}
	return max(step, r/(rootMaxK-1))
}
