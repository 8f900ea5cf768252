package infer

import (
	"fmt"
	"slices"

	"github.com/emac-dev/emac/internal/journey"
)

// instant is a moment at which calls were cancelled in one view: the calls
// that ended then without being cancelled (triggers: the answer that
// decided a Race or KofN) and the cancelled ones (victims), as positions
// in the view's calls.
type instant struct {
	at       int64
	triggers []int
	victims  []int
}

// concurrent splits components that run side by side. Atoms are the
// components that must share a branch (one starts right after another
// ends, they are never called together, they are cut by one deadline, or
// retried together). Atoms that cancel each other (in at least
// minEvidence instances) form a Race or KofN; groups that never do are
// the branches of a Parallel. An atom seen cancelling or cancelled fewer
// times joins a cancelling group as a branch of its own when it always
// starts at one fixed delay after the node's start: a hedged branch that
// rarely starts.
func (d *decomposer) concurrent(S []int32, vs []view, depth int) journey.Node {
	if !overlapping(vs) {
		if seq, ok := sameSequence(vs); ok {
			return d.sequence(seq, vs)
		}
		if body, ok := repeatedBody(S, vs); ok {
			return d.loop(body, vs, false)
		}
		return d.unsplit(S, vs, depth, "their calls alternate (each comes both before and after calls of the others) without ever overlapping in time, and in no repeated order")
	}
	atomOf, atoms := d.atoms(S, vs)
	if len(atoms) == 1 {
		return d.unsplit(S, vs, depth, "they overlap in time but no operator separates them")
	}
	adj := d.cancelGraph(vs, atomOf, len(atoms))
	k := newUnionFind(len(atoms))
	strong := make([]bool, len(atoms))
	for a := range atoms {
		for b := a + 1; b < len(atoms); b++ {
			if adj[a][b] >= minEvidence {
				k.union(a, b)
				strong[a], strong[b] = true, true
			}
		}
	}
	late := d.lateAtoms(atoms, vs)
	own := map[int]bool{}
	for a := range atoms {
		for b := range atoms {
			if !strong[a] && late[a] && strong[b] && adj[a][b] > 0 && !own[a] {
				k.union(a, b)
				own[a] = true
			}
		}
	}
	clusters := k.groups()
	if len(clusters) > 1 {
		return d.parallel(S, vs, atoms, clusters, depth)
	}
	var core []int
	for _, a := range clusters[0] {
		if !own[a] {
			core = append(core, a)
		}
	}
	parts := complementParts(adj, core)
	for _, a := range clusters[0] {
		if own[a] {
			parts = append(parts, []int{a})
		}
	}
	if len(parts) < 2 {
		return d.unsplit(S, vs, depth, "they cancel one another without a consistent split into branches")
	}
	return d.redundancy(d.refineParts(parts, atoms, vs), vs, depth)
}

// overlapping reports whether two calls of different components overlap
// in time in some view.
func overlapping(vs []view) bool {
	for i := range vs {
		cs := vs[i].calls
		for a := range cs {
			for b := a + 1; b < len(cs) && cs[b].start < cs[a].end; b++ {
				if cs[b].comp != cs[a].comp {
					return true
				}
			}
		}
	}
	return false
}

// sameSequence returns the order in which every view calls the
// components (calls that never overlap), repeats included: each view
// calls them in that order, or in a prefix of it ending with a call that
// failed or was cut (the instance stopped there).
func sameSequence(vs []view) ([]int32, bool) {
	var seq []int32
	for i := range vs {
		if len(vs[i].calls) > len(seq) {
			seq = seq[:0]
			for _, c := range vs[i].calls {
				seq = append(seq, c.comp)
			}
		}
	}
	if len(seq) == 0 {
		return nil, false
	}
	for i := range vs {
		cs := vs[i].calls
		for k, c := range cs {
			if c.comp != seq[k] {
				return nil, false
			}
		}
		if n := len(cs); n > 0 && n < len(seq) && cs[n-1].st == stOK {
			return nil, false
		}
	}
	return seq, true
}

// sequence is the Series of the components of seq, in that order.
func (d *decomposer) sequence(seq []int32, vs []view) journey.Node {
	n := &journey.Series{}
	for _, c := range seq {
		l := &journey.Leaf{Name: d.names[c]}
		d.record(l, vs, 1)
		n.Steps = append(n.Steps, l)
	}
	d.record(n, vs, evidenceWeight(len(vs)),
		fmt.Sprintf("calls made one after another in the same order (repeats included) in all %d instances", len(vs)))
	return n
}

// repeatedBody finds, for calls that never overlap, the order they
// repeat in: every view calls the components of S in one order, k times
// over (k ≥ 1, at least one view twice or more). It returns that order.
func repeatedBody(S []int32, vs []view) ([]int32, bool) {
	var body []int32
	for i := range vs {
		cs := vs[i].calls
		if len(cs) < len(S) || len(cs)%len(S) != 0 {
			if len(cs) > 0 {
				return nil, false
			}
			continue
		}
		if body == nil {
			for _, c := range cs[:len(S)] {
				body = append(body, c.comp)
			}
		}
		for k, c := range cs {
			if c.comp != body[k%len(S)] {
				return nil, false
			}
		}
	}
	seen := map[int32]bool{}
	for _, c := range body {
		seen[c] = true
	}
	return body, body != nil && len(seen) == len(S)
}

