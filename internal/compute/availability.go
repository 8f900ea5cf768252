// Package compute derives a journey's reliability from its operator tree:
// the availability interval [A−, A+] with a derivation trace (DESIGN §3.1,
// §3.2), the latency objective's quantile as an estimate, an upper
// confidence bound and a dependence-free upper bound (§3.3, composed on a
// grid by package dist), and the sensitivity of the bounds to each
// component and failure domain (§3.4). Evaluate does all of it from one
// flattened tree. It is pure: no I/O.
//
// Three packages below it do the parts: package tree flattens and
// validates the journey (prepare.go calls tree.Build), package latency
// composes the latency curves and reads the late fractions and quantiles
// from them (latency.Prepare, then Model.Result), and package kofn bounds
// KofN under shared fate. This package evaluates the availability
// interval (eval.go), its derivation (trace.go) and the contributors
// (sensitivity.go), and assembles the results.
//
// A+ assumes that every call fails independently and takes the best vertex
// of interval branch probabilities. A− uses each component's lower
// availability, the worst probability vertex, and shared fate: the children
// of a redundancy operator (Race, KofN, Timeout with fallback, Retry) whose
// leaves' failure domains intersect, transitively, form a fate group that
// gives no redundancy gain. Every component is also its own implicit
// failure domain "component:NAME", so Race(a, a) and a retried subtree are
// single fate groups.
//
// A Timeout or Retry whose primary N can take time (latency evidence, or a
// nested deadline that delays it) gets its late fraction — the share of the
// primary's successful answers that arrive after the deadline τ — from the
// latency curves. A+ uses the estimate's: N answers on time with
// probability S+_N(τ) = A+_N·(1 − late+). A− uses the lower confidence
// band's, read at the leaves' point availabilities, and caps the result:
// S−_N(τ) = min(A−_N·(1 − late−), S↓_N(τ)). S↓_N(τ) is a lower bound of
// the probability that N succeeds within τ: N's tree evaluated as a lower
// band with every leaf at its lower availability and lower latency band,
// children that share no failure domain independent, and children that do
// share one given no redundancy gain (Race and KofN with k = 1 count the
// best branch of each fate group, 1 < k < n the dependence-free bound, a
// Timeout with its fallback in the primary's group the union bound, a
// Retry a single attempt) and, for the steps of a Series, Makarov's bound
// (latencies that co-move fatten the tail of a sum). The late fraction
// alone is not conservative: lower availabilities can shift weight to slow
// paths, and calls that share a domain can be slow together. A declared
// timeoutProbability additionally makes that fraction of on-time answers
// late, as the simulator draws it.
package compute

