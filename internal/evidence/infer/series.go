package infer

import (
	"fmt"
	"slices"

	"github.com/emac-dev/emac/internal/journey"
)

// span is one component's calls in one view: first start, last end.
type span struct {
	start, end int64
	skewed     bool
	ok         bool // present
}

// spans returns, per view, the span of each component of S (by position).
func spans(S []int32, vs []view) [][]span {
	idx := indexOf(S)
	out := make([][]span, len(vs))
	for i := range vs {
		row := make([]span, len(S))
		for _, c := range vs[i].calls {
			k := idx[c.comp]
			sp := &row[k]
			if !sp.ok {
				*sp = span{start: c.start, end: c.end, ok: true}
			}
			sp.start, sp.end = min(sp.start, c.start), max(sp.end, c.end)
			sp.skewed = sp.skewed || c.skewed
		}
		out[i] = row
	}
	return out
}

// firstSpans returns, per view, the span of each component's first call
// (by position in S).
func firstSpans(S []int32, vs []view) [][]span {
	idx := indexOf(S)
	out := make([][]span, len(vs))
	for i := range vs {
		row := make([]span, len(S))
		for _, c := range vs[i].calls {
			if sp := &row[idx[c.comp]]; !sp.ok {
				*sp = span{start: c.start, end: c.end, skewed: c.skewed, ok: true}
			}
		}
		out[i] = row
	}
	return out
}

// order counts, for each pair of components (k, l) of S, the views that
// call both (co) and those where all of k's calls end before l's first
// call starts (before).
type order struct {
	co, before [][]int
}

func (d *decomposer) order(S []int32, sp [][]span) order {
	n := len(S)
	o := order{co: square(n), before: square(n)}
	for _, row := range sp {
		for k := range n {
			if !row[k].ok {
				continue
			}
			for l := range n {
				if l == k || !row[l].ok {
					continue
				}
				o.co[k][l]++
				tol := d.eps
				if row[k].skewed || row[l].skewed {
					tol = d.skewTol
				}
				if row[k].end <= row[l].start+tol {
					o.before[k][l]++
				}
			}
		}
	}
	return o
}

func square(n int) [][]int {
	m := make([][]int, n)
	for i := range m {
		m[i] = make([]int, n)
	}
	return m
}

// precedes reports whether k ends before l starts whenever both are
// called (and they are called together at least once).
func (o order) precedes(k, l int) bool {
	return o.co[k][l] > 0 && o.before[k][l] == o.co[k][l] && o.before[l][k] < o.co[l][k]
}

// seriesGroups splits S into the steps of a Series: the classes of the
// "not ordered" relation, sorted by time. It returns one group when the
// classes are not consistently ordered.
func (d *decomposer) seriesGroups(S []int32, sp [][]span) [][]int32 {
	o := d.order(S, sp)
	u := newUnionFind(len(S))
	for k := range S {
		for l := k + 1; l < len(S); l++ {
			if !o.precedes(k, l) && !o.precedes(l, k) {
				u.union(k, l)
			}
		}
	}
	classes := u.groups()
	if len(classes) == 1 {
		return [][]int32{S}
	}
	slices.SortStableFunc(classes, func(a, b []int) int {
		switch {
		case o.precedes(a[0], b[0]):
			return -1
		case o.precedes(b[0], a[0]):
			return 1
		}
		return 0
	})
	for i := range classes {
		for j := i + 1; j < len(classes); j++ {
			for _, a := range classes[i] {
				for _, b := range classes[j] {
					if !o.precedes(a, b) {
						d.note("components %s are ordered inconsistently; no Series was inferred among them", d.setName(S))
						return [][]int32{S}
					}
				}
			}
		}
	}
	out := make([][]int32, len(classes))
	for i, cl := range classes {
		out[i] = pick(S, cl)
	}
	return out
}

// block is a run of Series steps: a plain step, or steps under a deadline
// (with a fallback block when the deadline starts one).
type block struct {
	comps    []int32
	tau      int64 // > 0 for a Timeout block
	primary  []int32
	fallback []int32
	evidence int
	cuts     int
	fbStarts int
}

