// Package model is emac's internal journey model: the validated, resolved
// form of a JourneyIntent (plus any discovered model) that the compute,
// governance and generator stages consume. The spec package maps the
// versioned YAML types of api/v1alpha1 onto it in one step.
package model

import (
	"slices"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
)

// Journey is one journey ready for computation.
type Journey struct {
	Name       string
	Pos        diag.Pos // where the JourneyIntent document starts
	Root       journey.Node
	Components map[string]*Component
	Objective  Objective
	Governance Governance
	// Params holds the resolved spec.parameters (name → value and optional
	// live PromQL ratio).
	Params map[string]Param
	// Discovered is the discovered model consulted for domains and
	// confidence, or nil.
	Discovered *Discovered
	// Review lists reasons, found while reading the inputs, that the
	// decision needs human review (e.g. declared and inferred failure domains
	// disagree).
	Review []string
}

// ComponentNames returns the component names sorted.
func (j *Journey) ComponentNames() []string {
	names := make([]string, 0, len(j.Components))
	for n := range j.Components {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Objective is the journey-level objective.
type Objective struct {
	// Availability target in (0,1); 0 when no availability objective.
	Availability float64
	// Window is the SLO window as written (e.g. "30d").
	Window  string
	Latency *LatencyObjective
	// GoodQuery and TotalQuery are the optional journey-level SLI queries.
	GoodQuery, TotalQuery string
}

// LatencyObjective is "the Quantile-th percentile of successful journeys
// finishes within ThresholdSeconds".
type LatencyObjective struct {
	Quantile         float64
	ThresholdSeconds float64
	Window           string
}

// Governance is the resolved governance policy.
type Governance struct {
	// AvailabilityBound is the bound used by automation: "pessimistic"
	// (default) or "optimistic".
	AvailabilityBound string
	// LatencyBound is "upperConfidence" (default), "dependenceFree" or
	// "estimate".
	LatencyBound string
	// MinConfidence is the model confidence below which decisions are
	// REVIEW (default 0.8).
	MinConfidence float64
	// ConfidenceLevel is the statistical confidence of lower bounds
	// (default 0.95).
	ConfidenceLevel float64
	// BurnRates overrides the multi-window multi-burn-rate alert policy;
	// nil means the defaults.
	BurnRates *BurnRatePolicy
	// MaxCanaryBurnRate is the largest journey burn rate a canary may cause
	// (default 1).
	MaxCanaryBurnRate float64
}

// BurnRatePolicy lists the page and ticket alert conditions.
type BurnRatePolicy struct {
	Page, Ticket []BurnWindow
}

// BurnWindow fires when the burn rate exceeds Factor over both windows.
type BurnWindow struct {
	Factor      float64
	Long, Short string
}

// Param is a named parameter (a branch probability).
type Param struct {
	Value float64
	Query string
}

// Component is a leaf binding: its availability evidence and failure domains.
type Component struct {
	Name string
	Kind string
	Pos  diag.Pos
	// Availability is the leaf's availability evidence.
	Availability Availability
	// Domains are the declared failure domains.
	Domains []string
	// InferredDomains are domains a discovered model assigns that were not
	// declared.
	InferredDomains []string
	// MissingData is the missing-data policy: "good", "bad" or "ignore".
	MissingData string
	// Latency is the latency law of the component's successful calls, or
	// nil when there is no latency evidence.
	Latency law.Law
	// LatencySource says where the latency law came from.
	LatencySource string
	// Telemetry binds the component to live Prometheus series, or nil.
	Telemetry *Telemetry
}

// Telemetry is a component's live Prometheus evidence.
type Telemetry struct {
	// Good and Total are PromQL counter queries (with any range window
	// inside; generators rewrite it).
	Good, Total string
	// HistogramMetric and HistogramSelector name the latency histogram
	// (metric without the _bucket suffix, selector with braces).
	HistogramMetric, HistogramSelector string
	// Source says where the queries came from ("openslo:NAME", "inline").
	Source string
}

// AllDomains returns the union of declared and inferred domains, sorted.
func (c *Component) AllDomains() []string {
	out := slices.Concat(c.Domains, c.InferredDomains)
	slices.Sort(out)
	return slices.Compact(out)
}

// Availability is a leaf's availability: a point value used for the
// optimistic bound and a lower value used for the pessimistic bound.
type Availability struct {
	// Point is the estimate (a target, or good/total).
	Point float64
	// Lower is the pessimistic value (the target, or the Wilson lower
	// confidence bound of good/total).
	Lower float64
	// Good and Total are the measured counts, when the evidence is counts.
	Good, Total float64
	// Source says where the value came from, e.g. "openslo:slo.front" or
	// "inline".
	Source string
}

// Discovered is what a DiscoveredJourneyModel contributes to evaluation.
type Discovered struct {
	Name       string
	File       string
	Confidence float64
	// Domains maps a domain name to its members as discovered.
	Domains map[string][]string
	// DomainConfidence is each domain hypothesis's confidence.
	DomainConfidence map[string]float64
	// Root is the discovered operator tree, bound to the intent's
	// parameters; nil when the model proposes none.
	Root journey.Node
	// Components is the evidence the model carries for its leaves.
	Components map[string]*Component
	// NodeConfidence maps an operator node's path to its confidence.
	NodeConfidence map[string]float64
}
