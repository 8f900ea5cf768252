package latency

import (
	"encoding/json"
	"math"
)

// Result is a journey's latency objective quantile as three numbers
// (DESIGN §3.3) with the curves they are read from.
type Result struct {
	// Quantile is the objective's quantile q, e.g. 0.99.
	Quantile float64 `json:"quantile"`
	// EstimateSeconds is the q-quantile of the point model's latency
	// conditioned on success.
	EstimateSeconds float64 `json:"estimateSeconds"`
	// UpperConfidenceSeconds is the q-quantile bound read from the leaves'
	// lower confidence bands composed under independence; +Inf when the
	// band never reaches the level (marshalled as null).
	UpperConfidenceSeconds float64 `json:"upperConfidenceSeconds"`
	// UpperBoundSeconds is the shared-fate bound: the same leaf bands
	// composed under A−'s dependence class (independent fate groups, any
	// or positive dependence inside one); +Inf when unbounded (marshalled
	// as null).
	UpperBoundSeconds float64 `json:"upperBoundSeconds"`
	// EstimateAvailability is the estimate's mass S(∞).
	EstimateAvailability float64 `json:"estimateAvailability"`
	// ConfidenceAvailability is the availability the upper confidence read
	// divides by: the independent A+ (or the estimate's mass, if larger).
	ConfidenceAvailability float64 `json:"confidenceAvailability"`
	// BoundAvailability is the availability upper bound, valid for every
	// law of A−'s dependence class, the upper bound's read divides by.
	BoundAvailability float64 `json:"boundAvailability"`
	// Grid is the working grid of the curves.
	Grid Grid `json:"grid"`
	// Curves are the conditional CDFs the three numbers are read from.
	Curves Curves `json:"curves"`
	// Late lists every Timeout and Retry with latency evidence under its
	// primary.
	Late []LateFraction `json:"late,omitempty"`
	// Assumptions are the latency assumptions, deduplicated, in a
	// deterministic order.
	Assumptions []string `json:"assumptions"`
}

// Grid describes the uniform working grid t_k = k·StepSeconds.
type Grid struct {
	// StepSeconds is the cell width Δ.
	StepSeconds float64 `json:"stepSeconds"`
	// Points is the number of grid points K.
	Points int `json:"points"`
	// Aligned reports whether every timeout, per-try timeout plus backoff
	// and hedge delay is a whole number of cells.
	Aligned bool `json:"aligned"`
}

// Curves holds conditional CDFs at the grid points: the estimate
// S/A, and the confidence and dependence-free lower bands, each divided by
// the availability its read uses (so the q-quantile is where a curve
// first reaches q).
type Curves struct {
	// Estimate is S(t_k)/EstimateAvailability.
	Estimate []float64 `json:"estimate"`
	// Confidence is S_lo(t_k)/ConfidenceAvailability.
	Confidence []float64 `json:"confidence"`
	// UpperBound is the class lower band S_lo(t_k)/BoundAvailability the
	// upper bound is read from.
	UpperBound []float64 `json:"upperBound"`
}

// LateFraction is, for a Timeout or Retry, the fraction of its primary's
// successful answers that arrive after the (per-try) deadline — or count
// as late: a declared timeoutProbability tp makes a further fraction tp of
// on-time answers late, so the fractions are 1 − (1 − tp)·S_N(τ)/A_N —
// with the lower bound of the primary's on-time success that caps A−.
type LateFraction struct {
	// Path locates the node as in compute.Step.Path (tree.Node.Path).
	Path string `json:"path"`
	// Kind is "timeout" or "retry".
	Kind string `json:"kind"`
	// DeadlineSeconds is the timeout or per-try timeout.
	DeadlineSeconds float64 `json:"deadlineSeconds"`
	// Estimate is 1 − S_N(τ)/A_N from the estimate curve; A+ uses it:
	// S+_N(τ) = A+_N·(1 − Estimate).
	Estimate float64 `json:"estimate"`
	// Pessimistic is 1 − S_lo(τ)/A_N from the lower confidence band at the
	// leaves' point availabilities (at least Estimate).
	Pessimistic float64 `json:"pessimistic"`
	// LowerOnTime is S↓_N(τ), a lower bound of the probability that the
	// primary succeeds within the deadline (and is not declared late): the
	// leaves at their lower availabilities and lower latency bands,
	// composed independently across fate groups and with no redundancy
	// gain within one (see shared.go). A− uses
	// S−_N(τ) = min(A−_N·(1 − Pessimistic), LowerOnTime).
	LowerOnTime float64 `json:"lowerOnTime"`
	// Declared is the node's declared timeoutProbability, or nil.
	Declared *float64 `json:"declared,omitempty"`
}

// MarshalJSON writes quantiles that could not be computed or bounded
// (+Inf, NaN) as null; the assumptions say why.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		EstimateSeconds        *float64 `json:"estimateSeconds"`
		UpperConfidenceSeconds *float64 `json:"upperConfidenceSeconds"`
		UpperBoundSeconds      *float64 `json:"upperBoundSeconds"`
	}{plain(r), finitePtr(r.EstimateSeconds), finitePtr(r.UpperConfidenceSeconds), finitePtr(r.UpperBoundSeconds)})
}

func finitePtr(x float64) *float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return nil
	}
	return &x
}
