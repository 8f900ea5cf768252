package law

import (
	"math"
	"testing"
)

func laws(t *testing.T) map[string]Law {
	t.Helper()
	h, err := NewHistogram([]float64{0.01, 0.05, 0.1, 0.5}, []float64{10, 40, 30, 15, 5})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSamples([]float64{0.03, 0.01, 0.02, 0.05, 0.02})
	if err != nil {
		t.Fatal(err)
	}
	q, err := NewQuantiles([]Point{{0.5, 0.01}, {0.9, 0.03}, {0.99, 0.08}})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Law{
		"lognormal": Lognormal{Median: 0.08, Sigma: 0.5}, "exponential": Exponential{Mean: 0.02},
		"histogram": h, "samples": s, "quantiles": q,
	}
}

// TestQuantileInvertsCDF checks CDF(Quantile(p)) >= p, with equality for
// continuous laws, and the ordering Lower <= CDF <= Upper.
func TestQuantileInvertsCDF(t *testing.T) {
	for name, l := range laws(t) {
		for _, p := range []float64{0.01, 0.1, 0.5, 0.9, 0.97, 0.99, 0.999} {
			x := l.Quantile(p)
			got := l.CDF(x)
			if got < p-1e-9 || (name != "samples" && math.Abs(got-p) > 1e-9) {
				t.Errorf("%s: CDF(Quantile(%g)) = %g", name, p, got)
			}
		}
		for x := 0.0; x < 1.2; x += 0.0007 {
			lo, c, hi := l.Lower(x), l.CDF(x), l.Upper(x)
			if !(lo <= c+1e-12 && c <= hi+1e-12) {
				t.Errorf("%s at %g: lower %g, cdf %g, upper %g out of order", name, x, lo, c, hi)
			}
		}
	}
}

func TestHistogramCensoring(t *testing.T) {
	h, _ := NewHistogram([]float64{0.1, 0.2}, []float64{2, 6, 2})
	tests := []struct{ t, lower, cdf, upper float64 }{
		{0, 0, 0, 0.2},
		{0.05, 0, 0.1, 0.2},
		{0.1, 0.2, 0.2, 0.2},
		{0.15, 0.2, 0.5, 0.8},
		{0.2, 0.8, 0.8, 0.8},
		{0.3, 0.8, 0.9, 1},
		{0.4, 0.8, 1, 1},
	}
	for _, tc := range tests {
		if got := h.Lower(tc.t); math.Abs(got-tc.lower) > 1e-12 {
			t.Errorf("Lower(%g) = %g, want %g", tc.t, got, tc.lower)
		}
		if got := h.CDF(tc.t); math.Abs(got-tc.cdf) > 1e-12 {
			t.Errorf("CDF(%g) = %g, want %g", tc.t, got, tc.cdf)
		}
		if got := h.Upper(tc.t); math.Abs(got-tc.upper) > 1e-12 {
			t.Errorf("Upper(%g) = %g, want %g", tc.t, got, tc.upper)
		}
	}
}

// TestQuantilesExactForLognormal: points taken from a lognormal reproduce it.
func TestQuantilesExactForLognormal(t *testing.T) {
	ln := Lognormal{Median: 0.05, Sigma: 0.7}
	q, err := NewQuantiles([]Point{{0.5, ln.Quantile(0.5)}, {0.99, ln.Quantile(0.99)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []float64{0.001, 0.2, 0.5, 0.9, 0.999} {
		if a, b := q.Quantile(p), ln.Quantile(p); math.Abs(a-b) > 1e-12*b {
			t.Errorf("p=%g: %g vs lognormal %g", p, a, b)
		}
	}
}

func TestScale(t *testing.T) {
	for name, l := range laws(t) {
		s := l.Scale(1.1)
		for _, p := range []float64{0.5, 0.9, 0.99} {
			if a, b := s.Quantile(p), 1.1*l.Quantile(p); math.Abs(a-b) > 1e-12 {
				t.Errorf("%s: scaled p%g = %g, want %g", name, p*100, a, b)
			}
		}
	}
}

func TestBadEvidence(t *testing.T) {
	if _, err := NewHistogram([]float64{0.1}, []float64{1}); err == nil {
		t.Error("histogram with too few counts accepted")
	}
	if _, err := NewHistogram([]float64{0.2, 0.1}, []float64{1, 1, 1}); err == nil {
		t.Error("decreasing bounds accepted")
	}
	if _, err := NewHistogram([]float64{0.1}, []float64{0, 0}); err == nil {
		t.Error("empty histogram accepted")
	}
	if _, err := NewSamples(nil); err == nil {
		t.Error("no samples accepted")
	}
	if _, err := NewQuantiles([]Point{{0.5, 0.1}}); err == nil {
		t.Error("one quantile point accepted")
	}
	if _, err := NewQuantiles([]Point{{0.5, 0.1}, {0.9, 0.05}}); err == nil {
		t.Error("decreasing quantiles accepted")
	}
}

func TestDKW(t *testing.T) {
	if got, want := DKW(1000, 0.05), math.Sqrt(math.Log(40)/2000); math.Abs(got-want) > 1e-15 {
		t.Errorf("DKW = %g, want %g", got, want)
	}
	if DKW(0, 0.05) != 0 {
		t.Error("exact law must have no band")
	}
}
