package sim

import (
	"math"
	"math/rand/v2"
)

// walker plays requests through a program. Domain factors and each
// component's common term are drawn lazily, once per request, and cached
// under the request's stamp.
type walker struct {
	p      *program
	rng    *rand.Rand
	copula bool
	noise  float64 // √(1−ρ)
	req    uint64
	zStamp []uint64
	z      []float64
	cStamp []uint64
	common []float64
}

func newWalker(p *program, corr Correlation) *walker {
	w := &walker{p: p, copula: corr.Copula}
	if w.copula {
		w.noise = math.Sqrt(1 - corr.Rho)
		w.zStamp = make([]uint64, p.ndom)
		w.z = make([]float64, p.ndom)
		w.cStamp = make([]uint64, len(p.avail))
		w.common = make([]float64, len(p.avail))
	}
	return w
}

// block simulates n requests with the stream (seed, b) and returns the
// number of successes.
func (w *walker) block(seed, b uint64, n int) int {
	w.rng = rand.New(rand.NewPCG(seed, b))
	root := int32(len(w.p.nodes) - 1)
	ok := 0
	for range n {
		w.req++
		if w.run(root) {
			ok++
		}
	}
	return ok
}

// call draws the outcome of one call of component c.
func (w *walker) call(c int32) bool {
	if !w.copula {
		return w.rng.Float64() < w.p.avail[c]
	}
	if w.cStamp[c] != w.req {
		var s float64
		for _, d := range w.p.doms[c] {
			if w.zStamp[d] != w.req {
				w.zStamp[d] = w.req
				w.z[d] = w.rng.NormFloat64()
			}
			s += w.z[d]
		}
		w.cStamp[c] = w.req
		w.common[c] = w.p.scale[c] * s
	}
	x := w.common[c]
	if w.noise > 0 {
		x += w.noise * w.rng.NormFloat64()
	}
	return x < w.p.thresh[c]
}

// onTime reports whether a successful attempt arrives before its deadline.
func (w *walker) onTime(tp float64) bool {
	return tp <= 0 || w.rng.Float64() >= tp
}

// run plays node i once and reports its success.
func (w *walker) run(i int32) bool {
	n := &w.p.nodes[i]
	switch n.op {
	case opLeaf:
		return w.call(n.comp)
	case opSkip:
		return true
	case opAll:
		for _, c := range n.kids {
			if !w.run(c) {
				return false
			}
		}
		return true
	case opCond:
		u := w.rng.Float64()
		for j, c := range n.cum {
			if u < c {
				return w.run(n.kids[j])
			}
		}
		return w.run(n.kids[n.dflt])
	case opRace:
		for _, c := range n.kids {
			if w.run(c) {
				return true
			}
		}
		return false
	case opKofN:
		ok := 0
		for j, c := range n.kids {
			if w.run(c) {
				ok++
			}
			if ok >= n.k {
				return true
			}
			if ok+len(n.kids)-1-j < n.k {
				return false
			}
		}
		return false
	case opTimeout:
		if w.run(n.kids[0]) && w.onTime(n.tp) {
			return true
		}
		return len(n.kids) == 2 && w.run(n.kids[1])
	case opRetry:
		for range n.k {
			if w.run(n.kids[0]) && w.onTime(n.tp) {
				return true
			}
		}
		return false
	}
	return false
}
