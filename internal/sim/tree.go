package sim

import (
	"fmt"
	"math"
	"slices"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// Operators of a compiled node.
const (
	opLeaf uint8 = iota
	opSkip
	opAll // Series and Parallel: every child must succeed
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
	cum  []float64 // opCond: cumulative branch probabilities
	dflt int       // opCond: the last branch of positive probability
}

// program is a compiled journey: its nodes (root last) and per-component
// laws.
type program struct {
	nodes  []snode
	avail  []float64 // point availability
	thresh []float64 // Φ⁻¹(avail): the copula's success threshold
	doms   [][]int32 // failure domains, the implicit one included
	scale  []float64 // √ρ/√|D(c)|
	ndom   int
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
		ds = append(ds, intern("component:"+name))
		slices.Sort(ds)
		ds = slices.Compact(ds)
		p.avail = append(p.avail, a)
		p.thresh = append(p.thresh, -math.Sqrt2*math.Erfcinv(2*a))
		p.doms = append(p.doms, ds)
		p.scale = append(p.scale, math.Sqrt(corr.Rho/float64(len(ds))))
	}
	p.ndom = len(domIdx)
	p.add(j.Root, compIdx, &errs)
	if errs.HasErrors() {
		return nil, errs.Err()
	}
	return p, nil
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
	case *journey.Series, *journey.Parallel:
		s.op = opAll
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
		s.op = opRace
	case *journey.KofN:
		s.op, s.k = opKofN, n.K
		if n.K < 1 || n.K > len(n.Branches) {
			errs.Errorf(pos, "KofN: k = %d must lie in [1, %d]", n.K, len(n.Branches))
		}
	case *journey.Timeout:
		s.op, s.tp = opTimeout, late(n.TimeoutProbability, pos, errs)
	case *journey.Retry:
		s.op, s.k, s.tp = opRetry, n.Attempts, late(n.TimeoutProbability, pos, errs)
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
