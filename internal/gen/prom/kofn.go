package prom

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/gen/promql"
	"github.com/emac-dev/emac/internal/journey"
)

// KofN with shared fate groups in PromQL (compute.evalKofN in eval.go, package compute/kofn).
//
// The compiler's A− for 1 < k < n is max(G, E): G the least P(at least k)
// over independent groups whose success counts take two-point laws with
// their members' mean μ_g = ΣA−_i, E the Esary–Proschan min-path bound (the
// product of the k largest A−_i). Which two-point laws exist depends on the
// integer cell of μ_g: the supports {x, y} with x ≤ lo_g < lo_g + 1 ≤ y,
// where lo_g = ⌈μ_g⌉ − 1 at the compiled availabilities. The rules expand
// those laws once, with the live μ_g in their weights; every combination is
// one candidate, and G is their minimum. While every live μ_g stays in its
// compiled cell [lo_g, lo_g + 1] this is exactly the compiler's G. When one
// leaves it (a group loses more than a whole member's availability), the
// candidates are pushed out of the minimum and the dependence-free
// Fréchet bound max(0, (ΣA−_i − (k − 1))/(n − k + 1)) — valid for any
// dependence, so below G — takes over: the live SLI stays a sound lower
// bound, and says so in the derivation report.

// penalty pushes a candidate out of a minimum.
const penalty = 1e9

// kofNShared returns the pessimistic SLI of a KofN at path whose children
// have the pessimistic values pm and fate groups gs (some with several
// members), for 1 < k < n.
func (b *builder) kofNShared(n *journey.KofN, path string, pm []val, gs []compute.FateGroup) (val, error) {
	k := n.K
	base := []val{constant(1)} // count law of the singletons, capped at k
	var multi []groupLaw
	inside := constant(1) // 1 while every μ_g lies in its compiled cell
	for _, g := range gs {
		if len(g.Children) == 1 {
			base = convolve(base, bernoulli(pm[g.Children[0]]), k)
			continue
		}
		gl := groupLaw{m: len(g.Children), mu: constant(0)}
		var offline float64
		for _, c := range g.Children {
			gl.mu = add(gl.mu, pm[c])
			offline += b.minus[journey.ChildPath(path, n.Branches[c], c)]
		}
		gl.lo = max(0, int(math.Ceil(min(offline, float64(gl.m))-1e-12))-1)
		inside = mul(inside, mul(atLeast(gl.mu, float64(gl.lo)), atMost(gl.mu, float64(gl.lo+1))))
		multi = append(multi, gl)
	}
	if c := candidates(multi); c > maxKofNCandidates {
		// Too many laws to expand: the dependence-free Fréchet bound and
		// the min-path bound, both at most the compiler's A− (G is the
		// least P(at least k) over a subclass of the laws Fréchet covers,
		// and A− = max(G, E)); sound for every law of the class.
		b.notes[path] = fmt.Sprintf("KofN at %s: its %d shared-fate laws are too many to expand in PromQL (at most %d), so the live pessimistic SLI takes the larger of the dependence-free Fréchet bound max(0, (ΣA− − (k − 1))/(n − k + 1)) and the Esary–Proschan min-path bound there: sound, and at most the compiler's A−", path, c, maxKofNCandidates)
		return extremum(parser.MAX, []val{frechet(pm, k), minPath(pm, k)}), nil
	}
	var cands []val
	outside := complement(inside)
	enumerateLaws(multi, base, k, func(tail val) {
		cands = append(cands, add(tail, mul(outside, constant(penalty))))
	})
	cands = append(cands, add(frechet(pm, k), mul(inside, constant(penalty))))
	return extremum(parser.MAX, []val{extremum(parser.MIN, cands), minPath(pm, k)}), nil
}

// maxKofNCandidates bounds the two-point law combinations expanded.
const maxKofNCandidates = 256

// groupLaw is a fate group's success count: m members, live mean mu, and
// the compiled integer cell [lo, lo+1] of the mean.
type groupLaw struct {
	m  int
	mu val
	lo int
}

// supports lists the two-point supports {x, y} of the group's cell.
func (g groupLaw) supports() [][2]int {
	var out [][2]int
	for x := 0; x <= g.lo; x++ {
		for y := g.lo + 1; y <= g.m; y++ {
			out = append(out, [2]int{x, y})
		}
	}
	return out
}

func candidates(groups []groupLaw) int {
	n := 1
	for _, g := range groups {
		n *= len(g.supports())
	}
	return n
}

