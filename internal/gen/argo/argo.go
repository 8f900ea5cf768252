// Package argo generates the Argo Rollouts side of a journey's control
// plane (DESIGN §4): an AnalysisTemplate that gates the canary of one
// component on the journey it serves, and the canary steps of a Rollout
// that use it.
//
// The gate measures, with the canary's telemetry in place of the stable
// component's,
//
//   - the journey's pessimistic error-budget burn rate over a short and a
//     long window: the component's leaf ratio is recomputed from its good
//     and total queries restricted to the canary's pods, the rest of the
//     journey algebra is read from the stable recording rules of package
//     prom;
//   - the journey's latency upper bound
//     (journey:emac_latency_upper_seconds:rate<w>) against the objective.
//
// Argo substitutes template arguments as strings only, so the template
// holds one query per component, each guarded by a comparison with the
// `component` argument; exactly the guarded branch of the component the
// canary replaces returns a sample. An empty or NaN result is neither a
// success nor a failure: the measurement is inconclusive.
//
// Every query is built on the Prometheus parser's AST and parsed again.
// Generators are pure: they return typed values and never do I/O.
package argo

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/common/model"
)

// Template arguments.
const (
	// ArgComponent names the component whose canary is analysed.
	ArgComponent = "component"
	// ArgCanaryHash is the pod-template-hash of the canary ReplicaSet; a
	// Rollout fills it with valueFrom.podTemplateHashValue: Latest.
	ArgCanaryHash = "canary-hash"
	// ArgPrometheusAddress is the address of the Prometheus queried.
	ArgPrometheusAddress = "prometheus-address"
)

// Defaults of Input.
const (
	DefaultShort       = "5m"
	DefaultLong        = "1h"
	DefaultMaxBurnRate = 1.0
	// DefaultCanaryLabel is the Prometheus label that carries the pod
	// label rollouts-pod-template-hash of the pod a series was scraped
	// from (the usual relabelling of
	// __meta_kubernetes_pod_label_rollouts_pod_template_hash).
	DefaultCanaryLabel = "rollouts_pod_template_hash"
)

// DefaultWeights are the canary weights of the Rollout steps; each is
// followed by an analysis with the gate.
var DefaultWeights = []int32{10, 50}

// Input is what the gate of one journey is generated from.
type Input struct {
	// Journey is the journey's name.
	Journey string
	// Target is the availability objective, in (0, 1).
	Target float64
	// MaxBurnRate is the highest canary burn rate that passes; 0 means
	// DefaultMaxBurnRate.
	MaxBurnRate float64
	// Latency is the latency objective; nil when the journey has none or
	// package prom records no latency bound for it (no leaf has histogram
	// telemetry): the gate would then read an absent series and every
	// measurement would be inconclusive.
	Latency *Latency
	// Short and Long are the windows of the burn rates; empty means
	// DefaultShort and DefaultLong. The latency bound uses Short.
	Short, Long string
	// Components are the components with telemetry; each can be gated.
	Components []Component
	// PrometheusAddress is the default of the prometheus-address argument;
	// empty makes the argument required.
	PrometheusAddress string
	// CanaryLabel is the label that tells the canary's series; empty means
	// DefaultCanaryLabel.
	CanaryLabel string
	// Weights are the canary weights of the Rollout steps; nil means
	// DefaultWeights.
	Weights []int32
}

// Latency is a latency objective: the Quantile of the journey's latency
// must not exceed ThresholdSeconds.
type Latency struct {
	Quantile         float64
	ThresholdSeconds float64
}

// Component is the telemetry of one component and the journey SLI in
// which its canary's ratio is substituted.
type Component struct {
	Name string
	// GoodQuery and TotalQuery count the component's good and total
	// events, each with some range inside (set to the window), e.g.
	// `sum(increase(http_requests_total{service="cart"}[30d]))`: the same
	// queries the stable leaf recording rules are computed from.
	GoodQuery, TotalQuery string
	// SLI maps each burn window (Short and Long) to the journey's
	// pessimistic SLI over that window in PromQL, in which the component's
	// leaf ratio is written as the vector selector Placeholder.
	// ComponentSLI derives it from the recorded pessimistic SLI.
	SLI map[string]string
}

// TemplateName is the name of journey j's AnalysisTemplate.
func TemplateName(journey string) string { return "emac-" + journey + "-gate" }

// settings is Input with defaults applied and checked.
type settings struct {
	Input
	short, long time.Duration
}

func newSettings(in Input) (settings, error) {
	s := settings{Input: in}
	if s.Short == "" {
		s.Short = DefaultShort
	}
	if s.Long == "" {
		s.Long = DefaultLong
	}
	if s.MaxBurnRate == 0 {
		s.MaxBurnRate = DefaultMaxBurnRate
	}
	if s.CanaryLabel == "" {
		s.CanaryLabel = DefaultCanaryLabel
	}
	if s.Weights == nil {
		s.Weights = DefaultWeights
	}
	var err error
	if s.short, err = duration(s.Short); err != nil {
		return s, err
	}
	if s.long, err = duration(s.Long); err != nil {
		return s, err
	}
	return s, s.check()
}

func duration(w string) (time.Duration, error) {
	d, err := model.ParseDuration(w)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("window %q is not a positive Prometheus duration", w)
	}
	return time.Duration(d), nil
}

func (s settings) check() error {
	switch {
	case s.Journey == "":
		return errors.New("journey has no name")
	case !(s.Target > 0 && s.Target < 1):
		return fmt.Errorf("availability target %v is not in (0, 1)", s.Target)
	case !(s.MaxBurnRate > 0):
		return fmt.Errorf("maximum canary burn rate %v is not positive", s.MaxBurnRate)
	case s.short >= s.long:
		return fmt.Errorf("short window %s is not shorter than long window %s", s.Short, s.Long)
	case len(s.Components) == 0:
		return errors.New("no component has telemetry: nothing to gate")
	case !model.LabelName(s.CanaryLabel).IsValidLegacy():
		return fmt.Errorf("canary label %q is not a label name", s.CanaryLabel)
	}
	if l := s.Latency; l != nil && (!(l.Quantile > 0 && l.Quantile < 1) || !(l.ThresholdSeconds > 0)) {
		return fmt.Errorf("latency objective: quantile %v must be in (0, 1) and threshold %vs positive", l.Quantile, l.ThresholdSeconds)
	}
	for _, w := range s.Weights {
		if w <= 0 || w > 100 {
			return fmt.Errorf("canary weight %d is not in (0, 100]", w)
		}
	}
	seen := map[string]bool{}
	for _, c := range s.Components {
		if c.Name == "" || seen[c.Name] {
			return fmt.Errorf("component name %q is empty or repeated", c.Name)
		}
		seen[c.Name] = true
	}
	if !slices.IsSorted(s.Weights) {
		return errors.New("canary weights do not increase")
	}
	return nil
}