// cancelGraph counts, for each pair of atoms, the cancellations of a call
// of one at the instant a call of the other ended.
func (d *decomposer) cancelGraph(vs []view, atomOf func(int32) int, n int) [][]int {
	adj := square(n)
	for i, row := range d.instants(vs) {
		cs := vs[i].calls
		for _, in := range row {
			for _, t := range in.triggers {
				for _, v := range in.victims {
					if a, b := atomOf(cs[t].comp), atomOf(cs[v].comp); a != b {
						adj[a][b]++
						adj[b][a]++
					}
				}
			}
		}
	}
	return adj
}

// lateAtoms reports the atoms whose first call always starts at one
// delay, longer than Gap, after the node's start.
func (d *decomposer) lateAtoms(atoms [][]int32, vs []view) []bool {
	out := make([]bool, len(atoms))
	for a, A := range atoms {
		var offs []int64
		for i := range vs {
			if st := partStarts(&vs[i], [][]int32{A})[0]; st.ok {
				offs = append(offs, st.start-vs[i].origin)
			}
		}
		med, _, n := cluster(offs, d.dlTol)
		out[a] = n > 0 && n == len(offs) && med > d.gap
	}
	return out
}

// atoms groups S into the classes that must share a branch; atomOf maps a
// component to its atom.
func (d *decomposer) atoms(S []int32, vs []view) (atomOf func(int32) int, atoms [][]int32) {
	sp := spans(S, vs)
	o := d.order(S, sp)
	u := newUnionFind(len(S))
	idx := indexOf(S)
	for k := range S {
		for l := k + 1; l < len(S); l++ {
			if o.co[k][l] == 0 {
				u.union(k, l) // exclusive: a Cond inside one branch
			}
		}
	}
	// A tight anchor counts when the pair's first calls are always in
	// order, or when it is frequent (a fifth of the views calling both):
	// an optional first step of a retried Series breaks the order.
	anchors := d.anchors(S, vs, idx)
	first := d.order(S, firstSpans(S, vs))
	for k := range S {
		for l := range S {
			if a := anchors[k][l]; a >= minEvidence && (first.precedes(k, l) || 5*a >= o.co[k][l]) {
				u.union(k, l)
			}
		}
	}
	d.sharedFate(vs, idx, u)
	classes := u.groups()
	byComp := map[int32]int{}
	for a, cl := range classes {
		atoms = append(atoms, pick(S, cl))
		for _, i := range cl {
			byComp[S[i]] = a
		}
	}
	return func(c int32) int { return byComp[c] }, atoms
}

// anchors counts, for components (k, l), the views in which l's first
// call starts within Gap of the end of a call of k and of no other
// component: l waits for k, so they share a branch.
func (d *decomposer) anchors(S []int32, vs []view, idx map[int32]int) [][]int {
	a := square(len(S))
	for i := range vs {
		v := &vs[i]
		seen := map[int32]bool{}
		for _, c := range v.calls {
			if seen[c.comp] {
				continue
			}
			seen[c.comp] = true
			var y, z *call
			for k := range v.calls {
				e := &v.calls[k]
				if e.comp == c.comp || e.end > c.start+d.eps {
					continue
				}
				switch {
				case y == nil || e.end > y.end:
					if y != nil && y.comp != e.comp {
						z = y
					}
					y = e
				case e.comp != y.comp && (z == nil || e.end > z.end):
					z = e
				}
			}
			if y != nil && c.start-y.end <= d.step && (z == nil || c.start-z.end > d.step) {
				a[idx[y.comp]][idx[c.comp]]++
			}
		}
	}
	return a
}

// sharedFate joins components cut at the same instants (one deadline) and
// components whose second calls start together (one retried target), each
// seen in at least minEvidence views and never contradicted: two
// components also cut at different instants in one view, or retried at
// different instants (more than a quarter of Gap apart), have deadlines
// or retries of their own that happen to coincide.
func (d *decomposer) sharedFate(vs []view, idx map[int32]int, u unionFind) {
	n := len(idx)
	cutTogether, cutApart := square(n), square(n)
	same, both := square(n), square(n)
	for i := range vs {
		cs := vs[i].calls
		second := map[int32]int64{}
		seen := map[int32]bool{}
		cuts := map[int32][]int64{}
		for _, c := range cs {
			if _, ok := second[c.comp]; seen[c.comp] && !ok {
				second[c.comp] = c.start
			}
			seen[c.comp] = true
			if c.st == stCut {
				cuts[c.comp] = append(cuts[c.comp], c.end)
			}
		}
		for a, ta := range cuts {
			for b, tb := range cuts {
				if a >= b {
					continue
				}
				if sameInstants(ta, tb, d.eps) {
					cutTogether[idx[a]][idx[b]]++
				} else {
					cutApart[idx[a]][idx[b]]++
				}
			}
		}
		for a, sa := range second {
			for b, sb := range second {
				if a < b {
					both[idx[a]][idx[b]]++
					if absDiff(sa, sb) <= d.gap/4 {
						same[idx[a]][idx[b]]++
					}
				}
			}
		}
	}
	for a := range n {
		for b := range n {
			if (cutTogether[a][b] >= minEvidence && cutApart[a][b] == 0) || (same[a][b] >= minEvidence && same[a][b] == both[a][b]) {
				u.union(a, b)
			}
		}
	}
}

