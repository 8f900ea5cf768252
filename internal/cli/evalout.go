package cli

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/govern"
	"github.com/emac-dev/emac/internal/model"
)

// evalOutput is the JSON contract of `emac eval --format json` (DESIGN §5).
type evalOutput struct {
	Journeys []journeyResult `json:"journeys" yaml:"journeys"`
}

type journeyResult struct {
	Journey      string          `json:"journey" yaml:"journey"`
	Objective    objectiveOut    `json:"objective" yaml:"objective"`
	Availability availabilityOut `json:"availability" yaml:"availability"`
	Latency      *latencyOut     `json:"latency" yaml:"latency"`
	Decision     decisionOut     `json:"decision" yaml:"decision"`
	Confidence   float64         `json:"confidence" yaml:"confidence"`
	Contributors []contributor   `json:"contributors" yaml:"contributors"`
	Assumptions  []string        `json:"assumptions" yaml:"assumptions"`
	// birnbaum is shown in the text table only.
	birnbaum map[string]float64
}

type objectiveOut struct {
	Availability *float64             `json:"availability" yaml:"availability"`
	Window       string               `json:"window" yaml:"window"`
	Latency      *latencyObjectiveOut `json:"latency" yaml:"latency"`
}

type latencyObjectiveOut struct {
	Quantile         float64 `json:"quantile" yaml:"quantile"`
	ThresholdSeconds float64 `json:"thresholdSeconds" yaml:"thresholdSeconds"`
}

type availabilityOut struct {
	Optimistic  float64 `json:"optimistic" yaml:"optimistic"`
	Pessimistic float64 `json:"pessimistic" yaml:"pessimistic"`
}

// latencyOut holds the three latency numbers; a number is null when it
// cannot be computed (the estimate never reaching the level on the grid,
// a bound the evidence cannot bound), the reason being among the
// assumptions.
type latencyOut struct {
	Quantile               float64  `json:"quantile" yaml:"quantile"`
	EstimateSeconds        *float64 `json:"estimateSeconds" yaml:"estimateSeconds"`
	UpperConfidenceSeconds *float64 `json:"upperConfidenceSeconds" yaml:"upperConfidenceSeconds"`
	UpperBoundSeconds      *float64 `json:"upperBoundSeconds" yaml:"upperBoundSeconds"`
}

type decisionOut struct {
	Verdict string   `json:"verdict" yaml:"verdict"`
	Reasons []string `json:"reasons" yaml:"reasons"`
}

type contributor struct {
	Name         string   `json:"name" yaml:"name"`
	Kind         string   `json:"kind" yaml:"kind"`
	BudgetShare  float64  `json:"budgetShare" yaml:"budgetShare"`
	LatencyShare *float64 `json:"latencyShare,omitempty" yaml:"latencyShare,omitempty"`
}

func newJourneyResult(j *model.Journey, ev *compute.Evaluation, d govern.Decision) journeyResult {
	a := ev.Availability
	r := journeyResult{
		Journey:      j.Name,
		Objective:    objectiveOut{Window: j.Objective.Window},
		Availability: availabilityOut{Optimistic: a.Optimistic, Pessimistic: a.Pessimistic},
		Decision:     decisionOut{Verdict: string(d.Verdict), Reasons: nonNil(d.Reasons)},
		Confidence:   1,
		Contributors: []contributor{},
		Assumptions:  nonNil(a.Assumptions),
		birnbaum:     map[string]float64{},
	}
	if t := j.Objective.Availability; t > 0 {
		r.Objective.Availability = &t
	}
	if l := j.Objective.Latency; l != nil {
		r.Objective.Latency = &latencyObjectiveOut{Quantile: l.Quantile, ThresholdSeconds: l.ThresholdSeconds}
	}
	if j.Discovered != nil {
		r.Confidence = j.Discovered.Confidence
	}
	if l := ev.Latency; l != nil {
		r.Latency = &latencyOut{Quantile: l.Quantile, EstimateSeconds: finite(l.EstimateSeconds),
			UpperConfidenceSeconds: finite(l.UpperConfidenceSeconds), UpperBoundSeconds: finite(l.UpperBoundSeconds)}
		r.Assumptions = append(r.Assumptions, l.Assumptions...)
	}
	for _, c := range ev.Contributors {
		matters := c.BudgetShare > 0 || (c.LatencyShare != nil && *c.LatencyShare > 0)
		if !matters || len(r.Contributors) == maxContributors {
			continue
		}
		r.Contributors = append(r.Contributors, contributor{Name: c.Name, Kind: c.Kind, BudgetShare: c.BudgetShare, LatencyShare: c.LatencyShare})
		if c.Kind == compute.KindComponent {
			r.birnbaum[c.Name] = c.Birnbaum
		}
	}
	return r
}

