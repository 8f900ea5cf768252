package compute

import (
	"fmt"

	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// latency is the latency side of one evaluation: the main grid with the
// estimate, the lower confidence band and, under timed deadlines, the
// shared-fate band.
type latency struct {
	m         *latModel
	q         float64 // objective quantile; 0 when none
	mg        mainGrid
	lower     *pass
	lowerRoot dist.Sub
	// low is the shared-fate band (latshared.go), evaluated only where it
	// decides a late fraction.
	low  *pass
	late []LateFraction
	// shares reports that every estimate curve is kept (latency shares);
	// perturb that the curves under timed deadlines are kept in the three
	// passes (availability perturbations recompute late fractions).
	shares, perturb bool
	// free is the root of the class lower band and upMass the class's
	// availability upper bound, of the latency upper bound (latclass.go).
	free   dist.Sub
	upMass float64
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

// prepOpts says what prepare must make possible.
type prepOpts struct {
	curves  bool // the latency result, when j has a latency objective and evidence
	shares  bool // latency shares (keeps every estimate curve)
	perturb bool // exact availability perturbations (keeps curves under deadlines)
}

// prepare builds j's tree, computes the late fractions of its Timeout and
// Retry nodes from their primaries' latency when it can be positive, and
// evaluates the availability. lat is nil when no curves were computed or
// o.curves is unset or impossible.
func prepare(j *model.Journey, o prepOpts) (t *tree, lat *latency, err error) {
	t, err = build(j)
	if err != nil {
		return nil, nil, err
	}
	q, err := objectiveQuantile(j, o.curves)
	if err != nil {
		return nil, nil, err
	}
	m := newLatModel(t, j.Governance)
	curves := o.curves && q > 0 && m.any()
	if needLate := m.markLate(); !curves && !needLate {
		t.evalAll()
		return t, nil, nil
	}
	m.assignScopes()
	lat = newLatency(m, q, curves, o)
	t.evalAll()
	if lat.perturb {
		t.lat = lat
	}
	if !curves {
		return t, nil, nil
	}
	return t, lat, nil
}

// objectiveQuantile returns j's latency objective quantile, 0 when there
// is none (or, unless it is needed, when it is invalid).
func objectiveQuantile(j *model.Journey, needed bool) (float64, error) {
	obj := j.Objective.Latency
	switch {
	case obj == nil:
		return 0, nil
	case obj.Quantile > 0 && obj.Quantile < 1:
		return obj.Quantile, nil
	case needed:
		return 0, fmt.Errorf("latency objective quantile %v must lie in (0, 1)", obj.Quantile)
	}
	return 0, nil
}

// newLatency evaluates the estimate (choosing the main grid) and the lower
// confidence band, starts the dependence-free bands when curves are
// wanted, and sets the tree's late fractions. It keeps the curves that
// latency shares and exact perturbations need when the budgets allow.
func newLatency(m *latModel, q float64, curves bool, o prepOpts) *latency {
	t := m.t
	l := &latency{m: m, q: q}
	sharesOK := func(k int) bool {
		return curves && o.shares && m.latencyLeaves() <= maxShareLeaves && len(t.nodes)*k*8 <= keepBudget
	}
	work := 0
	if o.perturb {
		work = m.perturbWork()
	}
	perturbOK := func(k int) bool {
		return o.perturb && work*k <= perturbBudget && 3*count(m.inTimed)*k*8 <= keepBudget
	}
	l.mg = m.solve(q, func(k int) []bool {
		switch {
		case sharesOK(k):
			return allTrue(len(t.nodes))
		case perturbOK(k):
			return m.inTimed
		}
		return nil
	})
	k := l.mg.g.points()
	t.inexact = m.unresolved(l.mg)
	var lowerKeep []bool
	l.shares, l.perturb = sharesOK(k), perturbOK(k)
	if l.perturb {
		lowerKeep = m.inTimed
	} else if o.perturb && work > 0 {
		t.notes = append(t.notes, "contributors hold the late fractions of Timeout and Retry nodes at the journey's values: recomputing them for every perturbation would take too long")
	}
	l.lower = newPass(l.mg.set, dist.Lower, lowerKeep)
	if curves {
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
	l.applyLate()
	return l
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

// applyLate sets the late fractions and the on-time caps of every Timeout
// and Retry whose primary is timed, and records them. The passes read
// S_N(τ) with a declared timeoutProbability already applied, so the
// fractions combine both: 1 − (1 − tp)·S_N(τ)/A_N.
func (l *latency) applyLate() {
	t := l.m.t
	for i := range t.nodes {
		n := &t.nodes[i]
		if !n.lateTimed {
			continue
		}
		lf := LateFraction{Path: n.path, Kind: journey.Kind(n.src), DeadlineSeconds: deadlineOf(n)}
		lf.Estimate, lf.Pessimistic, lf.LowerOnTime = l.lateAt(int32(i))
		if n.tpSet {
			d := n.tp
			lf.Declared = &d
		}
		n.latePlus, n.lateMinus, n.onTimeLow = lf.Estimate, lf.Pessimistic, lf.LowerOnTime
		l.late = append(l.late, lf)
	}
}

func deadlineOf(n *node) float64 {
	if to, ok := n.src.(*journey.Timeout); ok {
		return to.Timeout
	}
	return n.src.(*journey.Retry).PerTryTimeout
}

func unitClamp(x float64) float64 { return min(1, max(0, x)) }
