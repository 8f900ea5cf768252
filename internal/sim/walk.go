package sim

import (
	"math"
	"math/rand/v2"
)

// walker plays requests through a program. Domain factors (Z for
// failures, W for latencies) and each component's common terms are drawn
// lazily, once per request, and cached under the request's stamp.
type walker struct {
	p      *program
	rng    *rand.Rand
	copula bool
	req    uint64
	fail   factors // Z_d and each component's failure term
	slow   factors // W_d and each component's latency term
	buf    []float64
}

// factors caches one request's domain factors and the common terms
// √ρ·Σ_{d∈D(c)} F_d/√|D(c)| built from them.
type factors struct {
	dStamp []uint64
	d      []float64
	cStamp []uint64
	common []float64
}

func newFactors(p *program) factors {
	return factors{
		dStamp: make([]uint64, p.ndom), d: make([]float64, p.ndom),
		cStamp: make([]uint64, len(p.avail)), common: make([]float64, len(p.avail)),
	}
}

func newWalker(p *program, corr Correlation) *walker {
	w := &walker{p: p, copula: corr.Copula}
	if p.shock != nil {
		w.fail = newFactors(p)
	}
	if w.copula {
		w.fail = newFactors(p)
		w.slow = newFactors(p)
	}
	return w
}

// block simulates len(out) requests with the stream (seed, b), writes the
// finish times of the successful ones to the front of out, in request
// order, and returns their number.
func (w *walker) block(seed, b uint64, out []float64) int {
	w.rng = rand.New(rand.NewPCG(seed, b))
	root := int32(len(w.p.nodes) - 1)
	ok := 0
	for range out {
		w.req++
		if s, t := w.run(root); s {
			out[ok] = t
			ok++
		}
	}
	return ok
}

// common returns component c's common term of the request from f.
func (w *walker) common(f *factors, c int32) float64 {
	if f.cStamp[c] != w.req {
		var s float64
		for _, d := range w.p.doms[c] {
			if f.dStamp[d] != w.req {
				f.dStamp[d] = w.req
				f.d[d] = w.rng.NormFloat64()
			}
			s += f.d[d]
		}
		f.cStamp[c] = w.req
		f.common[c] = w.p.scale[c] * s
	}
	return f.common[c]
}

// shocked reports whether domain d is down in this request (drawn once
// per request).
func (w *walker) shocked(d int32) bool {
	f := &w.fail
	if f.dStamp[d] != w.req {
		f.dStamp[d] = w.req
		f.d[d] = 0
		if w.rng.Float64() < w.p.shock[d] {
			f.d[d] = 1
		}
	}
	return f.d[d] == 1
}

// latent returns the copula's standard normal variable of one call of c:
// the common term of f plus fresh noise.
func (w *walker) latent(f *factors, c int32) float64 {
	var x float64
	if len(w.p.doms[c]) > 0 {
		x = w.common(f, c)
	}
	if s := w.p.noise[c]; s > 0 {
		x += s * w.rng.NormFloat64()
	}
	return x
}

// call draws the outcome of one call of component c: its success and, when
// it succeeds, its latency.
func (w *walker) call(c int32) (bool, float64) {
	if w.p.shock != nil {
		for _, d := range w.p.doms[c] {
			if w.shocked(d) {
				return false, 0
			}
		}
		if w.rng.Float64() >= w.p.idio[c] {
			return false, 0
		}
		return true, w.latencyIndependent(&w.p.lat[c])
	}
	if !w.copula {
		if w.rng.Float64() >= w.p.avail[c] {
			return false, 0
		}
		return true, w.latencyIndependent(&w.p.lat[c])
	}
	if w.latent(&w.fail, c) >= w.p.thresh[c] {
		return false, 0
	}
	s := &w.p.lat[c]
	if s.kind == latNone {
		return true, 0
	}
	return true, s.at(w.latent(&w.slow, c))
}

