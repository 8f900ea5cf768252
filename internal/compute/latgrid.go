package compute

import (
	"math"
	"slices"

	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
)

// Grid choice (see Latency). The constants were measured against closed
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

// initialSpec estimates, bottom-up, a high quantile of every node (the
// grid's range) and its median (the grid's resolution). A Series adds its
// steps' medians and, above them, the square root of the sum of their
// squared spreads (hi − median), as standard deviations add; Parallel,
// Cond and KofN take the largest child's, Race the largest after hedge
// offsets, Timeout τ plus the fallback's, Retry n(τ+b).
func (m *latModel) initialSpec() dist.Spec {
	nodes := m.t.nodes
	hi := make([]float64, len(nodes))
	med := make([]float64, len(nodes))
	for i := range nodes {
		hi[i], med[i] = m.estimate(int32(i), hi, med)
	}
	root := len(nodes) - 1
	r, md := hi[root], med[root]
	if !(r > 0) || math.IsInf(r, 0) {
		r = 1
	}
	s := dist.Spec{Range: rangeMargin * r, Breakpoints: m.breaks}
	switch {
	case !m.any() && dist.NewGrid(dist.Spec{Range: s.Range, Step: s.Range, Breakpoints: m.breaks}).Aligned:
		// Without latency evidence only deadlines delay the journey: every
		// curve steps at sums of breakpoints, so their common divisor is
		// an exact cell.
		s.Step = s.Range
	case md > 0:
		s.Step = md / cellsPerMedian
	default:
		s.Step = s.Range / 1024
	}
	return s
}

// estimate returns node i's high quantile and median estimates from its
// children's.
func (m *latModel) estimate(i int32, hi, med []float64) (h, md float64) {
	n := &m.t.nodes[i]
	kh := make([]float64, len(n.kids))
	km := make([]float64, len(n.kids))
	for j, c := range n.kids {
		kh[j], km[j] = hi[c], med[c]
	}
	switch n.op {
	case opLeaf:
		if l := m.laws[n.comp]; l != nil {
			return finite(l.Quantile(leafHigh)), finite(l.Quantile(0.5))
		}
		return 0, 0
	case opSkip:
		return 0, 0
	case opSeries:
		// Spreads above the median add like standard deviations: far less
		// than Σ hi for many steps, still at least the largest spread.
		var sq float64
		for j := range kh {
			d := max(0, kh[j]-km[j])
			sq += d * d
		}
		return sum(km) + math.Sqrt(sq), sum(km)
	case opParallel:
		return slices.Max(kh), slices.Max(km)
	case opCond:
		var mix float64
		for j, p := range m.probs[i] {
			mix += p * km[j]
		}
		return slices.Max(kh), mix
	case opRace:
		d := n.src.(*journey.Race).HedgeAfter
		for j := range kh {
			kh[j] += float64(j) * d
			km[j] += float64(j) * d
		}
		return slices.Max(kh), slices.Min(km)
	case opKofN:
		slices.Sort(km)
		return slices.Max(kh), km[n.k-1]
	case opTimeout:
		tau := n.src.(*journey.Timeout).Timeout
		if len(kh) == 2 {
			return tau + kh[1], min(km[0], tau)
		}
		return tau, min(km[0], tau)
	case opRetry:
		r := n.src.(*journey.Retry)
		return float64(n.k) * (r.PerTryTimeout + r.Backoff), min(km[0], r.PerTryTimeout)
	}
	return 0, 0
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

// mainGrid holds the estimate evaluated on the journey's main grid.
type mainGrid struct {
	spec dist.Spec
	c    *dist.Calc
	set  *leafSet
	est  *pass
	root dist.Sub
}

// solve chooses the main grid: it starts from initialSpec, doubles the
// range while the estimate does not reach q (0: no quantile to reach), and
// refines the cells while the estimate's median (or, when that is 0, its
// q-quantile) has fewer than minCellsPerMedian cells below it and a finer
// grid is allowed. keep returns the estimate curves to keep on a grid of K
// points.
func (m *latModel) solve(q float64, keep func(k int) []bool) mainGrid {
	spec := m.initialSpec()
	var mg mainGrid
	for try := range maxGridTries {
		g := dist.NewGrid(spec)
		mg.spec, mg.c = spec, dist.NewCalc(g)
		mg.set = newLeafSet(m, mg.c)
		mg.est = newPass(mg.set, dist.Estimate, keep(g.K))
		mg.root = mg.est.run()
		if try == maxGridTries-1 || mg.root.Mass <= 0 {
			break
		}
		if _, ok := mg.c.Quantile(mg.root, q); q > 0 && !ok {
			spec.Range *= 2
			mg.est.close()
			continue
		}
		ref := m.reference(mg, q)
		if !m.any() || ref <= 0 || ref/g.Delta >= minCellsPerMedian {
			break
		}
		finer := spec
		finer.Step = ref / cellsPerMedian
		if dist.NewGrid(finer).Delta > 0.9*g.Delta {
			break // the cap on K allows nothing finer
		}
		spec = finer
		mg.est.close()
	}
	return mg
}

// reference returns the quantile whose resolution the grid is tuned for:
// the estimate's median, or its q-quantile when the median is 0.
func (m *latModel) reference(mg mainGrid, q float64) float64 {
	if t, ok := mg.c.Quantile(mg.root, 0.5); ok && t > 0 {
		return t
	}
	if q > 0 {
		if t, ok := mg.c.Quantile(mg.root, q); ok {
			return t
		}
	}
	return 0
}