// sameInstants reports whether two lists of instants (in call order) are
// the same.
func sameInstants(xs, ys []int64, eps int64) bool {
	if len(xs) != len(ys) {
		return false
	}
	for i := range xs {
		if absDiff(xs[i], ys[i]) > eps {
			return false
		}
	}
	return true
}

// instants finds, per view, the moments at which calls were cancelled,
// with the calls that ended then (the triggers).
func (d *decomposer) instants(vs []view) [][]instant {
	out := make([][]instant, len(vs))
	for i := range vs {
		cs := vs[i].calls
		var ins []instant
		for k, c := range cs {
			if c.st != stCancel {
				continue
			}
			j := slices.IndexFunc(ins, func(in instant) bool { return absDiff(in.at, c.end) <= d.eps })
			if j < 0 {
				ins = append(ins, instant{at: c.end})
				j = len(ins) - 1
			}
			ins[j].victims = append(ins[j].victims, k)
		}
		for j := range ins {
			for k, c := range cs {
				if c.st != stCancel && absDiff(c.end, ins[j].at) <= d.eps {
					ins[j].triggers = append(ins[j].triggers, k)
				}
			}
		}
		out[i] = ins
	}
	return out
}

// complementParts splits the atoms of one cancelling cluster into the
// branches of its Race or KofN: atoms that never cancel each other share a
// branch (connected components of the complement of the cancel graph). A
// pair cancels each other when seen doing so in at least minEvidence
// instances: fewer may be answers that ended at the same instant by
// chance.
func complementParts(adj [][]int, cluster []int) [][]int {
	u := newUnionFind(len(cluster))
	for i, a := range cluster {
		for j := i + 1; j < len(cluster); j++ {
			if adj[a][cluster[j]] < minEvidence {
				u.union(i, j)
			}
		}
	}
	var parts [][]int
	for _, g := range u.groups() {
		var p []int
		for _, i := range g {
			p = append(p, cluster[i])
		}
		parts = append(parts, p)
	}
	return parts
}

// parallel builds a Parallel over the clusters of atoms.
func (d *decomposer) parallel(S []int32, vs []view, atoms [][]int32, clusters [][]int, depth int) journey.Node {
	n := &journey.Parallel{}
	var sets [][]int32
	for _, cl := range clusters {
		var B []int32
		for _, a := range cl {
			B = append(B, atoms[a]...)
		}
		slices.Sort(B)
		sets = append(sets, B)
	}
	slices.SortFunc(sets, func(a, b []int32) int { return int(a[0] - b[0]) })
	together, both, overlap := 0, 0, 0
	for i := range vs {
		starts := branchStarts(&vs[i], sets)
		if len(starts) < 2 {
			continue
		}
		both++
		if slices.Max(starts)-slices.Min(starts) <= d.gap {
			together++
		}
		if branchesOverlap(&vs[i], sets) {
			overlap++
		}
	}
	for _, B := range sets {
		sub := restrict(vs, B, func(v, nv *view) { nv.branch = true })
		n.Branches = append(n.Branches, d.node(B, sub, depth+1))
	}
	agree := 1.0
	if both > 0 {
		agree = float64(min(together, overlap)) / float64(both)
	}
	d.record(n, vs, agree*evidenceWeight(both),
		fmt.Sprintf("%d branches never cancel each other; they overlap in time in %d of %d instances calling two or more", len(sets), overlap, both),
		fmt.Sprintf("branches start within %s of each other in %d of %d instances", fmtDur(d.gap), together, both))
	return n
}

// branchesOverlap reports whether two of the sets' calls in v run at
// once.
func branchesOverlap(v *view, sets [][]int32) bool {
	type iv struct{ s, e int64 }
	var ivs []iv
	for _, B := range sets {
		first := true
		var x iv
		for _, c := range v.calls {
			if inSet(B, c.comp) {
				if first {
					x, first = iv{c.start, c.end}, false
				}
				x.s, x.e = min(x.s, c.start), max(x.e, c.end)
			}
		}
		if !first {
			ivs = append(ivs, x)
		}
	}
	for a := range ivs {
		for b := a + 1; b < len(ivs); b++ {
			if ivs[a].s < ivs[b].e && ivs[b].s < ivs[a].e {
				return true
			}
		}
	}
	return false
}

// branchStarts returns the first start of each set's calls in v, for the
// sets called.
func branchStarts(v *view, sets [][]int32) []int64 {
	var out []int64
	for _, B := range sets {
		first, has := int64(0), false
		for _, c := range v.calls {
			if inSet(B, c.comp) && (!has || c.start < first) {
				first, has = c.start, true
			}
		}
		if has {
			out = append(out, first)
		}
	}
	return out
}
