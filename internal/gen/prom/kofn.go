package prom

import (
	"fmt"
	"math"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/gen/promql"
	"github.com/emac-dev/emac/internal/journey"
)

// KofN with shared fate groups in PromQL (compute.evalKofN, kofn.go).
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
		return val{}, fmt.Errorf("%s: KofN shared-fate laws need %d candidates, more than %d", path, c, maxKofNCandidates)
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

// minPath is the Esary–Proschan bound: the largest product of k of the a.
func minPath(a []val, k int) val {
	var prods []val
	var walk func(start int, chosen []val)
	walk = func(start int, chosen []val) {
		if len(chosen) == k {
			prods = append(prods, product(chosen))
			return
		}
		for i := start; i < len(a); i++ {
			walk(i+1, append(chosen, a[i]))
		}
	}
	walk(0, nil)
	return extremum(parser.MAX, prods)
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
