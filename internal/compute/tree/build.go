package tree

import (
	"slices"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// probTolerance is how far Σ Lo may exceed 1, or Σ Hi fall short of 1, before
// a Cond's probabilities are rejected (rounding of written decimals).
const probTolerance = 1e-9

// Build flattens and validates j's tree. All problems are reported at once.
func Build(j *model.Journey) (*Tree, error) {
	var errs diag.List
	if j == nil || j.Root == nil {
		errs.Errorf(diag.Pos{}, "journey has no operator tree")
		return nil, errs.Err()
	}
	t := &Tree{ComponentIndex: map[string]int32{}}
	domIdx := map[string]int32{}
	intern := func(name string, implicit bool) int32 {
		if id, ok := domIdx[name]; ok {
			return id
		}
		id := int32(len(t.Domains))
		domIdx[name] = id
		t.Domains = append(t.Domains, name)
		t.Implicit = append(t.Implicit, implicit)
		return id
	}
	for _, name := range journey.Leaves(j.Root) {
		c := j.Components[name]
		if c == nil {
			continue // reported at the leaf
		}
		id := int32(len(t.Components))
		t.ComponentIndex[name] = id
		t.Components = append(t.Components, c)
		var doms []int32
		for _, d := range c.AllDomains() {
			doms = append(doms, intern(d, false))
		}
		doms = append(doms, intern(implicitDomain(name), true))
		slices.Sort(doms)
		t.ComponentDomains = append(t.ComponentDomains, slices.Compact(doms))
		t.Point = append(t.Point, c.Availability.Point)
		lo := c.Availability.Lower
		if !inUnit(c.Availability.Point) || !inUnit(lo) {
			errs.Errorf(c.Pos, "component %q: availability point %v and lower %v must lie in [0, 1]", name, c.Availability.Point, lo)
		}
		if lo > c.Availability.Point {
			t.Notes = append(t.Notes, "component "+name+": lower availability "+journey.FormatFloat(lo)+
				" exceeds its point value; A− uses the point value "+journey.FormatFloat(c.Availability.Point))
			lo = c.Availability.Point
		}
		t.Lower = append(t.Lower, lo)
	}
	t.Leaves = make([][]int32, len(t.Components))
	size := 0
	journey.Walk(j.Root, func(journey.Node) bool { size++; return true })
	t.Nodes = make([]Node, 0, size)
	t.add(j.Root, journey.Label(j.Root), -1, &errs)
	if errs.HasErrors() {
		return nil, errs.Err()
	}
	t.groupAll()
	return t, nil
}

// implicitDomain names the failure domain every component forms on its own.
func implicitDomain(component string) string { return "component:" + component }

func inUnit(x float64) bool { return x >= 0 && x <= 1 }

// add appends n's subtree in post-order and returns n's index.
func (t *Tree) add(n journey.Node, path string, parent int32, errs *diag.List) int32 {
	if n == nil {
		errs.Errorf(diag.Pos{}, "%s: missing operator", path)
		return -1
	}
	nd := Node{Src: n, Path: path, Component: -1}
	pos := n.Position()
	switch n := n.(type) {
	case *journey.Leaf:
		nd.Op = Leaf
		id, ok := t.ComponentIndex[n.Name]
		if !ok {
			errs.Errorf(pos, "unknown component %q", n.Name)
		}
		nd.Component = id
	case *journey.Skip:
		nd.Op = Skip
	case *journey.Series:
		nd.Op = Series
	case *journey.Parallel:
		nd.Op = Parallel
	case *journey.Race:
		nd.Op = Race
	case *journey.Cond:
		nd.Op = Cond
		nd.Lo, nd.Hi = condBox(n, errs)
	case *journey.KofN:
		nd.Op = KofN
		nd.K = n.K
		if n.K < 1 || n.K > len(n.Branches) {
			errs.Errorf(pos, "KofN: k = %d must lie in [1, %d]", n.K, len(n.Branches))
		}
	case *journey.Timeout:
		nd.Op = Timeout
		nd.TimeoutProbability, nd.HasTimeoutProbability = lateFraction(n.TimeoutProbability, pos, errs)
	case *journey.Retry:
		nd.Op = Retry
		nd.K = n.Attempts
		if n.Attempts < 1 {
			errs.Errorf(pos, "Retry: attempts = %d must be at least 1", n.Attempts)
		}
		nd.TimeoutProbability, nd.HasTimeoutProbability = lateFraction(n.TimeoutProbability, pos, errs)
	default:
		errs.Errorf(pos, "%s: unsupported operator", path)
	}
	kids := n.Children()
	if len(kids) == 0 && nd.Op != Leaf && nd.Op != Skip {
		errs.Errorf(pos, "%s: operator without children", path)
	}
	for i, c := range kids {
		nd.Children = append(nd.Children, t.add(c, journey.ChildPath(path, c, i), -1, errs))
	}
	self := int32(len(t.Nodes))
	for _, c := range nd.Children {
		if c >= 0 {
			t.Nodes[c].Parent = self
		}
	}
	nd.Parent = parent
	t.Nodes = append(t.Nodes, nd)
	if nd.Op == Leaf && nd.Component >= 0 {
		t.Leaves[nd.Component] = append(t.Leaves[nd.Component], self)
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

// lateFraction returns a declared timeoutProbability, 0 and false when
// none was declared.
func lateFraction(p *float64, pos diag.Pos, errs *diag.List) (float64, bool) {
	if p == nil {
		return 0, false
	}
	if !inUnit(*p) {
		errs.Errorf(pos, "timeoutProbability %v must lie in [0, 1]", *p)
	}
	return *p, true
}
