package infer

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/emac-dev/emac/internal/journey"
)

// decision is how a Race or KofN ended in one view: the instant T at which
// it cancelled the other branches' calls (if it did) and the parts whose
// answer came then.
type decision struct {
	at       int64
	has      bool
	trigger  []bool // by part
	anyOKTrg bool   // a trigger is a successful call
}

// redundancy infers a Race or KofN over the given branches (sets of
// components): k is the number of branches that had succeeded when the
// others were cancelled; a Race's later branches may start at multiples
// of a hedge delay.
func (d *decomposer) redundancy(parts [][]int32, vs []view, depth int) journey.Node {
	partOf := partIndex(parts)
	decs := d.decisions(vs, partOf, parts)
	order, hedge, hedged := d.hedge(parts, vs)
	if !hedged {
		// Branches started together: order them by their components.
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(parts[a][0], parts[b][0]) })
	}
	parts = reorder(parts, order)
	for i := range decs {
		decs[i].trigger = reorder(decs[i].trigger, order)
	}
	k, agree, counted := d.fitK(parts, vs, decs)
	d.silentFailures(parts, vs, decs, k)
	if k > 1 && hedged {
		d.note("KofN over %d branches shows staggered starts (%s); hedging is not modelled for KofN", len(parts), fmtDur(hedge))
		hedge = 0
	}
	var kids []journey.Node
	for p, P := range parts {
		sub := d.branchViews(P, p, vs, decs, hedge)
		kids = append(kids, d.node(P, sub, depth+1))
	}
	cancels := 0
	for _, dc := range decs {
		if dc.has {
			cancels++
		}
	}
	sig := []string{fmt.Sprintf("%d branches; calls of the others cancelled when the deciding answer came, in %d instances", len(parts), cancels),
		fmt.Sprintf("%d branch(es) had succeeded at the decision in %d of %d instances", k, agree, counted)}
	var n journey.Node
	switch {
	case k == 1:
		n = &journey.Race{Branches: kids, HedgeAfter: seconds(hedge)}
		if hedged {
			sig = append(sig, fmt.Sprintf("branch j starts j×%s after the node's start", fmtDur(hedge)))
		}
	default:
		n = &journey.KofN{K: k, Branches: kids}
	}
	frac := 0.0
	if counted > 0 {
		frac = float64(agree) / float64(counted)
	}
	d.record(n, vs, frac*evidenceWeight(counted), sig...)
	return n
}

func partIndex(parts [][]int32) map[int32]int {
	partOf := map[int32]int{}
	for p, P := range parts {
		for _, c := range P {
			partOf[c] = p
		}
	}
	return partOf
}

// refineParts turns a split of atoms into branches (sets of components).
// The split found from the cancel graph merges an atom that rarely
// cancels or is cancelled into a neighbour's branch: atoms are moved out
// to a branch of their own or into another branch while that lowers the
// number of decisions the split does not explain by at least minEvidence.
func (d *decomposer) refineParts(parts [][]int, atoms [][]int32, vs []view) [][]int32 {
	comps := func(ps [][]int) [][]int32 {
		var out [][]int32
		for _, p := range ps {
			var g []int32
			for _, a := range p {
				g = append(g, atoms[a]...)
			}
			slices.Sort(g)
			out = append(out, g)
		}
		return out
	}
	best := d.inconsistent(comps(parts), vs)
	for range 8 {
		if best < minEvidence {
			break
		}
		var cand [][]int
		score := 0
		for p := range parts {
			for _, a := range parts[p] {
				for q := -1; q < len(parts) && len(parts[p]) > 1; q++ {
					if q == p {
						continue
					}
					c := moveAtom(parts, p, q, a)
					if s := d.inconsistent(comps(c), vs); cand == nil || s < score {
						cand, score = c, s
					}
				}
			}
		}
		if cand == nil || score > best-minEvidence {
			break
		}
		parts, best = cand, score
	}
	return comps(parts)
}

