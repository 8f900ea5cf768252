package compute

import (
	"fmt"
	"slices"

	"github.com/emac-dev/emac/internal/compute/latency"
	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/model"
)

// evaluator holds a journey's flattened tree with the availability
// interval [A−, A+] of every node and the leaf values and late fractions
// it is computed from.
type evaluator struct {
	t *tree.Tree
	// leafPlus and leafMinus are, per component, the leaf values of A+
	// and A−: the tree's point and lower availabilities, until a
	// perturbation or an Allocator changes them.
	leafPlus, leafMinus []float64
	plus, minus         []float64 // per node: A+ and A−
	late                []late    // per node: Timeout and Retry late fractions
	// notes are journey-level notes: the tree's, then the latency
	// model's.
	notes  []string
	marked []bool // per node: scratch for perturb
	s      scratch
	// lat, when set, holds the kept latency curves perturb re-evaluates to
	// recompute late fractions.
	lat *latency.Model
}

// late is the late fraction of a Timeout or Retry: the share of its
// primary's successes that A+ (plus) and A− (minus) count as late. It is
// the declared timeoutProbability, or 0, unless the primary is timed (it
// has latency evidence or nested deadlines): then it comes from the
// latency curves, and onTimeLow caps the primary's on-time success in A−
// (see onTimeMinus).
type late struct {
	plus, minus float64
	timed       bool
	onTimeLow   float64
}

// prepOpts says what prepare must make possible.
type prepOpts struct {
	curves  bool // the latency result, when j has a latency objective and evidence
	shares  bool // latency shares (keeps every estimate curve)
	perturb bool // exact availability perturbations (keeps curves under deadlines)
}

// prepare builds j's tree, computes the late fractions of its Timeout and
// Retry nodes from their primaries' latency when it can be positive
// (package latency), and evaluates the availability.
func prepare(j *model.Journey, o prepOpts) (*evaluator, *latency.Model, error) {
	t, err := tree.Build(j)
	if err != nil {
		return nil, nil, err
	}
	q, err := objectiveQuantile(j, o.curves)
	if err != nil {
		return nil, nil, err
	}
	lat := latency.Prepare(t, q, latency.Options{Confidence: j.Governance.ConfidenceLevel, Curves: o.curves, Shares: o.shares, Perturb: o.perturb})
	e := newEvaluator(t, lat)
	e.evalAll()
	return e, lat, nil
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

// newEvaluator returns an evaluator of t with the late fractions of lat,
// not yet evaluated.
func newEvaluator(t *tree.Tree, lat *latency.Model) *evaluator {
	e := &evaluator{
		t:         t,
		leafPlus:  slices.Clone(t.Point),
		leafMinus: slices.Clone(t.Lower),
		plus:      make([]float64, len(t.Nodes)),
		minus:     make([]float64, len(t.Nodes)),
		late:      make([]late, len(t.Nodes)),
		notes:     append(slices.Clone(t.Notes), lat.Notes()...),
	}
	for i := range t.Nodes {
		if n := &t.Nodes[i]; n.Op == tree.Timeout || n.Op == tree.Retry {
			e.late[i].plus, e.late[i].minus = n.TimeoutProbability, n.TimeoutProbability
		}
	}
	for _, l := range lat.Late() {
		e.late[l.Node] = late{plus: l.Plus, minus: l.Minus, timed: true, onTimeLow: l.OnTimeLow}
	}
	if lat.Perturbable() {
		e.lat = lat
	}
	return e
}

// rootBounds returns the root's A+ and A−.
func (e *evaluator) rootBounds() (plus, minus float64) {
	root := e.t.Root()
	return e.plus[root], e.minus[root]
}
