package prom

import (
	"math"

	"github.com/emac-dev/emac/internal/journey"
)

// splitQuanta is the resolution of the ε split: a node's ε is cut into
// this many equal quanta and handed out to its children.
const splitQuanta = 64

// splitKey memoizes a node's split at one ε.
type splitKey struct {
	n   journey.Node
	eps float64
}

// split returns how a Series (join "sum") or Parallel (join "max") node
// shares its error probability eps among children kids, chosen from the
// evidence: every child gets at least one quantum of eps/splitQuanta and
// the remaining quanta go, one at a time, to the child whose offline
// bound B(child, ε_i) drops most — for a sum the child with the largest
// decrease of its term, for a max the child holding the maximum. The
// offline bounds read each leaf's latency evidence (its law, with the DKW
// band at the journey's confidence level), the same numbers the compiler
// uses; the greedy allocation is optimal when the bounds are convex in
// ε_i, as tails of the usual laws are. Without offline evidence for some
// child the split is equal, as is any split that does no better than the
// equal one under the evidence. While offline bounds are being computed
// (inside a parent's greedy search), nested nodes split equally: the
// search stays linear in the tree's size times the quanta, and any split
// that adds up to ε keeps the union bound valid.
func (b *builder) split(n journey.Node, kids []journey.Node, eps float64, join string) []float64 {
	k := len(kids)
	equal := make([]float64, k)
	for i := range equal {
		equal[i] = eps / float64(k)
	}
	if b.offlineDepth > 0 {
		return equal
	}
	key := splitKey{n, eps}
	if s, ok := b.splits[key]; ok {
		return s
	}
	s := equal
	if k > 1 && k <= splitQuanta {
		if greedy, ok := b.greedySplit(kids, eps, join); ok && b.cost(kids, greedy, join) < b.cost(kids, equal, join) {
			s = greedy
		}
	}
	if b.splits == nil {
		b.splits = map[splitKey][]float64{}
	}
	b.splits[key] = s
	return s
}

// greedySplit hands out the quanta of eps; ok is false when a child has
// no finite offline bound.
func (b *builder) greedySplit(kids []journey.Node, eps float64, join string) ([]float64, bool) {
	q := eps / splitQuanta
	units := make([]int, len(kids))
	terms := make([]float64, len(kids))
	for i, c := range kids {
		units[i] = 1
		terms[i] = b.offline(c, q)
		if math.IsInf(terms[i], 0) || math.IsNaN(terms[i]) {
			return nil, false
		}
	}
	for range splitQuanta - len(kids) {
		best, gain := -1, 0.0
		for i, c := range kids {
			if join == "max" && terms[i] < maxOf(terms) {
				continue
			}
			next := b.offline(c, q*float64(units[i]+1))
			if g := terms[i] - next; best < 0 || g > gain {
				best, gain = i, g
			}
		}
		units[best]++
		terms[best] = b.offline(kids[best], q*float64(units[best]))
	}
	out := make([]float64, len(kids))
	for i, u := range units {
		out[i] = q * float64(u)
	}
	return out, true
}

// cost is the offline bound of the join under split s.
func (b *builder) cost(kids []journey.Node, s []float64, join string) float64 {
	terms := make([]float64, len(kids))
	for i, c := range kids {
		terms[i] = b.offline(c, s[i])
	}
	if join == "max" {
		return maxOf(terms)
	}
	var sum float64
	for _, t := range terms {
		sum += t
	}
	return sum
}

// offline returns B(n, eps) from offline evidence alone: every leaf,
// with or without histogram telemetry, at its latency law's bound.
func (b *builder) offline(n journey.Node, eps float64) float64 {
	b.offlineDepth++
	defer func() { b.offlineDepth-- }()
	saved := b.fixedQ
	b.fixedQ = func(leaf string, phi float64) float64 {
		c := b.in.Journey.Components[leaf]
		if c == nil || c.Latency == nil {
			return math.Inf(1)
		}
		return lawBound(c.Latency, phi, b.alpha())
	}
	defer func() { b.fixedQ = saved }()
	v, err := b.bound(n, eps, 0)
	if err != nil || !v.isConst() {
		return math.Inf(1)
	}
	return v.c
}

func maxOf(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
