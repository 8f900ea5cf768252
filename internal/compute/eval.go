package compute

import (
	"github.com/emac-dev/emac/internal/dist"
	"math"
	"slices"
)

// value is the evaluation of one node.
type value struct {
	plus float64 // A+
	// indep is A− computed from the children's A− as if the children were
	// independent (worst vertex for Cond).
	indep float64
	// shared is A− with every fate group treated as comonotone (and, for
	// KofN, the dependence-free bound); equal to indep for operators without
	// redundancy.
	shared float64
	// frechet is KofN's dependence-free bound when it was used, else NaN.
	frechet float64
	// comon is KofN's comonotone-within-groups value when computed, else NaN.
	comon float64
	minus float64 // A− = min(shared, indep)
}

// scratch holds buffers reused across node evaluations; evaluation is not
// recursive, so one set per tree suffices.
type scratch struct {
	p, m, g, dist, next []float64
	idx                 []int
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// evalAll evaluates every node in post-order.
func (t *tree) evalAll() {
	for i := range t.nodes {
		v := t.evalNode(int32(i))
		t.plus[i], t.minus[i] = v.plus, v.minus
	}
}

// evalNode evaluates node i from its children's cached values.
func (t *tree) evalNode(i int32) value {
	n := &t.nodes[i]
	v := value{frechet: math.NaN(), comon: math.NaN()}
	switch n.op {
	case opLeaf:
		v.plus, v.indep = t.point[n.comp], t.lower[n.comp]
		v.shared, v.minus = v.indep, v.indep
		return v
	case opSkip:
		v.plus, v.indep, v.shared, v.minus = 1, 1, 1, 1
		return v
	}
	s := &t.s
	s.p, s.m = grow(s.p, len(n.kids)), grow(s.m, len(n.kids))
	for j, c := range n.kids {
		s.p[j], s.m[j] = t.plus[c], t.minus[c]
	}
	p, m := s.p, s.m
	switch n.op {
	case opSeries, opParallel:
		v.plus, v.indep = dist.Product(p), dist.Product(m)
		v.shared = v.indep
	case opCond:
		v.plus = dist.Vertex(n.lo, n.hi, p, true, &s.idx, nil)
		v.indep = dist.Vertex(n.lo, n.hi, m, false, &s.idx, nil)
		v.shared = v.indep
	case opRace:
		v.plus, v.indep = dist.AnyOf(p), dist.AnyOf(m)
		v.shared = t.raceShared(m, n.groups)
	case opKofN:
		t.evalKofN(n, p, m, &v)
	case opTimeout:
		sp, sm := p[0]*(1-n.latePlus), onTimeMinus(n, m[0])
		v.plus, v.indep = sp, sm
		if len(n.kids) == 2 {
			v.plus = sp + (1-sp)*p[1]
			v.indep = sm + (1-sm)*m[1]
		}
		v.shared = v.indep
		if n.multi {
			// The fallback shares the primary's fate: it only counts when it
			// alone is better than the primary.
			v.shared = max(sm, m[1])
		}
	case opRetry:
		sp, sm := p[0]*(1-n.latePlus), onTimeMinus(n, m[0])
		v.plus = 1 - math.Pow(1-sp, float64(n.k))
		v.indep = 1 - math.Pow(1-sm, float64(n.k))
		// Every attempt runs the same components: one fate group, so A−
		// counts a single attempt.
		v.shared = sm
	}
	v.minus = min(v.shared, v.indep)
	return v
}

// onTimeMinus returns S−_N(τ), the on-time success A− gives the primary of
// Timeout or Retry node n whose A− is a: a·(1 − tp−), capped, when the
// primary is timed, by the shared-fate band's S↓_N(τ) (see latshared.go).
func onTimeMinus(n *node, a float64) float64 {
	s := a * (1 - n.lateMinus)
	if n.lateTimed {
		s = min(s, n.onTimeLow)
	}
	return s
}

// evalKofN fills v for a KofN node.
//
// A+ and the independent A− are Poisson-binomial tails. When some fate group
// has two or more members, A− also takes:
//
//   - the comonotone value: members of a group succeed together as far as
//     their marginals allow (group g has at least j successes with
//     probability equal to its j-th largest A−), groups independent;
//   - for 1 < k < n, the dependence-free bound max(0, (ΣA−_i − (k−1))/(n−k+1)),
//     which holds for any joint law (E[#successes] ≤ (k−1)(1−P) + n·P).
//
// The comonotone value alone is not sound for 1 < k < n under positive
// dependence. Counterexample: three branches that, given a shared
// success probability Θ, succeed independently with probability Θ, where
// Θ = 1 with probability 0.9 and Θ = 0.4 otherwise (a mixture: associated,
// each marginal 0.94). P(at least 2 of 3) = 0.9 + 0.1·0.352 = 0.9352, below
// both the comonotone value 0.94 and the independent value 0.9896; the
// dependence-free bound gives 0.91. For k = 1 the comonotone value is sound
// (a group succeeds at least when its best member does) and for k = n the
// independent product is (positively dependent events are at least as
// likely to occur together as independent ones), so the dependence-free
// bound is only needed strictly between them.
func (t *tree) evalKofN(n *node, p, m []float64, v *value) {
	v.plus = t.tail(p, n.k)
	v.indep = t.tail(m, n.k)
	v.shared = v.indep
	if !n.multi {
		return
	}
	v.comon = t.comonotoneTail(m, n.groups, n.k)
	v.shared = v.comon
	if nk := len(m); n.k > 1 && n.k < nk {
		var sum float64
		for _, a := range m {
			sum += a
		}
		v.frechet = max(0, (sum-float64(n.k-1))/float64(nk-n.k+1))
		v.shared = min(v.shared, v.frechet)
	}
}

// raceShared is 1 − ∏_g (1 − max_{i∈g} a_i).
func (t *tree) raceShared(a []float64, groups []group) float64 {
	q := 1.0
	for _, g := range groups {
		best := 0.0
		for _, i := range g.members {
			best = max(best, a[i])
		}
		q *= 1 - best
	}
	return 1 - q
}

// tail returns P(at least k of independent events with probabilities a):
// the Poisson-binomial tail, by dynamic programming over success counts
// capped at k.
func (t *tree) tail(a []float64, k int) float64 {
	dp := grow(t.s.dist, k+1)
	clear(dp)
	dp[0] = 1
	for _, x := range a {
		dp[k] += dp[k-1] * x // reaching k is absorbing
		for j := k - 1; j >= 1; j-- {
			dp[j] = dp[j]*(1-x) + dp[j-1]*x
		}
		dp[0] *= 1 - x
	}
	t.s.dist = dp
	return dp[k]
}

// comonotoneTail returns P(at least k successes) when members of each fate
// group are comonotone and groups are independent.
func (t *tree) comonotoneTail(a []float64, groups []group, k int) float64 {
	s := &t.s
	dist := grow(s.dist, k+1)
	clear(dist)
	dist[0] = 1
	for _, g := range groups {
		vals := grow(s.g, len(g.members))
		for j, i := range g.members {
			vals[j] = a[i]
		}
		slices.Sort(vals)
		slices.Reverse(vals)
		s.g = vals
		next := grow(s.next, k+1)
		clear(next)
		for c, pc := range dist {
			if pc == 0 {
				continue
			}
			prev := 1.0 // P(group count ≥ j) for j = 0
			for j := 0; j <= len(vals); j++ {
				atLeastNext := 0.0
				if j < len(vals) {
					atLeastNext = vals[j]
				}
				q := prev - atLeastNext // P(group count = j)
				prev = atLeastNext
				next[min(c+j, k)] += pc * q
			}
		}
		dist, s.next = next, dist
	}
	s.dist = dist
	return dist[k]
}