// moveAtom moves atom a from part p to part q (a new part when q < 0).
func moveAtom(parts [][]int, p, q, a int) [][]int {
	out := make([][]int, 0, len(parts)+1)
	for i, P := range parts {
		switch i {
		case p:
			P = slices.DeleteFunc(slices.Clone(P), func(x int) bool { return x == a })
		case q:
			P = append(slices.Clone(P), a)
		}
		out = append(out, P)
	}
	if q < 0 {
		out = append(out, []int{a})
	}
	return out
}

func reorder[T any](xs []T, order []int) []T {
	out := make([]T, len(order))
	for i, j := range order {
		out[i] = xs[j]
	}
	return out
}

// decisions finds, per view, the instant at which calls of one branch were
// cancelled by the answer of another. A branch ending in a skip answers a
// little after its last call: when no call ended at the instant, the
// branch whose calls all succeeded and ended within Gap before it is taken
// as the trigger, if there is exactly one.
func (d *decomposer) decisions(vs []view, partOf map[int32]int, parts [][]int32) []decision {
	nparts := len(parts)
	out := make([]decision, len(vs))
	for i, row := range d.instants(vs) {
		cs := vs[i].calls
		for _, in := range row {
			if len(in.triggers) == 0 && !out[i].has {
				out[i] = d.silentDecision(&vs[i], in, parts, partOf)
				continue
			}
			cross := false
			for _, t := range in.triggers {
				for _, v := range in.victims {
					cross = cross || partOf[cs[t].comp] != partOf[cs[v].comp]
				}
			}
			if !cross || out[i].has {
				continue
			}
			dc := decision{at: in.at, has: true, trigger: make([]bool, nparts)}
			for _, t := range in.triggers {
				dc.trigger[partOf[cs[t].comp]] = true
				dc.anyOKTrg = dc.anyOKTrg || cs[t].st == stOK
			}
			out[i] = dc
		}
		if !out[i].has {
			out[i].trigger = make([]bool, nparts)
		}
	}
	return out
}

// silentDecision interprets a cancellation instant without a trigger
// call.
func (d *decomposer) silentDecision(v *view, in instant, parts [][]int32, partOf map[int32]int) decision {
	dc := decision{trigger: make([]bool, len(parts))}
	win := -1
	for p, P := range parts {
		if slices.ContainsFunc(in.victims, func(k int) bool { return partOf[v.calls[k].comp] == p }) {
			continue
		}
		if ok, last := d.partOK(P, v, in.at); ok && in.at-last <= d.step {
			if win >= 0 {
				return decision{trigger: dc.trigger}
			}
			win = p
		}
	}
	if win < 0 {
		return dc
	}
	dc.at, dc.has, dc.anyOKTrg = in.at, true, true
	dc.trigger[win] = true
	return dc
}

// hedge orders the branches by their start delay after the node's start
// and reports a hedge delay when branch j always starts j·delay late.
func (d *decomposer) hedge(parts [][]int32, vs []view) (order []int, delay int64, hedged bool) {
	offs := make([][]int64, len(parts))
	for i := range vs {
		for p, st := range partStarts(&vs[i], parts) {
			if st.ok {
				offs[p] = append(offs[p], st.start-vs[i].origin)
			}
		}
	}
	order = make([]int, len(parts))
	meds := make([]int64, len(parts))
	for p := range parts {
		order[p] = p
		meds[p] = median(offs[p])
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(meds[a], meds[b]) })
	if len(offs[order[0]]) == 0 || meds[order[0]] > d.gap || meds[order[1]] <= d.gap {
		return order, 0, false
	}
	var per []int64
	for j, p := range order[1:] {
		for _, o := range offs[p] {
			per = append(per, o/int64(j+1))
		}
	}
	at, _, n := cluster(per, d.dlTol)
	if n < minEvidence || n != len(per) {
		return order, 0, false
	}
	return order, at, true
}

