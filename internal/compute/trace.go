package compute

import (
	"fmt"
	"strings"

	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
)

// describe returns the formula and the assumptions of node n evaluated to
// v; exprs holds every node's canonical expression.
func (t *tree) describe(n *node, v value, exprs []string) (string, []string) {
	ff := journey.FormatFloat
	var notes []string
	var f string
	switch n.op {
	case opLeaf:
		c := t.comps[n.comp]
		f = fmt.Sprintf("leaf %s: A+ = point availability %s, A− = lower availability %s", c.Name, ff(v.plus), ff(v.minus))
		if c.Availability.Source != "" {
			f += " (source " + c.Availability.Source + ")"
		}
	case opSkip:
		f = "skip succeeds at once: A+ = A− = 1"
	case opSeries:
		f = "A+ = ∏ A+_i; A− = ∏ A−_i (positive dependence can only help a series)"
	case opParallel:
		f = "A+ = ∏ A+_i; A− = ∏ A−_i (join all; positive dependence can only help)"
	case opCond:
		f, notes = t.describeCond(n)
	case opRace:
		f = "A+ = 1 − ∏(1 − A+_i); "
		if n.multi {
			f += fmt.Sprintf("A− = min(shared fate 1 − ∏_g(1 − max_{i∈g} A−_i) = %s, independent 1 − ∏(1 − A−_i) = %s)", ff(v.shared), ff(v.indep))
		} else {
			f += "A− = 1 − ∏(1 − A−_i) (no shared failure domain)"
		}
		if r := n.src.(*journey.Race); r.HedgeAfter > 0 {
			notes = append(notes, "Race at "+n.path+": hedging delays branches but does not change availability")
		}
	case opKofN:
		f = fmt.Sprintf("A+ = P(at least %d of %d), Poisson-binomial tail of A+_i; ", n.k, len(n.kids))
		switch {
		case !n.multi:
			f += "A− = Poisson-binomial tail of A−_i (no shared failure domain)"
		case !isNaN(v.groupwise):
			f += fmt.Sprintf("A− = min(shared fate max(groupwise minimum %s, Esary–Proschan min-path %s), independent %s)",
				ff(v.groupwise), ff(v.minPath), ff(v.indep))
			if v.merged > 0 {
				notes = append(notes, fmt.Sprintf("KofN at %s: %d fate group merge(s) keep the groupwise enumeration within %d combinations; "+
					"merged groups may co-fail in any way, so A− is sound but may lie below the exact minimum", n.path, v.merged, kofnBudget))
			}
		default:
			f += fmt.Sprintf("A− = min(comonotone within fate groups %s, independent %s)", ff(v.comon), ff(v.indep))
		}
	case opTimeout:
		f, notes = t.describeTimeout(n, v)
	case opRetry:
		f, notes = t.describeRetry(n, v, t.nodeName(n.kids[0], exprs))
	}
	notes = append(notes, t.groupNotes(n, exprs)...)
	return f, notes
}

func isNaN(x float64) bool { return x != x }

func (t *tree) describeCond(n *node) (string, []string) {
	c := n.src.(*journey.Cond)
	var interval bool
	var notes []string
	for i, p := range c.Probs {
		interval = interval || p.IsInterval()
		if p.Param != "" {
			notes = append(notes, fmt.Sprintf("Cond at %s: branch %d probability %s bound to %s", n.path, i,
				p.Param, journey.Prob{Lo: p.Lo, Hi: p.Hi}))
		}
	}
	kids := len(n.kids)
	p, m := make([]float64, kids), make([]float64, kids)
	for j, k := range n.kids {
		p[j], m[j] = t.plus[k], t.minus[k]
	}
	best, worst := make([]float64, kids), make([]float64, kids)
	var idx []int
	dist.Vertex(n.lo, n.hi, p, true, &idx, best)
	dist.Vertex(n.lo, n.hi, m, false, &idx, worst)
	if !interval {
		return "A = Σ p_i A_i with p = " + floats(best), notes
	}
	notes = append(notes, fmt.Sprintf("Cond at %s: interval branch probabilities; A+ takes the best vertex %s, A− the worst vertex %s",
		n.path, floats(best), floats(worst)))
	return fmt.Sprintf("A+ = Σ p_i A+_i at the best vertex p = %s; A− = Σ p_i A−_i at the worst vertex p = %s",
		floats(best), floats(worst)), notes
}

func (t *tree) describeTimeout(n *node, v value) (string, []string) {
	to := n.src.(*journey.Timeout)
	var notes []string
	if s := lateNote(n, "Timeout", "the primary always answers before", to.Timeout); s != "" {
		notes = append(notes, s)
	}
	f := lateFormula(n, "primary")
	switch {
	case len(n.kids) == 1:
		f += "A+ = S+(τ); A− = S−(τ) (no fallback)"
	case n.multi:
		f += fmt.Sprintf("A+ = S+ + (1 − S+)·A+_fallback; A− = min(shared fate max(S−, A−_fallback) = %s, independent S− + (1 − S−)·A−_fallback = %s)",
			journey.FormatFloat(v.shared), journey.FormatFloat(v.indep))
	default:
		f += "A+ = S+ + (1 − S+)·A+_fallback; A− = S− + (1 − S−)·A−_fallback (no shared failure domain)"
	}
	return f, notes
}

