// Package govern turns derived bounds into governance decisions: PASS,
// REVIEW or FAIL, each with the reasons a reviewer needs.
package govern

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// Verdict is a governance decision.
type Verdict string

// Verdicts, from best to worst.
const (
	Pass   Verdict = "PASS"
	Review Verdict = "REVIEW"
	Fail   Verdict = "FAIL"
)

// Bounds are the derived numbers a decision is made on.
type Bounds struct {
	Optimistic, Pessimistic float64
	// Latency holds the latency numbers, or nil when there are none.
	Latency *LatencyBounds
	// Inexact lists why some numbers are not computed to their stated
	// accuracy; each makes the decision at least REVIEW.
	Inexact []string
}

// LatencyBounds are the three latency numbers for the objective's quantile.
type LatencyBounds struct {
	Estimate, UpperConfidence, UpperBound float64
}

// Decision is a verdict and the reasons for it, most important first.
type Decision struct {
	Verdict Verdict
	Reasons []string
}

// Decide applies the journey's governance policy to its bounds: FAIL when
// the bound named by useBoundsForAutomation misses an objective; REVIEW when
// the model needs a human (domains disagree, model confidence below
// minConfidence) or when some number is not computed to its stated
// accuracy (then even a failing bound only says REVIEW: it cannot be
// trusted); PASS otherwise. Reasons for every finding are kept, so a
// FAIL also lists what would need review.
func Decide(j *model.Journey, b Bounds) Decision {
	var fails, reviews []string
	g := j.Governance
	if t := j.Objective.Availability; t > 0 {
		name, v := "pessimistic A-", b.Pessimistic
		if g.AvailabilityBound == "optimistic" {
			name, v = "optimistic A+", b.Optimistic
		}
		if v < t {
			fails = append(fails, fmt.Sprintf("availability: %s %.8f is below the target %s", name, v, pct(t)))
		} else if b.Pessimistic < t {
			reviews = append(reviews, fmt.Sprintf(
				"availability: optimistic A+ meets the target %s but pessimistic A- %.8f does not (shared-fate risk)", pct(t), b.Pessimistic))
		}
	}
	if lo := j.Objective.Latency; lo != nil && b.Latency != nil {
		name, v := latencyBound(g.LatencyBound, b.Latency)
		if v > lo.ThresholdSeconds {
			fails = append(fails, fmt.Sprintf("latency: p%s %s %s exceeds the threshold %s",
				quantileName(lo.Quantile), name, seconds(v), seconds(lo.ThresholdSeconds)))
		}
	}
	reviews = append(reviews, missingLatency(j, b)...)
	reviews = append(reviews, j.Review...)
	if d := j.Discovered; d != nil && d.Confidence < g.MinConfidence {
		reviews = append(reviews, fmt.Sprintf("discovered model %s has confidence %.2f, below minConfidence %.2f",
			d.Name, d.Confidence, g.MinConfidence))
	}
	var inexact []string
	for _, r := range b.Inexact {
		inexact = append(inexact, "not computed to the stated accuracy: "+r)
	}
	switch {
	case len(inexact) > 0: // numbers that cannot be trusted decide nothing
		return Decision{Verdict: Review, Reasons: slices.Concat(inexact, fails, reviews)}
	case len(fails) > 0:
		return Decision{Verdict: Fail, Reasons: append(fails, reviews...)}
	case len(reviews) > 0:
		return Decision{Verdict: Review, Reasons: reviews}
	}
	return Decision{Verdict: Pass, Reasons: passReasons(j, b)}
}

// missingLatency names the components of the tree without latency evidence
// when the latency objective is evaluated (they are taken as instantaneous).
func missingLatency(j *model.Journey, b Bounds) []string {
	if j.Objective.Latency == nil || b.Latency == nil || j.Root == nil {
		return nil
	}
	var missing []string
	for _, name := range journey.Leaves(j.Root) {
		if c := j.Components[name]; c != nil && c.Latency == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return []string{fmt.Sprintf("latency: no latency evidence for %s (taken as instantaneous, so the latency numbers are too low)",
		strings.Join(missing, ", "))}
}

func latencyBound(kind string, l *LatencyBounds) (string, float64) {
	switch kind {
	case "estimate":
		return "estimate", l.Estimate
	case "dependenceFree":
		return "dependence-free upper bound", l.UpperBound
	}
	return "upper confidence bound", l.UpperConfidence
}

func passReasons(j *model.Journey, b Bounds) []string {
	var out []string
	if t := j.Objective.Availability; t > 0 {
		out = append(out, fmt.Sprintf("availability: pessimistic A- %.8f meets the target %s", b.Pessimistic, pct(t)))
	}
	return out
}

func pct(v float64) string { return fmt.Sprintf("%.6g%%", v*100) }

// quantileName renders q as a percentile name: 0.99 → "99", 0.999 → "99.9"
// (six significant digits, so that 0.999·100 does not print as
// 99.89999999999999).
func quantileName(q float64) string { return fmt.Sprintf("%.6g", q*100) }

// seconds renders a latency for a reason: "0.4123s", or "unbounded".
func seconds(v float64) string {
	if math.IsInf(v, 1) {
		return "unbounded"
	}
	return fmt.Sprintf("%.4gs", v)
}
