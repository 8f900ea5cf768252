package latency

import (
	"fmt"
	"math"
	"slices"

	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
)

// Grid choice. Curves live on uniform grids chosen per journey: the
// journey's grid (scope 0, scope.go) ranges over 1.25 times a recursive
// high-quantile estimate of the tree (leaf quantile 0.9999; Series: sum of
// medians plus the root of the summed squared spreads; Parallel, Cond and
// KofN max; Race max with hedge offsets; Timeout τ plus the fallback's;
// Retry the attempts that carry mass times τ+b) and doubles while the
// estimate does not reach the objective's level; its cell is 1/200 of the
// tree's median estimate, refined while the computed median has fewer
// than 100 cells below it, with at most 4,096 points. The primary of every
// timed Timeout or Retry has a grid of its own ending at its deadline.
// The bounds, when their level lies beyond the grid, are read on grids of
// doubled range (read.go).
//
// The constants were measured against closed
// forms (dist.TestAccuracyByResolution: worst relative error of p50, p90
// and p99 over every operator 1.5e-4 at 50 cells below the median, 4e-5
// at 100, 1.2e-5 at 200) and against the simulator; atoms on grid points
// (an instant fallback at a deadline) are read exactly.
const (
	// leafHigh is the leaf quantile from which the grid's range is built.
	leafHigh = 0.9999
	// rangeMargin widens the estimated range.
	rangeMargin = 1.25
	// cellsPerMedian is the target number of cells below the journey's
	// median (or its smallest positive reported quantile).
	cellsPerMedian = 200
	// minCellsPerMedian triggers a finer grid when the computed median
	// has fewer cells below it than this.
	minCellsPerMedian = 100
	// maxGridTries bounds the number of grids tried for one journey.
	maxGridTries = 8
)

// initialSpecs estimates, bottom-up, a high quantile of every node (the
// root grid's range) and its median (the grids' resolution), and returns
// scope 0's spec and every inner scope's (see scope.go). A Series adds
// its steps' medians and, above them, the square root of the sum of their
// squared spreads (hi − median), as standard deviations add; Parallel,
// Cond and KofN take the largest child's, Race the largest after hedge
// offsets, Timeout τ plus the fallback's, Retry the attempts that carry
// mass times (τ+b).
func (m *timing) initialSpecs() (root dist.Spec, inner []dist.Spec) {
	nodes := m.t.Nodes
	hi := make([]float64, len(nodes))
	med := make([]float64, len(nodes))
	av := make([]float64, len(nodes))
	for i := range nodes {
		av[i] = m.roughAvailability(int32(i), av)
		hi[i], med[i] = m.estimate(int32(i), hi, med, av)
	}
	top := len(nodes) - 1
	r, md := hi[top], med[top]
	if !(r > 0) || math.IsInf(r, 0) {
		r = 1
	}
	breaks := m.breaksOf(0)
	root = dist.Spec{Range: rangeMargin * r, Breakpoints: breaks, MaxK: rootMaxK}
	switch {
	case !m.any() && dist.NewGrid(dist.Spec{Range: root.Range, Step: root.Range, Breakpoints: breaks}).Aligned:
		// Without latency evidence only deadlines delay the journey: every
		// curve steps at sums of breakpoints, so their common divisor is
		// an exact cell.
		root.Step = root.Range
	default:
		root.Step = rootStep(root.Range, md)
	}
	return root, m.innerSpecs(med)
}

// estimate returns node i's high quantile and median estimates from its
// children's.
func (m *timing) estimate(i int32, hi, med, av []float64) (h, md float64) {
	n := &m.t.Nodes[i]
	kh := make([]float64, len(n.Children))
	km := make([]float64, len(n.Children))
	for j, c := range n.Children {
		kh[j], km[j] = hi[c], med[c]
	}
	switch n.Op {
	case tree.Leaf:
		if l := m.laws[n.Component]; l != nil {
			return finite(l.Quantile(leafHigh)), finite(l.Quantile(0.5))
		}
		return 0, 0
	case tree.Skip:
		return 0, 0
	case tree.Series:
		// Spreads above the median add like standard deviations: far less
		// than Σ hi for many steps, still at least the largest spread.
		var sq float64
		for j := range kh {
			d := max(0, kh[j]-km[j])
			sq += d * d
		}
		return sum(km) + math.Sqrt(sq), sum(km)
	case tree.Parallel:
		return slices.Max(kh), slices.Max(km)
	case tree.Cond:
		var mix float64
		for j, p := range m.probs[i] {
			mix += p * km[j]
		}
		return slices.Max(kh), mix
	case tree.Race:
		d := n.Src.(*journey.Race).HedgeAfter
		for j := range kh {
			kh[j] += float64(j) * d
			km[j] += float64(j) * d
		}
		return slices.Max(kh), slices.Min(km)
	case tree.KofN:
		slices.Sort(km)
		return slices.Max(kh), km[n.K-1]
	case tree.Timeout:
		tau := n.Src.(*journey.Timeout).Timeout
		if len(kh) == 2 {
			return tau + kh[1], min(km[0], tau)
		}
		return tau, min(km[0], tau)
	case tree.Retry:
		r := n.Src.(*journey.Retry)
		tries := retryTries(n.K, m.onTime(n.Children[0], r.PerTryTimeout, kh[0], km[0]), av[n.Children[0]])
		return float64(tries) * (r.PerTryTimeout + r.Backoff), min(km[0], r.PerTryTimeout)
	}
	return 0, 0
}

