// Package tree flattens a journey's operator tree for evaluation: its
// nodes in post-order with their operators, validated parameters and the
// fate groups of their children, and its components with their failure
// domains and leaf availabilities. Build makes a Tree; nothing changes it
// afterwards, so every later stage (availability in package compute,
// latency in package latency) reads the same tree and keeps its own
// per-node values.
package tree

import (
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// Op is the operator of a flattened node.
type Op uint8

// The operators, one per kind of journey node.
const (
	Leaf Op = iota
	Skip
	Series
	Parallel
	Cond
	Race
	KofN
	Timeout
	Retry
)

// Node is one node of the flattened tree. Nodes are stored in post-order
// (children before their parent, the root last), so a single forward pass
// evaluates the tree and re-evaluating a set of ancestors in index order is
// always consistent.
type Node struct {
	// Src is the journey node this one was flattened from.
	Src journey.Node
	// Op is the node's operator.
	Op Op
	// Path locates the node: the root's operator, then for each level the
	// child's operator (or component name) and its index.
	Path string
	// Parent is the parent's index, -1 for the root.
	Parent int32
	// Children are the children's indices, in the order written.
	Children []int32
	// Component is, for a Leaf, its component's index; -1 otherwise.
	Component int32
	// K is a KofN's k and a Retry's number of attempts.
	K int
	// TimeoutProbability is, for a Timeout or Retry, the declared late
	// fraction of the primary's successes (0 when none was declared), and
	// HasTimeoutProbability whether one was.
	TimeoutProbability    float64
	HasTimeoutProbability bool
	// StepGroups are, for a Series or Parallel whose children share failure
	// domains, the fate groups of the children (positions): their
	// latencies may co-move. Nil when no two children share a domain.
	StepGroups [][]int
	// Lo and Hi are a Cond's probability box.
	Lo, Hi []float64
	// Groups are the fate groups of a redundancy operator's children
	// (Race, KofN, Timeout, Retry).
	Groups []Group
	// Multi reports whether some fate group in Groups has two or more
	// members.
	Multi bool
}

// Group is a fate group: children (by position) whose leaf failure-domain
// sets intersect, transitively.
type Group struct {
	// Members are the children's positions, ascending.
	Members []int
	// Shared are the domains held by at least two members, ascending.
	Shared []int32
}

// Tree is a flattened, validated journey.
type Tree struct {
	// Nodes are the tree's nodes in post-order, the root last.
	Nodes []Node
	// Components are the components the leaves call, in order of first
	// appearance.
	Components []*model.Component
	// ComponentIndex maps a component's name to its index.
	ComponentIndex map[string]int32
	// Domains are the failure domain names, interned; Implicit reports,
	// per domain, whether it is a component's implicit own domain.
	Domains  []string
	Implicit []bool
	// ComponentDomains lists, per component, its domains (sorted indices
	// into Domains), its implicit one included.
	ComponentDomains [][]int32
	// Leaves lists, per component, the Leaf nodes that call it.
	Leaves [][]int32
	// Point and Lower are, per component, the point availability (A+'s
	// leaf value) and the lower availability (A−'s), at most Point.
	Point, Lower []float64
	// Notes are journey-level notes found while flattening.
	Notes []string
}

// Root returns the root's index.
func (t *Tree) Root() int32 { return int32(len(t.Nodes) - 1) }

// Deadline returns a Timeout's timeout or a Retry's per-try timeout.
func (n *Node) Deadline() float64 {
	if to, ok := n.Src.(*journey.Timeout); ok {
		return to.Timeout
	}
	return n.Src.(*journey.Retry).PerTryTimeout
}

// GroupMembers returns the members of every fate group in Groups.
func (n *Node) GroupMembers() [][]int {
	out := make([][]int, len(n.Groups))
	for i, g := range n.Groups {
		out[i] = g.Members
	}
	return out
}
