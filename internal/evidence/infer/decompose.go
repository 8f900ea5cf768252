package infer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/journey"
)

// maxNesting bounds the recursion of the decomposition.
const maxNesting = 64

// never is a time after every call: no stop. It leaves room for adding
// tolerances without overflow.
const never = int64(1) << 62

// minEvidence is the number of observations below which a deadline, a
// retry period or a hedge delay is not inferred.
const minEvidence = 3

// view is what one instance shows of one node: the calls of the node's
// components, the node's start (origin) on the instance's clock, the
// instant an enclosing operator stopped it (stop: a deadline, or the
// decision of a Race or KofN it lost; never when none), whether the
// node is known to have run (reached) and known to have succeeded (ok).
type view struct {
	in      int32
	calls   []call
	origin  int64
	stop    int64
	reached bool
	ok      bool
	// branch is set for the views of a Parallel, Race or KofN branch and
	// of a Retry attempt (and what lies at their end): a Series there that
	// stopped early without being cut or cancelled failed, whatever the
	// rest of the instance did. tail is set where nothing follows in
	// sequence (the journey's end): a Series there that stopped early
	// may have stopped the instance.
	branch, tail bool
}

func (v *view) present() bool { return len(v.calls) > 0 }

// decomposer infers the operator tree of a journey from its instances.
type decomposer struct {
	names    []string // component names by index (sorted)
	insts    []instance
	traceIDs []string
	eps      int64 // same instant
	gap      int64 // Options.Gap: largest Series gap, Parallel start jitter
	step     int64 // the Series gap observed (≤ gap)
	skewTol  int64
	dlTol    int64 // deadline, period and hedge agreement
	maxEx    int
	conf     float64
	pointHW  float64
	info     map[journey.Node]*nodeInfo
	notes    map[string]bool
	// stopMode says which instances that skipped the last steps of a
	// Series stopped there (see stoppable); truncated records, per
	// instance that stopped with no failure recorded, its last call.
	stopMode  int
	truncated map[int32]callRef
	// silent records, per instance, calls that recorded no outcome but
	// must have failed, from how a Race or KofN decided.
	silent map[int32][]callRef
	// trusted says, per component, whether its spans record outcomes.
	trusted []bool
}

// When an instance that ran some steps of a Series called none of the
// steps after them, it stopped: those steps are not reached (never skip
// branches), provided no call of the instance recorded a failure (else
// the failed step explains the stop) and — with stopFailed — the
// instance is known to have failed. Without any root recording its
// outcome (stopAlways), every such instance stopped.
const (
	stopFailed = 1 + iota
	stopAlways
)

// callRef names one call of an instance.
type callRef struct {
	comp  int32
	start int64
	ok    bool
}

// stoppable reports whether the Series seen in view v may have stopped
// before the steps it skipped at its end: no call of the view failed or
// was cut (that would explain it), and the view is a branch (which runs
// until it ends or is cancelled) whose last call may have failed
// silently, or it is at the journey's end and its instance may have
// stopped there (stopMode). A branch whose last call said it succeeded
// (its outcome recorded, or its component's spans recording outcomes)
// did not stop: it left its last steps out (a skip branch).
func (d *decomposer) stoppable(v *view) bool {
	if explained(v.calls) || slices.ContainsFunc(v.calls, func(c call) bool { return c.st != stOK }) {
		return false
	}
	if v.branch {
		if j := lastCall(v.calls); j >= 0 && (v.calls[j].known || d.trusted[v.calls[j].comp]) {
			return false
		}
		return v.stop == never || lastEnd(v.calls)+d.step < v.stop
	}
	in := &d.insts[v.in]
	return v.tail && !explained(in.calls) && (d.stopMode == stopAlways || in.failed)
}

// lastEnd returns the latest end of cs.
func lastEnd(cs []call) int64 {
	t := int64(0)
	for _, c := range cs {
		t = max(t, c.end)
	}
	return t
}

// nodeInfo is the provenance gathered for one node.
type nodeInfo struct {
	conf     float64
	signals  []string
	traces   int
	examples []string
	probs    []journey.Prob
}

func (d *decomposer) note(format string, args ...any) {
	d.notes[fmt.Sprintf(format, args...)] = true
}

