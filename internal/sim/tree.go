package sim

import (
	"fmt"
	"math"
	"slices"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
)

// Operators of a compiled node.
const (
	opLeaf uint8 = iota
	opSkip
	opSeries
	opParallel
	opCond
	opRace
	opKofN
	opTimeout
	opRetry
)

// snode is one compiled node.
type snode struct {
	op   uint8
	kids []int32
	comp int32     // opLeaf
	k    int       // opKofN: k; opRetry: attempts
	tp   float64   // opTimeout, opRetry: probability a success is late
	tau  float64   // opTimeout: timeout; opRetry: per-try timeout; opRace: hedge delay
	gap  float64   // opRetry: τ + backoff, the spacing of attempt starts
	cum  []float64 // opCond: cumulative branch probabilities
	dflt int       // opCond: the last branch of positive probability
}

// Latency samplers of a component.
const (
	latNone        uint8 = iota // no evidence: every call takes 0 s
	latLognormal                // a·exp(b·X), X standard normal
	latExponential              // a·E, E standard exponential
	latGeneric                  // law.Quantile(U)
)

// sampler draws a component's latency from a standard normal X (copula) or
// from fresh randomness (independence). Lognormal and exponential laws are
// drawn in closed form: a·exp(b·X) is exactly Quantile(Φ(X)) for the
// lognormal, and −a·ln(1−Φ(X)) for the exponential.
type sampler struct {
	kind uint8
	a, b float64
	law  law.Law
}

// program is a compiled journey: its nodes (root last) and per-component
// laws.
type program struct {
	nodes  []snode
	avail  []float64 // point availability
	thresh []float64 // Φ⁻¹(avail): the copula's success threshold
	lat    []sampler // latency law of successful calls
	doms   [][]int32 // domains whose factors the component's calls share
	scale  []float64 // √ρ/√|D(c)|, |D(c)| counting the implicit domain
	noise  []float64 // the coefficient of a call's own normal
	ndom   int
	// shock and idio hold, under common shocks, each domain's shock
	// probability and each component's success probability given that
	// none of its domains is shocked.
	shock, idio []float64
}

// newSampler compiles a latency law, nil meaning no evidence.
func newSampler(l law.Law) sampler {
	switch l := l.(type) {
	case nil:
		return sampler{kind: latNone}
	case law.Lognormal:
		return sampler{kind: latLognormal, a: l.Median, b: l.Sigma}
	case *law.Lognormal:
		return sampler{kind: latLognormal, a: l.Median, b: l.Sigma}
	case law.Exponential:
		return sampler{kind: latExponential, a: l.Mean}
	case *law.Exponential:
		return sampler{kind: latExponential, a: l.Mean}
	}
	return sampler{kind: latGeneric, law: l}
}

