package prom

import (
	"errors"
	"fmt"
	"slices"

	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/gen/promql"
	"github.com/emac-dev/emac/internal/journey"
)

// MaxIntervalCond is the most branches of a Cond with interval
// probabilities whose probability vertices are enumerated; a larger Cond
// (or one mixing intervals and live parameters) takes the dual form
// (condDual), whose length grows with the square of its branches instead
// of their factorial.
const MaxIntervalCond = 6

// builder turns the operator tree into PromQL over the leaf rules.
type builder struct {
	in     Input
	leaves []Leaf          // components with telemetry, in first-use order
	tele   map[string]bool // component → has telemetry
	params []string        // live parameters, sorted
	groups map[string][]compute.FateGroup
	minus  map[string]float64 // path → the compiler's A−
	late   map[string]compute.LateFraction
	w      string // window being built
	// fixed, when not nil, holds a constant ratio for every leaf with
	// telemetry (and makes live parameters their offline values): the
	// expressions then fold to the numbers Prometheus computes for series
	// with those ratios (see fold).
	fixed map[string]float64
	// fixedQ, when not nil, gives every leaf histogram's quantile: the
	// latency bound then folds to a number (see latency.go).
	fixedQ func(leaf string, phi float64) float64
	// splits memoizes the evidence-chosen ε splits (split.go).
	splits map[splitKey][]float64
	// offlineDepth > 0 while offline bounds are computed (split.go).
	offlineDepth int
	// paths maps the AST of every node's value in the window being built
	// to the node's path (cut.go names intermediate rules by it).
	paths map[parser.Expr]string
	// notes are the places where the live pessimistic SLI is a sound
	// lower bound below the compiler's A−, by path.
	notes map[string]string
	// nodePath is every node's path.
	nodePath map[journey.Node]string
	// sels indexes the leaves' query selectors (synth.go), built on
	// first use.
	sels *selectorIndex
	// tileableLeaf caches tileable (tile.go) by leaf.
	tileableLeaf map[string]bool
}

// selectors returns the index of the leaves' query selectors.
func (b *builder) selectors() *selectorIndex {
	if b.sels == nil {
		b.sels = newSelectorIndex(b.leaves)
	}
	return b.sels
}

func newBuilder(in Input) (*builder, error) {
	j := in.Journey
	b := &builder{in: in, tele: map[string]bool{},
		groups: map[string][]compute.FateGroup{}, late: map[string]compute.LateFraction{},
		minus: map[string]float64{}, paths: map[parser.Expr]string{}, notes: map[string]string{}}
	byName := map[string]Leaf{}
	for _, l := range in.Leaves {
		if _, dup := byName[l.Name]; dup {
			return nil, fmt.Errorf("component %q has telemetry twice", l.Name)
		}
		byName[l.Name] = l
	}
	for _, name := range journey.Leaves(j.Root) {
		if l, ok := byName[name]; ok {
			b.leaves = append(b.leaves, l)
			b.tele[name] = true
		} else if j.Components[name] == nil {
			return nil, fmt.Errorf("unknown component %q", name)
		}
	}
	if len(b.leaves) == 0 {
		return nil, errors.New("no component of the journey has telemetry: nothing to compute live")
	}
	for _, s := range in.Availability.Trace {
		b.minus[s.Path] = s.Pessimistic
		if len(s.FateGroups) > 0 {
			b.groups[s.Path] = s.FateGroups
		}
	}
	for _, l := range in.Late {
		b.late[l.Path] = l
	}
	b.nodePath = map[journey.Node]string{}
	var walk func(n journey.Node, path string)
	walk = func(n journey.Node, path string) {
		if _, ok := b.nodePath[n]; !ok {
			b.nodePath[n] = path
		}
		for i, c := range n.Children() {
			walk(c, journey.ChildPath(path, c, i))
		}
	}
	walk(j.Root, journey.Label(j.Root))
	seen := map[string]bool{}
	journey.Walk(j.Root, func(n journey.Node) bool {
		if c, ok := n.(*journey.Cond); ok {
			for _, p := range c.Probs {
				if b.live(p) && !seen[p.Param] {
					seen[p.Param] = true
					b.params = append(b.params, p.Param)
				}
			}
		}
		return true
	})
	slices.Sort(b.params)
	return b, nil
}

// live reports whether p follows a parameter's live query.
func (b *builder) live(p journey.Prob) bool {
	return p.Param != "" && !p.Implicit && b.in.Journey.Params[p.Param].Query != ""
}

