// Package report generates a journey's provenance report: derivation.json
// for machines and derivation.md for review. It links every derived number
// and every generated artifact to the operator node, formula, inputs,
// assumptions and evidence it comes from. Generation is pure and
// deterministic.
package report

import (
	"bytes"
	"encoding/json"
	"math"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/govern"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// Artifact is one generated file and what in the journey it implements.
type Artifact struct {
	// Path is relative to the journey's output directory.
	Path string `json:"path"`
	// Kind says what the file is ("prometheus-rules", "argo-analysis-template"…).
	Kind string `json:"kind"`
	// Implements names the derived values the file carries.
	Implements []string `json:"implements"`
	// Links ties each rule, alert, gate metric or SLO of the file to its
	// operator nodes, formula, inputs and evidence.
	Links []Link `json:"links,omitempty"`
}

// Input is everything a report is made of.
type Input struct {
	Version    string
	Journey    *model.Journey
	Evaluation *compute.Evaluation
	Decision   govern.Decision
	Artifacts  []Artifact
}

// Report is the machine-readable derivation (derivation.json).
type Report struct {
	APIVersion   string                 `json:"apiVersion"`
	Kind         string                 `json:"kind"`
	Generator    string                 `json:"generator"`
	Journey      string                 `json:"journey"`
	Source       string                 `json:"source"`
	Expression   string                 `json:"expression"`
	Objective    Objective              `json:"objective"`
	Availability Availability           `json:"availability"`
	Latency      *compute.LatencyResult `json:"latency"`
	Decision     Decision               `json:"decision"`
	Components   []Component            `json:"components"`
	Contributors []compute.Contributor  `json:"contributors"`
	Discovered   *model.Discovered      `json:"discoveredModel,omitempty"`
	Assumptions  []string               `json:"assumptions"`
	Artifacts    []Artifact             `json:"artifacts"`
}

// Objective is the journey objective as evaluated.
type Objective struct {
	Availability     float64 `json:"availability,omitempty"`
	Window           string  `json:"window"`
	LatencyQuantile  float64 `json:"latencyQuantile,omitempty"`
	LatencyThreshold float64 `json:"latencyThresholdSeconds,omitempty"`
}

// Availability is the interval with its trace.
type Availability struct {
	Optimistic  float64        `json:"optimistic"`
	Pessimistic float64        `json:"pessimistic"`
	Trace       []compute.Step `json:"trace"`
}

// Decision is the governance verdict with the bounds it used.
type Decision struct {
	Verdict           string   `json:"verdict"`
	Reasons           []string `json:"reasons"`
	AvailabilityBound string   `json:"availabilityBound"`
	LatencyBound      string   `json:"latencyBound"`
}

// Component is a leaf's evidence as used.
type Component struct {
	Name               string   `json:"name"`
	Kind               string   `json:"kind,omitempty"`
	PointAvailability  float64  `json:"pointAvailability"`
	LowerAvailability  float64  `json:"lowerAvailability"`
	AvailabilitySource string   `json:"availabilitySource"`
	Good               float64  `json:"good,omitempty"`
	Total              float64  `json:"total,omitempty"`
	Latency            string   `json:"latency,omitempty"`
	LatencySource      string   `json:"latencySource,omitempty"`
	TelemetrySource    string   `json:"telemetrySource,omitempty"`
	FailureDomains     []string `json:"failureDomains"`
	InferredDomains    []string `json:"inferredDomains,omitempty"`
	Position           string   `json:"position"`
}

// Build assembles the report.
func Build(in Input) Report {
	j, ev := in.Journey, in.Evaluation
	r := Report{
		APIVersion: "emac.dev/v1alpha1", Kind: "DerivationReport", Generator: "emac " + in.Version,
		Journey: j.Name, Source: j.Pos.String(), Expression: exprOf(j.Root),
		Objective:    Objective{Availability: j.Objective.Availability, Window: j.Objective.Window},
		Availability: Availability{Optimistic: ev.Availability.Optimistic, Pessimistic: ev.Availability.Pessimistic, Trace: ev.Availability.Trace},
		Latency:      ev.Latency,
		Decision: Decision{Verdict: string(in.Decision.Verdict), Reasons: in.Decision.Reasons,
			AvailabilityBound: j.Governance.AvailabilityBound, LatencyBound: j.Governance.LatencyBound},
		Contributors: ev.Contributors, Discovered: j.Discovered,
		Assumptions: assumptions(ev), Artifacts: in.Artifacts,
	}
	if l := j.Objective.Latency; l != nil {
		r.Objective.LatencyQuantile, r.Objective.LatencyThreshold = l.Quantile, l.ThresholdSeconds
	}
	for _, name := range j.ComponentNames() {
		r.Components = append(r.Components, component(j.Components[name]))
	}
	return r
}

func exprOf(n journey.Node) string {
	if n == nil {
		return ""
	}
	return n.String()
}

func assumptions(ev *compute.Evaluation) []string {
	out := append([]string{}, ev.Availability.Assumptions...)
	if ev.Latency != nil {
		out = append(out, ev.Latency.Assumptions...)
	}
	return out
}

func component(c *model.Component) Component {
	out := Component{
		Name: c.Name, Kind: c.Kind, PointAvailability: c.Availability.Point, LowerAvailability: c.Availability.Lower,
		AvailabilitySource: c.Availability.Source, Good: c.Availability.Good, Total: c.Availability.Total,
		LatencySource: c.LatencySource, FailureDomains: nonNil(c.Domains), InferredDomains: c.InferredDomains,
		Position: c.Pos.String(),
	}
	if c.Latency != nil {
		out.Latency = c.Latency.String()
	}
	if c.Telemetry != nil {
		out.TelemetrySource = c.Telemetry.Source
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// JSON renders the report as indented JSON; infinite latency bounds become
// null (LatencyResult marshals them so).
func JSON(r Report) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sanitize(r)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// sanitize replaces non-finite numbers JSON cannot carry in the trace.
func sanitize(r Report) Report {
	for i := range r.Availability.Trace {
		s := &r.Availability.Trace[i]
		if math.IsNaN(s.Optimistic) || math.IsInf(s.Optimistic, 0) {
			s.Optimistic = 0
		}
		if math.IsNaN(s.Pessimistic) || math.IsInf(s.Pessimistic, 0) {
			s.Pessimistic = 0
		}
	}
	return r
}
