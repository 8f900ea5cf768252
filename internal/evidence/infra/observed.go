package infra

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/journey"
)

// pointTolerance is how far a declared weight may lie from an observed
// branch probability that comes without a confidence interval before the
// two are said to disagree.
const pointTolerance = 0.05

// faultEvidence compares an unconditional abort with the failures the
// traces saw on the host's components: an abort of p% with fewer than
// p/2 % failures observed is a disagreement (noted apart); otherwise the
// observed rate is quoted.
func (a *attacher) faultEvidence(r *Route, f Fault, hosts []string) string {
	good, total := 0, 0
	for _, t := range a.targets {
		if slices.Contains(hosts, t.Name) {
			good, total = good+t.Good, total+t.Total
		}
	}
	if f.Kind != "abort" || r.Match != "" || total == 0 {
		return ""
	}
	rate := float64(total-good) / float64(total)
	observed := fmt.Sprintf("the traces show %s%% failures of %s (%d of %d calls)", fmtFloat(100*rate), strings.Join(hosts, ", "), total-good, total)
	if f.Percent >= 1 && rate < f.Percent/200 {
		a.notes.add(NoteDisagreement, f.Source, fmt.Sprintf("%s declares a fault, %s, on every request to %s, but %s: the fault was not active where the traces were taken, "+
			"or another VirtualService wins", r.Object, f, r.Host, observed), hosts...)
		return ""
	}
	return "; " + observed
}

// deadlineAgreement says whether the traces show the route's timeout
// around its destinations (the journey components in leaves).
func deadlineAgreement(root journey.Node, r *Route, leaves []string) string {
	if r.Timeout <= 0 && r.PerTryTimeout <= 0 {
		return "it sets no deadline"
	}
	var found []float64
	around := func(n journey.Node) bool {
		return slices.ContainsFunc(journey.Leaves(n), func(l string) bool { return slices.Contains(leaves, l) })
	}
	journey.Walk(root, func(n journey.Node) bool {
		switch n := n.(type) {
		case *journey.Timeout:
			if around(n.Primary) {
				found = append(found, n.Timeout)
			}
		case *journey.Retry:
			if around(n.Target) {
				found = append(found, n.PerTryTimeout)
			}
		}
		return true
	})
	for _, t := range found {
		if math.Abs(t-r.Timeout) < 1e-3 || math.Abs(t-r.PerTryTimeout) < 1e-3 {
			return fmt.Sprintf("the traces agree: a %gs deadline around it", t)
		}
	}
	if len(found) == 0 {
		return "the traces show no deadline around it (review: unused route, or the deadline never hit)"
	}
	return fmt.Sprintf("the traces show other deadlines %v (review)", found)
}

// observedSplit is a Cond of the tree whose branches each lead to the
// components of one destination of a route.
type observedSplit struct {
	path string
	// lo and hi are the observed probability interval of each
	// destination of the route (by index in Route.Split).
	lo, hi []float64
}

// splitAgreement compares a weighted split of an unconditional rule with
// the branch probabilities of the Cond of the tree that chooses between
// its destinations, when the traces tell them apart, and notes a
// disagreement.
func (a *attacher) splitAgreement(r *Route) string {
	if r.Match != "" || len(r.Split) < 2 {
		return ""
	}
	sets := make([][]string, len(r.Split))
	for i, d := range r.Split {
		sets[i] = a.subsetTargets(r, d)
		if d.Subset == "" {
			sets[i] = a.hostTargets(d.Host, r.Namespace)
		}
		if len(sets[i]) == 0 {
			return "the traces do not tell the destinations apart (their components are the service), so the split cannot be checked against them"
		}
	}
	obs, ok := a.findSplit(sets)
	if !ok {
		return "no branch point of the traces chooses between the destinations, so the split cannot be checked against them"
	}
	var declared, seen []string
	agree := true
	var comps []string
	for i, d := range r.Split {
		lo, hi := obs.lo[i], obs.hi[i]
		tol := 0.0
		if hi-lo < 1e-9 {
			tol = pointTolerance
		}
		if d.Weight < lo-tol-1e-9 || d.Weight > hi+tol+1e-9 {
			agree = false
		}
		declared = append(declared, fmt.Sprintf("declared %s for %s (%s)", fmtFloat(d.Weight), a.describeDest(r, d), strings.Join(sets[i], ", ")))
		seen = append(seen, fmt.Sprintf("%s [%s, %s]", fmtFloat((lo+hi)/2), fmtFloat(lo), fmtFloat(hi)))
		comps = append(comps, sets[i]...)
	}
	if agree {
		return fmt.Sprintf("the traces agree with the split at %s (%s)", obs.path, strings.Join(seen, ", "))
	}
	a.notes.add(NoteDisagreement, r.Source, fmt.Sprintf("%s: %s, but the traces show %s at %s: stale configuration, a rule or VirtualService that does not apply, or too few traces",
		r.Object, strings.Join(declared, ", "), strings.Join(seen, ", "), obs.path), comps...)
	return "the traces disagree with the split (see the disagreement note)"
}

// findSplit finds the first Cond of the tree (depth first) whose
// branches each reach the components of exactly one of the sets, every
// set reached, and sums the branch probabilities per set.
func (a *attacher) findSplit(sets [][]string) (observedSplit, bool) {
	var out observedSplit
	found := false
	var walk func(n journey.Node, path string)
	walk = func(n journey.Node, path string) {
		if found || n == nil {
			return
		}
		if c, ok := n.(*journey.Cond); ok {
			if s, ok := a.matchCond(c, path, sets); ok {
				out, found = s, true
				return
			}
		}
		for i, ch := range n.Children() {
			walk(ch, journey.ChildPath(path, ch, i))
		}
	}
	if a.j.Root != nil {
		walk(a.j.Root, journey.Label(a.j.Root))
	}
	return out, found
}

// matchCond maps the branches of c onto the sets.
func (a *attacher) matchCond(c *journey.Cond, path string, sets [][]string) (observedSplit, bool) {
	probs := a.j.Intervals[path]
	if len(probs) != len(c.Branches) {
		probs = condProbs(c)
	}
	s := observedSplit{path: path, lo: make([]float64, len(sets)), hi: make([]float64, len(sets))}
	reached := make([]bool, len(sets))
	for b, br := range c.Branches {
		set := -1
		for _, l := range journey.Leaves(br) {
			for i, names := range sets {
				if slices.Contains(names, l) {
					if set >= 0 && set != i {
						return s, false
					}
					set = i
				}
			}
		}
		if set < 0 {
			continue
		}
		reached[set] = true
		s.lo[set] += probs[b].Lo
		s.hi[set] += probs[b].Hi
	}
	if slices.Contains(reached, false) {
		return s, false
	}
	for i := range s.hi {
		s.lo[i], s.hi[i] = round4(s.lo[i]), round4(min(s.hi[i], 1))
	}
	return s, true
}

// condProbs returns a Cond's branch probabilities; a missing last one is
// the complement of the others.
func condProbs(c *journey.Cond) []journey.Prob {
	out := make([]journey.Prob, len(c.Branches))
	var lo, hi float64
	for i := range c.Branches {
		if i < len(c.Probs) {
			out[i] = c.Probs[i]
			lo, hi = lo+c.Probs[i].Lo, hi+c.Probs[i].Hi
			continue
		}
		out[i] = journey.Prob{Lo: max(0, 1-hi), Hi: max(0, 1-lo)}
	}
	return out
}
