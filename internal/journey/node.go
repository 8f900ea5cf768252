// Package journey defines the operator tree of a user journey: a sealed set
// of node types (leaf, skip, Series, Parallel, Cond, Race, KofN, Timeout,
// Retry), a Walk function, a canonical String form that round-trips through
// the expression parser, and structural validation.
//
// The canonical expression of the seed paper's checkout journey is
//
//	Series(frontend, Cond(p_hit; cache, catalog), Timeout(200ms; Race(paya, payb), queue))
//
// Durations are float64 seconds throughout.
package journey

import (
	"strconv"
	"strings"

	"github.com/emac-dev/emac/internal/diag"
)

// Node is one operator or leaf of the tree. The interface is sealed: only the
// types of this package implement it.
type Node interface {
	// Position is where the node was written (a YAML node or a place inside
	// an expression string).
	Position() diag.Pos
	// Children returns the node's direct children in order.
	Children() []Node
	// String returns the canonical expression of the subtree.
	String() string
	node()
}

// At carries a node's source position; it is embedded in every node type.
type At struct {
	Pos diag.Pos
}

// Position returns the node's source position.
func (a At) Position() diag.Pos { return a.Pos }

// SetPosition moves the node's source position (used to map positions
// inside an embedded expression back to its file).
func (a *At) SetPosition(p diag.Pos) { a.Pos = p }

// Leaf is a call to a component, named in spec.components.
type Leaf struct {
	At
	Name string
}

// Skip is an optional step that succeeds at once with zero latency.
type Skip struct {
	At
}

// Series runs its steps one after another; all must succeed.
type Series struct {
	At
	Steps []Node
}

// Parallel forks its branches and joins on all of them (join: all).
type Parallel struct {
	At
	Branches []Node
}

// Prob is a branch probability: a point (Lo == Hi), an interval [Lo, Hi], or
// a named parameter bound under spec.parameters. Implicit marks the last
// probability of a Cond that was not written and is the complement of the
// others.
type Prob struct {
	Pos      diag.Pos
	Param    string
	Lo, Hi   float64
	Implicit bool
}

// IsInterval reports whether the probability is a non-degenerate interval.
func (p Prob) IsInterval() bool { return p.Hi > p.Lo }

// Cond takes exactly one of its branches, branch i with probability Probs[i].
// After validation len(Probs) == len(Branches).
type Cond struct {
	At
	Probs    []Prob
	Branches []Node
}

// Race starts its branches (branch i after (i-1)*HedgeAfter seconds when
// HedgeAfter > 0) and takes the first success; losers are cancelled.
type Race struct {
	At
	HedgeAfter float64
	Branches   []Node
}

// KofN succeeds when at least K of its branches succeed.
type KofN struct {
	At
	K        int
	Branches []Node
}

// Timeout cuts Primary at Timeout seconds and then runs Fallback (if any).
// TimeoutProbability, when set, is an independent chance that an otherwise
// timely successful answer of the primary counts as late (declared when
// latency evidence is missing); the late fraction is then
// 1 − (1 − tp)·S_N(τ)/A_N.
type Timeout struct {
	At
	Timeout            float64
	Primary            Node
	Fallback           Node // nil when there is no fallback
	TimeoutProbability *float64
}

// Retry runs Target up to Attempts times in total, each attempt limited by
// PerTryTimeout seconds, attempt j starting at j*(PerTryTimeout+Backoff).
// TimeoutProbability is, as for Timeout, an independent chance that a
// timely successful attempt counts as late.
type Retry struct {
	At
	Attempts           int
	PerTryTimeout      float64
	Backoff            float64
	Target             Node
	TimeoutProbability *float64
}

func (*Leaf) node()     {}
func (*Skip) node()     {}
func (*Series) node()   {}
func (*Parallel) node() {}
func (*Cond) node()     {}
func (*Race) node()     {}
func (*KofN) node()     {}
func (*Timeout) node()  {}
func (*Retry) node()    {}

// Children returns no children.
func (*Leaf) Children() []Node { return nil }

// Children returns no children.
func (*Skip) Children() []Node { return nil }

// Children returns the steps.
func (n *Series) Children() []Node { return n.Steps }

// Children returns the branches.
func (n *Parallel) Children() []Node { return n.Branches }

// Children returns the branches.
func (n *Cond) Children() []Node { return n.Branches }

// Children returns the branches.
func (n *Race) Children() []Node { return n.Branches }

// Children returns the branches.
func (n *KofN) Children() []Node { return n.Branches }

// Children returns the primary and, if present, the fallback.
func (n *Timeout) Children() []Node {
	if n.Fallback == nil {
		return []Node{n.Primary}
	}
	return []Node{n.Primary, n.Fallback}
}

// Children returns the retried target.
func (n *Retry) Children() []Node { return []Node{n.Target} }

// Walk calls fn for n and then, depth first and in order, for every
// descendant. When fn returns false the node's children are skipped.
func Walk(n Node, fn func(Node) bool) {
	if n == nil || !fn(n) {
		return
	}
	for _, c := range n.Children() {
		Walk(c, fn)
	}
}

// Leaves returns the component names referenced by the tree, in first-use
// order, each once.
func Leaves(n Node) []string {
	seen := map[string]bool{}
	var out []string
	Walk(n, func(n Node) bool {
		if l, ok := n.(*Leaf); ok && !seen[l.Name] {
			seen[l.Name] = true
			out = append(out, l.Name)
		}
		return true
	})
	return out
}

// Kind returns the operator's name as written in the YAML tree
// ("series", "cond", …, "leaf", "skip").
func Kind(n Node) string {
	switch n.(type) {
	case *Leaf:
		return "leaf"
	case *Skip:
		return "skip"
	case *Series:
		return "series"
	case *Parallel:
		return "parallel"
	case *Cond:
		return "cond"
	case *Race:
		return "race"
	case *KofN:
		return "kofn"
	case *Timeout:
		return "timeout"
	case *Retry:
		return "retry"
	}
	return "unknown"
}

// Label names a node in a derivation path: the component name for a leaf,
// "skip", or the operator's expression name ("Series", "KofN", …).
func Label(n Node) string {
	switch n := n.(type) {
	case nil:
		return "?"
	case *Leaf:
		return n.Name
	case *Skip:
		return "skip"
	case *KofN:
		return "KofN"
	}
	k := Kind(n)
	return strings.ToUpper(k[:1]) + k[1:]
}

// ChildPath is the derivation path of the i-th child c of the node at
// parent, e.g. "Series/Timeout[2]".
func ChildPath(parent string, c Node, i int) string {
	return parent + "/" + Label(c) + "[" + strconv.Itoa(i) + "]"
}