// journey returns the optimistic and pessimistic SLI expressions of
// window w and the intermediate rules they read (cut.go).
func (b *builder) journey(w string) (opt, pess string, inter []rulefmt.Rule, err error) {
	b.w = w
	b.paths = map[parser.Expr]string{}
	root := b.in.Journey.Root
	o, p, err := b.node(root, journey.Label(root))
	if err != nil {
		return "", "", nil, err
	}
	// A bound can fold to a number although the leaves are live (A− is 0
	// when a held late fraction exceeds what the primary can deliver): the
	// record is then that constant as a vector.
	o, p = constVector(o), constVector(p)
	c := newCutter(b.in.Journey.Name, w, b.paths, b.in.SplitBytes)
	oe, pe := c.count(o.e), c.count(p.e)
	oe = c.run(oe, forOptimistic)
	pe = c.run(pe, forPessimistic)
	if inter, err = c.rules(); err != nil {
		return "", "", nil, err
	}
	if opt, err = reparse(oe); err != nil {
		return "", "", nil, err
	}
	pess, err = reparse(pe)
	return opt, pess, inter, err
}

// constVector returns v, a constant as vector(c).
func constVector(v val) val {
	if v.isConst() {
		return vec(promql.Call("vector", promql.Num(v.c)))
	}
	return v
}

// reparse is promql.Reparse with the length limit of every emitted
// expression.
func reparse(e parser.Expr) (string, error) {
	s, err := promql.Reparse(e)
	if err == nil && len(s) > MaxExprBytes {
		err = fmt.Errorf("an expression of %d bytes could not be split below %d", len(s), MaxExprBytes)
	}
	return s, err
}

// fold returns the optimistic and pessimistic SLIs the rules compute when
// every leaf with telemetry has the ratio ratios[name] and every live
// parameter its offline value (as in the unit tests, which synthesise no
// parameter series).
func (b *builder) fold(ratios map[string]float64) (opt, pess float64, err error) {
	b.fixed = ratios
	defer func() { b.fixed = nil }()
	root := b.in.Journey.Root
	o, p, err := b.node(root, journey.Label(root))
	if err != nil {
		return 0, 0, err
	}
	if !o.isConst() || !p.isConst() {
		return 0, 0, errors.New("the journey SLI did not fold to a number")
	}
	return o.c, p.c, nil
}

// node returns the optimistic and pessimistic values of n, at path (as in
// compute.Step.Path), and notes the path of their expressions.
func (b *builder) node(n journey.Node, path string) (opt, pess val, err error) {
	opt, pess, err = b.value(n, path)
	if err == nil && b.fixed == nil {
		for _, v := range []val{opt, pess} {
			if _, seen := b.paths[v.e]; v.e != nil && !seen {
				b.paths[v.e] = path
			}
		}
	}
	return opt, pess, err
}

// value computes node n's values from its children's.
func (b *builder) value(n journey.Node, path string) (opt, pess val, err error) {
	kids := n.Children()
	po := make([]val, len(kids))
	pm := make([]val, len(kids))
	for i, c := range kids {
		po[i], pm[i], err = b.node(c, journey.ChildPath(path, c, i))
		if err != nil {
			return val{}, val{}, err
		}
	}
	switch n := n.(type) {
	case *journey.Leaf:
		return b.leaf(n.Name)
	case *journey.Skip:
		return constant(1), constant(1), nil
	case *journey.Series, *journey.Parallel:
		return product(po), product(pm), nil
	case *journey.Cond:
		return b.cond(n, po, pm)
	case *journey.Race:
		groups, err := b.fateGroups(path, len(kids))
		if err != nil {
			return val{}, val{}, err
		}
		return anyOf(po), raceShared(pm, groups), nil
	case *journey.KofN:
		return b.kofN(n, path, po, pm)
	case *journey.Timeout:
		return b.timeout(n, path, po, pm)
	case *journey.Retry:
		return b.retry(n, path, po[0], pm[0])
	}
	return val{}, val{}, fmt.Errorf("%s: unsupported operator", path)
}

// leaf returns the leaf rule of component name with its component label
// aggregated away, or its offline availability when it has no telemetry.
func (b *builder) leaf(name string) (opt, pess val, err error) {
	if b.tele[name] && b.fixed != nil {
		r, ok := b.fixed[name]
		if !ok {
			return val{}, val{}, fmt.Errorf("no ratio for component %q", name)
		}
		return constant(r), constant(r), nil
	}
	if b.tele[name] {
		ref := vec(without(parser.SUM, "component",
			selector(LeafRecord(b.w), "journey", b.in.Journey.Name, "component", name)))
		return ref, ref, nil
	}
	a := b.in.Journey.Components[name].Availability
	return constant(a.Point), constant(min(a.Lower, a.Point)), nil
}