// latencyIndependent draws a latency with fresh randomness.
func (w *walker) latencyIndependent(s *sampler) float64 {
	switch s.kind {
	case latLognormal:
		return s.a * math.Exp(s.b*w.rng.NormFloat64())
	case latExponential:
		return s.a * w.rng.ExpFloat64()
	case latGeneric:
		// A uniform in (0, 1), never 0: the midpoint of a 53-bit cell.
		return s.law.Quantile((float64(w.rng.Uint64()>>11) + 0.5) / (1 << 53))
	}
	return 0
}

// at returns the latency at the standard normal x: Quantile(Φ(x)).
func (s *sampler) at(x float64) float64 {
	switch s.kind {
	case latLognormal:
		return s.a * math.Exp(s.b*x)
	case latExponential:
		// 1 − Φ(x) = Φ(−x), computed without cancellation.
		return -s.a * math.Log(0.5*math.Erfc(x/math.Sqrt2))
	case latGeneric:
		u := 0.5 * math.Erfc(-x/math.Sqrt2)
		return s.law.Quantile(min(max(u, 0x1p-60), 1-0x1p-53))
	}
	return 0
}

// onTime reports whether a successful attempt arrives before its deadline
// as far as the declared TimeoutProbability goes.
func (w *walker) onTime(tp float64) bool {
	return tp <= 0 || w.rng.Float64() >= tp
}

// run plays node i once and reports its success and finish time in seconds
// after the node started. The time of a failure is not used by any
// operator, so it is left 0.
func (w *walker) run(i int32) (bool, float64) {
	n := &w.p.nodes[i]
	switch n.op {
	case opLeaf:
		return w.call(n.comp)
	case opSkip:
		return true, 0
	case opSeries:
		var t float64
		for _, c := range n.kids {
			s, d := w.run(c)
			if !s {
				return false, 0
			}
			t += d
		}
		return true, t
	case opParallel:
		var t float64
		for _, c := range n.kids {
			s, d := w.run(c)
			if !s {
				return false, 0
			}
			t = max(t, d)
		}
		return true, t
	case opCond:
		return w.run(n.kids[w.branch(n)])
	case opRace:
		return w.race(n)
	case opKofN:
		return w.kofn(n)
	case opTimeout:
		if s, t := w.run(n.kids[0]); s && t <= n.tau && w.onTime(n.tp) {
			return true, t
		}
		if len(n.kids) < 2 {
			return false, 0
		}
		s, t := w.run(n.kids[1])
		return s, n.tau + t
	case opRetry:
		for j := range n.k {
			if s, t := w.run(n.kids[0]); s && t <= n.tau && w.onTime(n.tp) {
				return true, float64(j)*n.gap + t
			}
		}
		return false, 0
	}
	return false, 0
}

// branch picks a Cond branch.
func (w *walker) branch(n *snode) int {
	u := w.rng.Float64()
	for j, c := range n.cum {
		if u < c {
			return j
		}
	}
	return n.dflt
}

// race plays a Race: branch j starts at j·hedge and the earliest success
// wins. A branch that would start no earlier than the best finish so far
// cannot win, and neither can any later one, so they are not played.
func (w *walker) race(n *snode) (bool, float64) {
	best := math.Inf(1)
	for j, c := range n.kids {
		start := float64(j) * n.tau
		if start >= best {
			break
		}
		if s, t := w.run(c); s {
			best = min(best, start+t)
		}
	}
	if math.IsInf(best, 1) {
		return false, 0
	}
	return true, best
}

// kofn plays a KofN: it succeeds when k branches succeed, at the k-th
// smallest of their finish times. The finish times are kept on w.buf as a
// stack, so nested KofNs share it.
func (w *walker) kofn(n *snode) (bool, float64) {
	mark := len(w.buf)
	failed := 0
	for _, c := range n.kids {
		s, t := w.run(c)
		if s {
			w.buf = append(w.buf, t)
			continue
		}
		if failed++; len(n.kids)-failed < n.k {
			w.buf = w.buf[:mark]
			return false, 0
		}
	}
	t := kth(w.buf[mark:], n.k)
	w.buf = w.buf[:mark]
	return true, t
}

// kth returns the k-th smallest element of xs (1 ≤ k ≤ len(xs)), partly
// sorting xs in place: insertion sort, as xs holds a node's few branches.
func kth(xs []float64, k int) float64 {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
	return xs[k-1]
}