// partStart is a branch's first call start in one view.
type partStart struct {
	start int64
	ok    bool
}

func partStarts(v *view, parts [][]int32) []partStart {
	out := make([]partStart, len(parts))
	for _, c := range v.calls {
		for p, P := range parts {
			if inSet(P, c.comp) && (!out[p].ok || c.start < out[p].start) {
				out[p] = partStart{start: c.start, ok: true}
			}
		}
	}
	return out
}

// partOK reports whether branch P succeeded by t in view v: it was called,
// its last call ended by t with success, and every failed, cut or
// cancelled call of it was followed by a later call (recovered inside the
// branch).
func (d *decomposer) partOK(P []int32, v *view, t int64) (ok bool, lastEnd int64) {
	var last *call
	for k := range v.calls {
		c := &v.calls[k]
		if !inSet(P, c.comp) {
			continue
		}
		if last == nil || c.end > last.end {
			last = c
		}
	}
	if last == nil || last.end > t+d.eps || last.st != stOK {
		return false, 0
	}
	for _, c := range v.calls {
		if !inSet(P, c.comp) || c.st == stOK {
			continue
		}
		if !slices.ContainsFunc(v.calls, func(e call) bool { return inSet(P, e.comp) && e.start >= c.end-d.eps && e != c }) {
			return false, 0
		}
	}
	return true, last.end
}

// completion returns the instant the node ended in view v: its decision,
// or else its last call's end (without a cancellation nothing was running
// when it ended).
func completion(v *view, dc decision) int64 {
	if dc.has {
		return dc.at
	}
	t := int64(0)
	for _, c := range v.calls {
		t = max(t, c.end)
	}
	return t
}

// confirmed reports whether branch P surely succeeded in view v, which
// ended at t: partOK, and it decided the node (trig), or its last answer
// came at t or more than Gap before (a branch whose last answer came just
// before t may have been stopped before its next step).
func (d *decomposer) confirmed(P []int32, v *view, t int64, trig bool) bool {
	ok, last := d.partOK(P, v, t)
	return ok && (trig || absDiff(last, t) <= d.eps || t-last > d.step)
}

// tally is, for one view where the node decided, the branches that had
// surely succeeded (ok), may have (amb: their last answer came just
// before the decision), and had surely failed (failed: ended by then
// without success, not cancelled).
type tally struct {
	ok, amb, failed int
	success         bool // the decision was a success
	trigFailed      bool // a successful decision whose trigger's branch did not succeed
}

// tallies returns the tally of every view in which the node is known to
// have decided: by a successful answer, by a failure (cancellations
// without a successful trigger), or without cancellation in a successful
// instance.
func (d *decomposer) tallies(parts [][]int32, vs []view, decs []decision) []tally {
	var out []tally
	for i := range vs {
		v, dc := &vs[i], decs[i]
		if !dc.has && !v.ok {
			continue
		}
		t := completion(v, dc)
		tl := tally{success: !dc.has || dc.anyOKTrg}
		for p, P := range parts {
			ok, last := d.partOK(P, v, t)
			switch {
			case ok && (dc.trigger[p] || absDiff(last, t) <= d.eps || t-last > d.step):
				tl.ok++
			case ok:
				tl.amb++
			case hasAny(v.calls, P) && !d.victim(P, v, dc):
				tl.failed++
			}
			if !ok && dc.trigger[p] && dc.anyOKTrg {
				tl.trigFailed = true
			}
		}
		out = append(out, tl)
	}
	return out
}

// victim reports whether a call of P was cancelled at the decision.
func (d *decomposer) victim(P []int32, v *view, dc decision) bool {
	return dc.has && slices.ContainsFunc(v.calls, func(c call) bool {
		return inSet(P, c.comp) && c.st == stCancel && absDiff(c.end, dc.at) <= d.eps
	})
}

