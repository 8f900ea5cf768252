package journey

import (
	"math"
	"slices"

	"github.com/emac-dev/emac/internal/diag"
)

// Validate checks a tree, however it was built (expression or YAML), and
// reports every problem at the offending node's position:
//
//   - a leaf naming a component missing from components (with close
//     matches), an empty operator, a missing child;
//   - Cond: a probability count other than k or k−1, a value outside [0, 1],
//     an interval with lo > hi, an unknown parameter name or a parameter value
//     outside [0, 1], point probabilities not summing to 1 (within 1e-9), or
//     intervals whose box holds no point summing to 1 (ΣLo ≤ 1 ≤ ΣHi);
//   - KofN with k outside [1, n]; Retry with fewer than 1 attempt;
//     non-positive timeout and perTryTimeout, negative hedge and backoff, a
//     timeoutProbability outside [0, 1].
//
// Named probabilities are looked up in params without changing the tree; the
// implicit last probability of a Cond is recomputed from the others. A nil
// components map skips the component check and a nil params map skips the
// parameter checks (and the sums that depend on them); an empty map means
// "none defined". The returned list is never nil. Run Bind afterwards to
// store the resolved values in the tree.
func Validate(root Node, components map[string]bool, params map[string]float64) *diag.List {
	v := &validator{errs: &diag.List{}, comps: components, params: params}
	if root == nil {
		v.errs.Errorf(diag.Pos{}, "empty journey expression")
		return v.errs
	}
	Walk(root, func(n Node) bool {
		v.node(n)
		return true
	})
	return v.errs
}

// UnusedComponents returns, sorted and each once, the names in components
// that no leaf of the tree references; the caller may warn about them.
func UnusedComponents(root Node, components []string) []string {
	used := map[string]bool{}
	for _, name := range Leaves(root) {
		used[name] = true
	}
	var out []string
	for _, c := range components {
		if !used[c] {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// validator carries the lookup tables of one Validate call.
type validator struct {
	errs   *diag.List
	comps  map[string]bool
	params map[string]float64
}

func (v *validator) node(n Node) {
	v.children(n)
	switch n := n.(type) {
	case *Leaf:
		v.leaf(n)
	case *Series:
		v.nonEmpty(n, "Series has no steps")
	case *Parallel:
		v.nonEmpty(n, "Parallel has no branches")
	case *Race:
		v.nonEmpty(n, "Race has no branches")
		v.nonNegative(n.Pos, "Race hedge", n.HedgeAfter)
	case *KofN:
		v.kofn(n)
	case *Cond:
		v.cond(n)
	case *Timeout:
		v.timeout(n)
	case *Retry:
		v.retry(n)
	}
}

// children reports nil children, which a tree built from YAML may have;
// Timeout and Retry name theirs.
func (v *validator) children(n Node) {
	switch n.(type) {
	case *Timeout, *Retry:
		return
	}
	for i, c := range n.Children() {
		if c == nil {
			v.errs.Errorf(n.Position(), "%s child %d is missing", opName(n), i+1)
		}
	}
}

func (v *validator) leaf(n *Leaf) {
	switch {
	case n.Name == "":
		v.errs.Errorf(n.Pos, "empty component name")
	case v.comps != nil && !v.comps[n.Name]:
		v.errs.Errorf(n.Pos, "unknown component %q%s", n.Name, diag.DidYouMean(n.Name, trueKeys(v.comps)))
	}
}

func (v *validator) nonEmpty(n Node, msg string) {
	if len(n.Children()) == 0 {
		v.errs.Errorf(n.Position(), "%s", msg)
	}
}

func (v *validator) kofn(n *KofN) {
	v.nonEmpty(n, "KofN has no branches")
	if k := len(n.Branches); k > 0 && (n.K < 1 || n.K > k) {
		v.errs.Errorf(n.Pos, "KofN needs 1 ≤ k ≤ %d (the number of branches), got k=%d", k, n.K)
	}
}

func (v *validator) timeout(n *Timeout) {
	if n.Primary == nil {
		v.errs.Errorf(n.Pos, "Timeout has no primary")
	}
	v.positive(n.Pos, "Timeout duration", n.Timeout)
	v.fraction(n.Pos, "Timeout", n.TimeoutProbability)
}

func (v *validator) retry(n *Retry) {
	if n.Target == nil {
		v.errs.Errorf(n.Pos, "Retry has no target")
	}
	if n.Attempts < 1 {
		v.errs.Errorf(n.Pos, "Retry needs at least 1 attempt, got %d", n.Attempts)
	}
	v.positive(n.Pos, "Retry perTryTimeout", n.PerTryTimeout)
	v.nonNegative(n.Pos, "Retry backoff", n.Backoff)
	v.fraction(n.Pos, "Retry", n.TimeoutProbability)
}

func (v *validator) positive(pos diag.Pos, what string, sec float64) {
	if !(sec > 0) || math.IsInf(sec, 0) {
		v.errs.Errorf(pos, "%s must be positive, got %s", what, FormatDuration(sec))
	}
}

func (v *validator) nonNegative(pos diag.Pos, what string, sec float64) {
	if !(sec >= 0) || math.IsInf(sec, 0) {
		v.errs.Errorf(pos, "%s must be ≥ 0, got %s", what, FormatDuration(sec))
	}
}

func (v *validator) fraction(pos diag.Pos, op string, p *float64) {
	if p != nil && !inUnit(*p) {
		v.errs.Errorf(pos, "%s timeoutProbability must be in [0, 1], got %s", op, FormatFloat(*p))
	}
}

func inUnit(x float64) bool { return x >= 0 && x <= 1 }

// opName returns the operator's name as written in expressions.
func opName(n Node) string {
	switch n.(type) {
	case *KofN:
		return "KofN"
	case *Leaf, *Skip:
		return Kind(n)
	}
	k := Kind(n)
	return string(k[0]-'a'+'A') + k[1:]
}

// trueKeys returns the keys mapped to true, sorted.
func trueKeys(m map[string]bool) []string {
	var out []string
	for k, ok := range m {
		if ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