// setName renders a component set for signals.
func (d *decomposer) setName(S []int32) string {
	var out []string
	for _, c := range S {
		out = append(out, d.names[c])
	}
	return strings.Join(out, ",")
}

// record stores n's provenance: the instances in which it ran, its
// confidence and signals.
func (d *decomposer) record(n journey.Node, vs []view, conf float64, signals ...string) *nodeInfo {
	ni := &nodeInfo{conf: clamp01(conf), signals: signals}
	var ids []string
	for i := range vs {
		if vs[i].present() || vs[i].reached {
			ni.traces++
			ids = append(ids, d.traceIDs[d.insts[vs[i].in].trace])
		}
	}
	ni.examples = smallest(ids, d.maxEx)
	d.info[n] = ni
	return ni
}

// smallest returns the k lexicographically smallest distinct strings.
func smallest(ids []string, k int) []string {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > k {
		ids = ids[:k]
	}
	return slices.Clip(ids)
}

// node infers the subtree whose leaves are the components S from the
// views vs (each holding only calls of S). The tests run outermost
// operator first: exclusive choices (Cond), retries, a deadline over all
// of S (a Timeout around whatever S is), then the split into Series steps
// and of concurrent calls.
func (d *decomposer) node(S []int32, vs []view, depth int) journey.Node {
	if depth > maxNesting {
		d.note("operator nesting deeper than %d was cut short", maxNesting)
		return d.unsplit(S, vs, depth, "nesting too deep")
	}
	if n := d.cond(S, vs, depth); n != nil {
		return n
	}
	if n := d.retry(S, vs, depth); n != nil {
		return n
	}
	if b := d.deadlines([]block{{comps: S}}, vs); b[0].tau > 0 {
		return d.blockNode(&b[0], vs, depth)
	}
	return d.series(S, vs, depth)
}

// leaf returns the leaf of component c.
func (d *decomposer) leaf(c int32, vs []view) journey.Node {
	n := &journey.Leaf{Name: d.names[c]}
	d.record(n, vs, 1)
	return n
}

// unsplit is the last resort for components whose relations do not fit
// any operator: a Parallel of their subtrees, with zero confidence.
func (d *decomposer) unsplit(S []int32, vs []view, depth int, why string) journey.Node {
	d.note("components %s: %s; they are shown as a Parallel with zero confidence (no operator of the algebra fits them)", d.setName(S), why)
	var kids []journey.Node
	for _, c := range S {
		sub := restrict(vs, []int32{c}, func(v *view, out *view) {})
		if depth > maxNesting {
			kids = append(kids, d.leaf(c, sub))
			continue
		}
		kids = append(kids, d.node([]int32{c}, sub, depth+1))
	}
	if len(kids) == 1 {
		return kids[0]
	}
	n := &journey.Parallel{Branches: kids}
	d.record(n, vs, 0, why)
	return n
}

// restrict returns, for every view, the view of the components S (a
// sorted set); adjust may change each new view (its origin, flags, call
// statuses — its calls are a fresh copy).
func restrict(vs []view, S []int32, adjust func(v, out *view)) []view {
	out := make([]view, 0, len(vs))
	for i := range vs {
		v := &vs[i]
		nv := view{in: v.in, origin: v.origin, stop: v.stop, reached: v.reached, ok: v.ok, branch: v.branch, tail: v.tail}
		for _, c := range v.calls {
			if inSet(S, c.comp) {
				nv.calls = append(nv.calls, c)
			}
		}
		adjust(v, &nv)
		out = append(out, nv)
	}
	return out
}

func inSet(S []int32, c int32) bool {
	_, ok := slices.BinarySearch(S, c)
	return ok
}

// unionFind groups the indices 0..n−1.
type unionFind []int

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = i
	}
	return u
}

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

func (u unionFind) union(a, b int) { u[u.find(a)] = u.find(b) }

// groups returns the classes as lists of indices, ordered by their
// smallest index.
func (u unionFind) groups() [][]int {
	byRoot := map[int]int{}
	var out [][]int
	for i := range u {
		r := u.find(i)
		k, ok := byRoot[r]
		if !ok {
			k = len(out)
			byRoot[r] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], i)
	}
	return out
}

