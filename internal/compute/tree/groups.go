package tree

import "slices"

// groupAll computes every node's failure-domain set bottom-up and the fate
// groups of the children of every redundancy operator.
func (t *Tree) groupAll() {
	sets := make([][]int32, len(t.Nodes))
	first := make([]int, len(t.Domains))
	for d := range first {
		first[d] = -1
	}
	for i := range t.Nodes {
		n := &t.Nodes[i]
		switch n.Op {
		case Leaf:
			sets[i] = t.ComponentDomains[n.Component]
			continue
		case Skip:
			continue
		}
		var s []int32
		for _, c := range n.Children {
			s = append(s, sets[c]...)
		}
		slices.Sort(s)
		sets[i] = slices.Compact(s)
		switch n.Op {
		case Race, KofN, Timeout, Retry, Series, Parallel:
			kidSets := make([][]int32, len(n.Children))
			for p, c := range n.Children {
				kidSets[p] = sets[c]
			}
			groups := fateGroups(kidSets, first)
			multi := false
			for _, g := range groups {
				multi = multi || len(g.Members) > 1
			}
			if n.Op != Series && n.Op != Parallel {
				n.Groups, n.Multi = groups, multi
			} else if multi {
				// Only the latency of a Series or Parallel depends on its
				// groups (they are not part of its availability
				// derivation: positive dependence cannot hurt them).
				for _, g := range groups {
					n.StepGroups = append(n.StepGroups, g.Members)
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
func fateGroups(sets [][]int32, first []int) []Group {
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
	var groups []Group
	at := make([]int, len(sets)) // root → group index + 1
	for i := range sets {
		r := find(i)
		if at[r] == 0 {
			groups = append(groups, Group{})
			at[r] = len(groups)
		}
		g := &groups[at[r]-1]
		g.Members = append(g.Members, i)
	}
	// first is reused as a per-domain member count within a group.
	for _, s := range sets {
		for _, d := range s {
			first[d] = 0
		}
	}
	for gi := range groups {
		g := &groups[gi]
		if len(g.Members) < 2 {
			continue
		}
		for _, m := range g.Members {
			for _, d := range sets[m] {
				first[d]++
				if first[d] == 2 {
					g.Shared = append(g.Shared, d)
				}
			}
		}
		slices.Sort(g.Shared)
	}
	for _, s := range sets {
		for _, d := range s {
			first[d] = -1
		}
	}
	return groups
}