// finite returns a pointer to v, or nil when v is infinite or NaN.
func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// writeEvalText renders a compact, terminal-friendly summary.
func writeEvalText(w io.Writer, out evalOutput) error {
	for i, r := range out.Journeys {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeJourneyText(w, r)
	}
	return nil
}

func writeJourneyText(w io.Writer, r journeyResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "journey\t%s\n", r.Journey)
	fmt.Fprintf(tw, "objective\t%s\n", objectiveText(r.Objective))
	fmt.Fprintf(tw, "availability\tA+ %.8f  (optimistic: independent failures)\n", r.Availability.Optimistic)
	fmt.Fprintf(tw, "\tA- %.8f  (pessimistic: shared fate, lower evidence)\n", r.Availability.Pessimistic)
	if r.Objective.Availability != nil {
		fmt.Fprintf(tw, "\ttarget %.8f  %s\n", *r.Objective.Availability, marginText(r))
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(tw, "latency p%.6g\testimate %s  (independent point model)\n", l.Quantile*100, secondsText(l.EstimateSeconds))
		fmt.Fprintf(tw, "\tupper confidence %s  (leaf evidence bands, independence)\n", secondsText(l.UpperConfidenceSeconds))
		fmt.Fprintf(tw, "\tupper bound %s  (shared fate: fate groups independent, any co-movement inside one)\n", secondsText(l.UpperBoundSeconds))
		if o := r.Objective.Latency; o != nil {
			fmt.Fprintf(tw, "\tthreshold %s\n", secondsText(&o.ThresholdSeconds))
		}
	}
	fmt.Fprintf(tw, "decision\t%s  (model confidence %.2f)\n", r.Decision.Verdict, r.Confidence)
	for _, reason := range r.Decision.Reasons {
		fmt.Fprintf(tw, "\t- %s\n", reason)
	}
	tw.Flush()
	if len(r.Contributors) > 0 {
		writeContributorsText(w, r)
	}
	if len(r.Assumptions) > 0 {
		fmt.Fprintln(w, "\nassumptions")
		for _, a := range r.Assumptions {
			fmt.Fprintf(w, "  - %s\n", a)
		}
	}
}

func writeContributorsText(w io.Writer, r journeyResult) {
	top := r.Contributors[:min(5, len(r.Contributors))]
	withLatency := slices.ContainsFunc(top, func(c contributor) bool { return c.LatencyShare != nil })
	fmt.Fprintln(w, "\ntop contributors (budget share: part of the pessimistic burn removed if it never failed)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "  NAME\tKIND\tBUDGET SHARE\tBIRNBAUM"
	if withLatency {
		header += "\tLATENCY SHARE"
	}
	fmt.Fprintln(tw, header)
	for _, c := range top {
		b := "-"
		if v, ok := r.birnbaum[c.Name]; ok && c.Kind == compute.KindComponent {
			b = fmt.Sprintf("%.6f", v)
		}
		line := fmt.Sprintf("  %s\t%s\t%5.1f%%\t%s", c.Name, c.Kind, 100*c.BudgetShare, b)
		if withLatency {
			ls := "-"
			if c.LatencyShare != nil {
				ls = fmt.Sprintf("%5.1f%%", 100**c.LatencyShare)
			}
			line += "\t" + ls
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// secondsText renders seconds as "212ms", or "unbounded" for nil.
func secondsText(v *float64) string {
	if v == nil {
		return "unbounded"
	}
	if *v < 1 {
		return fmt.Sprintf("%.1fms", *v*1000)
	}
	return fmt.Sprintf("%.3fs", *v)
}

func objectiveText(o objectiveOut) string {
	var parts []string
	if o.Availability != nil {
		parts = append(parts, fmt.Sprintf("availability >= %.6g%% over %s", *o.Availability*100, o.Window))
	}
	if o.Latency != nil {
		parts = append(parts, fmt.Sprintf("p%.6g <= %.6gms", o.Latency.Quantile*100, o.Latency.ThresholdSeconds*1000))
	}
	return strings.Join(parts, ", ")
}

func marginText(r journeyResult) string {
	t := *r.Objective.Availability
	budget := 1 - t
	burn := 1 - r.Availability.Pessimistic
	return fmt.Sprintf("(budget %.4g%%; A- spends %.0f%% of it)", budget*100, 100*burn/budget)
}
