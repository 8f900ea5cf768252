package sim

import (
	"math"
	"math/rand/v2"
)

// Jitter of the emitted timelines, in seconds.
const (
	seriesGap      = 0.2e-3 // a Series step starts up to this long after the previous one ended
	parallelJitter = 0.05e-3
	maxLatency     = 1e6 // latencies are clamped to [0, maxLatency]
)

// How a call's client span was ended before its answer arrived.
const (
	cutNone    uint8 = iota
	cutTimeout       // by a Timeout or Retry deadline
	cutCancel        // by a Race or KofN that no longer needed it
)

// ecall is one leaf call of an emitted request. Times are seconds after the
// request started, on the gateway's clock.
type ecall struct {
	comp   int32
	start  float64 // the client sent the request
	end    float64 // the client got the answer, or gave up (cut)
	served float64 // the server finished
	ok     bool    // the server answered with success
	cut    uint8
	gone   bool // never sent: an ancestor ended before the call's start
}

// outcome is a node's result in an emitted request.
type outcome struct {
	ok   bool
	end  float64 // when the node succeeded, or when its failure was known
	crit int     // the call whose answer finished a successful node, −1 if none
}

// branchRun is one played branch of a Race or KofN: its calls are
// calls[from:to].
type branchRun struct {
	from, to int
	out      outcome
}

// emitWalker plays requests like walker but keeps every call with its
// start, end and fate, including failure, deadline and cancel instants.
// Outcomes and latencies are drawn from the walker's stream (so the
// copula factors are shared as in Simulate); the timing jitter of the
// timeline comes from a separate stream.
type emitWalker struct {
	*walker
	jit   *rand.Rand
	calls []ecall
	runs  []branchRun // a stack shared by nested Races and KofNs
	times []float64   // scratch of kofn
}

func newEmitWalker(p *program, corr Correlation, seed uint64) *emitWalker {
	w := newWalker(p, corr)
	w.rng = rand.New(rand.NewPCG(seed, streamOutcomes))
	return &emitWalker{walker: w, jit: rand.New(rand.NewPCG(seed, streamJitter))}
}

// request plays one request from time 0 and returns the root's outcome;
// the request's calls are left in e.calls.
func (e *emitWalker) request() outcome {
	e.req++
	e.calls = e.calls[:0]
	return e.play(int32(len(e.p.nodes)-1), 0)
}

// play runs node i from time t0 as if nothing above it interfered; the
// caller cuts its calls when an ancestor ends it early. Every operator is
// causal, so cutting afterwards is the same as stopping in time.
func (e *emitWalker) play(i int32, t0 float64) outcome {
	n := &e.p.nodes[i]
	switch n.op {
	case opLeaf:
		return e.leaf(n.comp, t0)
	case opSkip:
		return outcome{ok: true, end: t0, crit: -1}
	case opSeries:
		return e.series(n, t0)
	case opParallel:
		return e.parallel(n, t0)
	case opCond:
		return e.play(n.kids[e.branch(n)], t0)
	case opRace:
		return e.race(n, t0)
	case opKofN:
		return e.kofn(n, t0)
	case opTimeout:
		return e.timeout(n, t0)
	case opRetry:
		return e.retry(n, t0)
	}
	return outcome{end: t0, crit: -1}
}

// draw returns the outcome of one call of c and its latency; unlike
// walker.call it also draws a latency for a failed call (its duration).
func (e *emitWalker) draw(c int32) (bool, float64) {
	w, s := e.walker, &e.p.lat[c]
	var ok bool
	var lat float64
	if !w.copula {
		ok = w.rng.Float64() < w.p.avail[c]
		lat = w.latencyIndependent(s)
	} else {
		ok = w.latent(&w.fail, c) < w.p.thresh[c]
		if s.kind != latNone {
			lat = s.at(w.latent(&w.slow, c))
		}
	}
	if !(lat >= 0) {
		lat = 0
	}
	return ok, min(lat, maxLatency)
}

func (e *emitWalker) leaf(c int32, t0 float64) outcome {
	ok, lat := e.draw(c)
	end := t0 + lat
	e.calls = append(e.calls, ecall{comp: c, start: t0, end: end, served: end, ok: ok})
	return outcome{ok: ok, end: end, crit: len(e.calls) - 1}
}

// series runs the steps one after another, each starting up to seriesGap
// after the previous ended, and stops at the first failure.
func (e *emitWalker) series(n *snode, t0 float64) outcome {
	out := outcome{ok: true, end: t0, crit: -1}
	for k, c := range n.kids {
		if k > 0 {
			out.end += seriesGap * e.jit.Float64()
		}
		r := e.play(c, out.end)
		if !r.ok {
			return outcome{end: r.end, crit: -1}
		}
		out.end = r.end
		if r.crit >= 0 {
			out.crit = r.crit
		}
	}
	return out
}

// parallel starts every branch together (up to parallelJitter apart) and
// waits for all of them: it ends at the last end and fails if any failed.
func (e *emitWalker) parallel(n *snode, t0 float64) outcome {
	out := outcome{ok: true, end: t0, crit: -1}
	for _, c := range n.kids {
		r := e.play(c, t0+parallelJitter*e.jit.Float64())
		out.ok = out.ok && r.ok
		if r.end >= out.end {
			out.end = r.end
			if r.crit >= 0 {
				out.crit = r.crit
			}
		}
	}
	if !out.ok {
		out.crit = -1
	}
	return out
}

