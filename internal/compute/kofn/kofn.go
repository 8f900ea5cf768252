// Package kofn bounds the availability of a KofN whose branches share
// fate: the groupwise minimum and maximum of P(at least k successes) over
// independent fate groups with any dependence inside a group, the
// Esary–Proschan min-path bound, and the Poisson-binomial tail of
// independent branches. Package compute uses them for A+ and A−, package
// latency for the shared-fate and class bands at every grid point.
package kofn

import (
	"math"
	"slices"
)

// KofN under shared fate (DESIGN §3.2). Branches fall into fate groups;
// groups are independent, and inside a group any dependence is allowed.
// Group g's success count S_g then has some law on {0..m_g} whose mean is
// μ_g = Σ_{i∈g} a_i (its members' availabilities) — any joint law of the
// members induces such a law, so minimising over all of them is sound.
// The journey is up when Σ_g S_g ≥ k.
//
// P(Σ S_g ≥ k) is linear in each group's law, and the laws of one group
// with a given mean form a polytope whose vertices put mass on at most two
// points x ≤ μ_g ≤ y. The minimum over independent groups is therefore
// reached with every group at a vertex, and enumerating the vertex
// combinations gives it exactly. Singletons have one law (Bernoulli).
// When the combinations exceed a budget, two groups are merged: their
// sum may then have any law with the summed mean — a larger class, so a
// smaller (still sound) value — and the enumeration shrinks from the
// product of the two groups' vertex counts to about their sum.
//
// Positively dependent (associated) branches also satisfy the
// Esary–Proschan min-path bound: P(up) ≥ max over min paths of the product
// of their availabilities, for k-of-n the product of the k largest. A−
// takes the larger of the two lower bounds.

// Budget bounds the vertex combinations enumerated for one KofN node.
const Budget = 1 << 14

// countGroup is one fate group's success count: m members, mean mu.
type countGroup struct {
	m  int
	mu float64
}

// Minimum is the groupwise minimum of P(Σ S_g ≥ k).
type Minimum struct {
	// Value is the minimum.
	Value float64
	// Exact reports whether no groups were merged to fit the budget.
	Exact bool
	// Merged counts the groups merged to fit the budget.
	Merged int
}

// GroupwiseMin returns the minimum of P(Σ_g S_g ≥ k) over independent
// per-group success counts with the members' mean availabilities a (see
// the comment above); groups lists the members of each fate group by
// position in a.
func GroupwiseMin(a []float64, groups [][]int, k int) Minimum {
	return groupwiseMin(a, groups, k, Budget)
}

// groupwiseMin is GroupwiseMin with at most budget vertex combinations
// enumerated.
func groupwiseMin(a []float64, groups [][]int, k int, budget float64) Minimum {
	best, merged := extreme(a, groups, k, budget, false)
	return Minimum{Value: unitClamp(best), Exact: merged == 0, Merged: merged}
}

// GroupwiseMax is the largest P(Σ_g S_g ≥ k) over the same class (an
// upper bound for any dependence inside the groups; merging groups only
// enlarges the class, so a merged value stays an upper bound).
func GroupwiseMax(a []float64, groups [][]int, k int) float64 {
	best, _ := extreme(a, groups, k, Budget, true)
	return unitClamp(best)
}

// extreme returns the smallest (largest: the largest) P(Σ_g S_g ≥ k) over
// the groupwise class, enumerating the groups of two or more members at
// their two-point vertices together with the singletons' count law, after
// merging groups smallest first (merged times) until at most budget
// vertex combinations remain.
func extreme(a []float64, groups [][]int, k int, budget float64, largest bool) (best float64, merged int) {
	base := []float64{1} // law of the singletons' count, capped at k
	var multi []countGroup
	for _, g := range groups {
		if len(g) == 1 {
			base = addBernoulli(base, a[g[0]], k)
			continue
		}
		var mu float64
		for _, i := range g {
			mu += a[i]
		}
		multi = append(multi, countGroup{m: len(g), mu: min(mu, float64(len(g)))})
	}
	for len(multi) > 1 && combos(multi) > budget {
		multi = mergeSmallest(multi)
		merged++
	}
	best = math.Inf(1)
	if largest {
		best = 0
	}
	enumerate(multi, base, k, func(p float64) {
		if largest {
			best = max(best, p)
		} else {
			best = min(best, p)
		}
	})
	return best, merged
}

// addBernoulli convolves the capped count law d with a Bernoulli(p).
func addBernoulli(d []float64, p float64, k int) []float64 {
	out := make([]float64, min(len(d)+1, k+1))
	for c, pc := range d {
		out[min(c, k)] += pc * (1 - p)
		out[min(c+1, k)] += pc * p
	}
	return out
}

// vertices returns the two-point laws of a count on {0..m} with mean mu:
// pairs (x, y) with weights P(x), P(y).
func vertices(g countGroup) [][4]float64 {
	lo, hi := int(math.Floor(g.mu)), int(math.Ceil(g.mu))
	var out [][4]float64
	if lo == hi {
		out = append(out, [4]float64{float64(lo), 1, float64(lo), 0})
	}
	for x := 0; x <= lo; x++ {
		for y := max(hi, x+1); y <= g.m; y++ {
			if float64(x) == g.mu || float64(y) == g.mu {
				continue // the degenerate law, listed once above
			}
			py := (g.mu - float64(x)) / float64(y-x)
			out = append(out, [4]float64{float64(x), 1 - py, float64(y), py})
		}
	}
	return out
}

// combos counts the vertex combinations of groups.
func combos(groups []countGroup) float64 {
	n := 1.0
	for _, g := range groups {
		n *= float64(len(vertices(g)))
	}
	return n
}

// mergeSmallest merges the two groups with the fewest vertices.
func mergeSmallest(groups []countGroup) []countGroup {
	slices.SortFunc(groups, func(x, y countGroup) int { return len(vertices(x)) - len(vertices(y)) })
	m := countGroup{m: groups[0].m + groups[1].m, mu: groups[0].mu + groups[1].mu}
	return append([]countGroup{m}, groups[2:]...)
}

// enumerate walks every vertex combination of groups, convolving each
// group's two-point law onto the capped count law d, and calls visit with
// each combination's P(count ≥ k).
func enumerate(groups []countGroup, d []float64, k int, visit func(float64)) {
	if len(groups) == 0 {
		if len(d) > k {
			visit(d[k])
		} else {
			visit(0)
		}
		return
	}
	for _, v := range vertices(groups[0]) {
		next := make([]float64, k+1)
		for c, pc := range d {
			if pc == 0 {
				continue
			}
			next[min(c+int(v[0]), k)] += pc * v[1]
			next[min(c+int(v[2]), k)] += pc * v[3]
		}
		enumerate(groups[1:], next, k, visit)
	}
}

// MinPath is the Esary–Proschan bound for k-of-n over associated
// branches: the product of the k largest availabilities.
func MinPath(a []float64, k int) float64 {
	s := slices.Clone(a)
	slices.Sort(s)
	p := 1.0
	for _, x := range s[len(s)-k:] {
		p *= x
	}
	return p
}

func unitClamp(x float64) float64 { return min(1, max(0, x)) }
