package law

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Histogram is a Prometheus-style histogram: Counts[i] observations in
// (Bounds[i-1], Bounds[i]] (the first bucket starts at 0), and one more count
// for (Bounds[len-1], +Inf). The estimate spreads each bucket's mass
// uniformly over the bucket (as histogram_quantile does) and the +Inf
// bucket's mass uniformly over (last, 2·last].
type Histogram struct {
	Bounds []float64
	Counts []float64
	cum    []float64 // cumulative fractions at Bounds, then 1
	total  float64
}

// NewHistogram checks and builds a histogram law.
func NewHistogram(bounds, counts []float64) (*Histogram, error) {
	if len(counts) != len(bounds)+1 {
		return nil, fmt.Errorf("histogram needs one more count than bounds")
	}
	if len(bounds) == 0 || bounds[0] <= 0 {
		return nil, fmt.Errorf("histogram needs positive bounds")
	}
	h := &Histogram{Bounds: slices.Clone(bounds), Counts: slices.Clone(counts)}
	for i, c := range counts {
		if c < 0 || math.IsNaN(c) || math.IsInf(c, 0) || (i > 0 && i < len(bounds) && bounds[i] <= bounds[i-1]) {
			return nil, fmt.Errorf("histogram bounds must increase and counts be finite and non-negative")
		}
		h.total += c
		h.cum = append(h.cum, h.total)
	}
	if h.total <= 0 {
		return nil, fmt.Errorf("histogram has no observations")
	}
	for i := range h.cum {
		h.cum[i] /= h.total
	}
	return h, nil
}

// edges returns the lower and upper edge of bucket i (the +Inf bucket's
// upper edge is 2·last for the estimate).
func (h *Histogram) edges(i int) (lo, hi float64) {
	last := h.Bounds[len(h.Bounds)-1]
	switch {
	case i == 0:
		return 0, h.Bounds[0]
	case i == len(h.Bounds):
		return last, 2 * last
	}
	return h.Bounds[i-1], h.Bounds[i]
}

func (h *Histogram) before(i int) float64 {
	if i == 0 {
		return 0
	}
	return h.cum[i-1]
}

// CDF interpolates linearly inside the bucket holding t.
func (h *Histogram) CDF(t float64) float64 {
	if t <= 0 {
		return 0
	}
	i := sort.SearchFloat64s(h.Bounds, t) // first bound >= t
	lo, hi := h.edges(i)
	if t >= hi {
		return h.cum[i]
	}
	return h.before(i) + (h.cum[i]-h.before(i))*(t-lo)/(hi-lo)
}

// Lower counts a bucket's mass only from its upper edge on (the +Inf
// bucket's never).
func (h *Histogram) Lower(t float64) float64 {
	i := sort.Search(len(h.Bounds), func(i int) bool { return h.Bounds[i] > t }) // buckets 0..i-1 complete
	return h.before(i)
}

// Upper counts a bucket's mass from its lower edge on.
func (h *Histogram) Upper(t float64) float64 {
	if t < 0 {
		return 0
	}
	i := sort.Search(len(h.Bounds), func(i int) bool { return h.Bounds[i] >= t }) // bucket holding t
	if i == len(h.Bounds) && t > h.Bounds[len(h.Bounds)-1] {
		return 1
	}
	return h.cum[i]
}

// Quantile inverts the estimate CDF.
func (h *Histogram) Quantile(p float64) float64 {
	i := sort.SearchFloat64s(h.cum, p) // first bucket whose cumulative >= p
	i = min(i, len(h.cum)-1)
	lo, hi := h.edges(i)
	mass := h.cum[i] - h.before(i)
	if mass <= 0 {
		return lo
	}
	return lo + (hi-lo)*(p-h.before(i))/mass
}

// N is the number of observations.
func (h *Histogram) N() float64 { return h.total }

// Scale multiplies every bound by c.
func (h *Histogram) Scale(c float64) Law {
	b := slices.Clone(h.Bounds)
	for i := range b {
		b[i] *= c
	}
	s, _ := NewHistogram(b, h.Counts)
	return s
}

// String describes the law.
func (h *Histogram) String() string {
	return fmt.Sprintf("histogram(%d buckets, %g observations)", len(h.Counts), h.total)
}

// Samples is the empirical law of observed latencies.
type Samples struct {
	sorted []float64
}

// NewSamples builds the empirical law of xs (seconds, non-negative).
func NewSamples(xs []float64) (*Samples, error) {
	if len(xs) == 0 {
		return nil, fmt.Errorf("no latency samples")
	}
	s := &Samples{sorted: slices.Clone(xs)}
	for _, x := range xs {
		if !(x >= 0) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("latency samples must be finite non-negative seconds")
		}
	}
	slices.Sort(s.sorted)
	return s, nil
}

// CDF is the empirical CDF: the fraction of samples <= t.
func (s *Samples) CDF(t float64) float64 {
	i := sort.Search(len(s.sorted), func(i int) bool { return s.sorted[i] > t })
	return float64(i) / float64(len(s.sorted))
}

// Lower equals CDF (samples are exact observations).
func (s *Samples) Lower(t float64) float64 { return s.CDF(t) }

// Upper equals CDF (samples are exact observations).
func (s *Samples) Upper(t float64) float64 { return s.CDF(t) }

// Quantile returns the smallest sample x with CDF(x) >= p.
func (s *Samples) Quantile(p float64) float64 {
	n := len(s.sorted)
	i := int(math.Ceil(p*float64(n))) - 1
	return s.sorted[min(max(i, 0), n-1)]
}

// N is the number of samples.
func (s *Samples) N() float64 { return float64(len(s.sorted)) }

// Scale multiplies every sample by c.
func (s *Samples) Scale(c float64) Law {
	out := &Samples{sorted: slices.Clone(s.sorted)}
	for i := range out.sorted {
		out.sorted[i] *= c
	}
	return out
}

// String describes the law.
func (s *Samples) String() string { return fmt.Sprintf("samples(n=%d)", len(s.sorted)) }