// compile validates j and flattens its tree for simulation.
func compile(j *model.Journey, corr Correlation) (*program, error) {
	var errs diag.List
	if j == nil || j.Root == nil {
		errs.Errorf(diag.Pos{}, "journey has no operator tree")
		return nil, errs.Err()
	}
	p := &program{}
	compIdx := map[string]int32{}
	domIdx := map[string]int32{}
	intern := func(d string) int32 {
		id, ok := domIdx[d]
		if !ok {
			id = int32(len(domIdx))
			domIdx[d] = id
		}
		return id
	}
	calls := map[string]int{}
	countCalls(j.Root, 1, calls)
	for _, name := range journey.Leaves(j.Root) {
		c := j.Components[name]
		if c == nil {
			continue
		}
		a := c.Availability.Point
		if !(a >= 0 && a <= 1) {
			errs.Errorf(c.Pos, "component %q: availability %v must lie in [0, 1]", name, a)
		}
		compIdx[name] = int32(len(p.avail))
		var ds []int32
		for _, d := range c.AllDomains() {
			ds = append(ds, intern(d))
		}
		own := intern("component:" + name)
		ds = append(ds, own)
		slices.Sort(ds)
		ds = slices.Compact(ds)
		scale, noise := math.Sqrt(corr.Rho/float64(len(ds))), math.Sqrt(1-corr.Rho)
		if calls[name] <= 1 && corr.Shock == 0 {
			// At most one call per request: the implicit domain's factor is
			// that call's alone, so it joins the call's own normal (same
			// law, one normal fewer per call).
			ds = slices.DeleteFunc(ds, func(d int32) bool { return d == own })
			noise = math.Sqrt(1 - corr.Rho + scale*scale)
		}
		if scale == 0 {
			ds = nil // ρ = 0: no common term
		}
		p.avail = append(p.avail, a)
		p.thresh = append(p.thresh, -math.Sqrt2*math.Erfcinv(2*a))
		p.lat = append(p.lat, newSampler(c.Latency))
		p.doms = append(p.doms, ds)
		p.scale = append(p.scale, scale)
		p.noise = append(p.noise, noise)
	}
	p.ndom = len(domIdx)
	if corr.Shock > 0 {
		p.shocks(corr.Shock)
	}
	p.add(j.Root, compIdx, &errs)
	if errs.HasErrors() {
		return nil, errs.Err()
	}
	return p, nil
}

// shocks sets the common-shock law with intensity f in (0, 1]: domain d
// is shocked (every call of its members fails) with probability
// s_d = f·min_{c∈d}(1 − a_c^{1/|D(c)|}), and a call of c whose domains are
// all intact succeeds with probability a_c/∏_{d∈D(c)}(1 − s_d) ≤ 1, so
// every marginal availability stays a_c.
func (p *program) shocks(f float64) {
	p.shock = make([]float64, p.ndom)
	for d := range p.shock {
		p.shock[d] = 1
	}
	for c, ds := range p.doms {
		per := 1 - math.Pow(p.avail[c], 1/float64(len(ds)))
		for _, d := range ds {
			p.shock[d] = min(p.shock[d], f*per)
		}
	}
	p.idio = make([]float64, len(p.avail))
	for c, ds := range p.doms {
		intact := 1.0
		for _, d := range ds {
			intact *= 1 - p.shock[d]
		}
		p.idio[c] = 1
		if intact > 0 {
			p.idio[c] = min(1, p.avail[c]/intact)
		}
	}
}

// countCalls adds to calls the largest number of times each component can
// be called in one request: its references, times the attempts of every
// Retry above them, saturating at 2 (all that matters is "more than one").
func countCalls(n journey.Node, mult int, calls map[string]int) {
	switch n := n.(type) {
	case nil:
		return
	case *journey.Leaf:
		calls[n.Name] = min(calls[n.Name]+mult, 2)
		return
	case *journey.Retry:
		mult = min(mult*max(n.Attempts, 1), 2)
	}
	for _, c := range n.Children() {
		countCalls(c, mult, calls)
	}
}

