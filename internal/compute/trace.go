package compute

import (
	"fmt"
	"strings"

	"github.com/emac-dev/emac/internal/compute/kofn"
	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
)

// describe returns the formula and the assumptions of node i evaluated to
// v; exprs holds every node's canonical expression.
func (e *evaluator) describe(i int32, v value, exprs []string) (string, []string) {
	n, l := &e.t.Nodes[i], &e.late[i]
	ff := journey.FormatFloat
	var notes []string
	var f string
	switch n.Op {
	case tree.Leaf:
		c := e.t.Components[n.Component]
		f = fmt.Sprintf("leaf %s: A+ = point availability %s, A− = lower availability %s", c.Name, ff(v.plus), ff(v.minus))
		if c.Availability.Source != "" {
			f += " (source " + c.Availability.Source + ")"
		}
	case tree.Skip:
		f = "skip succeeds at once: A+ = A− = 1"
	case tree.Series:
		f = "A+ = ∏ A+_i; A− = ∏ A−_i (positive dependence can only help a series)"
	case tree.Parallel:
		f = "A+ = ∏ A+_i; A− = ∏ A−_i (join all; positive dependence can only help)"
	case tree.Cond:
		f, notes = e.describeCond(n)
	case tree.Race:
		f = "A+ = 1 − ∏(1 − A+_i); "
		if n.Multi {
			f += fmt.Sprintf("A− = min(shared fate 1 − ∏_g(1 − max_{i∈g} A−_i) = %s, independent 1 − ∏(1 − A−_i) = %s)", ff(v.shared), ff(v.indep))
		} else {
			f += "A− = 1 − ∏(1 − A−_i) (no shared failure domain)"
		}
		if r := n.Src.(*journey.Race); r.HedgeAfter > 0 {
			notes = append(notes, "Race at "+n.Path+": hedging delays branches but does not change availability")
		}
	case tree.KofN:
		f = fmt.Sprintf("A+ = P(at least %d of %d), Poisson-binomial tail of A+_i; ", n.K, len(n.Children))
		switch {
		case !n.Multi:
			f += "A− = Poisson-binomial tail of A−_i (no shared failure domain)"
		case !isNaN(v.groupwise):
			f += fmt.Sprintf("A− = min(shared fate max(groupwise minimum %s, Esary–Proschan min-path %s), independent %s)",
				ff(v.groupwise), ff(v.minPath), ff(v.indep))
			if v.merged > 0 {
				notes = append(notes, fmt.Sprintf("KofN at %s: %d fate group merge(s) keep the groupwise enumeration within %d combinations; "+
					"merged groups may co-fail in any way, so A− is sound but may lie below the exact minimum", n.Path, v.merged, kofn.Budget))
			}
		default:
			f += fmt.Sprintf("A− = min(comonotone within fate groups %s, independent %s)", ff(v.comon), ff(v.indep))
		}
	case tree.Timeout:
		f, notes = describeTimeout(n, l, v)
	case tree.Retry:
		f, notes = describeRetry(n, l, v, e.nodeName(n.Children[0], exprs))
	}
	notes = append(notes, e.groupNotes(n, exprs)...)
	return f, notes
}

func isNaN(x float64) bool { return x != x }

func (e *evaluator) describeCond(n *tree.Node) (string, []string) {
	c := n.Src.(*journey.Cond)
	var interval bool
	var notes []string
	for i, p := range c.Probs {
		interval = interval || p.IsInterval()
		if p.Param != "" {
			notes = append(notes, fmt.Sprintf("Cond at %s: branch %d probability %s bound to %s", n.Path, i,
				p.Param, journey.Prob{Lo: p.Lo, Hi: p.Hi}))
		}
	}
	kids := len(n.Children)
	p, m := make([]float64, kids), make([]float64, kids)
	for j, k := range n.Children {
		p[j], m[j] = e.plus[k], e.minus[k]
	}
	best, worst := make([]float64, kids), make([]float64, kids)
	var idx []int
	dist.Vertex(n.Lo, n.Hi, p, true, &idx, best)
	dist.Vertex(n.Lo, n.Hi, m, false, &idx, worst)
	if !interval {
		return "A = Σ p_i A_i with p = " + floats(best), notes
	}
	notes = append(notes, fmt.Sprintf("Cond at %s: interval branch probabilities; A+ takes the best vertex %s, A− the worst vertex %s",
		n.Path, floats(best), floats(worst)))
	return fmt.Sprintf("A+ = Σ p_i A+_i at the best vertex p = %s; A− = Σ p_i A−_i at the worst vertex p = %s",
		floats(best), floats(worst)), notes
}

func describeTimeout(n *tree.Node, l *late, v value) (string, []string) {
	to := n.Src.(*journey.Timeout)
	var notes []string
	if s := lateNote(n, l, "Timeout", "the primary always answers before", to.Timeout); s != "" {
		notes = append(notes, s)
	}
	f := lateFormula(l, "primary")
	switch {
	case len(n.Children) == 1:
		f += "A+ = S+(τ); A− = S−(τ) (no fallback)"
	case n.Multi:
		f += fmt.Sprintf("A+ = S+ + (1 − S+)·A+_fallback; A− = min(shared fate max(S−, A−_fallback) = %s, independent S− + (1 − S−)·A−_fallback = %s)",
			journey.FormatFloat(v.shared), journey.FormatFloat(v.indep))
	default:
		f += "A+ = S+ + (1 − S+)·A+_fallback; A− = S− + (1 − S−)·A−_fallback (no shared failure domain)"
	}
	return f, notes
}

