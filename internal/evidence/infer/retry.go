package infer

import (
	"fmt"
	"slices"

	"github.com/emac-dev/emac/internal/journey"
)

// minRetries is the number of retried instances from which a Retry is
// inferred: the pattern (an attempt failed or cut at a deadline, the next
// one starting at a fixed period, every attempt aligned) is specific
// enough that two agreeing instances suffice.
const minRetries = 2

// retryFit is a Retry fitted to the views of a node: attempt j starts at
// j·period after the node's start and is cut tau after its own start.
type retryFit struct {
	period, tau int64
	attempts    int
	cuts        int
	retried     int // views with more than one attempt
}

// retry recognises a Retry over all of S: calls repeated at a constant
// period after the node's start, each attempt within its per-try deadline,
// a new attempt only after the previous one failed or was cut.
func (d *decomposer) retry(S []int32, vs []view, depth int) journey.Node {
	f, ok := d.fitRetry(vs)
	if !ok {
		return nil
	}
	var sub []view
	for i := range vs {
		sub = append(sub, d.attempts(&vs[i], f)...)
	}
	n := &journey.Retry{Attempts: f.attempts, PerTryTimeout: seconds(f.tau),
		Backoff: seconds(max(f.period-f.tau, 0))}
	n.Target = d.node(S, sub, depth+1)
	sig := []string{
		fmt.Sprintf("attempts start every %s after the node's start (%d instances retried)", fmtDur(f.period), f.retried),
		fmt.Sprintf("at most %d attempts observed; the configured number may be higher", f.attempts),
	}
	if f.cuts > 0 {
		sig = append(sig, fmt.Sprintf("%d attempts cut at %s", f.cuts, fmtDur(f.tau)))
	} else {
		sig = append(sig, "no attempt was cut: the per-try timeout is bounded by the period only")
		d.note("Retry over %s: no attempt was cut; its per-try timeout is set to the attempt period %s", d.setName(S), fmtDur(f.period))
	}
	d.record(n, vs, evidenceWeight(f.retried), sig...)
	return n
}

// repeatStart returns the start of the first call, in view v, of a
// component already called earlier in v.
func repeatStart(v *view) (int64, bool) {
	seen := map[int32]bool{}
	for _, c := range v.calls { // sorted by start
		if seen[c.comp] {
			return c.start, true
		}
		seen[c.comp] = true
	}
	return 0, false
}

// fitRetry fits the period, per-try timeout and attempts, and checks that
// they explain every view.
func (d *decomposer) fitRetry(vs []view) (retryFit, bool) {
	var f retryFit
	var gs []int64
	for i := range vs {
		if s, ok := repeatStart(&vs[i]); ok {
			gs = append(gs, s-vs[i].origin)
		}
	}
	if len(gs) < minRetries {
		return f, false
	}
	g, _, _ := cluster(gs, d.dlTol)
	if g <= d.gap || !d.attemptsAligned(vs, g) {
		return f, false
	}
	f.period, f.retried = g, len(gs)
	var cuts []int64
	for i := range vs {
		v := &vs[i]
		for _, c := range v.calls {
			j := d.attemptOf(v, c, g, g)
			f.attempts = max(f.attempts, j+1)
			if c.st == stCut {
				cuts = append(cuts, c.end-v.origin-int64(j)*g)
			}
		}
	}
	f.tau = g
	if _, tau, n := cluster(cuts, d.dlTol); n >= 1 {
		if tau <= d.gap || tau >= g+d.dlTol {
			return f, false // cuts at no sensible per-try deadline
		}
		f.tau, f.cuts = min(tau, g), n
	}
	return f, d.retryConsistent(vs, f)
}

// attemptsAligned reports whether, in every view, each attempt after the
// first starts within the deadline tolerance of a multiple of the period
// (a Cond in the target may pick other components in each attempt, so
// repeats of one component are not enough).
func (d *decomposer) attemptsAligned(vs []view, g int64) bool {
	for i := range vs {
		v := &vs[i]
		var first []int64
		for _, c := range v.calls {
			j := d.attemptOf(v, c, g, g)
			for len(first) <= j {
				first = append(first, -1)
			}
			if first[j] < 0 || c.start < first[j] {
				first[j] = c.start
			}
		}
		for j := 1; j < len(first); j++ {
			if first[j] >= 0 && absDiff(first[j], v.origin+int64(j)*g) > d.dlTol {
				return false
			}
		}
	}
	return true
}

// attemptOf returns the attempt of call c: the one starting last at or
// before it (within the tolerance, attempts starting late when the
// node's origin is estimated late), unless c fits the previous attempt's
// deadline window and starts before the nominal start (a late step of an
// attempt without backoff).
func (d *decomposer) attemptOf(v *view, c call, period, tau int64) int {
	j := max(int((c.start-v.origin+d.dlTol)/period), 0)
	if j > 0 && c.start < v.origin+int64(j)*period && c.end <= v.origin+int64(j-1)*period+tau+d.dlTol {
		return j - 1
	}
	return j
}