// anyOf is 1 − ∏(1 − a_i): at least one of independent events.
func anyOf(vs []val) val {
	qs := make([]val, len(vs))
	for i, v := range vs {
		qs[i] = complement(v)
	}
	return complement(product(qs))
}

// raceShared is A− of a Race: 1 − ∏_g (1 − max_{i∈g} a_i). It never
// exceeds the independent value 1 − ∏_i (1 − a_i), so it is
// min(shared, independent) without computing both.
func raceShared(m []val, groups []compute.FateGroup) val {
	qs := make([]val, len(groups))
	for gi, g := range groups {
		qs[gi] = complement(groupMax(m, g))
	}
	return complement(product(qs))
}

func groupMax(m []val, g compute.FateGroup) val {
	vs := make([]val, len(g.Children))
	for i, c := range g.Children {
		vs[i] = m[c]
	}
	return extremum(parser.MAX, vs)
}

// fateGroups returns the fate groups the trace records for the redundancy
// operator at path with n children.
func (b *builder) fateGroups(path string, n int) ([]compute.FateGroup, error) {
	gs, ok := b.groups[path]
	if !ok {
		return nil, fmt.Errorf("%s: the availability trace records no fate groups", path)
	}
	seen := 0
	for _, g := range gs {
		for _, c := range g.Children {
			if c < 0 || c >= n {
				return nil, fmt.Errorf("%s: fate group member %d out of range", path, c)
			}
			seen++
		}
	}
	if seen != n {
		return nil, fmt.Errorf("%s: fate groups cover %d of %d children", path, seen, n)
	}
	return gs, nil
}

func multi(gs []compute.FateGroup) bool {
	for _, g := range gs {
		if len(g.Children) > 1 {
			return true
		}
	}
	return false
}

// lateFractions returns the late fractions A+ and A− use at the Timeout
// or Retry at path whose primary is n.
//
// The compiler's A− takes S−_N(τ) = min(A−_N·(1 − Pessimistic),
// LowerOnTime), where LowerOnTime is an absolute probability derived from
// the offline availabilities. A constant cap would make the live SLI blind
// to any degradation of the primary until it falls below the cap, so the
// cap is applied as a fraction of the primary's offline A−: the late
// fraction becomes max(Pessimistic, 1 − LowerOnTime/A−_N). At the
// compiled availabilities both forms agree.
func (b *builder) lateFractions(path string, n journey.Node, tp *float64) (plus, minus float64) {
	if l, ok := b.late[path]; ok {
		minus = l.Pessimistic
		if a := b.minus[journey.ChildPath(path, n, 0)]; a > 0 {
			minus = max(minus, min(1, 1-l.LowerOnTime/a))
		}
		return l.Estimate, minus
	}
	if tp != nil {
		return *tp, *tp
	}
	return 0, 0
}

// timeout: S = A_N·(1 − late); with a fallback 1 − (1 − S)(1 − A_M)
// (= S + (1 − S)·A_M); in A−, a fallback sharing the primary's fate counts
// only as max(S, A_M), which never exceeds the independent value.
func (b *builder) timeout(n *journey.Timeout, path string, po, pm []val) (opt, pess val, err error) {
	lp, lm := b.lateFractions(path, n.Primary, n.TimeoutProbability)
	sp, sm := mul(po[0], constant(1-lp)), mul(pm[0], constant(1-lm))
	if n.Fallback == nil {
		return sp, sm, nil
	}
	gs, err := b.fateGroups(path, 2)
	if err != nil {
		return val{}, val{}, err
	}
	opt = complement(mul(complement(sp), complement(po[1])))
	if multi(gs) {
		return opt, extremum(parser.MAX, []val{sm, pm[1]}), nil
	}
	return opt, complement(mul(complement(sm), complement(pm[1]))), nil
}

// retry: 1 − (1 − S)^n; A− counts a single attempt (every attempt runs the
// same components), which never exceeds the independent value.
func (b *builder) retry(n *journey.Retry, path string, po, pm val) (opt, pess val, err error) {
	lp, lm := b.lateFractions(path, n.Target, n.TimeoutProbability)
	sp, sm := mul(po, constant(1-lp)), mul(pm, constant(1-lm))
	if n.Attempts < 1 {
		return val{}, val{}, fmt.Errorf("%s: attempts = %d", path, n.Attempts)
	}
	return complement(pow(complement(sp), n.Attempts)), sm, nil
}