// fitK returns k, the most frequent number of branches that had surely
// succeeded at a successful decision (views without ambiguous branches),
// the number of successful decisions consistent with it, and their count.
func (d *decomposer) fitK(parts [][]int32, vs []view, decs []decision) (k, agree, counted int) {
	ts := d.tallies(parts, vs, decs)
	hist := map[int]int{}
	for _, tl := range ts {
		if tl.success && tl.amb == 0 && tl.ok > 0 {
			hist[tl.ok]++
		}
	}
	k = 1
	for n, c := range hist {
		if c > hist[k] || (c == hist[k] && n < k) {
			k = n
		}
	}
	for _, tl := range ts {
		if tl.success && tl.ok+tl.amb > 0 {
			counted++
			if tl.ok <= k && k <= tl.ok+tl.amb && !tl.trigFailed {
				agree++
			}
		}
	}
	return k, agree, counted
}

// inconsistent counts the decisions a split into branches with its k
// does not explain: a success with another number of succeeded branches,
// a failure with other than n−k+1 failed branches.
func (d *decomposer) inconsistent(parts [][]int32, vs []view) int {
	decs := d.decisions(vs, partIndex(parts), parts)
	k, agree, counted := d.fitK(parts, vs, decs)
	d.silentFailures(parts, vs, decs, k)
	bad := counted - agree
	for _, tl := range d.tallies(parts, vs, decs) {
		if !tl.success && tl.failed != len(parts)-k+1 {
			bad++
		}
	}
	return bad
}

// branchViews returns the views of branch p: cancellations at the
// node's decision are explained here; a hedged branch starts p·hedge
// late and is reached only when called.
func (d *decomposer) branchViews(P []int32, p int, vs []view, decs []decision, hedge int64) []view {
	sub := restrict(vs, P, func(v, nv *view) { nv.branch = true })
	for i := range sub {
		nv, dc := &sub[i], decs[i]
		for k := range nv.calls {
			if c := &nv.calls[k]; dc.has && c.st == stCancel && absDiff(c.end, dc.at) <= d.eps {
				c.st = stStopped
			}
		}
		nv.origin += int64(p) * hedge
		if hedge > 0 && p > 0 {
			nv.reached = nv.present()
		}
		if dc.has && nv.present() && dc.at-firstStart(nv.calls) <= d.step {
			nv.reached = false // decided while the branch was starting: some calls may never have been sent
		}
		t := completion(&vs[i], dc)
		nv.ok = d.confirmed(P, &vs[i], t, dc.trigger[p])
		if !nv.ok {
			nv.stop = min(nv.stop, t)
		}
	}
	return sub
}

// silentFailures records the calls that must have failed although their
// spans record no outcome, from how the node decided: a KofN needing
// every branch (k = n) that cancelled some failed, so its trigger did.
// (The general rule — more branches cancelled than it could spare — and
// the Race's — a branch that ended before the
// winner without deciding failed — hold too, but read from an uncertain
// tree they mislead more than they help.)
func (d *decomposer) silentFailures(parts [][]int32, vs []view, decs []decision, k int) {
	n := len(parts)
	for i, dc := range decs {
		if !dc.has {
			continue
		}
		v := &vs[i]
		victims := 0
		for p, P := range parts {
			if !dc.trigger[p] && d.victim(P, v, dc) {
				victims++
			}
		}
		failed := k == n && victims > 0
		for _, c := range v.calls {
			p := slices.IndexFunc(parts, func(P []int32) bool { return inSet(P, c.comp) })
			if p < 0 || c.st != stOK || c.known || d.trusted[c.comp] || absDiff(c.end, dc.at) > d.eps && c.end > dc.at {
				continue
			}
			if !failed || !dc.trigger[p] || absDiff(c.end, dc.at) > d.eps {
				continue
			}
			d.silent[v.in] = append(d.silent[v.in], callRef{comp: c.comp, start: c.start, ok: true})
		}
	}
}
