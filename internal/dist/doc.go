// Package dist computes with latency sub-distributions on a uniform working
// grid (DESIGN §3.1, §3.3).
//
// A node N of a journey has the sub-distribution S(t) = P(N succeeds and
// finishes within t); its mass S(∞) is N's availability. A Sub holds S at
// the grid points t_k = k·Δ, k = 0..K−1, and carries S(∞) separately
// because the grid truncates. Every operation is causal (S on [0, t] only
// depends on its inputs on [0, t]), so truncation never changes a value on
// the grid; it only limits how far a quantile can be read.
//
// # Flavours
//
// Each operation comes in four flavours:
//
//   - Estimate: the point model under independence. Series is the
//     Stieltjes convolution by the trapezoid rule
//     S(t_k) = Σ_j m_Y[j]·(S_X(t_{k−j}) + S_X(t_{k−j+1}))/2 with
//     m_Y[j] = S_Y(t_j) − S_Y(t_{j−1}), whose atom at 0 (j = 0) is taken
//     exactly; values between grid points are read by linear interpolation.
//   - Lower: a lower band under independence. Read as a step function (the
//     value at t_k holds on [t_k, t_{k+1})), the result stays at or below the
//     true S whenever the inputs are lower bands: Series uses the value at a
//     cell's left end, the other operators are monotone in their children,
//     Cond takes the worst probability vertex at every t, and times that fall
//     between grid points are rounded against the band.
//   - FreeLower: a lower band that holds for any dependence between the
//     children: Makarov's bound sup_s max(0, S_X(s) + S_Y(t−s) − 1) for
//     Series (on a coarsened grid of at most CoarseMax points, mapped back as
//     a step function), Fréchet's max(0, ΣL − (n−1)) for Parallel, max L_i
//     for Race, (ΣL − (k−1))/(n−k+1) for KofN, the union bound
//     max(S_N(τ), S_M(t−τ)) after a Timeout's deadline, and a single attempt
//     for Retry.
//   - FreeUpper: an upper band for any dependence, read as a step function
//     the other way (the value at t_k holds on (t_{k−1}, t_k]): min U_i for
//     Series and Parallel, min(1, ΣU_i) for Race, ΣU_i/k for KofN, the best
//     vertex for Cond, S_N(τ) + S_M(t−τ) for Timeout and the sum over
//     attempts for Retry. Its mass is the availability bound the
//     dependence-free quantile read divides by.
//
// # Grid
//
// NewGrid picks Δ and K from a Spec: the range T_max the grid must reach
// (callers estimate it from a high quantile of the tree), the widest
// acceptable cell (callers take a fraction of the median), and the
// breakpoints — timeouts, per-try timeout plus backoff, hedge delays. When
// the breakpoints are whole numbers of microseconds with greatest common
// divisor g, Δ = g/m for an integer m, so every breakpoint falls on a grid
// point and a Timeout's deadline is never smeared across a cell. When that
// would need more than MaxK points (or a breakpoint is not a whole number of
// microseconds), Δ is chosen from the range alone, Grid.Aligned is false
// and breakpoints are read by rounding: interpolated in the estimate, down
// (or up, where that is conservative) in the bands. K is rounded up to a
// Product of 2, 3 and 5, which suits the FFT.
//
// # Quantiles
//
// The q-quantile of the estimate is inf{t : S(t) ≥ q·S(∞)}, interpolated
// linearly between grid points. A bound reads inf{t_k : S_lo(t_k) ≥ q·A_hi}
// at a grid point (conservative) for a lower band S_lo and an availability
// upper bound A_hi; when the band's limit stays below the level the bound
// is unbounded.
package dist