func (t *tree) describeRetry(n *node, v value, target string) (string, []string) {
	r := n.src.(*journey.Retry)
	var notes []string
	if s := lateNote(n, "Retry", "every attempt answers before", r.PerTryTimeout); s != "" && r.PerTryTimeout > 0 {
		notes = append(notes, s)
	}
	if n.k > 1 {
		notes = append(notes, fmt.Sprintf("Retry at %s: the %d attempts of %s share fate (same components): A− counts a single attempt",
			n.path, n.k, target))
	}
	f := lateFormula(n, "target") + fmt.Sprintf("A+ = 1 − (1 − S+)^%d; A− = min(shared fate S− = %s, independent 1 − (1 − S−)^%d = %s)",
		n.k, journey.FormatFloat(v.shared), n.k, journey.FormatFloat(v.indep))
	return f, notes
}

// lateNote states where the late fraction of Timeout or Retry node n comes
// from; "" for a declared one without latency evidence.
func lateNote(n *node, op, always string, deadline float64) string {
	ff, d := journey.FormatFloat, journey.FormatDuration(deadline)
	switch {
	case n.lateTimed && n.tpSet:
		return fmt.Sprintf("%s at %s: from the latency curves, with the declared timeoutProbability %s making as many on-time answers late (as the simulator draws it), a fraction %s (estimate) and %s (lower confidence band) of successful answers count as late after %s; A+ uses the first, A− the second, %s",
			op, n.path, ff(n.tp), ff(roundSig(n.latePlus)), ff(roundSig(n.lateMinus)), d, capNote(n))
	case n.lateTimed:
		return fmt.Sprintf("%s at %s: from the latency curves (latency evidence and nested deadlines), a fraction %s (estimate) and %s (lower confidence band) of successful answers arrive after %s; A+ uses the first, A− the second, %s",
			op, n.path, ff(roundSig(n.latePlus)), ff(roundSig(n.lateMinus)), d, capNote(n))
	case !n.tpSet:
		return fmt.Sprintf("no latency evidence: %s at %s assumes %s %s", op, n.path, always, d)
	}
	return ""
}

// capNote explains the cap on the on-time success of timed Timeout or
// Retry node n's primary in A−.
func capNote(n *node) string {
	return "capping the primary's on-time success at " + journey.FormatFloat(roundSig(n.onTimeLow)) +
		": its lower bound with every leaf at its lower availability and lower latency band, distinct fate groups independent and calls within one positively dependent in failure and latency (no redundancy gain within a group; Makarov's bound for the steps of a Series that share one), since lower availabilities can shift weight to slow paths and calls that share a domain can be slow together"
}

// lateFormula is the start of a Timeout or Retry formula: S(τ) from the
// late fractions.
func lateFormula(n *node, child string) string {
	ff := journey.FormatFloat
	if n.lateTimed {
		return fmt.Sprintf("S+(τ) = A+_%s·(1 − tp+), S−(τ) = min(A−_%s·(1 − tp−), S↓(τ)), tp+ = %s, tp− = %s, S↓(τ) = %s; ",
			child, child, ff(n.latePlus), ff(n.lateMinus), ff(n.onTimeLow))
	}
	if n.latePlus == n.lateMinus {
		return fmt.Sprintf("S(τ) = A_%s·(1 − tp), tp = %s; ", child, ff(n.latePlus))
	}
	return fmt.Sprintf("S+(τ) = A+_%s·(1 − tp+), S−(τ) = A−_%s·(1 − tp−), tp+ = %s, tp− = %s; ", child, child, ff(n.latePlus), ff(n.lateMinus))
}

// groupNotes states every fate group of two or more children at n.
func (t *tree) groupNotes(n *node, exprs []string) []string {
	if n.op == opRetry {
		return nil // stated by describeRetry
	}
	var notes []string
	for _, g := range n.groups {
		if len(g.members) < 2 {
			continue
		}
		names := make([]string, len(g.members))
		for i, m := range g.members {
			names[i] = t.nodeName(n.kids[m], exprs)
		}
		doms := make([]string, len(g.shared))
		for i, d := range g.shared {
			doms[i] = t.domains[d]
		}
		word := "failure domain "
		if len(doms) > 1 {
			word = "failure domains "
		}
		s := fmt.Sprintf("%s share %s%s: treated as one fate group (comonotone) inside %s at %s",
			andList(names), word, strings.Join(doms, ", "), journey.Label(n.src), n.path)
		switch {
		case n.op == opTimeout:
			s += "; the fallback gives no redundancy gain in A−"
		case n.op == opKofN && n.k > 1 && n.k < len(n.kids):
			s = fmt.Sprintf("%s share %s%s: one fate group inside %s at %s; for 1 < k < n, A− is the least P(at least k) over groups that fail independently and "+
				"any law of each group's success count with its members' mean availability (exact: two-point laws per group enumerated), and at least the Esary–Proschan min-path bound",
				andList(names), word, strings.Join(doms, ", "), journey.Label(n.src), n.path)
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
func (t *tree) nodeName(i int32, exprs []string) string {
	if len(exprs[i]) <= maxNameLen {
		return exprs[i]
	}
	return t.nodes[i].path
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
