package compute_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/model"
)

func TestSensitivityCheckoutArtifact(t *testing.T) {
	got, err := compute.Sensitivity(checkout())
	if err != nil {
		t.Fatal(err)
	}
	const aMinus = 0.9995 * 0.999 * 0.999 * 0.995
	share := func(perfect float64) float64 { return (perfect - aMinus) / (1 - aMinus) }
	pay := share(0.9995 * 0.999 * 0.999)
	k8s := share(0.995)
	type want struct {
		name, kind      string
		share, birnbaum float64
	}
	wants := []want{
		{"paya", "component", pay, 0.9995 * 0.999 * 0.999 * 0.005},
		{"payb", "component", pay, 0.9995 * 0.999 * 0.999 * 0.005},
		{"payment-network", "domain", pay, 0},
		{"k8s/cluster", "domain", k8s, 0},
		{"k8s/zone", "domain", k8s, 0},
		{"cart", "component", share(0.9995 * 0.999 * 0.995), 0.9995 * 0.999 * 0.999975},
		{"pricing", "component", share(0.9995 * 0.999 * 0.995), 0.9995 * 0.999 * 0.999975},
		{"front", "component", share(0.999 * 0.999 * 0.995), 0.999 * 0.999 * 0.999975},
	}
	if math.Abs(pay-0.666) > 0.001 {
		t.Fatalf("test constant: payment-network share %v", pay)
	}
	if len(got) != len(wants) {
		t.Fatalf("got %d contributors %+v, want %d", len(got), got, len(wants))
	}
	for i, w := range wants {
		g := got[i]
		if g.Name != w.name || g.Kind != w.kind || math.Abs(g.BudgetShare-w.share) > 1e-9 || math.Abs(g.Birnbaum-w.birnbaum) > 1e-9 {
			t.Errorf("contributor %d = %+v, want %+v", i, g, w)
		}
	}
	if m := got[2].Members; len(m) != 2 || m[0] != "paya" || m[1] != "payb" {
		t.Errorf("payment-network members = %q", m)
	}
}

// TestSensitivityMatchesRecomputation checks the incremental re-evaluation
// against full evaluations of modified journeys.
func TestSensitivityMatchesRecomputation(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 60 {
		j := genJourney(r, genOptions{leaves: 1 + r.IntN(14), pool: 6, domains: 3, intervals: true})
		base, err := compute.Availability(j)
		if err != nil {
			t.Fatal(err)
		}
		got, err := compute.Sensitivity(j)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got {
			var members []string
			if c.Kind == compute.KindComponent {
				members = []string{c.Name}
			} else {
				members = c.Members
			}
			up := evalWith(t, j, members, 1)
			want := 0.0
			if base.Pessimistic < 1 {
				want = (up.Pessimistic - base.Pessimistic) / (1 - base.Pessimistic)
			}
			if math.Abs(c.BudgetShare-want) > 1e-9 {
				t.Errorf("journey %d %s: share %v, recomputed %v", i, c.Name, c.BudgetShare, want)
			}
			if c.Kind == compute.KindComponent {
				down := evalWith(t, j, members, 0)
				if b := up.Optimistic - down.Optimistic; math.Abs(c.Birnbaum-b) > 1e-9 {
					t.Errorf("journey %d %s: Birnbaum %v, recomputed %v", i, c.Name, c.Birnbaum, b)
				}
			}
		}
	}
}

// evalWith evaluates j with the named components' availabilities set to a.
func evalWith(t *testing.T, j *model.Journey, names []string, a float64) compute.AvailabilityResult {
	t.Helper()
	saved := map[string]model.Availability{}
	for _, n := range names {
		saved[n] = j.Components[n].Availability
		j.Components[n].Availability.Point, j.Components[n].Availability.Lower = a, a
	}
	defer func() {
		for n, av := range saved {
			j.Components[n].Availability = av
		}
	}()
	res, err := compute.Availability(j)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestBirnbaumIsDerivative checks I_c = ∂A+/∂a_c for components called at
// most once per request, by a central difference. (Under a Retry a single
// leaf is called several times and A+ is no longer linear in it.)
func TestBirnbaumIsDerivative(t *testing.T) {
	j := journeyOf(
		series(leaf("a"), kofn(2, leaf("b"), leaf("c"), leaf("d")), timeout(ptr(0.1), leaf("e"), leaf("f"))),
		map[string]comp{"a": {a: 0.99}, "b": {a: 0.95}, "c": {a: 0.9}, "d": {a: 0.97}, "e": {a: 0.96}, "f": {a: 0.93}})
	got, err := compute.Sensitivity(j)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got {
		const h = 1e-6
		a := j.Components[c.Name].Availability.Point
		up := evalWith(t, j, []string{c.Name}, a+h).Optimistic
		down := evalWith(t, j, []string{c.Name}, a-h).Optimistic
		if d := (up - down) / (2 * h); math.Abs(d-c.Birnbaum) > 1e-7 {
			t.Errorf("%s: Birnbaum %v, derivative %v", c.Name, c.Birnbaum, d)
		}
	}
	if len(got) != 6 {
		t.Errorf("got %d contributors, want 6", len(got))
	}
}