// series infers a Series (with Timeout blocks) over S, or hands S to the
// concurrent split when it is a single step.
func (d *decomposer) series(S []int32, vs []view, depth int) journey.Node {
	groups := d.seriesGroups(S, spans(S, vs))
	blocks := make([]block, len(groups))
	for i, g := range groups {
		blocks[i] = block{comps: g}
	}
	blocks = d.deadlines(blocks, vs)
	if len(blocks) == 1 && blocks[0].tau == 0 {
		if len(S) == 1 {
			return d.single(S[0], vs)
		}
		return d.concurrent(S, vs, depth)
	}
	var kids []journey.Node
	var steps [][]view
	prev := newStepStates(vs)
	for i := 0; i < len(blocks); i++ {
		last := d.lastSteps(blocks, vs)
		sv := d.stepView(&blocks[i], i == 0, vs, prev)
		d.stops(sv, vs, last, i)
		if j := d.optionalRun(blocks, i, sv, vs); j > i {
			blocks = mergeBlocks(blocks, i, j)
			last = d.lastSteps(blocks, vs)
			sv = d.stepView(&blocks[i], i == 0, vs, prev)
			d.stops(sv, vs, last, i)
		}
		for k := range sv {
			sv[k].tail = sv[k].tail && i == len(blocks)-1
		}
		steps = append(steps, sv)
		kids = append(kids, d.blockNode(&blocks[i], sv, depth))
		d.advance(prev, kids[i], vs)
	}
	if len(kids) == 1 {
		return kids[0]
	}
	n := &journey.Series{Steps: flatSteps(kids)}
	both := 0
	for i := range steps[0] {
		k := 0
		for b := range steps {
			if steps[b][i].present() {
				k++
			}
		}
		if k >= 2 {
			both++
		}
	}
	d.record(n, vs, evidenceWeight(both),
		fmt.Sprintf("%d steps, each ending before the next starts in all %d instances calling two or more", len(kids), both))
	return n
}

// flatSteps splices the steps of Series steps into the list.
func flatSteps(kids []journey.Node) []journey.Node {
	var out []journey.Node
	for _, k := range kids {
		if s, ok := k.(*journey.Series); ok {
			out = append(out, s.Steps...)
			continue
		}
		out = append(out, k)
	}
	return out
}

// lastSteps returns, per view, the last block it calls (−1: none).
func (d *decomposer) lastSteps(blocks []block, vs []view) []int {
	of := map[int32]int{}
	for b, bl := range blocks {
		for _, c := range bl.comps {
			of[c] = b
		}
	}
	out := make([]int, len(vs))
	for i := range vs {
		out[i] = -1
		for _, c := range vs[i].calls {
			out[i] = max(out[i], of[c.comp])
		}
	}
	return out
}

// stops marks not reached the views of block i (sv) whose instance
// stopped before it: it called no block from i on nor anything after the
// blocks it ran (its last call is one of theirs, or it made none), and
// may have stopped (stoppable). The first time an instance is seen
// stopping, its last call (none when it made none) is recorded for
// truncation.
func (d *decomposer) stops(sv, vs []view, last []int, i int) {
	for k := range sv {
		v := &vs[k]
		if i <= last[k] || !sv[k].reached || !d.stoppable(v) || !v.branch && !d.endsIn(v) {
			continue
		}
		sv[k].reached = false
		if _, seen := d.truncated[v.in]; seen {
			continue
		}
		ref := callRef{}
		if j := lastCall(v.calls); j >= 0 {
			ref = callRef{comp: v.calls[j].comp, start: v.calls[j].start, ok: true}
		}
		d.truncated[v.in] = ref
	}
}

// endsIn reports whether view v holds its instance's last call (or the
// instance made none).
func (d *decomposer) endsIn(v *view) bool {
	cs := d.insts[v.in].calls
	j := lastCall(cs)
	if j < 0 {
		return true
	}
	return slices.ContainsFunc(v.calls, func(c call) bool { return c.comp == cs[j].comp && c.start == cs[j].start })
}

// optionalRun returns the last block j ≥ i such that blocks i..j are one
// optional step: block i is skipped by at least minEvidence instances
// that reached it, and blocks i+1..j are called only with block i (calls
// made together, or only after block i). i when there is none.
func (d *decomposer) optionalRun(blocks []block, i int, sv, vs []view) int {
	if blocks[i].tau > 0 || i+1 >= len(blocks) {
		return i
	}
	skips := 0
	for k := range sv {
		if sv[k].reached && !sv[k].present() && vs[k].origin+d.step < vs[k].stop {
			skips++
		}
	}
	if skips < minEvidence {
		return i
	}
	j := i
	for j+1 < len(blocks) && blocks[j+1].tau == 0 {
		next := blocks[j+1].comps
		ok := true
		for k := range vs {
			if hasAny(vs[k].calls, next) && !sv[k].present() {
				ok = false
				break
			}
		}
		if !ok {
			break
		}
		j++
	}
	return j
}

