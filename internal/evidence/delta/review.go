package delta

import (
	"fmt"
	"math"
	"strings"
)

// Review renders d for a human, like a code review: the bounds before and
// after, then each change with its impact, confidence and predicted
// effect, high-impact changes first.
func Review(d *Delta) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("ModelDelta for journey %s\n", d.Journey)
	p("  accepted: %s\n  proposed: %s\n\n", d.Base, d.New)
	p("  A- (pessimistic)  %.8f -> %.8f  (%s)\n", d.Before.Pessimistic, d.After.Pessimistic, signed(d.Effect.Pessimistic))
	p("  A+ (optimistic)   %.8f -> %.8f  (%s)\n", d.Before.Optimistic, d.After.Optimistic, signed(d.Effect.Optimistic))
	if d.Before.LatencyBound != "" || d.After.LatencyBound != "" {
		p("  latency (%s)  %s -> %s  (%s)\n", d.After.LatencyBound, secs(d.Before.LatencySeconds), secs(d.After.LatencySeconds), rel(d.Effect.LatencyRelative))
	}
	p("  overall impact: %s\n\n", d.Impact)
	if len(d.Changes) == 0 {
		p("No changes: the proposed model predicts the same journey.\n")
		return b.String()
	}
	p("%d change%s:\n", len(d.Changes), plural(len(d.Changes)))
	for _, imp := range []string{"high", "low", "none"} {
		for _, c := range d.Changes {
			if c.Impact != imp {
				continue
			}
			p("\n[%s] %s %s: %s -> %s (confidence %.2f)\n", c.Impact, c.Kind, c.Subject, c.Before, c.After, c.Confidence)
			if c.Note != "" {
				p("    %s\n", c.Note)
			}
			p("    predicted: A- %s, A+ %s, latency %s\n", signed(c.Effect.Pessimistic), signed(c.Effect.Optimistic), rel(c.Effect.LatencyRelative))
		}
	}
	return b.String()
}

func signed(x float64) string {
	if math.Abs(x) < 5e-9 {
		return "±0"
	}
	return fmt.Sprintf("%+.8f", x)
}

func rel(x float64) string {
	switch {
	case math.Abs(x) < 0.0005:
		return "±0%"
	case math.IsInf(x, 1):
		return "now unbounded"
	case math.IsInf(x, -1):
		return "now bounded"
	}
	return fmt.Sprintf("%+.1f%%", 100*x)
}

func secs(x float64) string {
	switch {
	case x == 0:
		return "n/a"
	case math.IsInf(x, 1):
		return "unbounded"
	}
	return fmt.Sprintf("%.1fms", 1000*x)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
