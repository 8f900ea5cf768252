// Package openslo emits a journey's derived objectives as OpenSLO v1
// documents: the journey SLO (on emac's pessimistic journey SLI) and one
// allocation SLO per component — availability targets that, together, keep
// the pessimistic bound A− at the journey target.
package openslo

import (
	"fmt"
	"math"
	"strconv"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/gen/yamlout"
	"github.com/emac-dev/emac/internal/model"
)

// Allocation is the per-component availability targets that keep A− at the
// journey target: every component's unavailability is scaled by one factor
// Lambda (1 − a_c = Lambda·(1 − lower_c)); Lambda > 1 means the components
// may be less available than their evidence says, Lambda < 1 that they must
// improve.
type Allocation struct {
	Lambda      float64
	Targets     map[string]float64
	Pessimistic float64 // A− with the allocated targets
}

// Allocate finds the largest Lambda with A−(Lambda) ≥ target by bisection
// (A− falls as Lambda grows), to a relative precision of 1e-4. Targets are
// rounded up to 6 decimals, which only raises A−. It fails when even
// perfect components miss the target.
//
// The bisection evaluates A− on one flattened tree (compute.Allocator:
// one pass over the nodes per step, the Timeout and Retry late fractions
// held at the journey's values); the allocation found is then verified by
// one full computation (compute.Bounds, late fractions recomputed at the
// allocated availabilities), and Lambda is lowered until it passes should
// holding the late fractions have been optimistic. A journey without
// timed Timeout or Retry nodes holds nothing: its allocator's A− is the
// full computation.
//
// late are the late fractions an evaluation of j found
// (compute.LatencyResult.Late); nil makes the allocator compute them.
func Allocate(j *model.Journey, target float64, late []compute.LateFraction) (Allocation, error) {
	names := j.ComponentNames()
	hi := math.Inf(1)
	for _, n := range names {
		if u := 1 - j.Components[n].Availability.Lower; u > 0 {
			hi = min(hi, 1/u)
		}
	}
	if math.IsInf(hi, 1) {
		hi = 1
	}
	targetsAt := func(lambda float64) map[string]float64 {
		targets := map[string]float64{}
		for _, n := range names {
			targets[n] = math.Ceil((1-lambda*(1-j.Components[n].Availability.Lower))*1e6) / 1e6
		}
		return targets
	}
	full := func(lambda float64) (map[string]float64, float64, error) {
		targets := targetsAt(lambda)
		_, pess, err := compute.Bounds(withTargets(j, targets))
		return targets, pess, err
	}
	a, err := compute.NewAllocator(j, late)
	if err != nil {
		return Allocation{}, err
	}
	avail := make([]float64, len(a.Components()))
	held := func(lambda float64) float64 {
		targets := targetsAt(lambda)
		for i, n := range a.Components() {
			avail[i] = targets[n]
		}
		return a.Pessimistic(avail)
	}
	if held(0) < target {
		if _, p0, err := full(0); err != nil {
			return Allocation{}, err
		} else if p0 < target {
			return Allocation{}, fmt.Errorf("even perfect components give A− %.8f < target %g (deadlines cut the journey)", p0, target)
		}
	}
	lo := 0.0
	// Stop at a relative precision of 1e-4 on Lambda: each target moves by
	// at most 1e-4·Lambda·(1 − lower_c), far below the 1e-6 rounding.
	for i := 0; i < 60 && hi-lo > 1e-4*max(lo, 1e-3); i++ {
		mid := (lo + hi) / 2
		if held(mid) >= target {
			lo = mid
		} else {
			hi = mid
		}
	}
	if !a.Held() {
		return Allocation{Lambda: lo, Targets: targetsAt(lo), Pessimistic: held(lo)}, nil
	}
	targets, pess, err := full(lo)
	for k := 0; err == nil && pess < target && lo > 0; k++ {
		// Held late fractions were optimistic here: back off
		// geometrically, then to perfect components.
		if lo *= 1 - 0.01*float64(int(1)<<k); k >= 6 || lo < 0 {
			lo = 0
		}
		targets, pess, err = full(lo)
	}
	return Allocation{Lambda: lo, Targets: targets, Pessimistic: pess}, err
}

// withTargets returns a copy of j whose components have point and lower
// availability set to targets.
func withTargets(j *model.Journey, targets map[string]float64) *model.Journey {
	c := *j
	c.Components = map[string]*model.Component{}
	for n, comp := range j.Components {
		cc := *comp
		cc.Availability.Point, cc.Availability.Lower = targets[n], targets[n]
		c.Components[n] = &cc
	}
	return &c
}

