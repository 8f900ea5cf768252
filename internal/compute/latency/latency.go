// Package latency composes a journey's latency distribution from its
// leaves' latency laws on uniform grids (package dist) and reads from it
// the late fractions of its Timeout and Retry nodes, which the
// availability interval uses, and the latency objective's quantile as
// three numbers: an estimate, an upper confidence bound and an upper
// bound valid under shared fate (DESIGN §3.3).
//
// Prepare is the entry point: it runs the stages below on a flattened
// tree (package tree) and returns a Model. The availability side (package
// compute) takes the late fractions from Late, asks PerturbLate for them
// again under each availability perturbation, and reads Result once it
// knows the journey's A+ and A−. The stages, in the order a journey goes
// through them:
//
//  1. Model (model.go): each component's latency law and the half-width
//     of its confidence band; which nodes can take time; which Timeout
//     and Retry nodes have a primary that can, so that their late
//     fractions come from the curves.
//  2. Scopes (scope.go): the primary of each such deadline gets a grid
//     of its own that ends at the deadline; everything else is scope 0.
//  3. Grid choice (grid.go): every scope's range and cell from a quick
//     bottom-up estimate of the tree's quantiles; solve then evaluates
//     the estimate and widens or refines scope 0's grid until it holds
//     the objective's quantile with enough cells.
//  4. Passes (pass.go, with shared.go and class.go): one flavour of every
//     node's curve, each node on its scope's grid, in post-order — the
//     estimate, the lower confidence band, the shared-fate band that caps
//     A−'s on-time success, and the class lower and upper bands of the
//     latency upper bound.
//  5. Late fractions (late.go): each timed deadline's primary read at the
//     deadline in the estimate, lower and shared-fate passes; PerturbLate
//     re-evaluates the kept curves under a changed availability.
//  6. Reads (read.go): the three quantiles from the root's curves, the
//     bounds re-read on wider grids while their level lies beyond the
//     grid; latency shares (share.go) re-read the estimate with one
//     component's law scaled.
//  7. Tail bound (tail.go): a second reading of the upper bound that
//     assumes nothing about how failures co-move, kept when it is lower.
package latency

import (
	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/dist"
)

// Options says what Prepare must make possible.
type Options struct {
	// Confidence is the confidence level of the latency bands; a value
	// outside (0, 1) means the default, 0.95.
	Confidence float64
	// Curves asks for Result: the latency quantiles, when the objective's
	// quantile is set and some component has latency evidence.
	Curves bool
	// Shares keeps every estimate curve so that Shares can measure
	// latency shares (with Curves).
	Shares bool
	// Perturb keeps the curves under timed deadlines so that PerturbLate
	// can recompute late fractions.
	Perturb bool
	// Known are late fractions an earlier evaluation of the journey found
	// (matched by LateFraction.Path). Without Curves, when they cover
	// every timed deadline, Prepare takes them and computes no curve.
	Known []LateFraction
}

// Model is the latency side of one evaluation: the main grid with the
// estimate, the lower confidence band and, under timed deadlines, the
// shared-fate band, and the late fractions read from them.
type Model struct {
	m      *timing  // laws, per-node facts and scopes (model.go)
	q      float64  // objective quantile; 0 when none
	curves bool     // Result is available
	mg     mainGrid // the grids and the estimate (grid.go)
	// lower is the lower confidence band's pass and lowerRoot its root.
	lower     *pass
	lowerRoot dist.Sub
	// low is the shared-fate band (shared.go), evaluated only where it
	// decides a late fraction.
	low *pass
	// late lists the late fraction of every timed deadline, in node
	// order, and deadlines the nodes.
	late      []LateFraction
	deadlines []int32
	// shares reports that every estimate curve is kept (latency shares);
	// perturb that the curves under timed deadlines are kept in the three
	// passes (availability perturbations recompute late fractions).
	shares, perturb bool
	// free is the root of the class lower band and upMass the class's
	// availability upper bound, of the latency upper bound (class.go).
	free   dist.Sub
	upMass float64
	// notes are journey-level notes; inexact lists why some numbers are
	// not computed to their stated accuracy.
	notes, inexact []string
}

