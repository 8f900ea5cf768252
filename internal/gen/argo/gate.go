package argo

import (
	"fmt"
	"strconv"
)

// Measurement schedules. A short-window burn rate reacts fast and is
// noisy at canary traffic: one failed measurement is tolerated. The
// long-window burn rate is smooth: none is. An inconclusive measurement
// (no canary traffic yet, no series, NaN) is tolerated a few times; more
// make the run Inconclusive, which pauses the Rollout rather than
// promoting it.
var (
	shortSchedule   = schedule{initialDelay: "1m", interval: "1m", count: 10, failureLimit: 1, inconclusiveLimit: 2}
	longSchedule    = schedule{initialDelay: "1m", interval: "5m", count: 3, failureLimit: 0, inconclusiveLimit: 1}
	latencySchedule = schedule{initialDelay: "1m", interval: "1m", count: 10, failureLimit: 1, inconclusiveLimit: 2}
)

type schedule struct {
	initialDelay, interval                 string
	count, failureLimit, inconclusiveLimit int
}

// Gate returns the AnalysisTemplate TemplateName(in.Journey): the canary
// burn rates over in.Short and in.Long and, with a latency objective, the
// journey's latency upper bound.
func Gate(in Input) (AnalysisTemplate, error) {
	s, err := newSettings(in)
	if err != nil {
		return AnalysisTemplate{}, fmt.Errorf("journey %q: %w", in.Journey, err)
	}
	t := AnalysisTemplate{
		APIVersion: "argoproj.io/v1alpha1",
		Kind:       "AnalysisTemplate",
		Metadata: Metadata{Name: TemplateName(s.Journey), Labels: map[string]string{
			"app.kubernetes.io/managed-by": "emac",
			"emac.dev/journey":             s.Journey,
		}},
		Spec: TemplateSpec{Args: s.args()},
	}
	address := arg(ArgPrometheusAddress)
	for _, b := range []struct {
		w     string
		sched schedule
	}{{s.Short, shortSchedule}, {s.Long, longSchedule}} {
		d, _ := duration(b.w)
		q, err := s.burnQueryText(b.w, d)
		if err != nil {
			return AnalysisTemplate{}, fmt.Errorf("journey %q, window %s: %w", s.Journey, b.w, err)
		}
		t.Spec.Metrics = append(t.Spec.Metrics, metric("canary-burn-rate-"+b.w, b.sched, s.MaxBurnRate, address, q))
	}
	if s.Latency != nil {
		q, err := s.latencyQuery()
		if err != nil {
			return AnalysisTemplate{}, fmt.Errorf("journey %q: %w", s.Journey, err)
		}
		t.Spec.Metrics = append(t.Spec.Metrics, metric("latency-upper-bound-"+s.Short, latencySchedule, s.Latency.ThresholdSeconds, address, q))
	}
	return t, nil
}

func (s settings) args() []Arg {
	args := []Arg{{Name: ArgComponent}, {Name: ArgCanaryHash}, {Name: ArgPrometheusAddress}}
	if s.PrometheusAddress != "" {
		args[2].Value = &s.PrometheusAddress
	}
	return args
}

func metric(name string, sched schedule, limit float64, address, query string) Metric {
	return Metric{
		Name:              name,
		InitialDelay:      sched.initialDelay,
		Interval:          sched.interval,
		Count:             sched.count,
		FailureLimit:      sched.failureLimit,
		InconclusiveLimit: sched.inconclusiveLimit,
		SuccessCondition:  SuccessCondition(limit),
		FailureCondition:  FailureCondition(limit),
		Provider:          Provider{Prometheus: &Prometheus{Address: address, Query: query}},
	}
}

// measured is the part of a condition that holds only for a measurement
// with a first value that is a number: an empty result or NaN satisfies
// neither condition, which Argo counts as inconclusive.
const measured = "len(result) > 0 && !isNaN(result[0])"

// SuccessCondition is the Argo condition that passes a measurement not
// above limit.
func SuccessCondition(limit float64) string {
	return measured + " && result[0] <= " + formatFloat(limit)
}

// FailureCondition is the Argo condition that fails a measurement above
// limit.
func FailureCondition(limit float64) string {
	return measured + " && result[0] > " + formatFloat(limit)
}

func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
