package compute

import (
	"slices"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// probTolerance is how far Σ Lo may exceed 1, or Σ Hi fall short of 1, before
// a Cond's probabilities are rejected (rounding of written decimals).
const probTolerance = 1e-9

// op is the operator of a flattened node.
type op uint8

const (
	opLeaf op = iota
	opSkip
	opSeries
	opParallel
	opCond
	opRace
	opKofN
	opTimeout
	opRetry
)

// node is one node of the flattened tree. Nodes are stored in post-order
// (children before their parent, the root last), so a single forward pass
// evaluates the tree and re-evaluating a set of ancestors in index order is
// always consistent.
type node struct {
	src    journey.Node
	op     op
	path   string
	parent int32
	kids   []int32
	comp   int32   // opLeaf: component index
	k      int     // opKofN: k; opRetry: attempts
	tp     float64 // opTimeout, opRetry: declared late fraction of successes
	tpSet  bool    // TimeoutProbability was given
	// latePlus and lateMinus are the late fractions A+ and A− use: the
	// estimate and pessimistic ones computed from the primary's latency
	// when it is timed (lateTimed: it has latency evidence or nested
	// deadlines), combined with the declared one; else the declared one,
	// or 0.
	latePlus, lateMinus float64
	lateTimed           bool
	// onTimeLow is, for a lateTimed node, S↓_N(τ): a lower bound of the
	// probability that the primary succeeds within the deadline (and is
	// not declared late) at the leaves' lower availabilities and lower
	// latency bands (see latshared.go). A− caps the primary's on-time
	// success at it.
	onTimeLow float64
	// stepGroups are, for a Series or Parallel whose children share failure
	// domains, the fate groups of the children (positions): their
	// latencies may co-move.
	stepGroups [][]int
	lo, hi     []float64 // opCond: probability box
	groups     []group   // redundancy operators: fate groups of the children
	multi      bool      // some fate group has two or more members
}

// group is a fate group: children (by position) whose leaf failure-domain
// sets intersect, transitively.
type group struct {
	members []int
	shared  []int32 // domains held by at least two members
}

// tree is the flattened, validated journey with per-node value caches.
type tree struct {
	nodes    []node
	comps    []*model.Component
	compIdx  map[string]int32
	domains  []string // interned domain names
	implicit []bool   // domain is a component's implicit own domain
	compDoms [][]int32
	occ      [][]int32 // component → its leaf nodes
	point    []float64 // per component: A+ leaf value
	lower    []float64 // per component: A− leaf value
	plus     []float64 // per node: A+
	minus    []float64 // per node: A−
	notes    []string  // journey-level notes found while compiling
	// inexact lists the reasons why numbers of this tree are not computed
	// to their stated accuracy (deadlines the latency grid cannot
	// resolve); the decision becomes REVIEW.
	inexact []string
	marked  []bool // per node: scratch for perturb
	s       scratch
	// lat, when set, holds the kept latency curves perturb re-evaluates to
	// recompute late fractions.
	lat *latency
}

// build flattens and validates j's tree. All problems are reported at once.
func build(j *model.Journey) (*tree, error) {
	var errs diag.List
	if j == nil || j.Root == nil {
		errs.Errorf(diag.Pos{}, "journey has no operator tree")
		return nil, errs.Err()
	}
	t := &tree{compIdx: map[string]int32{}}
	domIdx := map[string]int32{}
	intern := func(name string, implicit bool) int32 {
		if id, ok := domIdx[name]; ok {
			return id
		}
		id := int32(len(t.domains))
		domIdx[name] = id
		t.domains = append(t.domains, name)
		t.implicit = append(t.implicit, implicit)
		return id
	}
	for _, name := range journey.Leaves(j.Root) {
		c := j.Components[name]
		if c == nil {
			continue // reported at the leaf
		}
		id := int32(len(t.comps))
		t.compIdx[name] = id
		t.comps = append(t.comps, c)
		var doms []int32
		for _, d := range c.AllDomains() {
			doms = append(doms, intern(d, false))
		}
		doms = append(doms, intern(implicitDomain(name), true))
		slices.Sort(doms)
		t.compDoms = append(t.compDoms, slices.Compact(doms))
		t.point = append(t.point, c.Availability.Point)
		lo := c.Availability.Lower
		if !inUnit(c.Availability.Point) || !inUnit(lo) {
			errs.Errorf(c.Pos, "component %q: availability point %v and lower %v must lie in [0, 1]", name, c.Availability.Point, lo)
		}
		if lo > c.Availability.Point {
			t.notes = append(t.notes, "component "+name+": lower availability "+journey.FormatFloat(lo)+
				" exceeds its point value; A− uses the point value "+journey.FormatFloat(c.Availability.Point))
			lo = c.Availability.Point
		}
		t.lower = append(t.lower, lo)
	}
	t.occ = make([][]int32, len(t.comps))
	size := 0
	journey.Walk(j.Root, func(journey.Node) bool { size++; return true })
	t.nodes = make([]node, 0, size)
	t.add(j.Root, journey.Label(j.Root), -1, &errs)
	if errs.HasErrors() {
		return nil, errs.Err()
	}
	t.plus = make([]float64, len(t.nodes))
	t.minus = make([]float64, len(t.nodes))
	t.groupAll()
	return t, nil
}

// implicitDomain names the failure domain every component forms on its own.
func implicitDomain(component string) string { return "component:" + component }

func inUnit(x float64) bool { return x >= 0 && x <= 1 }

// add appends n's subtree in post-order and returns n's index.
func (t *tree) add(n journey.Node, path string, parent int32, errs *diag.List) int32 {
	if n == nil {
		errs.Errorf(diag.Pos{}, "%s: missing operator", path)
		return -1
	}
	nd := node{src: n, path: path, comp: -1}
	pos := n.Position()
	switch n := n.(type) {
	case *journey.Leaf:
		nd.op = opLeaf
		id, ok := t.compIdx[n.Name]
		if !ok {
			errs.Errorf(pos, "unknown component %q", n.Name)
		}
		nd.comp = id
	case *journey.Skip:
		nd.op = opSkip
	case *journey.Series:
		nd.op = opSeries
	case *journey.Parallel:
		nd.op = opParallel
	case *journey.Race:
		nd.op = opRace
	case *journey.Cond:
		nd.op = opCond
		nd.lo, nd.hi = condBox(n, errs)
	case *journey.KofN:
		nd.op = opKofN
		nd.k = n.K
		if n.K < 1 || n.K > len(n.Branches) {
			errs.Errorf(pos, "KofN: k = %d must lie in [1, %d]", n.K, len(n.Branches))
		}
	case *journey.Timeout:
		nd.op = opTimeout
		nd.tp, nd.tpSet = lateFraction(n.TimeoutProbability, pos, errs)
		nd.latePlus, nd.lateMinus = nd.tp, nd.tp
	case *journey.Retry:
		nd.op = opRetry
		nd.k = n.Attempts
		if n.Attempts < 1 {
			errs.Errorf(pos, "Retry: attempts = %d must be at least 1", n.Attempts)
		}
		nd.tp, nd.tpSet = lateFraction(n.TimeoutProbability, pos, errs)
		nd.latePlus, nd.lateMinus = nd.tp, nd.tp
	default:
		errs.Errorf(pos, "%s: unsupported operator", path)
	}
	kids := n.Children()
	if len(kids) == 0 && nd.op != opLeaf && nd.op != opSkip {
		errs.Errorf(pos, "%s: operator without children", path)
	}
	for i, c := range kids {
		nd.kids = append(nd.kids, t.add(c, journey.ChildPath(path, c, i), -1, errs))
	}
	self := int32(len(t.nodes))
	for _, c := range nd.kids {
		if c >= 0 {
			t.nodes[c].parent = self
		}
	}
	nd.parent = parent
	t.nodes = append(t.nodes, nd)
	if nd.op == opLeaf && nd.comp >= 0 {
		t.occ[nd.comp] = append(t.occ[nd.comp], self)
	}
	return self
}

// condBox returns the probability box of a Cond after checking that it
// intersects the simplex.
func condBox(n *journey.Cond, errs *diag.List) (lo, hi []float64) {
	if len(n.Probs) != len(n.Branches) {
		errs.Errorf(n.Pos, "Cond: %d probabilities for %d branches", len(n.Probs), len(n.Branches))
		return nil, nil
	}
	var sumLo, sumHi float64
	for _, p := range n.Probs {
		if !inUnit(p.Lo) || !inUnit(p.Hi) || p.Lo > p.Hi {
			errs.Errorf(p.Pos, "Cond: probability %s must satisfy 0 ≤ low ≤ high ≤ 1", p)
		}
		lo = append(lo, p.Lo)
		hi = append(hi, p.Hi)
		sumLo += p.Lo
		sumHi += p.Hi
	}
	if sumLo > 1+probTolerance || sumHi < 1-probTolerance {
		errs.Errorf(n.Pos, "Cond: branch probabilities cannot sum to 1 (low sum %v, high sum %v; unbound parameter?)", sumLo, sumHi)
	}
	return lo, hi
}

func lateFraction(p *float64, pos diag.Pos, errs *diag.List) (float64, bool) {
	if p == nil {
		return 0, false
	}
	if !inUnit(*p) {
		errs.Errorf(pos, "timeoutProbability %v must lie in [0, 1]", *p)
	}
	return *p, true
}

// groupAll computes every node's failure-domain set bottom-up and the fate
// groups of the children of every redundancy operator.
func (t *tree) groupAll() {
	sets := make([][]int32, len(t.nodes))
	first := make([]int, len(t.domains))
	for d := range first {
		first[d] = -1
	}
	for i := range t.nodes {
		n := &t.nodes[i]
		switch n.op {
		case opLeaf:
			sets[i] = t.compDoms[n.comp]
			continue
		case opSkip:
			continue
		}
		var s []int32
		for _, c := range n.kids {
			s = append(s, sets[c]...)
		}
		slices.Sort(s)
		sets[i] = slices.Compact(s)
		switch n.op {
		case opRace, opKofN, opTimeout, opRetry, opSeries, opParallel:
			kidSets := make([][]int32, len(n.kids))
			for p, c := range n.kids {
				kidSets[p] = sets[c]
			}
			groups := fateGroups(kidSets, first)
			multi := false
			for _, g := range groups {
				multi = multi || len(g.members) > 1
			}
			if n.op != opSeries && n.op != opParallel {
				n.groups, n.multi = groups, multi
			} else if multi {
				// Only the latency of a Series or Parallel depends on its
				// groups (they are not part of its availability
				// derivation: positive dependence cannot hurt them).
				for _, g := range groups {
					n.stepGroups = append(n.stepGroups, g.members)
				}
			}
		}
	}
}

// fateGroups partitions children into the connected components of the
// "share a failure domain" relation; sets are the children's sorted domain
// sets and first, indexed by domain, must hold -1 everywhere (it is restored
// before returning). Groups are ordered by their first member; members
// ascend.
func fateGroups(sets [][]int32, first []int) []group {
	parent := make([]int, len(sets))
	for i := range parent {
		parent[i] = i
	}
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for i, s := range sets {
		for _, d := range s {
			if f := first[d]; f >= 0 {
				a, b := find(f), find(i)
				parent[max(a, b)] = min(a, b)
			} else {
				first[d] = i
			}
		}
	}
	var groups []group
	at := make([]int, len(sets)) // root → group index + 1
	for i := range sets {
		r := find(i)
		if at[r] == 0 {
			groups = append(groups, group{})
			at[r] = len(groups)
		}
		g := &groups[at[r]-1]
		g.members = append(g.members, i)
	}
	// first is reused as a per-domain member count within a group.
	for _, s := range sets {
		for _, d := range s {
			first[d] = 0
		}
	}
	for gi := range groups {
		g := &groups[gi]
		if len(g.members) < 2 {
			continue
		}
		for _, m := range g.members {
			for _, d := range sets[m] {
				first[d]++
				if first[d] == 2 {
					g.shared = append(g.shared, d)
				}
			}
		}
		slices.Sort(g.shared)
	}
	for _, s := range sets {
		for _, d := range s {
			first[d] = -1
		}
	}
	return groups
}