// enumerateLaws calls fn with P(count ≥ k) for every combination of the
// groups' two-point laws convolved onto the capped count law d.
func enumerateLaws(groups []groupLaw, d []val, k int, fn func(val)) {
	if len(groups) == 0 {
		if len(d) > k {
			fn(d[k])
		} else {
			fn(constant(0))
		}
		return
	}
	g := groups[0]
	for _, s := range g.supports() {
		x, y := s[0], s[1]
		// P(y) = (μ − x)/(y − x), P(x) = 1 − P(y).
		py := mul(add(g.mu, constant(-float64(x))), constant(1/float64(y-x)))
		law := make([]val, y+1)
		for i := range law {
			law[i] = constant(0)
		}
		law[x], law[y] = complement(py), py
		enumerateLaws(groups[1:], convolve(d, law, k), k, fn)
	}
}

// bernoulli is the count law of one independent branch.
func bernoulli(a val) []val { return []val{complement(a), a} }

// convolve returns the law of the sum of two independent counts, with
// every count of k or more gathered at k.
func convolve(d, law []val, k int) []val {
	out := make([]val, min(len(d)+len(law)-1, k+1))
	for i := range out {
		out[i] = constant(0)
	}
	for c, pc := range d {
		for x, px := range law {
			if px.is(0) || pc.is(0) {
				continue
			}
			i := min(c+x, k)
			out[i] = add(out[i], mul(pc, px))
		}
	}
	return out
}

// frechet is max(0, (Σa − (k − 1))/(n − k + 1)), a lower bound of P(at
// least k) under any dependence.
func frechet(a []val, k int) val {
	n := len(a)
	v := mul(add(sum(a), constant(-float64(k-1))), constant(1/float64(n-k+1)))
	return extremum(parser.MAX, []val{v, constant(0)})
}

// minPath is the Esary–Proschan bound: the product of the k largest of
// a. With live values their order changes, so the vector form picks them
// with topk, in one aggregation whatever n and k:
//
//	exp(sum without (emac_operand) (ln(clamp_min(topk without (emac_operand) (k, A), 0))))
//	  and (count without (emac_operand) (A) == n)
//
// where A joins the a_i tagged with distinct emac_operand values; the
// guard keeps it absent while some a_i is (as every other term of the
// node is).
func minPath(a []val, k int) val {
	var anchor parser.Expr
	cs := make([]float64, 0, len(a))
	for _, v := range a {
		if v.isConst() {
			cs = append(cs, v.c)
		} else if anchor == nil {
			anchor = v.e
		}
	}
	if anchor == nil {
		slices.Sort(cs)
		p := 1.0
		for _, x := range cs[len(cs)-k:] {
			p *= x
		}
		return constant(p)
	}
	var joined parser.Expr
	for i, v := range a {
		e := v.e
		if v.isConst() { // a constant as a series with the journey label
			e = promql.Binary(parser.ADD, promql.Binary(parser.MUL, anchor, promql.Num(0)), promql.Num(v.c))
		}
		tagged := promql.Call("label_replace", e, promql.Str(extremumLabel), promql.Str(strconv.Itoa(i)), promql.Str(""), promql.Str(""))
		if joined == nil {
			joined = tagged
		} else {
			joined = promql.Binary(parser.LOR, joined, tagged)
		}
	}
	top := &parser.AggregateExpr{Op: parser.TOPK, Param: promql.Num(float64(k)), Expr: joined,
		Grouping: []string{extremumLabel}, Without: true}
	logs := promql.Call("ln", promql.Call("clamp_min", top, promql.Num(0)))
	prod := promql.Call("exp", &parser.AggregateExpr{Op: parser.SUM, Expr: logs, Grouping: []string{extremumLabel}, Without: true})
	count := &parser.AggregateExpr{Op: parser.COUNT, Expr: joined, Grouping: []string{extremumLabel}, Without: true}
	guard := promql.Binary(parser.EQLC, count, promql.Num(float64(len(a))))
	return vec(promql.Binary(parser.LAND, prod, guard))
}

// atLeast is 1 when v ≥ c, else 0 (a bool comparison for vectors).
func atLeast(v val, c float64) val { return compare(parser.GTE, v, c) }

// atMost is 1 when v ≤ c, else 0.
func atMost(v val, c float64) val { return compare(parser.LTE, v, c) }

func compare(op parser.ItemType, v val, c float64) val {
	if v.isConst() {
		ok := v.c >= c-1e-12
		if op == parser.LTE {
			ok = v.c <= c+1e-12
		}
		if ok {
			return constant(1)
		}
		return constant(0)
	}
	e := &parser.BinaryExpr{Op: op, LHS: promql.Paren(v.e), RHS: promql.Num(c), ReturnBool: true}
	return vec(e)
}
