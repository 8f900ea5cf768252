package delta

import (
	"math"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

func parse(t *testing.T, expr string) journey.Node {
	t.Helper()
	n, errs := journey.Parse(expr, diag.Pos{})
	if errs.HasErrors() {
		t.Fatal(errs.Err())
	}
	journey.Bind(n, nil)
	return n
}

func base(t *testing.T) *model.Journey {
	j := &model.Journey{Name: "j", Root: parse(t, "Series(a, Cond(0.8; b, c), Race(d, e))"),
		Components: map[string]*model.Component{}, Objective: model.Objective{Availability: 0.99}}
	for n, a := range map[string]float64{"a": 0.999, "b": 0.99, "c": 0.95, "d": 0.98, "e": 0.98} {
		j.Components[n] = &model.Component{Name: n, Availability: model.Availability{Point: a, Lower: a}}
	}
	return j
}

// TestDelta checks each kind of change, its confidence and its effect
// against compute's bounds of the changed journey.
func TestDelta(t *testing.T) {
	b := base(t)
	next := base(t)
	next.Discovered = &model.Discovered{Name: "new", File: "new.yaml", Confidence: 0.7,
		Root:             parse(t, "Series(a, Cond(0.5; b, c), Race(d, e))"),
		NodeConfidence:   map[string]float64{"Series/Cond[1]": 0.93},
		DomainConfidence: map[string]float64{"net": 0.8}}
	next.Components["d"].InferredDomains = []string{"net"}
	next.Components["e"].InferredDomains = []string{"net"}
	d, err := Compute(b, next)
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]Change{}
	for _, c := range d.Changes {
		byKind[c.Kind] = c
	}
	dom, prob := byKind["domain"], byKind["probability"]
	if dom.Subject != "net" || dom.After != "{d, e}" || dom.Confidence != 0.8 {
		t.Errorf("domain change %+v", dom)
	}
	if prob.Before != "0.8, 0.2" || prob.After != "0.5, 0.5" || prob.Confidence != 0.93 {
		t.Errorf("probability change %+v", prob)
	}
	// The domain change alone: d and e share fate, the race gives no gain.
	shared := base(t)
	shared.Components["d"].Domains = []string{"net"}
	shared.Components["e"].Domains = []string{"net"}
	want := func(j *model.Journey) float64 {
		_, p, err := compute.Bounds(j)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if got, w := dom.Effect.Pessimistic, want(shared)-want(b); math.Abs(got-w) > 1e-12 || dom.Impact != "high" {
		t.Errorf("domain effect %g (%s), want %g (high)", got, dom.Impact, w)
	}
	tree := base(t)
	tree.Root = next.Discovered.Root
	if got, w := prob.Effect.Pessimistic, want(tree)-want(b); math.Abs(got-w) > 1e-12 {
		t.Errorf("probability effect %g, want %g", got, w)
	}
	if d.Impact != "high" || len(d.Changes) != 2 {
		t.Errorf("impact %s, %d changes", d.Impact, len(d.Changes))
	}
	if r := Review(d); r == "" {
		t.Error("empty review")
	}
}

// TestNoChange: the same model gives no change and impact none.
func TestNoChange(t *testing.T) {
	d, err := Compute(base(t), base(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Changes) != 0 || d.Impact != "none" {
		t.Errorf("%+v", d)
	}
}