// race starts branch j at t0 + j·hedge unless a success already arrived;
// the first success wins and the others' running calls are cancelled then.
// It fails when every branch failed, at the last failure.
func (e *emitWalker) race(n *snode, t0 float64) outcome {
	base := len(e.runs)
	defer func() { e.runs = e.runs[:base] }()
	best, win := math.Inf(1), -1
	for j, c := range n.kids {
		start := t0 + float64(j)*n.tau
		if start >= best {
			break
		}
		from := len(e.calls)
		r := e.play(c, start)
		e.runs = append(e.runs, branchRun{from: from, to: len(e.calls), out: r})
		if r.ok && r.end < best {
			best, win = r.end, j
		}
	}
	runs := e.runs[base:]
	if win >= 0 {
		e.cancelAt(runs, best)
		return runs[win].out
	}
	out := outcome{end: t0, crit: -1}
	for _, r := range runs {
		out.end = max(out.end, r.out.end)
	}
	return out
}

// kofn starts every branch together. At the k-th success the running calls
// are cancelled and it succeeds; as soon as fewer than k branches can still
// succeed, the running calls are cancelled and it fails.
func (e *emitWalker) kofn(n *snode, t0 float64) outcome {
	base, mark := len(e.runs), len(e.times)
	defer func() { e.runs, e.times = e.runs[:base], e.times[:mark] }()
	for _, c := range n.kids {
		from := len(e.calls)
		r := e.play(c, t0)
		e.runs = append(e.runs, branchRun{from: from, to: len(e.calls), out: r})
	}
	runs := e.runs[base:]
	// The deciding instant: the k-th success, or else the failure that
	// leaves fewer than k possible successes.
	ok, rank := true, n.k
	if successes(runs) < n.k {
		ok, rank = false, len(runs)-n.k+1
	}
	for _, r := range runs {
		if r.out.ok == ok {
			e.times = append(e.times, r.out.end)
		}
	}
	at := kth(e.times[mark:], rank)
	e.cancelAt(runs, at)
	if !ok {
		return outcome{end: at, crit: -1}
	}
	for _, r := range runs {
		if r.out.ok && r.out.end == at {
			return r.out
		}
	}
	return outcome{ok: true, end: at, crit: -1}
}

func successes(runs []branchRun) int {
	k := 0
	for _, r := range runs {
		if r.out.ok {
			k++
		}
	}
	return k
}

// timeout runs the primary from t0 with a deadline at t0 + τ; a late or
// failed primary is cut at the deadline, where the fallback (if any)
// starts. Without a fallback the node fails at the deadline.
func (e *emitWalker) timeout(n *snode, t0 float64) outcome {
	deadline := t0 + n.tau
	mark := len(e.calls)
	r := e.play(n.kids[0], t0)
	if r.ok && r.end <= deadline && e.onTime(n.tp) {
		return r
	}
	e.expire(mark, r, deadline)
	if len(n.kids) < 2 {
		return outcome{end: deadline, crit: -1}
	}
	return e.play(n.kids[1], deadline)
}

// retry starts attempt j at t0 + j·(τ+b), each cut at τ after its start,
// and stops at the first timely success. It fails at the last attempt's
// deadline.
func (e *emitWalker) retry(n *snode, t0 float64) outcome {
	out := outcome{end: t0, crit: -1}
	for j := range n.k {
		start := t0 + float64(j)*n.gap
		deadline := start + n.tau
		mark := len(e.calls)
		r := e.play(n.kids[0], start)
		if r.ok && r.end <= deadline && e.onTime(n.tp) {
			return r
		}
		e.expire(mark, r, deadline)
		out.end = deadline
	}
	return out
}

// expire ends an attempt, whose calls are calls[mark:], that did not count
// by its deadline: calls still running then are cut. A timely success that
// timeoutProbability made late shows its answering call cut at the
// deadline, as if the answer had come later.
func (e *emitWalker) expire(mark int, r outcome, deadline float64) {
	if r.ok && r.end <= deadline {
		if r.crit >= 0 {
			c := &e.calls[r.crit]
			c.end, c.cut = deadline, cutTimeout
		}
		return
	}
	if r.end > deadline {
		e.cut(mark, deadline, cutTimeout)
	}
}

// cancelAt cancels, at t, the calls of every branch still running at t.
func (e *emitWalker) cancelAt(runs []branchRun, t float64) {
	for _, r := range runs {
		if r.out.end > t {
			e.cutRange(r.from, r.to, t, cutCancel)
		}
	}
}

// cut ends the calls from mark on at t.
func (e *emitWalker) cut(mark int, t float64, how uint8) {
	e.cutRange(mark, len(e.calls), t, how)
}

// cutRange ends calls[from:to] at t: calls not yet sent at t are never
// sent, calls still running are cut.
func (e *emitWalker) cutRange(from, to int, t float64, how uint8) {
	for i := from; i < to; i++ {
		c := &e.calls[i]
		switch {
		case c.gone:
		case c.start >= t:
			c.gone = true
		case c.end > t:
			c.end, c.cut = t, how
		}
	}
}