// retryConsistent checks every view: attempts are consecutive, each ends
// by its deadline, and each but the last failed: it holds a failed or cut
// call, or its last call ended within the step gap of the deadline (its
// next step would have started too late). Conversely an attempt surely
// failed — a call cut before the attempt's deadline with nothing started
// after it — is followed by the next one, unless it was the last seen or
// the node was stopped first: a component whose deadline fails the
// journey without a retry is not part of the retried target.
func (d *decomposer) retryConsistent(vs []view, f retryFit) bool {
	for i := range vs {
		v := &vs[i]
		bad := make([]bool, f.attempts)
		has := make([]bool, f.attempts)
		failed := make([]bool, f.attempts)
		for _, c := range v.calls {
			j := d.attemptOf(v, c, f.period, f.tau)
			deadline := v.origin + int64(j)*f.period + f.tau
			if c.end > deadline+d.dlTol {
				return false
			}
			has[j] = true
			bad[j] = bad[j] || c.st != stOK || c.end >= deadline-d.step
			if c.st == stCut && c.end < deadline-d.dlTol && !startsAfter(v.calls, c.end-d.eps) {
				failed[j] = true
			}
		}
		last := -1
		for j := range has {
			if has[j] {
				last = j
			}
		}
		for j := 0; j < last; j++ {
			if !has[j] || !bad[j] {
				return false
			}
		}
		next := v.origin + int64(last+1)*f.period
		if last >= 0 && last+1 < f.attempts && failed[last] && next < v.stop {
			return false
		}
	}
	return true
}

// startsAfter reports whether a call of cs starts at or after t.
func startsAfter(cs []call, t int64) bool {
	return slices.ContainsFunc(cs, func(c call) bool { return c.start >= t })
}

// attempts splits view v into one view per attempt; cuts at the per-try
// deadline are explained here.
func (d *decomposer) attempts(v *view, f retryFit) []view {
	var out []view
	for _, c := range v.calls {
		j := d.attemptOf(v, c, f.period, f.tau)
		for len(out) <= j {
			o := v.origin + int64(len(out))*f.period
			out = append(out, view{in: v.in, origin: o, stop: min(v.stop, o+f.tau), reached: true, branch: true})
		}
		if c.st == stCut && absDiff(c.end, out[j].origin+f.tau) <= d.dlTol {
			c.st = stStopped
		}
		out[j].calls = append(out[j].calls, c)
	}
	if len(out) == 0 {
		return []view{{in: v.in, origin: v.origin, stop: v.stop, reached: v.reached, ok: v.ok, branch: v.branch, tail: v.tail}}
	}
	out[len(out)-1].ok = v.ok
	return slices.DeleteFunc(out, func(a view) bool { return !a.present() })
}

// single infers the subtree of one component: a leaf, or a loop when the
// component is called several times per instance.
func (d *decomposer) single(c int32, vs []view) journey.Node {
	multi, overlap := 0, 0
	for i := range vs {
		v := &vs[i]
		if len(v.calls) > 1 {
			multi++
			if v.calls[1].start < v.calls[0].end {
				overlap++
			}
		}
	}
	if multi == 0 {
		return d.leaf(c, vs)
	}
	return d.loop([]int32{c}, vs, 2*overlap > multi)
}

// loop models a body of components (one, or several whose calls
// alternate) run a varying number of times: a Series (a Parallel when
// the calls overlap) of as many copies of the body, under a Cond over the
// observed counts. An instance whose last call failed or was cut may have
// been stopped before its next iteration: its count is censored and left
// out of the counts (but not of the evidence).
func (d *decomposer) loop(body []int32, vs []view, parallel bool) journey.Node {
	counts := map[int]int{}
	byCount := map[int][]view{}
	censored := 0
	maxK := 0
	for i := range vs {
		v := &vs[i]
		if !v.present() {
			continue
		}
		k := len(v.calls) / len(body)
		maxK = max(maxK, k)
		if last := v.calls[len(v.calls)-1]; last.st != stOK && last.st != stStopped && k > 0 {
			censored++
			continue
		}
		counts[k]++
		byCount[k] = append(byCount[k], *v)
	}
	if len(counts) == 0 {
		counts[maxK], byCount[maxK] = 1, nil
	}
	var ks []int
	total := 0
	for k, n := range counts {
		ks = append(ks, k)
		total += n
	}
	slices.Sort(ks)
	d.note("%s is called up to %d times per instance without a retry pattern; modelled as repeated leaves", d.setName(body), maxK)
	copies := func(k int, sub []view) journey.Node {
		var kids []journey.Node
		for range k {
			for _, c := range body {
				l := &journey.Leaf{Name: d.names[c]}
				d.record(l, sub, evidenceWeight(len(sub)))
				kids = append(kids, l)
			}
		}
		if len(kids) == 1 {
			return kids[0]
		}
		var n journey.Node = &journey.Series{Steps: kids}
		if parallel {
			n = &journey.Parallel{Branches: kids}
		}
		d.record(n, sub, evidenceWeight(len(sub)), fmt.Sprintf("%d iterations in %d instances", k, len(sub)))
		return n
	}
	sig := fmt.Sprintf("calls per instance: %v", counts)
	if censored > 0 {
		sig += fmt.Sprintf("; %d instances whose last call failed are left out (they may have been stopped before their next iteration)", censored)
	}
	if len(ks) == 1 {
		n := copies(ks[0], vs)
		d.info[n].signals = append(d.info[n].signals, sig)
		return n
	}
	n := &journey.Cond{}
	var cs []int
	for _, k := range ks {
		n.Branches = append(n.Branches, copies(k, byCount[k]))
		cs = append(cs, counts[k])
	}
	d.condProbs(n, cs, total, vs)
	d.info[n].signals = append(d.info[n].signals, sig)
	return n
}