// slo is the subset of an OpenSLO v1 SLO that emac writes.
type slo struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   metadata `yaml:"metadata"`
	Spec       sloSpec  `yaml:"spec"`
}

type metadata struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels,omitempty"`
}

type sloSpec struct {
	Description     string       `yaml:"description"`
	Service         string       `yaml:"service"`
	Indicator       *indicator   `yaml:"indicator,omitempty"`
	TimeWindow      []timeWindow `yaml:"timeWindow"`
	BudgetingMethod string       `yaml:"budgetingMethod"`
	Objectives      []objective  `yaml:"objectives"`
}

type indicator struct {
	Metadata metadata `yaml:"metadata"`
	Spec     sliSpec  `yaml:"spec"`
}

type sliSpec struct {
	RatioMetric ratioMetric `yaml:"ratioMetric"`
}

type ratioMetric struct {
	Counter bool    `yaml:"counter"`
	Good    *source `yaml:"good,omitempty"`
	Total   *source `yaml:"total,omitempty"`
	RawType string  `yaml:"rawType,omitempty"`
	Raw     *source `yaml:"raw,omitempty"`
}

type source struct {
	MetricSource metricSource `yaml:"metricSource"`
}

type metricSource struct {
	Type string            `yaml:"type"`
	Spec map[string]string `yaml:"spec"`
}

type timeWindow struct {
	Duration  string `yaml:"duration"`
	IsRolling bool   `yaml:"isRolling"`
}

type objective struct {
	DisplayName string  `yaml:"displayName"`
	Target      float64 `yaml:"target"`
}

func prom(query string) *source {
	return &source{MetricSource: metricSource{Type: "Prometheus", Spec: map[string]string{"query": query}}}
}

// Documents returns the journey SLO and the allocation SLOs as one
// multi-document YAML file, with header line first.
func Documents(header string, j *model.Journey, a Allocation) ([]byte, error) {
	labels := map[string]string{"emac.dev/journey": j.Name, "app.kubernetes.io/managed-by": "emac"}
	window := []timeWindow{{Duration: j.Objective.Window, IsRolling: true}}
	docs := []slo{{
		APIVersion: "openslo/v1", Kind: "SLO", Metadata: metadata{Name: JourneySLOName(j.Name), Labels: labels},
		Spec: sloSpec{
			Description: fmt.Sprintf("Journey %s, derived by emac: the pessimistic journey SLI (shared fate, lower evidence) computed live from leaf telemetry.", j.Name),
			Service:     j.Name,
			Indicator: &indicator{Metadata: metadata{Name: j.Name + "-journey-pessimistic"}, Spec: sliSpec{RatioMetric: ratioMetric{
				RawType: "success", Raw: prom(fmt.Sprintf(`journey:emac_availability:pessimistic_rate%s{journey=%q}`, j.Objective.Window, j.Name))}}},
			TimeWindow: window, BudgetingMethod: "Occurrences",
			Objectives: []objective{{DisplayName: "journey availability", Target: j.Objective.Availability}},
		},
	}}
	for _, n := range j.ComponentNames() {
		docs = append(docs, componentSLO(j, n, a, labels, window))
	}
	out := make([]any, len(docs))
	for i, d := range docs {
		out[i] = d
	}
	return yamlout.Documents(header, out...)
}

// JourneySLOName is the name of the journey's derived SLO document.
func JourneySLOName(journey string) string { return journey + "-journey" }

// AllocationSLOName is the name of component c's allocation SLO document.
func AllocationSLOName(journey, c string) string { return journey + "-" + c + "-allocation" }

func componentSLO(j *model.Journey, n string, a Allocation, labels map[string]string, window []timeWindow) slo {
	c := j.Components[n]
	s := slo{APIVersion: "openslo/v1", Kind: "SLO", Metadata: metadata{Name: AllocationSLOName(j.Name, n), Labels: labels},
		Spec: sloSpec{
			Description: fmt.Sprintf("Availability allocated to %s so that journey %s keeps A− ≥ %g (unavailability scaled by %s of the evidence's lower bound %s).",
				n, j.Name, j.Objective.Availability, strconv.FormatFloat(a.Lambda, 'f', 4, 64), strconv.FormatFloat(c.Availability.Lower, 'g', 8, 64)),
			Service: n, TimeWindow: window, BudgetingMethod: "Occurrences",
			Objectives: []objective{{DisplayName: n + " allocation", Target: a.Targets[n]}},
		}}
	if t := c.Telemetry; t != nil && t.Good != "" {
		s.Spec.Indicator = &indicator{Metadata: metadata{Name: n + "-success"}, Spec: sliSpec{RatioMetric: ratioMetric{
			Counter: true, Good: prom(t.Good), Total: prom(t.Total)}}}
	}
	return s
}
