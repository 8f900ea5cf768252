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
}

// NewAllocator prepares j's tree, with its late fractions, for
// Pessimistic.
func NewAllocator(j *model.Journey) (*Allocator, error) {
	t, _, err := prepare(j, prepOpts{})
	if err != nil {
		return nil, err
	}
	t.holdLate()
	names := make([]string, len(t.comps))
	for name, i := range t.compIdx {
		names[i] = name
	}
	return &Allocator{t: t, names: names}, nil
}

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
