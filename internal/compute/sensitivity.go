package compute

import (
	"cmp"
	"math"
	"slices"

	"github.com/emac-dev/emac/internal/model"
)

// Contributor kinds.
const (
	KindComponent = "component"
	KindDomain    = "domain"
)

// Contributor is a component or a failure domain with its weight in the
// journey's error budget (DESIGN §3.4).
type Contributor struct {
	// Name is the component or domain name.
	Name string `json:"name"`
	// Kind is KindComponent or KindDomain.
	Kind string `json:"kind"`
	// BudgetShare is (A−(x perfect) − A−)/(1 − A−): the fraction of the
	// pessimistic error budget burn that disappears when x never fails (0
	// when A− = 1). Shares of overlapping contributors need not add up to 1.
	BudgetShare float64 `json:"budgetShare"`
	// Birnbaum is, for a component, the structural Birnbaum importance
	// A+(a_c = 1) − A+(a_c = 0); it equals ∂A+/∂a_c when the component is
	// called at most once per request (one leaf, not under a Retry, where
	// A+ is polynomial in a_c); 0 for a domain.
	Birnbaum float64 `json:"birnbaum,omitempty"`
	// Members are, for a domain, its member components, sorted.
	Members []string `json:"members,omitempty"`
	// LatencyShare is, for a component with latency evidence in a journey
	// with a latency objective, the elasticity of the journey's estimate
	// quantile to the component's latency: (Δq_J/q_J)/0.10 when the
	// component's latency law is scaled by 1.1. Nil otherwise, and for
	// journeys too large to compute it (see Evaluate).
	LatencyShare *float64 `json:"latencyShare,omitempty"`
}

// Sensitivity returns every component referenced by j's tree and every
// declared or inferred failure domain of those components (implicit
// per-component domains are not listed) with its budget share and, for
// components, its Birnbaum importance; sorted by budget share, descending,
// then name and kind. A component is made perfect by setting its point and
// lower availability to 1, a domain by making all its members perfect.
//
// Only the ancestors of the changed leaves are re-evaluated, so the cost is
// at most quadratic in the tree size. Late fractions of Timeout and Retry
// nodes that come from latency curves are recomputed for every
// perturbation from the kept curves of their primaries (availabilities
// shift the weight between fast and slow paths), unless that would exceed
// a work budget: then they are held at the journey's values, and
// Evaluate's availability assumptions say so.
func Sensitivity(j *model.Journey) ([]Contributor, error) {
	t, _, err := prepare(j, prepOpts{perturb: true})
	if err != nil {
		return nil, err
	}
	return t.sensitivity(), nil
}

// sensitivity returns the contributors of the evaluated tree t, sorted.
func (t *tree) sensitivity() []Contributor {
	if t.lat == nil {
		defer t.holdLate()()
	}
	base := t.minus[len(t.nodes)-1]
	share := func(perfect float64) float64 {
		if 1-base <= 0 {
			return 0
		}
		return min(1, max(0, (perfect-base)/(1-base)))
	}
	var out []Contributor
	members := make([][]int32, len(t.domains))
	for c := range t.comps {
		up, upMinus := t.perturb([]int32{int32(c)}, 1, true)
		down, _ := t.perturb([]int32{int32(c)}, 0, false)
		out = append(out, Contributor{
			Name:        t.comps[c].Name,
			Kind:        KindComponent,
			BudgetShare: share(upMinus),
			Birnbaum:    up - down,
		})
		for _, d := range t.compDoms[c] {
			members[d] = append(members[d], int32(c))
		}
	}
	for d, ms := range members {
		if t.implicit[d] || len(ms) == 0 {
			continue
		}
		_, upMinus := t.perturb(ms, 1, true)
		names := make([]string, len(ms))
		for i, c := range ms {
			names[i] = t.comps[c].Name
		}
		slices.Sort(names)
		out = append(out, Contributor{Name: t.domains[d], Kind: KindDomain, BudgetShare: share(upMinus), Members: names})
	}
	slices.SortStableFunc(out, func(a, b Contributor) int {
		return cmp.Or(cmp.Compare(b.BudgetShare, a.BudgetShare), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind))
	})
	return out
}

// perturb sets the point and lower availability of comps to a, re-evaluates
// the ancestors of their leaves, returns the root's A+ and A−, and restores
// the tree. Unless withMinus is set only A+ is meaningful: the late
// fractions A− alone uses are not recomputed.
func (t *tree) perturb(comps []int32, a float64, withMinus bool) (plus, minus float64) {
	if len(t.marked) != len(t.nodes) {
		t.marked = make([]bool, len(t.nodes))
	}
	var dirty []int32
	for _, c := range comps {
		for _, leaf := range t.occ[c] {
			for i := leaf; i >= 0 && !t.marked[i]; i = t.nodes[i].parent {
				t.marked[i] = true
				dirty = append(dirty, i)
			}
		}
	}
	for _, i := range dirty {
		t.marked[i] = false
	}
	slices.Sort(dirty) // post-order: children first
	savedComp := make([][2]float64, len(comps))
	for k, c := range comps {
		savedComp[k] = [2]float64{t.point[c], t.lower[c]}
		t.point[c], t.lower[c] = a, a
	}
	if t.lat != nil {
		defer t.lat.perturbLate(comps, dirty, withMinus)()
	}
	savedNode := make([][2]float64, len(dirty))
	for k, i := range dirty {
		savedNode[k] = [2]float64{t.plus[i], t.minus[i]}
		v := t.evalNode(i)
		t.plus[i], t.minus[i] = v.plus, v.minus
	}
	root := len(t.nodes) - 1
	plus, minus = t.plus[root], t.minus[root]
	for k, i := range dirty {
		t.plus[i], t.minus[i] = savedNode[k][0], savedNode[k][1]
	}
	for k, c := range comps {
		t.point[c], t.lower[c] = savedComp[k][0], savedComp[k][1]
	}
	return plus, minus
}

// holdLate prepares perturbations that cannot recompute late fractions
// (no kept curves): it folds the on-time cap S↓_N(τ) of every timed
// Timeout and Retry into its pessimistic late fraction at the journey's
// values, tp− := 1 − S−_N(τ)/A−_N, and lifts the cap, so that A− is
// unchanged at the journey's values and a perturbation scales S−_N(τ)
// with the primary's A− rather than holding it. It returns the function
// that undoes it.
func (t *tree) holdLate() (restore func()) {
	type held struct {
		i         int32
		late, low float64
	}
	var saved []held
	for i := range t.nodes {
		n := &t.nodes[i]
		if !n.lateTimed {
			continue
		}
		saved = append(saved, held{int32(i), n.lateMinus, n.onTimeLow})
		if a := t.minus[n.kids[0]]; a > 0 {
			n.lateMinus = unitClamp(1 - onTimeMinus(n, a)/a)
		}
		n.onTimeLow = math.Inf(1)
	}
	return func() {
		for _, h := range saved {
			n := &t.nodes[h.i]
			n.lateMinus, n.onTimeLow = h.late, h.low
		}
	}
}