// kofN is the Poisson-binomial tail; A− with shared fate groups follows
// compute.evalKofN (eval.go, with package compute/kofn).
func (b *builder) kofN(n *journey.KofN, path string, po, pm []val) (opt, pess val, err error) {
	if n.K < 1 || n.K > len(po) {
		return val{}, val{}, fmt.Errorf("%s: k = %d out of range", path, n.K)
	}
	gs, err := b.fateGroups(path, len(po))
	if err != nil {
		return val{}, val{}, err
	}
	switch {
	case !multi(gs):
		return tail(po, n.K), tail(pm, n.K), nil
	case n.K == 1: // a Race: the best member of each group
		return tail(po, n.K), raceShared(pm, gs), nil
	case n.K == len(po): // a Series: positive dependence cannot hurt
		return tail(po, n.K), product(pm), nil
	}
	pess, err = b.kofNShared(n, path, pm, gs)
	return tail(po, n.K), pess, err
}

// tail is P(at least k of the independent events a succeed): for
// 1 < k < n the Poisson-binomial tail by dynamic programming over the
// count of successes, capped at k, as compute does. Each stage's counts
// are expressions over the previous stage's (a DAG: cut.go records the
// stages that grow long as intermediate rules); counts that can no longer
// reach k are dropped, so a stage holds at most min(k, n − k + 1) + 1 of
// them.
func tail(a []val, k int) val {
	n := len(a)
	switch k {
	case 1:
		return anyOf(a)
	case n:
		return product(a)
	}
	d := []val{constant(1)} // d[j] = P(j successes so far), d[k] = P(≥ k)
	for i, x := range a {
		next := make([]val, min(len(d)+1, k+1))
		need := k - (n - i - 1) // counts below need cannot reach k any more
		for j := range next {
			next[j] = constant(0)
			if j < need {
				continue
			}
			if j < len(d) {
				stay := d[j]
				if j < k {
					stay = mul(d[j], complement(x))
				}
				next[j] = stay
			}
			if j > 0 && j-1 < len(d) && (j-1 < k) {
				next[j] = add(next[j], mul(d[j-1], x))
			}
		}
		d = next
	}
	return d[k]
}

// cond is Σ p_i·A_i. Live parameters make the probabilities vectors (the
// implicit last one their complement); otherwise the optimistic value is
// the best and the pessimistic the worst vertex of the probability box.
func (b *builder) cond(n *journey.Cond, po, pm []val) (opt, pess val, err error) {
	if len(n.Probs) != len(po) {
		return val{}, val{}, fmt.Errorf("Cond: %d probabilities for %d branches", len(n.Probs), len(po))
	}
	anyLive := false
	for _, p := range n.Probs {
		anyLive = anyLive || b.live(p)
	}
	if anyLive {
		lo, hi, err := b.liveProbs(n)
		if err != nil {
			return val{}, val{}, err
		}
		if lo == nil {
			return dot(hi, po), dot(hi, pm), nil
		}
		return condDual(lo, hi, po, true), condDual(lo, hi, pm, false), nil
	}
	if len(n.Probs) > MaxIntervalCond && !pointProbs(n.Probs) {
		lo, hi := constants(probLo(n.Probs)), constants(probHi(n.Probs))
		return condDual(lo, hi, po, true), condDual(lo, hi, pm, false), nil
	}
	vs := vertices(n.Probs)
	os := make([]val, len(vs))
	ms := make([]val, len(vs))
	for i, v := range vs {
		os[i], ms[i] = dot(constants(v), po), dot(constants(v), pm)
	}
	return extremum(parser.MAX, os), extremum(parser.MIN, ms), nil
}

func dot(ps, as []val) val {
	terms := make([]val, len(ps))
	for i := range ps {
		terms[i] = mul(ps[i], as[i])
	}
	return sum(terms)
}

func constants(xs []float64) []val {
	out := make([]val, len(xs))
	for i, x := range xs {
		out[i] = constant(x)
	}
	return out
}