import (
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// General assumptions recorded at the head of every result.
const (
	assumeOptimistic  = "A+ assumes every call fails independently (repeated calls of one component included) and takes the best vertex of interval branch probabilities"
	assumePessimistic = "A− uses lower leaf availabilities and the worst vertex of interval branch probabilities; children of a redundancy operator whose failure domains intersect (each component being its own domain too) form one fate group with no redundancy gain; distinct fate groups are assumed independent"
)

// AvailabilityResult is a journey's availability interval with its
// derivation.
type AvailabilityResult struct {
	// Optimistic is A+ (DESIGN §3.1).
	Optimistic float64 `json:"optimistic"`
	// Pessimistic is A− (DESIGN §3.2).
	Pessimistic float64 `json:"pessimistic"`
	// Trace derives every node of the tree, in pre-order (root first).
	Trace []Step `json:"trace"`
	// Assumptions gathers the general assumptions and those of every step,
	// deduplicated, in order of first appearance.
	Assumptions []string `json:"assumptions"`
}

// Step is the derivation of one node of the operator tree.
type Step struct {
	// Path locates the node: the root's operator, then for each level the
	// child's operator (or component name) and its index, e.g.
	// "Series/Timeout[2]/Race[0]".
	Path string `json:"path"`
	// Kind is the operator as written in YAML ("series", "leaf", …).
	Kind string `json:"kind"`
	// Expr is the canonical expression of the subtree.
	Expr string `json:"expr"`
	// Optimistic and Pessimistic are the node's A+ and A−.
	Optimistic  float64 `json:"optimistic"`
	Pessimistic float64 `json:"pessimistic"`
	// Formula states how both values were computed, with the intermediate
	// values that decided A−.
	Formula string `json:"formula"`
	// FateGroups lists the fate groups of a redundancy operator's children.
	FateGroups []FateGroup `json:"fateGroups,omitempty"`
	// Assumptions are the assumptions made at this node.
	Assumptions []string `json:"assumptions,omitempty"`
}

// FateGroup is a set of children of a redundancy operator that share
// failure domains, directly or transitively, and are therefore treated as
// comonotone in A−.
type FateGroup struct {
	// Children are the members' positions among the operator's children.
	Children []int `json:"children"`
	// Members are the members' canonical expressions.
	Members []string `json:"members"`
	// SharedDomains are the domains held by at least two members, sorted
	// (implicit per-component domains appear as "component:NAME").
	SharedDomains []string `json:"sharedDomains,omitempty"`
}

// Availability computes the availability interval [A−, A+] of j with its
// derivation trace. Cond probabilities must already be bound (Prob.Lo and
// Prob.Hi filled for parameters). The error lists every problem found
// (unknown components, values outside [0, 1], probabilities that cannot sum
// to 1, k or attempts out of range), one per line.
func Availability(j *model.Journey) (AvailabilityResult, error) {
	e, _, err := prepare(j, prepOpts{})
	if err != nil {
		return AvailabilityResult{}, err
	}
	return e.availability(), nil
}

// availability returns the availability result of the evaluated journey.
func (e *evaluator) availability() AvailabilityResult {
	res := AvailabilityResult{Trace: make([]Step, 0, len(e.t.Nodes))}
	res.Optimistic, res.Pessimistic = e.rootBounds()
	var all assumptions
	all.add(assumeOptimistic)
	all.add(assumePessimistic)
	for _, n := range e.notes {
		all.add(n)
	}
	exprs := make([]string, len(e.t.Nodes))
	for i := range e.t.Nodes {
		exprs[i] = e.t.Nodes[i].Src.String()
	}
	e.trace(e.t.Root(), exprs, &res.Trace)
	for _, s := range res.Trace {
		for _, a := range s.Assumptions {
			all.add(a)
		}
	}
	res.Assumptions = all.list
	return res
}

// Bounds returns only A+ and A− of j, skipping the derivation trace; use
// it where many variants of a journey are evaluated (what-if, guards).
func Bounds(j *model.Journey) (optimistic, pessimistic float64, err error) {
	e, _, err := prepare(j, prepOpts{})
	if err != nil {
		return 0, 0, err
	}
	optimistic, pessimistic = e.rootBounds()
	return optimistic, pessimistic, nil
}

// assumptions is an insertion-ordered set of strings.
type assumptions struct {
	list []string
	seen map[string]bool
}

func (a *assumptions) add(s string) {
	if a.seen == nil {
		a.seen = map[string]bool{}
	}
	if !a.seen[s] {
		a.seen[s] = true
		a.list = append(a.list, s)
	}
}

// trace appends the steps of node i's subtree in pre-order; exprs holds
// every node's canonical expression.
func (e *evaluator) trace(i int32, exprs []string, out *[]Step) {
	n := &e.t.Nodes[i]
	v := e.evalNode(i)
	st := Step{
		Path:        n.Path,
		Kind:        journey.Kind(n.Src),
		Expr:        exprs[i],
		Optimistic:  v.plus,
		Pessimistic: v.minus,
	}
	st.Formula, st.Assumptions = e.describe(i, v, exprs)
	for _, g := range n.Groups {
		fg := FateGroup{Children: g.Members}
		for _, m := range g.Members {
			fg.Members = append(fg.Members, exprs[n.Children[m]])
		}
		for _, d := range g.Shared {
			fg.SharedDomains = append(fg.SharedDomains, e.t.Domains[d])
		}
		st.FateGroups = append(st.FateGroups, fg)
	}
	*out = append(*out, st)
	for _, c := range n.Children {
		e.trace(c, exprs, out)
	}
}