// mergeBlocks makes plain blocks i..j one block.
func mergeBlocks(blocks []block, i, j int) []block {
	var comps []int32
	for _, b := range blocks[i : j+1] {
		comps = append(comps, b.comps...)
	}
	slices.Sort(comps)
	return slices.Replace(blocks, i, j+1, block{comps: comps})
}

// stepView returns the views of block i: its calls, and its origin (the
// node's for the first block, the block's first call for the others).
// Block i is reached when the node is, the earlier steps (prev: their
// replay over the instance's calls) ran and succeeded, and the last of
// them ended more than the observed step gap before the node was stopped
// — a rule that does not look at what block i itself did, so that Cond
// probabilities counted over reached views are unbiased.
func (d *decomposer) stepView(b *block, first bool, vs []view, prev []stepState) []view {
	i := 0
	return restrict(vs, b.comps, func(v, nv *view) {
		if !first && nv.present() {
			nv.origin = firstStart(nv.calls)
		}
		nv.reached = v.reached && !prev[i].failed && prev[i].end+d.step < v.stop
		i++
	})
}

// stepState is what the Series steps replayed so far show in one view:
// whether one of them did not run or failed, and the end of the last one
// that made calls (the view's origin before any).
type stepState struct {
	failed bool
	end    int64
}

func newStepStates(vs []view) []stepState {
	out := make([]stepState, len(vs))
	for i := range vs {
		out[i].end = vs[i].origin
	}
	return out
}

// advance replays step n over each view's calls and folds it into the
// views' states, so that each step is replayed once per view.
func (d *decomposer) advance(states []stepState, n journey.Node, vs []view) {
	for i := range vs {
		st := &states[i]
		if st.failed {
			continue
		}
		p := d.replay(n, vs[i].calls)
		if !p.ran || !p.ok {
			st.failed = true
		} else if p.end >= 0 {
			st.end = p.end
		}
	}
}

func firstStart(cs []call) int64 {
	s := never
	for _, c := range cs {
		s = min(s, c.start)
	}
	return s
}

func hasAny(cs []call, S []int32) bool {
	for _, c := range cs {
		if inSet(S, c.comp) {
			return true
		}
	}
	return false
}

// blockNode infers the subtree of one block from its views.
func (d *decomposer) blockNode(b *block, vs []view, depth int) journey.Node {
	if b.tau == 0 {
		return d.node(b.comps, vs, depth+1)
	}
	tau := b.tau
	prim := restrict(vs, b.primary, func(v, nv *view) {
		for k := range nv.calls {
			c := &nv.calls[k]
			if c.st == stCut && absDiff(c.end, v.origin+tau) <= d.dlTol {
				c.st = stStopped
			}
		}
		nv.ok = v.ok && !hasAny(v.calls, b.fallback)
		nv.stop = min(v.stop, v.origin+tau)
	})
	n := &journey.Timeout{Timeout: seconds(tau), Primary: d.node(b.primary, prim, depth+1)}
	sig := []string{fmt.Sprintf("%d calls cut at %s after the node's start", b.cuts, fmtDur(tau))}
	if len(b.fallback) > 0 {
		fb := restrict(vs, b.fallback, func(v, nv *view) {
			nv.origin = v.origin + tau
			nv.reached = nv.present()
			nv.ok = v.ok && nv.present()
		})
		fb = slices.DeleteFunc(fb, func(v view) bool { return !v.present() })
		n.Fallback = d.node(b.fallback, fb, depth+1)
		sig = append(sig, fmt.Sprintf("fallback %s started at the deadline in %d instances, only after the primary failed or was cut",
			d.setName(b.fallback), b.fbStarts))
	}
	d.record(n, vs, evidenceWeight(b.evidence), sig...)
	return n
}

func absDiff(a, b int64) int64 {
	if a > b {
		return a - b
	}
	return b - a
}

func fmtDur(ns int64) string { return journey.FormatDuration(seconds(ns)) }