// keepBudget caps the bytes of curves kept for latency shares and
// availability perturbations, and perturbBudget the work of the
// perturbations (node evaluations summed over the passes, times grid
// points); beyond them shares are skipped and perturbations hold late
// fractions fixed.
const (
	keepBudget    = 128 << 20
	perturbBudget = 4e7
)

// Prepare computes the late fractions of t's Timeout and Retry nodes whose
// primary's latency can be positive (or takes them from o.Known), and,
// when o.Curves is set, q (the latency objective's quantile) is in (0, 1)
// and some component has latency evidence, the curves Result reads. q is
// 0 when the journey has no latency objective; it also sizes the grid on
// which late fractions are read.
func Prepare(t *tree.Tree, q float64, o Options) *Model {
	m := newTiming(t, o.Confidence)
	l := &Model{m: m, q: q}
	curves := o.Curves && q > 0 && m.any()
	if needLate := m.markLate(); !curves && (!needLate || l.takeKnown(o.Known)) {
		return l
	}
	m.assignScopes()
	l.curves = curves
	l.run(o)
	return l
}

// run evaluates the estimate (choosing the main grid) and the lower
// confidence band, the class bands when curves are wanted, and the late
// fractions. It keeps the curves that latency shares and exact
// perturbations need when the budgets allow.
func (l *Model) run(o Options) {
	m := l.m
	t := m.t
	sharesOK := func(k int) bool {
		return l.curves && o.Shares && m.latencyLeaves() <= maxShareLeaves && len(t.Nodes)*k*8 <= keepBudget
	}
	work := 0
	if o.Perturb {
		work = m.perturbWork()
	}
	perturbOK := func(k int) bool {
		return o.Perturb && work*k <= perturbBudget && 3*count(m.inTimed)*k*8 <= keepBudget
	}
	l.mg = m.solve(l.q, func(k int) []bool {
		switch {
		case sharesOK(k):
			return allTrue(len(t.Nodes))
		case perturbOK(k):
			return m.inTimed
		}
		return nil
	})
	k := l.mg.g.points()
	l.inexact = m.unresolved(l.mg)
	var lowerKeep []bool
	l.shares, l.perturb = sharesOK(k), perturbOK(k)
	if l.perturb {
		lowerKeep = m.inTimed
	} else if o.Perturb && work > 0 {
		l.notes = append(l.notes, "contributors hold the late fractions of Timeout and Retry nodes at the journey's values: recomputing them for every perturbation would take too long")
	}
	l.lower = newPass(l.mg.set, dist.Lower, lowerKeep)
	if l.curves {
		l.lowerRoot, l.free = runPair(l.lower, classLowerPass(l.mg.set), m.sameAsLower())
		up := classUpperPass(l.mg.set)
		up.runTimed()
		l.upMass = up.upperMass()
		up.close()
	} else {
		l.lowerRoot = l.lower.run()
	}
	l.low = newSharedPass(l, lowerKeep)
	l.low.runTimed()
	l.readLate()
}

func allTrue(n int) []bool {
	b := make([]bool, n)
	for i := range b {
		b[i] = true
	}
	return b
}

func count(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// Notes returns journey-level notes: that contributors hold late
// fractions fixed, when recomputing them would take too long.
func (l *Model) Notes() []string { return l.notes }

// Inexact lists why some numbers are not computed to their stated
// accuracy (deadlines the latency grid cannot resolve); nil when all are.
func (l *Model) Inexact() []string { return l.inexact }

// Perturbable reports whether PerturbLate can recompute late fractions:
// the curves under timed deadlines were kept.
func (l *Model) Perturbable() bool { return l.perturb }
