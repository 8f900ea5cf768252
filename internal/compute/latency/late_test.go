package latency_test

import (
	"reflect"
	"testing"

	"github.com/emac-dev/emac/internal/compute/latency"
	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
)

// nestedDeadlines is Retry(1, 100ms; Timeout(200ms; a, b)) with
// exponential latencies: both deadlines are timed.
func nestedDeadlines(t *testing.T) *tree.Tree {
	t.Helper()
	fast := law.Exponential{Mean: 0.05}
	j := &model.Journey{Name: "nested", Components: map[string]*model.Component{
		"a": {Name: "a", Availability: model.Availability{Point: 0.99, Lower: 0.98}, Latency: fast},
		"b": {Name: "b", Availability: model.Availability{Point: 0.995, Lower: 0.99}, Latency: fast},
	}}
	j.Root = &journey.Retry{Attempts: 1, PerTryTimeout: 0.1, Target: &journey.Timeout{Timeout: 0.2,
		Primary: &journey.Leaf{Name: "a"}, Fallback: &journey.Leaf{Name: "b"}}}
	tr, err := tree.Build(j)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestPrepareKnown: late fractions given in Options.Known that cover every
// timed deadline are taken as they are; when they do not, Prepare computes
// them all.
func TestPrepareKnown(t *testing.T) {
	tr := nestedDeadlines(t)
	full := latency.Prepare(tr, 0, latency.Options{})
	late := full.LateFractions()
	if len(late) != 2 || len(full.Late()) != 2 {
		t.Fatalf("late fractions %+v, want the Timeout's and the Retry's", late)
	}
	if full.Result(1, 1) != nil {
		t.Error("Result without Options.Curves is not nil")
	}
	given := append([]latency.LateFraction(nil), late...)
	given[0].Estimate, given[0].Pessimistic, given[0].LowerOnTime = 0.25, 0.5, 0.125
	known := latency.Prepare(tr, 0, latency.Options{Known: given})
	want := full.Late()
	want[0].Plus, want[0].Minus, want[0].OnTimeLow = 0.25, 0.5, 0.125
	if got := known.Late(); !reflect.DeepEqual(got, want) {
		t.Errorf("with every late fraction known: %+v, want %+v", got, want)
	}
	partial := latency.Prepare(tr, 0, latency.Options{Known: given[:1]})
	if got := partial.Late(); !reflect.DeepEqual(got, full.Late()) {
		t.Errorf("with one late fraction known: %+v, want the computed %+v", got, full.Late())
	}
}
