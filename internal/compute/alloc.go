package compute

import (
	"github.com/emac-dev/emac/internal/compute/latency"
	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/model"
)

// Allocator evaluates a journey's A− again and again at other leaf
// availabilities, for searches such as the OpenSLO allocation, from one
// flattened tree: each evaluation is one pass over the tree's nodes, no
// latency curve is rebuilt. The late fractions of its Timeout and Retry
// nodes are held at the journey's values (holdLate: the on-time cap is
// folded into the pessimistic late fraction, so S−_N(τ) scales with the
// primary's A−); a search should verify its result with Bounds, which
// recomputes them.
type Allocator struct {
	e     *evaluator
	names []string
	held  bool
}

// NewAllocator prepares j's tree, with its late fractions, for
// Pessimistic. late are the late fractions an evaluation of j found
// (LatencyResult.Late, or AvailabilityWithLate's); when they do not cover
// every timed node (nil, say), they are computed here, which builds the
// latency curves.
func NewAllocator(j *model.Journey, late []LateFraction) (*Allocator, error) {
	t, err := tree.Build(j)
	if err != nil {
		return nil, err
	}
	q, err := objectiveQuantile(j, false)
	if err != nil {
		return nil, err
	}
	lat := latency.Prepare(t, q, latency.Options{Confidence: j.Governance.ConfidenceLevel, Known: late})
	e := newEvaluator(t, lat)
	e.evalAll()
	e.holdLate()
	names := make([]string, len(t.Components))
	for name, i := range t.ComponentIndex {
		names[i] = name
	}
	return &Allocator{e: e, names: names, held: len(lat.Late()) > 0}, nil
}

// Held reports whether some late fraction is held: without, Pessimistic
// is Bounds' A− exactly.
func (a *Allocator) Held() bool { return a.held }

// Components lists the components of the journey's tree, in the order
// Pessimistic takes their availabilities.
func (a *Allocator) Components() []string { return a.names }

// Pessimistic returns A− with component i's point and lower availability
// both set to avail[i] (avail in the order of Components), the late
// fractions held.
func (a *Allocator) Pessimistic(avail []float64) float64 {
	e := a.e
	for c := range e.t.Components {
		e.leafPlus[c], e.leafMinus[c] = avail[c], avail[c]
	}
	e.evalAll()
	_, minus := e.rootBounds()
	return minus
}