// cond recognises exclusive choices: groups of components never called
// together, and instances that reach the node and call none of them (a
// skip branch).
func (d *decomposer) cond(S []int32, vs []view, depth int) journey.Node {
	u := newUnionFind(len(S))
	idx := indexOf(S)
	reached, skips := 0, 0
	for i := range vs {
		v := &vs[i]
		if v.reached && v.origin+d.step < v.stop { // a node stopped as it started may not have sent all its calls
			reached++
			if !v.present() {
				skips++
			}
		}
		for k := 1; k < len(v.calls); k++ {
			u.union(idx[v.calls[0].comp], idx[v.calls[k].comp])
		}
	}
	classes := u.groups()
	if skips < minEvidence {
		skips = 0 // a few empty views are stray truncations, not a choice
	}
	if len(classes) < 2 && skips == 0 {
		return nil
	}
	n := &journey.Cond{}
	counts := make([]int, 0, len(classes)+1)
	for _, cl := range classes {
		B := pick(S, cl)
		sub := restrict(vs, B, func(v, out *view) { out.reached = out.present() })
		taken := 0
		for i := range sub {
			if sub[i].present() && vs[i].reached && vs[i].origin+d.step < vs[i].stop {
				taken++
			}
		}
		sub = slices.DeleteFunc(sub, func(v view) bool { return !v.present() })
		counts = append(counts, taken)
		n.Branches = append(n.Branches, d.node(B, sub, depth+1))
	}
	if skips > 0 {
		counts = append(counts, skips)
		sk := &journey.Skip{}
		var ids []string
		for i := range vs {
			if v := &vs[i]; v.reached && v.origin+d.step < v.stop && !v.present() {
				ids = append(ids, d.traceIDs[d.insts[v.in].trace])
			}
		}
		d.info[sk] = &nodeInfo{conf: 1, traces: skips, examples: smallest(ids, d.maxEx),
			signals: []string{fmt.Sprintf("%d instances reached the node and called none of %s", skips, d.setName(S))}}
		n.Branches = append(n.Branches, sk)
	}
	d.condProbs(n, counts, reached, vs)
	return n
}

// indexOf maps each component of S to its position.
func indexOf(S []int32) map[int32]int {
	m := make(map[int32]int, len(S))
	for i, c := range S {
		m[c] = i
	}
	return m
}

// pick returns the components of S at the positions ix, sorted.
func pick(S []int32, ix []int) []int32 {
	out := make([]int32, 0, len(ix))
	for _, i := range ix {
		out = append(out, S[i])
	}
	slices.Sort(out)
	return out
}

// condProbs sets the Cond's probabilities from the branch counts among the
// instances that reached it: points when every Wilson half-width is at
// most Options.PointHalfWidth, intervals otherwise.
func (d *decomposer) condProbs(n *journey.Cond, counts []int, reached int, vs []view) {
	z := zFor(d.conf)
	var ivs []journey.Prob
	wide := false
	var sig []string
	maxHW := 0.0
	for i, c := range counts {
		lo, hi := wilson(c, reached, z)
		ivs = append(ivs, journey.Prob{Lo: roundDown(lo, 4), Hi: roundUp(hi, 4)})
		hw := (hi - lo) / 2
		maxHW = max(maxHW, hw)
		wide = wide || hw > d.pointHW
		sig = append(sig, fmt.Sprintf("branch %d (%s) taken in %d of %d instances",
			i, journey.Label(n.Branches[i]), c, reached))
	}
	if wide {
		n.Probs = slices.Clone(ivs)
	} else {
		n.Probs = pointProbs(counts, reached)
	}
	ni := d.record(n, vs, (1-maxHW)*evidenceWeight(reached), sig...)
	ni.probs = ivs
}

// pointProbs returns the observed frequencies rounded to 4 decimals, the
// last one the implicit complement of the others.
func pointProbs(counts []int, total int) []journey.Prob {
	out := make([]journey.Prob, len(counts))
	sum := 0.0
	for i, c := range counts[:len(counts)-1] {
		p := roundNear(float64(c)/float64(max(total, 1)), 4)
		out[i] = journey.Prob{Lo: p, Hi: p}
		sum += p
	}
	last := roundNear(max(1-sum, 0), 4)
	out[len(out)-1] = journey.Prob{Lo: last, Hi: last, Implicit: true}
	return out
}
