package compute

import "github.com/emac-dev/emac/internal/model"

// Allocator evaluates a journey's A− again and again at other leaf
// availabilities, for searches such as the OpenSLO allocation, from one
// flattened tree: each evaluation is one pass over the tree's nodes, no
// latency curve is rebuilt. The late fractions of its Timeout and Retry
// nodes are held at the journey's values (holdLate: the on-time cap is
// folded into the pessimistic late fraction, so S−_N(τ) scales with the
// primary's A−); a search should verify its result with Bounds, which
// recomputes them.
type Allocator struct {
	t     *tree
	names []string
	held  bool
}

// NewAllocator prepares j's tree, with its late fractions, for
// Pessimistic. late are the late fractions an evaluation of j found
// (LatencyResult.Late, or AvailabilityWithLate's); when they do not cover
// every timed node (nil, say), they are computed here, which builds the
// latency curves.
func NewAllocator(j *model.Journey, late []LateFraction) (*Allocator, error) {
	t, err := build(j)
	if err != nil {
		return nil, err
	}
	if newLatModel(t, j.Governance).markLate() && !t.setLate(late) {
		if t, _, err = prepare(j, prepOpts{}); err != nil {
			return nil, err
		}
	}
	t.evalAll()
	t.holdLate()
	names := make([]string, len(t.comps))
	for name, i := range t.compIdx {
		names[i] = name
	}
	held := false
	for i := range t.nodes {
		held = held || t.nodes[i].lateTimed
	}
	return &Allocator{t: t, names: names, held: held}, nil
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
	t := a.t
	for c := range t.comps {
		t.point[c], t.lower[c] = avail[c], avail[c]
	}
	t.evalAll()
	return t.minus[len(t.nodes)-1]
}

// setLate sets the late fractions of t's timed nodes from late, by path;
// false when some timed node has none.
func (t *tree) setLate(late []LateFraction) bool {
	byPath := map[string]LateFraction{}
	for _, lf := range late {
		byPath[lf.Path] = lf
	}
	for i := range t.nodes {
		n := &t.nodes[i]
		if !n.lateTimed {
			continue
		}
		lf, ok := byPath[n.path]
		if !ok {
			return false
		}
		n.latePlus, n.lateMinus, n.onTimeLow = lf.Estimate, lf.Pessimistic, lf.LowerOnTime
	}
	return true
}
