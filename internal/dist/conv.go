package dist

import "math"

// fftCost is the measured cost of one FFT convolution of length N, in
// units of N·log2(N), relative to one multiply-add of the direct sum (see
// BenchmarkConvolve: about 2.6 ns against 0.55 ns on a 2-core Xeon); the
// direct sum, whose cost is directOps, is used when it is cheaper. With
// full supports the crossover is near K = 128.
const fftCost = 4.7

// tiny is the increment below which a cell's mass is skipped by the
// direct sum (dropping mass only lowers a lower band; in the estimate the
// error is below K·tiny).
const tiny = 1e-17

// forceConv overrides the choice of method in tests: 1 direct, 2 FFT.
var forceConv int

// convolver holds the FFT plan and scratch buffers of one grid size.
type convolver struct {
	k    int
	n    int       // FFT length, a power of two ≥ 2K−3
	fft  *realConv // made on first use
	m, h []float64 // length K−1
}

func (cv *convolver) init(k int) {
	cv.k = k
	cv.n = pow2Up(max(2*k-3, 2))
	cv.m = make([]float64, k-1)
	cv.h = make([]float64, k-1)
}

// convolve returns the sub-distribution of X + Y for independent X and Y
// in the Estimate (trapezoid rule), Lower (left end) or Upper (right end)
// flavour. With a0 = S_Y(0), m[i] = S_Y(t_{i+1}) − S_Y(t_i) and
// h[i] = S_X(t_i) (Lower), S_X(t_{i+1}) (Upper) or
// (S_X(t_i) + S_X(t_{i+1}))/2 (Estimate), all forms read
// S(t_k) = a0·S_X(t_k) + Σ_{i<k} m[i]·h[k−1−i]: Y's mass in
// (t_i, t_{i+1}] leaves X between t_{k−i−1} and t_{k−i}.
func (c *Calc) convolve(f Flavour, x, y Sub) Sub {
	cv := &c.conv
	k := c.g.K
	xv, yv := x.V, y.V
	// Put the narrower increments on the direct sum's outer loop.
	lo, hi := support(yv)
	if lo2, hi2 := support(xv); hi2-lo2 < hi-lo {
		xv, yv, lo, hi = yv, xv, lo2, hi2
	}
	for i := range k - 1 {
		cv.m[i] = yv[i+1] - yv[i]
		switch f {
		case Lower:
			cv.h[i] = xv[i]
		case Upper:
			cv.h[i] = xv[i+1]
		default:
			cv.h[i] = (xv[i] + xv[i+1]) / 2
		}
	}
	dst := c.buf()
	n := float64(cv.n)
	useDirect := directOps(lo, hi, k) <= fftCost*n*math.Log2(n)
	if forceConv != 0 {
		useDirect = forceConv == 1
	}
	g := 0.0
	if useDirect {
		cv.direct(dst[1:], lo, hi)
	} else {
		cv.viaFFT(dst[1:])
		switch f {
		case Lower:
			g = guard
		case Upper:
			g = -guard
		}
	}
	dst[0] = 0
	a0 := yv[0]
	for i := range dst {
		dst[i] += a0 * xv[i]
	}
	mass := x.Mass * y.Mass
	tidy(dst, mass, g)
	return Sub{V: dst, Mass: mass}
}

// directOps is the number of multiply-adds of the direct sum over the
// increments [lo, hi): Σ_{i ∈ [lo,hi)} (K−1−i).
func directOps(lo, hi, k int) float64 {
	w := float64(hi - lo)
	return w*float64(k-1) - float64(lo+hi-1)*w/2
}

// support returns the range [lo, hi) of increments v[i+1] − v[i] above
// tiny.
func support(v []float64) (lo, hi int) {
	lo, hi = len(v)-1, 0
	for i := 0; i+1 < len(v); i++ {
		if v[i+1]-v[i] > tiny {
			lo = i
			break
		}
	}
	for i := len(v) - 2; i >= lo; i-- {
		if v[i+1]-v[i] > tiny {
			hi = i + 1
			break
		}
	}
	return lo, max(lo, hi)
}

// direct sets out[j] = Σ_{i ∈ [lo,hi), i ≤ j} m[i]·h[j−i] for j < K−1.
func (cv *convolver) direct(out []float64, lo, hi int) {
	clear(out)
	h := cv.h
	for i := lo; i < hi; i++ {
		w := cv.m[i]
		if w <= tiny {
			continue
		}
		o := out[i:]
		for j, x := range h[:len(o)] {
			o[j] += w * x
		}
	}
}

// viaFFT sets out[j] = Σ_{i ≤ j} m[i]·h[j−i] for j < K−1 by FFT.
func (cv *convolver) viaFFT(out []float64) {
	if cv.fft == nil {
		cv.fft = newRealConv(cv.n)
	}
	cv.fft.conv(out, cv.m, cv.h)
}
