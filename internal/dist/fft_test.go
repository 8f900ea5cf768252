package dist

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// TestRealConvMatchesDirect compares the radix-2 convolution with the
// direct sum on random sequences of many lengths.
func TestRealConvMatchesDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{2, 3, 4, 5, 7, 16, 17, 100, 513, 1000, 2049} {
		a, b := make([]float64, k), make([]float64, k)
		for i := range a {
			a[i], b[i] = r.Float64(), r.Float64()-0.5
		}
		rc := newRealConv(pow2Up(2*k - 1))
		got := make([]float64, k)
		rc.conv(got, a, b)
		for j := range got {
			var want float64
			for i := 0; i <= j; i++ {
				want += a[i] * b[j-i]
			}
			if math.Abs(got[j]-want) > 1e-12*float64(k) {
				t.Fatalf("k=%d j=%d: got %v, want %v", k, j, got[j], want)
			}
		}
	}
}

// BenchmarkRealConv compares one convolution of two 2,160-value
// sequences by the radix-2 plan (N = 8192) with gonum's fftpack at its
// smallest length (4,320).
func BenchmarkRealConv(b *testing.B) {
	const k = 2160
	x, y, out := make([]float64, k), make([]float64, k), make([]float64, k)
	for i := range x {
		x[i], y[i] = float64(i%7), float64(i%5)
	}
	b.Run("radix2", func(b *testing.B) {
		rc := newRealConv(pow2Up(2*k - 1))
		for b.Loop() {
			rc.conv(out, x, y)
		}
	})
	b.Run("gonum", func(b *testing.B) {
		n := niceUp(2*k - 1)
		f := fourier.NewFFT(n)
		pa, pb := make([]float64, n), make([]float64, n)
		ca, cb := make([]complex128, n/2+1), make([]complex128, n/2+1)
		for b.Loop() {
			copy(pa, x)
			copy(pb, y)
			f.Coefficients(ca, pa)
			f.Coefficients(cb, pb)
			for i := range ca {
				ca[i] *= cb[i]
			}
			f.Sequence(pa, ca)
		}
	})
}

// niceUp returns the smallest n' ≥ n of the form 2^a·3^b·5^c.
func niceUp(n int) int {
	best := math.MaxInt
	for p5 := 1; p5 < best; p5 *= 5 {
		for p35 := p5; p35 < best; p35 *= 3 {
			p := p35
			for p < n {
				p *= 2
			}
			best = min(best, p)
		}
	}
	return best
}
