package compute

import (
	"cmp"
	"math"
	"slices"

	"github.com/emac-dev/emac/internal/compute/latency"
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
	e, _, err := prepare(j, prepOpts{perturb: true})
	if err != nil {
		return nil, err
	}
	return e.sensitivity(), nil
}

// sensitivity returns the contributors of the evaluated journey, sorted.
func (e *evaluator) sensitivity() []Contributor {
	if e.lat == nil {
		defer e.holdLate()()
	}
	t := e.t
	_, base := e.rootBounds()
	share := func(perfect float64) float64 {
		if 1-base <= 0 {
			return 0
		}
		return min(1, max(0, (perfect-base)/(1-base)))
	}
	var out []Contributor
	members := make([][]int32, len(t.Domains))
	for c := range t.Components {
		up, upMinus := e.perturb([]int32{int32(c)}, 1, true)
		down, _ := e.perturb([]int32{int32(c)}, 0, false)
		out = append(out, Contributor{
			Name:        t.Components[c].Name,
			Kind:        KindComponent,
			BudgetShare: share(upMinus),
			Birnbaum:    up - down,
		})
		for _, d := range t.ComponentDomains[c] {
			members[d] = append(members[d], int32(c))
		}
	}
	for d, ms := range members {
		if t.Implicit[d] || len(ms) == 0 {
			continue
		}
		_, upMinus := e.perturb(ms, 1, true)
		names := make([]string, len(ms))
		for i, c := range ms {
			names[i] = t.Components[c].Name
		}
		slices.Sort(names)
		out = append(out, Contributor{Name: t.Domains[d], Kind: KindDomain, BudgetShare: share(upMinus), Members: names})
	}
	slices.SortStableFunc(out, func(a, b Contributor) int {
		return cmp.Or(cmp.Compare(b.BudgetShare, a.BudgetShare), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind))
	})
	return out
}

// perturb sets the point and lower availability of comps to a, re-evaluates
// the ancestors of their leaves, returns the root's A+ and A−, and restores
// the leaf values. Unless withMinus is set only A+ is meaningful: the late
// fractions A− alone uses are not recomputed.
func (e *evaluator) perturb(comps []int32, a float64, withMinus bool) (plus, minus float64) {
	t := e.t
	if len(e.marked) != len(t.Nodes) {
		e.marked = make([]bool, len(t.Nodes))
	}
	var dirty []int32
	for _, c := range comps {
		for _, leaf := range t.Leaves[c] {
			for i := leaf; i >= 0 && !e.marked[i]; i = t.Nodes[i].Parent {
				e.marked[i] = true
				dirty = append(dirty, i)
			}
		}
	}
	for _, i := range dirty {
		e.marked[i] = false
	}
	slices.Sort(dirty) // post-order: children first
	savedComp := make([][2]float64, len(comps))
	for k, c := range comps {
		savedComp[k] = [2]float64{e.leafPlus[c], e.leafMinus[c]}
		e.leafPlus[c], e.leafMinus[c] = a, a
	}
	if e.lat != nil {
		changed, restoreCurves := e.lat.PerturbLate(comps, a, dirty, withMinus)
		defer restoreCurves()
		defer e.setLate(changed, withMinus)()
	}
	savedNode := make([][2]float64, len(dirty))
	for k, i := range dirty {
		savedNode[k] = [2]float64{e.plus[i], e.minus[i]}
		v := e.evalNode(i)
		e.plus[i], e.minus[i] = v.plus, v.minus
	}
	plus, minus = e.rootBounds()
	for k, i := range dirty {
		e.plus[i], e.minus[i] = savedNode[k][0], savedNode[k][1]
	}
	for k, c := range comps {
		e.leafPlus[c], e.leafMinus[c] = savedComp[k][0], savedComp[k][1]
	}
	return plus, minus
}

// setLate sets the late fractions a perturbation recomputed (PerturbLate),
// only their Plus unless withMinus is set, and returns the function that
// restores the previous ones.
func (e *evaluator) setLate(changed []latency.Late, withMinus bool) (restore func()) {
	saved := make([]late, len(changed))
	for k, lt := range changed {
		l := &e.late[lt.Node]
		saved[k] = *l
		l.plus = lt.Plus
		if withMinus {
			l.minus, l.onTimeLow = lt.Minus, lt.OnTimeLow
		}
	}
	return func() {
		for k, lt := range changed {
			e.late[lt.Node] = saved[k]
		}
	}
}

// holdLate prepares perturbations that cannot recompute late fractions
// (no kept curves): it folds the on-time cap S↓_N(τ) of every timed
// Timeout and Retry into its pessimistic late fraction at the journey's
// values, tp− := 1 − S−_N(τ)/A−_N, and lifts the cap, so that A− is
// unchanged at the journey's values and a perturbation scales S−_N(τ)
// with the primary's A− rather than holding it. It returns the function
// that undoes it.
func (e *evaluator) holdLate() (restore func()) {
	type held struct {
		i         int32
		late, low float64
	}
	var saved []held
	for i := range e.t.Nodes {
		l := &e.late[i]
		if !l.timed {
			continue
		}
		saved = append(saved, held{int32(i), l.minus, l.onTimeLow})
		if a := e.minus[e.t.Nodes[i].Children[0]]; a > 0 {
			l.minus = min(1, max(0, 1-l.onTimeMinus(a)/a))
		}
		l.onTimeLow = math.Inf(1)
	}
	return func() {
		for _, h := range saved {
			l := &e.late[h.i]
			l.minus, l.onTimeLow = h.late, h.low
		}
	}
}
