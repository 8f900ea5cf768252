package law

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Point is a known quantile: P(latency <= Seconds) = P.
type Point struct {
	P, Seconds float64
}

// Quantiles interpolates between known quantile points linearly in
// (ln t, Φ⁻¹(p)) — probit against log-time — and extrapolates beyond the
// outer points along the nearest segment. The interpolation is monotone,
// and exact when the latency is lognormal (which is then a straight line in
// those coordinates).
type Quantiles struct {
	points []Point // sorted by P, at least two
	x, y   []float64
}

// NewQuantiles builds the law from at least two quantile points whose
// latencies increase with p.
func NewQuantiles(points []Point) (*Quantiles, error) {
	if len(points) < 2 {
		return nil, fmt.Errorf("need at least two quantile points to form a distribution")
	}
	ps := slices.Clone(points)
	slices.SortFunc(ps, func(a, b Point) int { return cmp.Compare(a.P, b.P) })
	q := &Quantiles{points: ps}
	for i, p := range ps {
		if !(p.P > 0 && p.P < 1) || !(p.Seconds > 0) {
			return nil, fmt.Errorf("quantile points need 0 < p < 1 and positive latencies")
		}
		if i > 0 && (p.P == ps[i-1].P || p.Seconds <= ps[i-1].Seconds) {
			return nil, fmt.Errorf("quantile latencies must strictly increase with p")
		}
		q.x = append(q.x, math.Log(p.Seconds))
		q.y = append(q.y, NormalQuantile(p.P))
	}
	return q, nil
}

// segment returns the index i of the segment [i, i+1] to use for v in xs.
func segment(xs []float64, v float64) int {
	i, _ := slices.BinarySearch(xs, v)
	return min(max(i-1, 0), len(xs)-2)
}

func lerp(x0, x1, y0, y1, v float64) float64 { return y0 + (y1-y0)*(v-x0)/(x1-x0) }

// CDF interpolates Φ⁻¹(p) linearly in ln t.
func (q *Quantiles) CDF(t float64) float64 {
	if t <= 0 {
		return 0
	}
	v := math.Log(t)
	i := segment(q.x, v)
	return normCDF(lerp(q.x[i], q.x[i+1], q.y[i], q.y[i+1], v))
}

// Lower equals CDF (quantile points are taken as exact).
func (q *Quantiles) Lower(t float64) float64 { return q.CDF(t) }

// Upper equals CDF (quantile points are taken as exact).
func (q *Quantiles) Upper(t float64) float64 { return q.CDF(t) }

// Quantile inverts CDF.
func (q *Quantiles) Quantile(p float64) float64 {
	v := NormalQuantile(p)
	i := segment(q.y, v)
	return math.Exp(lerp(q.y[i], q.y[i+1], q.x[i], q.x[i+1], v))
}

// N is 0: quantile points carry no sample size.
func (*Quantiles) N() float64 { return 0 }

// Scale multiplies every latency by c.
func (q *Quantiles) Scale(c float64) Law {
	ps := slices.Clone(q.points)
	for i := range ps {
		ps[i].Seconds *= c
	}
	s, _ := NewQuantiles(ps)
	return s
}

// String describes the law.
func (q *Quantiles) String() string {
	var parts []string
	for _, p := range q.points {
		parts = append(parts, fmt.Sprintf("p%.6g=%s", p.P*100, seconds(p.Seconds)))
	}
	return "quantiles(" + strings.Join(parts, ", ") + ")"
}