func describeRetry(n *tree.Node, l *late, v value, target string) (string, []string) {
	r := n.Src.(*journey.Retry)
	var notes []string
	if s := lateNote(n, l, "Retry", "every attempt answers before", r.PerTryTimeout); s != "" && r.PerTryTimeout > 0 {
		notes = append(notes, s)
	}
	if n.K > 1 {
		notes = append(notes, fmt.Sprintf("Retry at %s: the %d attempts of %s share fate (same components): A− counts a single attempt",
			n.Path, n.K, target))
	}
	f := lateFormula(l, "target") + fmt.Sprintf("A+ = 1 − (1 − S+)^%d; A− = min(shared fate S− = %s, independent 1 − (1 − S−)^%d = %s)",
		n.K, journey.FormatFloat(v.shared), n.K, journey.FormatFloat(v.indep))
	return f, notes
}

// lateNote states where the late fraction l of Timeout or Retry node n
// comes from; "" for a declared one without latency evidence.
func lateNote(n *tree.Node, l *late, op, always string, deadline float64) string {
	ff, d := journey.FormatFloat, journey.FormatDuration(deadline)
	switch {
	case l.timed && n.HasTimeoutProbability:
		return fmt.Sprintf("%s at %s: from the latency curves, with the declared timeoutProbability %s making as many on-time answers late (as the simulator draws it), a fraction %s (estimate) and %s (lower confidence band) of successful answers count as late after %s; A+ uses the first, A− the second, %s",
			op, n.Path, ff(n.TimeoutProbability), ff(journey.RoundSig(l.plus, 3)), ff(journey.RoundSig(l.minus, 3)), d, capNote(l))
	case l.timed:
		return fmt.Sprintf("%s at %s: from the latency curves (latency evidence and nested deadlines), a fraction %s (estimate) and %s (lower confidence band) of successful answers arrive after %s; A+ uses the first, A− the second, %s",
			op, n.Path, ff(journey.RoundSig(l.plus, 3)), ff(journey.RoundSig(l.minus, 3)), d, capNote(l))
	case !n.HasTimeoutProbability:
		return fmt.Sprintf("no latency evidence: %s at %s assumes %s %s", op, n.Path, always, d)
	}
	return ""
}

// capNote explains the cap, from late fraction l, on the on-time success
// of a timed Timeout's or Retry's primary in A−.
func capNote(l *late) string {
	return "capping the primary's on-time success at " + journey.FormatFloat(journey.RoundSig(l.onTimeLow, 3)) +
		": its lower bound with every leaf at its lower availability and lower latency band, distinct fate groups independent and calls within one positively dependent in failure and latency (no redundancy gain within a group; Makarov's bound for the steps of a Series that share one), since lower availabilities can shift weight to slow paths and calls that share a domain can be slow together"
}

// lateFormula is the start of a Timeout or Retry formula: S(τ) from the
// late fractions l.
func lateFormula(l *late, child string) string {
	ff := journey.FormatFloat
	if l.timed {
		return fmt.Sprintf("S+(τ) = A+_%s·(1 − tp+), S−(τ) = min(A−_%s·(1 − tp−), S↓(τ)), tp+ = %s, tp− = %s, S↓(τ) = %s; ",
			child, child, ff(l.plus), ff(l.minus), ff(l.onTimeLow))
	}
	if l.plus == l.minus {
		return fmt.Sprintf("S(τ) = A_%s·(1 − tp), tp = %s; ", child, ff(l.plus))
	}
	return fmt.Sprintf("S+(τ) = A+_%s·(1 − tp+), S−(τ) = A−_%s·(1 − tp−), tp+ = %s, tp− = %s; ", child, child, ff(l.plus), ff(l.minus))
}

// groupNotes states every fate group of two or more children at n.
func (e *evaluator) groupNotes(n *tree.Node, exprs []string) []string {
	if n.Op == tree.Retry {
		return nil // stated by describeRetry
	}
	var notes []string
	for _, g := range n.Groups {
		if len(g.Members) < 2 {
			continue
		}
		names := make([]string, len(g.Members))
		for i, m := range g.Members {
			names[i] = e.nodeName(n.Children[m], exprs)
		}
		doms := make([]string, len(g.Shared))
		for i, d := range g.Shared {
			doms[i] = e.t.Domains[d]
		}
		word := "failure domain "
		if len(doms) > 1 {
			word = "failure domains "
		}
		s := fmt.Sprintf("%s share %s%s: treated as one fate group (comonotone) inside %s at %s",
			andList(names), word, strings.Join(doms, ", "), journey.Label(n.Src), n.Path)
		switch {
		case n.Op == tree.Timeout:
			s += "; the fallback gives no redundancy gain in A−"
		case n.Op == tree.KofN && n.K > 1 && n.K < len(n.Children):
			s = fmt.Sprintf("%s share %s%s: one fate group inside %s at %s; for 1 < k < n, A− is the least P(at least k) over groups that fail independently and "+
				"any law of each group's success count with its members' mean availability (exact: two-point laws per group enumerated), and at least the Esary–Proschan min-path bound",
				andList(names), word, strings.Join(doms, ", "), journey.Label(n.Src), n.Path)
		}
		notes = append(notes, s)
	}
	return notes
}

// maxNameLen is the longest expression used to name a node in an
// assumption; longer subtrees are named by their path.
const maxNameLen = 60

// nodeName names node i in an assumption: its expression when short,
// otherwise its path.
func (e *evaluator) nodeName(i int32, exprs []string) string {
	if len(exprs[i]) <= maxNameLen {
		return exprs[i]
	}
	return e.t.Nodes[i].Path
}

// andList joins "a", "a and b", "a, b and c".
func andList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

func floats(a []float64) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = journey.FormatFloat(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}