// add appends n's subtree in post-order and returns n's index.
func (p *program) add(n journey.Node, compIdx map[string]int32, errs *diag.List) int32 {
	if n == nil {
		errs.Errorf(diag.Pos{}, "missing operator")
		return -1
	}
	s := snode{comp: -1}
	pos := n.Position()
	switch n := n.(type) {
	case *journey.Leaf:
		s.op = opLeaf
		id, ok := compIdx[n.Name]
		if !ok {
			errs.Errorf(pos, "unknown component %q", n.Name)
		}
		s.comp = id
	case *journey.Skip:
		s.op = opSkip
	case *journey.Series:
		s.op = opSeries
	case *journey.Parallel:
		s.op = opParallel
	case *journey.Cond:
		s.op = opCond
		probs, err := BranchProbabilities(n)
		if err != nil {
			errs.Errorf(pos, "%v", err)
		}
		var c float64
		for i, q := range probs {
			c += q
			s.cum = append(s.cum, c)
			if q > 0 {
				s.dflt = i
			}
		}
	case *journey.Race:
		s.op, s.tau = opRace, nonNegative("Race hedgeAfter", n.HedgeAfter, pos, errs)
	case *journey.KofN:
		s.op, s.k = opKofN, n.K
		if n.K < 1 || n.K > len(n.Branches) {
			errs.Errorf(pos, "KofN: k = %d must lie in [1, %d]", n.K, len(n.Branches))
		}
	case *journey.Timeout:
		s.op, s.tp = opTimeout, late(n.TimeoutProbability, pos, errs)
		s.tau = nonNegative("Timeout duration", n.Timeout, pos, errs)
	case *journey.Retry:
		s.op, s.k, s.tp = opRetry, n.Attempts, late(n.TimeoutProbability, pos, errs)
		s.tau = nonNegative("Retry perTryTimeout", n.PerTryTimeout, pos, errs)
		s.gap = s.tau + nonNegative("Retry backoff", n.Backoff, pos, errs)
		if n.Attempts < 1 {
			errs.Errorf(pos, "Retry: attempts = %d must be at least 1", n.Attempts)
		}
	default:
		errs.Errorf(pos, "unsupported operator %T", n)
	}
	kids := n.Children()
	if len(kids) == 0 && s.op != opLeaf && s.op != opSkip {
		errs.Errorf(pos, "operator without children")
	}
	for _, c := range kids {
		s.kids = append(s.kids, p.add(c, compIdx, errs))
	}
	p.nodes = append(p.nodes, s)
	return int32(len(p.nodes) - 1)
}

func late(tp *float64, pos diag.Pos, errs *diag.List) float64 {
	if tp == nil {
		return 0
	}
	if !(*tp >= 0 && *tp <= 1) {
		errs.Errorf(pos, "timeoutProbability %v must lie in [0, 1]", *tp)
	}
	return *tp
}

// nonNegative checks a duration that must be a finite number of seconds
// ≥ 0.
func nonNegative(what string, v float64, pos diag.Pos, errs *diag.List) float64 {
	if !(v >= 0) || math.IsInf(v, 1) {
		errs.Errorf(pos, "%s %v must be a finite number of seconds ≥ 0", what, v)
	}
	return v
}

// BranchProbabilities returns the branch probabilities the simulator uses
// for c: the point p_i = Lo_i + λ·(Hi_i − Lo_i) with one λ ∈ [0, 1] for all
// branches, chosen so that Σ p_i = 1. It lies inside the probability box
// and on the simplex whenever they intersect, is the written point when
// every probability is a point, and favours no branch: each interval is cut
// at the same relative height. The error reports a box that cannot sum to
// 1 (for instance an unbound parameter).
func BranchProbabilities(c *journey.Cond) ([]float64, error) {
	if len(c.Probs) != len(c.Branches) {
		return nil, fmt.Errorf("cond: %d probabilities for %d branches", len(c.Probs), len(c.Branches))
	}
	var lo, width float64
	for _, p := range c.Probs {
		if !(p.Lo >= 0 && p.Lo <= p.Hi && p.Hi <= 1) {
			return nil, fmt.Errorf("cond: probability %s must satisfy 0 ≤ low ≤ high ≤ 1", p)
		}
		lo += p.Lo
		width += p.Hi - p.Lo
	}
	const tol = 1e-9
	if lo > 1+tol || lo+width < 1-tol {
		return nil, fmt.Errorf("cond: branch probabilities cannot sum to 1 (low sum %v, high sum %v)", lo, lo+width)
	}
	lambda := 0.0
	if width > 0 {
		lambda = min(1, max(0, (1-lo)/width))
	}
	out := make([]float64, len(c.Probs))
	var sum float64
	for i, p := range c.Probs {
		out[i] = p.Lo + lambda*(p.Hi-p.Lo)
		sum += out[i]
	}
	if sum > 0 {
		for i := range out {
			out[i] /= sum // absorb rounding within the tolerance
		}
	}
	return out, nil
}
