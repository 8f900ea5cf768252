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
	// shared is A− under shared fate (DESIGN §3.2): fate groups
	// independent, any or positive dependence inside a group; equal to
	// indep for operators without redundancy.
	shared float64
	// comon is KofN's comonotone-within-groups value when computed (k = 1
	// or k = n), else NaN.
	comon float64
	// groupwise and minPath are KofN's shared-fate lower bounds for
	// 1 < k < n (see evalKofN), else NaN; merged counts the fate groups
	// merged to keep the groupwise enumeration within its budget.
	groupwise, minPath float64
	merged             int
	minus              float64 // A− = min(shared, indep)
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
	v := value{comon: math.NaN(), groupwise: math.NaN(), minPath: math.NaN()}
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
// has two or more members, A− also takes the shared-fate value:
//
//   - k = 1 (a Race) and k = n (a Series): members of a group succeed
//     together as far as their marginals allow — group g has at least j
//     successes with probability its j-th largest A− — groups independent.
//     For k = 1 a group is up at least when its best member is, and for
//     k = n positively dependent successes are at least as likely together
//     as independent ones, so this is sound (and the min with the
//     independent tail keeps A− at or below both);
//   - 1 < k < n: comonotone is not the worst case (a shock that takes down
//     two of three members beats one that takes all three). A− is the
//     larger of the exact minimum over independent groups with any law of
//     each group's success count with the members' mean (groupwiseKofN,
//     kofn.go) and the Esary–Proschan min-path bound.
func (t *tree) evalKofN(n *node, p, m []float64, v *value) {
	v.plus = t.tail(p, n.k)
	v.indep = t.tail(m, n.k)
	v.shared = v.indep
	if !n.multi {
		return
	}
	if nk := len(m); n.k > 1 && n.k < nk {
		gw := groupwiseKofN(m, positions(n.groups), n.k)
		v.groupwise, v.minPath, v.merged = gw.value, minPathBound(m, n.k), gw.merged
		v.shared = max(v.groupwise, v.minPath)
		return
	}
	v.comon = t.comonotoneTail(m, n.groups, n.k)
	v.shared = v.comon
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
