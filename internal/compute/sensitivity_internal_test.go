package compute

import (
	"math"
	"testing"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
)

// TestHoldLate: when perturbations cannot recompute late fractions,
// holdLate folds the on-time caps into the late fractions without changing
// A− at the journey's values, and a perturbation outside every timed
// primary gives what the exact perturbation gives.
func TestHoldLate(t *testing.T) {
	fast := law.Exponential{Mean: 0.005}
	j := &model.Journey{Name: "hold", Components: map[string]*model.Component{
		"a": {Name: "a", Availability: model.Availability{Point: 0.99, Lower: 0.98}, Latency: fast},
		"b": {Name: "b", Availability: model.Availability{Point: 1, Lower: 1}, Latency: fast},
		"c": {Name: "c", Availability: model.Availability{Point: 0.995, Lower: 0.99}},
	}}
	j.Root = &journey.Series{Steps: []journey.Node{
		&journey.Leaf{Name: "c"},
		&journey.Retry{Attempts: 1, PerTryTimeout: 0.1, Target: &journey.Timeout{Timeout: 0.2,
			Primary: &journey.Leaf{Name: "a"}, Fallback: &journey.Leaf{Name: "b"}}},
	}}
	tr, _, err := prepare(j, prepOpts{perturb: true})
	if err != nil {
		t.Fatal(err)
	}
	if tr.lat == nil {
		t.Fatal("the perturbation curves were not kept")
	}
	root := tr.t.Root()
	base := tr.minus[root]
	c := tr.t.ComponentIndex["c"]
	_, exact := tr.perturb([]int32{c}, 1, true)
	tr.lat = nil
	restore := tr.holdLate()
	tr.evalAll()
	if math.Abs(tr.minus[root]-base) > 1e-15 {
		t.Errorf("A− with held late fractions %v, want %v", tr.minus[root], base)
	}
	if _, held := tr.perturb([]int32{c}, 1, true); math.Abs(held-exact) > 1e-15 {
		t.Errorf("A− with c perfect: held %v, exact %v", held, exact)
	}
	restore()
	tr.evalAll()
	if tr.minus[root] != base {
		t.Errorf("A− after restoring %v, want %v", tr.minus[root], base)
	}
}
