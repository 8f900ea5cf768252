package infer

import (
	"cmp"
	"fmt"
	"slices"
)

// Asynchronous cancellation: a real client cancels an RPC by telling its
// stack, and the call's span closes when the cancelled RPC returns —
// up to milliseconds after the answer that made it useless. The lag
// is learnt from the data: each cancelled call is matched with the call
// that ended last before it (the deciding answer, or a later step's call
// that ended sooner still, which the match skips), and when most
// cancelled calls end after their answers, the dense range from zero of
// those lags is the tolerance; every cancelled call within it is read as
// ending at its answer.

// maxCancelLag bounds the lag considered, in units of Options.Gap.
const maxCancelLag = 20

// cancelBins is the resolution of the lag histogram.
const cancelBins = 40

// alignCancels moves the ends of cancelled calls that closed after the
// answer that cancelled them back onto that answer, and returns a note
// stating the tolerance learnt ("" when cancellation is synchronous or
// absent). Within the tolerance a cancelled call may have several
// candidate answers (concurrent calls of other branches end too): the
// one of the component that most often ends just before this component's
// cancelled calls is taken (the Race's or KofN's other branches), then
// the latest.
func alignCancels(insts []instance, gap int64) string {
	const eps = 500
	limit := maxCancelLag * gap
	var lags []int64
	for i := range insts {
		cs := insts[i].calls
		for k, c := range cs {
			if c.st != stCancel {
				continue
			}
			if cand := answersBefore(cs, k, limit, eps); len(cand) > 0 {
				lags = append(lags, max(c.end-cs[cand[len(cand)-1]].end, 0))
			}
		}
	}
	if len(lags) < minEvidence {
		return ""
	}
	var late []int64
	for _, l := range lags {
		if l > eps {
			late = append(late, l)
		}
	}
	if 2*len(late) < len(lags) {
		return "" // most cancelled calls end at their answer: synchronous
	}
	tol := denseRange(late, limit)
	if tol <= eps {
		return ""
	}
	pairs := map[[2]int32]int{}
	for i := range insts {
		cs := insts[i].calls
		for k, c := range cs {
			if c.st == stCancel {
				for _, j := range answersBefore(cs, k, tol, eps) {
					pairs[[2]int32{c.comp, cs[j].comp}]++
				}
			}
		}
	}
	n := 0
	for i := range insts {
		cs := insts[i].calls
		for k := range cs {
			c := &cs[k]
			if c.st != stCancel {
				continue
			}
			best := -1
			for _, j := range answersBefore(cs, k, tol, eps) {
				if best < 0 || pairs[[2]int32{c.comp, cs[j].comp}] >= pairs[[2]int32{c.comp, cs[best].comp}] {
					best = j
				}
			}
			if best >= 0 && c.end-cs[best].end > eps {
				c.end = cs[best].end
				n++
			}
		}
		sortCalls(cs)
	}
	return fmt.Sprintf("cancelled calls closed up to %s after the answer that cancelled them (asynchronous cancellation, learnt from %d cancelled calls); %d of them were read as ending at that answer",
		fmtDur(tol), len(lags), n)
}

// answersBefore returns the calls of cs that may have answered before
// call k was cancelled, by end: calls not cancelled that ended within
// limit before k's end (and after its start), started before it ended,
// and not after another such call ended (that would be a later step).
func answersBefore(cs []call, k int, limit, eps int64) []int {
	c := cs[k]
	var cand []int
	for j, e := range cs {
		if j == k || e.st == stCancel || e.end > c.end+eps || e.end < c.end-limit || e.start >= c.end || e.end <= c.start {
			continue
		}
		cand = append(cand, j)
	}
	var out []int
	for _, j := range cand {
		if slices.ContainsFunc(cand, func(o int) bool { return cs[o].end <= cs[j].start }) {
			continue
		}
		out = append(out, j)
	}
	slices.SortFunc(out, func(a, b int) int { return cmp.Compare(cs[a].end, cs[b].end) })
	return out
}

// denseRange returns the end of the range from zero over which the lags
// are dense: contiguous histogram bins (over [0, limit]) each holding at
// least 2 % of the lags.
func denseRange(lags []int64, limit int64) int64 {
	var hist [cancelBins]int
	width := max(limit/cancelBins, 1)
	for _, l := range lags {
		hist[min(int(l/width), cancelBins-1)]++
	}
	end := 0
	for end < cancelBins && 50*hist[end] >= len(lags) {
		end++
	}
	return int64(end) * width
}