// liveProbs returns a Cond's probabilities when some follow live queries:
// hi holds them (lo is nil) when all are points, an implicit last
// probability being the complement of the rest; otherwise lo and hi bound
// each (live ones are points, the implicit last one lies in
// [1 − Σ hi, 1 − Σ lo] of the others).
func (b *builder) liveProbs(n *journey.Cond) (lo, hi []val, err error) {
	lo, hi = make([]val, len(n.Probs)), make([]val, len(n.Probs))
	point := true
	var sumLo, sumHi []val
	for i, p := range n.Probs {
		switch {
		case p.Implicit:
			if i != len(n.Probs)-1 {
				return nil, nil, errors.New("Cond: implicit probability before the last branch")
			}
			lo[i], hi[i] = complement(sum(sumHi)), complement(sum(sumLo))
			continue
		case b.live(p) && b.fixed != nil:
			lo[i] = constant(b.in.Journey.Params[p.Param].Value)
			hi[i] = lo[i]
		case b.live(p):
			lo[i] = vec(without(parser.SUM, "parameter",
				selector(ParameterRecord(b.w), "journey", b.in.Journey.Name, "parameter", p.Param)))
			hi[i] = lo[i]
		default:
			lo[i], hi[i] = constant(p.Lo), constant(p.Hi)
			point = point && !p.IsInterval()
		}
		sumLo, sumHi = append(sumLo, lo[i]), append(sumHi, hi[i])
	}
	if point {
		return nil, hi, nil
	}
	return lo, hi, nil
}

// condDual returns the best (max) or worst (min) value of Σ p_i·a_i over
// the probabilities p in the box [lo, hi] with Σ p = 1, by linear
// programming duality: with x_ij = a_i − a_j,
//
//	min = max_j [ a_j·(1 − Σ hi) + Σ_i hi_i·a_i − Σ_i (hi_i − lo_i)·max(x_ij, 0) ]
//	max = min_j [ a_j·(1 − Σ lo) + Σ_i lo_i·a_i + Σ_i (hi_i − lo_i)·max(x_ij, 0) ]
//
// (the dual function λ + Σ_i lo_i·(a_i − λ)⁺ − hi_i·(λ − a_i)⁺ is concave
// and piecewise linear with its breakpoints at the a_j, where its maximum,
// the minimum of the primal, lies). It is exact — the same LP the
// compiler solves by its greedy vertex — and its length grows with the
// square of the branches, where the vertex enumeration grows with their
// factorial; the probabilities may be live vectors.
func condDual(lo, hi, a []val, best bool) val {
	weights := hi
	if best {
		weights = lo
	}
	base := complement(sum(weights))
	wa := dot(weights, a)
	cands := make([]val, len(a))
	for j := range a {
		var spread []val
		for i := range a {
			if i == j {
				continue
			}
			width := add(hi[i], mul(constant(-1), lo[i]))
			if width.is(0) {
				continue
			}
			x := extremum(parser.MAX, []val{add(a[i], mul(constant(-1), a[j])), constant(0)})
			spread = append(spread, mul(width, x))
		}
		s := sum(spread)
		if !best {
			s = mul(constant(-1), s)
		}
		cands[j] = add(add(mul(a[j], base), wa), s)
	}
	if best {
		return extremum(parser.MIN, cands)
	}
	return extremum(parser.MAX, cands)
}

func pointProbs(ps []journey.Prob) bool {
	for _, p := range ps {
		if p.IsInterval() {
			return false
		}
	}
	return true
}

func probLo(ps []journey.Prob) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = p.Lo
	}
	return out
}

func probHi(ps []journey.Prob) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = p.Hi
	}
	return out
}

// vertices returns the distinct vertices of the probability box
// [Lo, Hi] intersected with the simplex: for every order of the branches,
// start at Lo and hand the remaining mass out in that order, each branch up
// to Hi (the greedy vertices, among which the extremes of any linear
// function lie).
func vertices(probs []journey.Prob) [][]float64 {
	k := len(probs)
	point := true
	for _, p := range probs {
		point = point && !p.IsInterval()
	}
	if point {
		v := make([]float64, k)
		for i, p := range probs {
			v[i] = p.Lo
		}
		return [][]float64{v}
	}
	var out [][]float64
	seen := map[string]bool{}
	order := make([]int, k)
	for i := range order {
		order[i] = i
	}
	permute(order, 0, func(order []int) {
		v := make([]float64, k)
		rem := 1.0
		for i, p := range probs {
			v[i] = p.Lo
			rem -= p.Lo
		}
		for _, i := range order {
			if rem > 0 {
				add := min(probs[i].Hi-probs[i].Lo, rem)
				v[i] += add
				rem -= add
			}
		}
		key := fmt.Sprint(v)
		if !seen[key] {
			seen[key] = true
			out = append(out, v)
		}
	})
	return out
}

// permute calls fn with every permutation of a[i:] (a[:i] fixed), in a
// deterministic order.
func permute(a []int, i int, fn func([]int)) {
	if i == len(a) {
		fn(a)
		return
	}
	for j := i; j < len(a); j++ {
		a[i], a[j] = a[j], a[i]
		permute(a, i+1, fn)
		a[i], a[j] = a[j], a[i]
	}
}
