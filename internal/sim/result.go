package sim

import (
	"math"
	"sort"
	"sync"
	"time"
)

// Quantile returns the p-quantile of the latency of successful requests by
// inverting their empirical CDF (Hyndman–Fan type 1, the convention of
// law.Law.Quantile): the smallest simulated latency x with CDF(x) ≥ p,
// i.e. the ⌈p·n⌉-th smallest of the n latencies. p ≤ 0 gives the smallest
// latency and p ≥ 1 the largest; the result is NaN when no request
// succeeded or p is NaN.
func (r *Result) Quantile(p float64) float64 {
	n := len(r.Latencies)
	if n == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	i := int(math.Ceil(p*float64(n))) - 1
	return r.Latencies[min(max(i, 0), n-1)]
}

// Quantiles returns Quantile(p) for every p in ps.
func (r *Result) Quantiles(ps []float64) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = r.Quantile(p)
	}
	return out
}

// CDF returns the empirical CDF of the latency of successful requests: the
// fraction of them that finished within t seconds (NaN when none
// succeeded). Availability·CDF(t) estimates the journey's sub-distribution
// P(success and latency ≤ t).
func (r *Result) CDF(t float64) float64 {
	n := len(r.Latencies)
	if n == 0 {
		return math.NaN()
	}
	i := sort.Search(n, func(i int) bool { return r.Latencies[i] > t })
	return float64(i) / float64(n)
}

// mergeRuns merges sorted runs into one sorted slice: run b is
// xs[b·stride : b·stride+counts[b]]. It merges neighbouring runs pairwise,
// ping-ponging between xs and one scratch slice, and may overwrite xs.
func mergeRuns(xs []float64, counts []int, stride int) []float64 {
	type run struct{ lo, hi int }
	runs := make([]run, 0, len(counts))
	// Compact the runs to the front of xs first, so the result needs no
	// more than the successes' room.
	end := 0
	for b, k := range counts {
		copy(xs[end:], xs[b*stride:b*stride+k])
		runs = append(runs, run{end, end + k})
		end += k
	}
	src := xs[:end:end]
	if len(runs) <= 1 {
		return src
	}
	dst := make([]float64, end)
	for len(runs) > 1 {
		merged := runs[:0]
		for i := 0; i < len(runs); i += 2 {
			if i+1 == len(runs) {
				copy(dst[runs[i].lo:runs[i].hi], src[runs[i].lo:runs[i].hi])
				merged = append(merged, runs[i])
				continue
			}
			a, b := runs[i], runs[i+1]
			merge(dst[a.lo:b.hi], src[a.lo:a.hi], src[b.lo:b.hi])
			merged = append(merged, run{a.lo, b.hi})
		}
		runs = merged
		src, dst = dst, src
	}
	return src
}

// merge writes the sorted union of the sorted slices a and b to out
// (len(out) == len(a)+len(b)).
func merge(out, a, b []float64) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		if b[j] < a[i] {
			out[k] = b[j]
			j++
		} else {
			out[k] = a[i]
			i++
		}
		k++
	}
	k += copy(out[k:], a[i:])
	copy(out[k:], b[j:])
}

// progressEvery is the shortest interval between two progress calls that
// are not the last.
const progressEvery = 100 * time.Millisecond

// progress serializes and throttles calls of Options.Progress.
type progress struct {
	fn    func(done, total int)
	total int
	mu    sync.Mutex
	done  int
	last  time.Time
}

func newProgress(fn func(done, total int), total int) *progress {
	return &progress{fn: fn, total: total, last: time.Now()}
}

// add records n more simulated requests and reports them when due.
func (p *progress) add(n int) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if now := time.Now(); p.done == p.total || now.Sub(p.last) >= progressEvery {
		p.last = now
		p.fn(p.done, p.total)
	}
}