// retryTries returns how many of a Retry's attempts the grid's range must
// hold: all of them, unless each attempt succeeds in time with a
// probability p = avail·onTime that makes reaching a later attempt less
// likely than 1 − leafHigh. Later attempts then carry negligible mass;
// their share of the availability is exact anyway (closed form), and the
// range doubles if the estimate does not reach the objective's level.
func retryTries(attempts int, onTime, avail float64) int {
	p := avail * onTime
	if !(p > 0) || p >= 1 {
		return attempts
	}
	need := math.Ceil(math.Log(1-leafHigh) / math.Log(1-p))
	if need >= float64(attempts) || math.IsNaN(need) {
		return attempts
	}
	return max(1, int(need))
}

// onTime is a rough P(node i answers within tau | it succeeds), for sizing
// the grid: the law's CDF for a leaf, else leafHigh past the node's high
// quantile estimate, 1/2 past its median, and 0 below.
func (m *timing) onTime(i int32, tau, hi, med float64) float64 {
	n := &m.t.Nodes[i]
	if n.Op == tree.Leaf {
		if l := m.laws[n.Component]; l != nil {
			return l.CDF(tau)
		}
		return 1
	}
	switch {
	case tau >= hi:
		return leafHigh
	case tau >= med:
		return 0.5
	}
	return 0
}

// roughAvailability is a quick estimate of node i's availability (point
// leaf availabilities, ignoring deadlines) used to size the grid only.
func (m *timing) roughAvailability(i int32, av []float64) float64 {
	n := &m.t.Nodes[i]
	a := make([]float64, len(n.Children))
	for j, c := range n.Children {
		a[j] = av[c]
	}
	switch n.Op {
	case tree.Leaf:
		return m.t.Point[n.Component]
	case tree.Skip:
		return 1
	case tree.Series, tree.Parallel:
		return dist.Product(a)
	case tree.Cond:
		var mix float64
		for j, p := range m.probs[i] {
			mix += p * a[j]
		}
		return mix
	case tree.Race:
		return dist.AnyOf(a)
	case tree.KofN:
		return dist.Product(a) // a lower estimate: all branches succeed
	case tree.Timeout:
		if len(a) == 2 {
			return a[0] + (1-a[0])*a[1]
		}
		return a[0]
	case tree.Retry:
		return 1 - math.Pow(1-a[0], float64(n.K))
	}
	return 1
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
		return 0
	}
	return x
}

func sum(a []float64) float64 {
	var s float64
	for _, x := range a {
		s += x
	}
	return s
}

// mainGrid holds the estimate evaluated on the journey's grids.
type mainGrid struct {
	spec  dist.Spec   // scope 0's
	inner []dist.Spec // every scope's (index 0 unused)
	g     grids
	set   *leafSet
	est   *pass
	root  dist.Sub
}

// solve chooses the grids: it starts from initialSpecs, doubles scope 0's
// range while the estimate does not reach q (0: no quantile to reach), and
// refines scope 0's cells while the estimate's median (or, when that is
// 0, its q-quantile) has fewer than minCellsPerMedian cells below it and a
// finer grid is allowed. The inner scopes' grids depend on their subtrees
// alone. keep returns the estimate curves to keep on grids of K points in
// all.
func (m *timing) solve(q float64, keep func(k int) []bool) mainGrid {
	spec, inner := m.initialSpecs()
	var mg mainGrid
	for try := range maxGridTries {
		mg.spec, mg.inner, mg.g = spec, inner, newGrids(spec, inner)
		mg.set = newLeafSet(m, mg.g)
		mg.est = newPass(mg.set, dist.Estimate, keep(mg.g.points()))
		mg.root = mg.est.run()
		c := mg.g[0]
		if try == maxGridTries-1 || mg.root.Mass <= 0 {
			break
		}
		if _, ok := c.Quantile(mg.root, q); q > 0 && !ok {
			spec.Range *= 2
			mg.est.close()
			continue
		}
		ref := m.reference(mg, q)
		if !m.any() || ref <= 0 || ref/c.Grid().Delta >= minCellsPerMedian {
			break
		}
		finer := spec
		finer.Step = ref / cellsPerMedian
		if dist.NewGrid(finer).Delta > 0.9*c.Grid().Delta {
			break // the cap on K allows nothing finer
		}
		spec = finer
		mg.est.close()
	}
	return mg
}

// minScopeCells is the fewest cells below the median of a deadline's
// primary that its scope's grid may have before the curves, and the late
// fraction read from them, fall short of the stated accuracy.
const minScopeCells = 20

// unresolved returns, for every deadline scope whose grid is too coarse
// for its primary (a primary whose median is below minScopeCells cells
// of the at most scopeMaxK points across its deadline), the reason; empty
// when all are resolved.
func (m *timing) unresolved(mg mainGrid) []string {
	var out []string
	for s := 1; s < len(mg.g); s++ {
		g, med := mg.g[s].Grid(), m.scopeMed[s]
		if !m.interpolates(int32(s)) || !(med > 0) || med/g.Delta >= minScopeCells {
			continue
		}
		n := &m.t.Nodes[m.t.Nodes[m.sc.top[s]].Parent]
		out = append(out, fmt.Sprintf("the primary of the %s at %s answers in about %s, fewer than %d cells of its deadline's grid (%s)",
			journey.Kind(n.Src), n.Path, journey.FormatDuration(med), minScopeCells, g))
	}
	return out
}

// reference returns the quantile whose resolution the grid is tuned for:
// the estimate's median, or its q-quantile when the median is 0.
func (m *timing) reference(mg mainGrid, q float64) float64 {
	if t, ok := mg.g[0].Quantile(mg.root, 0.5); ok && t > 0 {
		return t
	}
	if q > 0 {
		if t, ok := mg.g[0].Quantile(mg.root, q); ok {
			return t
		}
	}
	return 0
}
