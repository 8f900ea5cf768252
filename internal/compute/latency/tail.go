package latency

import (
	"fmt"
	"math"

	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
)

// The tail bound is a second reading of the latency upper bound (DESIGN
// §3.3) that needs no assumption on how failures co-move, so it stays
// finite where the class bands cannot reach q·A_hi (the dependence gap
// A_hi − S_lo(∞) exceeds 1 − q).
//
// For any law L, the q-quantile of J's latency given success is at most t
// when the late successes D_L(t) = P(J succeeds, T > t) are at most
// (1 − q)·A_L. Draw one latency X_c from each call's band, whether the
// call succeeds or not. When J succeeds its latency is at most
// C + Σ X_c over its uncapped calls:
//
//   - a Series waits for all its steps, a Parallel for its slowest branch,
//     a Cond for its chosen one, a KofN for its k-th success and a Race
//     for its first (branch i starts i·hedge late): each at most the sum
//     of its children's bounds, plus (n−1)·hedge for a Race;
//   - a Timeout answers within τ, or its fallback starts at τ: τ plus the
//     fallback's bound (the primary's calls are capped, not summed);
//   - a Retry's attempt j starts at j·(perTry + backoff) and answers
//     within perTry: the constant (n−1)·(perTry + backoff) + perTry.
//
// So D_L(t) ≤ P(C + Σ X_c > t) ≤ Σ_c P(X_c > s_c) for any split
// Σ s_c = t − C, whatever the dependence of the X_c, and A_L is at least
// the class's lower availability A_lo. Taking s_c at the upper quantile
// 1 − ε/m of call c's latency band (m uncapped calls, ε = (1 − q)·A_lo)
// gives t = C + Σ s_c with D_L(t) ≤ ε ≤ (1 − q)·A_L for every L: an upper
// bound of every law's conditional q-quantile, of the class and beyond.

// tailBound returns C + Σ_c Q_c(1 − ε/m) for q and the availability lower
// bound aLo, +Inf when some call's band does not reach its level.
func (l *Model) tailBound(aLo float64) float64 {
	t := l.m.t
	c, calls := l.tailSum(t, int32(len(t.Nodes)-1))
	eps := (1 - l.q) * aLo
	if eps <= 0 || math.IsInf(c, 1) {
		return math.Inf(1)
	}
	if len(calls) == 0 {
		return c
	}
	level := 1 - eps/float64(len(calls))
	sum := c
	for _, comp := range calls {
		sum += law.LowerQuantile(l.m.laws[comp], level, l.m.eps[comp])
	}
	return sum
}

// tailSum returns node i's constant C and its uncapped calls (component
// indices, with repeats; calls without latency evidence are instantaneous
// and left out).
func (l *Model) tailSum(t *tree.Tree, i int32) (float64, []int32) {
	n := &t.Nodes[i]
	switch n.Op {
	case tree.Leaf:
		if l.m.laws[n.Component] == nil {
			return 0, nil
		}
		return 0, []int32{n.Component}
	case tree.Skip:
		return 0, nil
	case tree.Timeout:
		tau := n.Src.(*journey.Timeout).Timeout
		if len(n.Children) < 2 {
			return tau, nil
		}
		c, calls := l.tailSum(t, n.Children[1])
		return tau + c, calls
	case tree.Retry:
		r := n.Src.(*journey.Retry)
		period := float64(n.K-1) * (r.PerTryTimeout + r.Backoff)
		if r.PerTryTimeout > 0 {
			return period + r.PerTryTimeout, nil
		}
		c, calls := l.tailSum(t, n.Children[0])
		all := make([]int32, 0, n.K*len(calls))
		for range n.K {
			all = append(all, calls...)
		}
		return period + float64(n.K)*c, all
	}
	var c float64
	var calls []int32
	for _, k := range n.Children {
		kc, kcalls := l.tailSum(t, k)
		c += kc
		calls = append(calls, kcalls...)
	}
	if n.Op == tree.Race {
		c += float64(len(n.Children)-1) * n.Src.(*journey.Race).HedgeAfter
	}
	return c, calls
}

// tailNote says that the upper bound came from the tail bound.
func tailNote(q float64) string {
	return fmt.Sprintf("latency upper bound from the tail bound: when J succeeds its latency is at most its deadlines, hedges and backoffs plus the sum of its uncapped calls' latencies, each read at its band's 1 − (1 − q)·A_lo/m quantile (union bound, any dependence), q = %s", journey.FormatFloat(q))
}
