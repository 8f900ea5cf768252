package spec

import (
	"fmt"
	"strings"

	"github.com/emac-dev/emac/api/v1alpha1"
	"github.com/emac-dev/emac/internal/model"
)

// telemetry returns the component's live series: inline telemetry, else the
// ratio queries of the OpenSLO SLO its atomicSLORef names; nil when neither
// exists.
func (r *resolver) telemetry(name string, c *v1alpha1.Component) *model.Telemetry {
	if t := c.Telemetry; t != nil {
		out := &model.Telemetry{Good: strings.TrimSpace(t.Good), Total: strings.TrimSpace(t.Total), Source: "inline"}
		if (out.Good == "") != (out.Total == "") {
			r.diags.Errorf(t.Pos, "component %q: telemetry needs both good and total queries", name)
		}
		if h := t.Histogram; h != nil {
			if h.Metric == "" {
				r.diags.Errorf(h.Pos, "component %q: telemetry histogram needs metric", name)
			}
			out.HistogramMetric = strings.TrimSuffix(h.Metric, "_bucket")
			out.HistogramSelector = h.Selector
		}
		return out
	}
	ref, ok := strings.CutPrefix(c.AtomicSLORef, "openslo:")
	if !ok {
		return nil
	}
	slo := r.slos[ref]
	if slo == nil || slo.Spec.Indicator == nil || slo.Spec.Indicator.Spec.RatioMetric == nil {
		return nil
	}
	good, total, err := ratioQueries(slo.Spec.Indicator.Spec.RatioMetric)
	if err != nil {
		r.diags.Errorf(slo.Spec.Indicator.Pos, "OpenSLO SLO %q: %v", ref, err)
		return nil
	}
	return &model.Telemetry{Good: good, Total: total, Source: "openslo:" + ref}
}

// ratioQueries reads the good (or total − bad) and total PromQL queries of
// an OpenSLO ratio metric.
func ratioQueries(m *v1alpha1.RatioMetric) (good, total string, err error) {
	if m.Total == nil {
		return "", "", fmt.Errorf("ratioMetric needs total")
	}
	if total, err = promQuery(m.Total); err != nil {
		return "", "", err
	}
	switch {
	case m.Good != nil:
		good, err = promQuery(m.Good)
	case m.Bad != nil:
		var bad string
		bad, err = promQuery(m.Bad)
		good = "(" + total + ") - (" + bad + ")"
	default:
		err = fmt.Errorf("ratioMetric needs good or bad")
	}
	return good, total, err
}

// promQuery extracts spec.query of a Prometheus metric source.
func promQuery(h *v1alpha1.MetricHolder) (string, error) {
	ms := h.MetricSource
	if ms.Type != "" && !strings.EqualFold(ms.Type, "prometheus") {
		return "", fmt.Errorf("metric source type %q is not Prometheus", ms.Type)
	}
	var spec struct {
		Query string `yaml:"query"`
	}
	if ms.Spec.Kind == 0 {
		return "", fmt.Errorf("metric source has no spec.query")
	}
	if err := ms.Spec.Decode(&spec); err != nil || strings.TrimSpace(spec.Query) == "" {
		return "", fmt.Errorf("metric source needs spec.query (a PromQL string)")
	}
	return strings.TrimSpace(spec.Query), nil
}

// burnRates maps governance.alerts.burnRatePolicy onto the model.
func (r *resolver) burnRates(g *v1alpha1.Governance) *model.BurnRatePolicy {
	if g == nil || g.Alerts == nil || g.Alerts.BurnRatePolicy == nil {
		return nil
	}
	p := g.Alerts.BurnRatePolicy
	out := &model.BurnRatePolicy{}
	conv := func(ws []v1alpha1.BurnRateWindow) []model.BurnWindow {
		var bs []model.BurnWindow
		for _, w := range ws {
			if w.BurnRate <= 0 {
				r.diags.Errorf(w.Pos, "burnRate must be positive")
			}
			for _, d := range []string{w.LongWindow, w.ShortWindow} {
				if s, err := v1alpha1.ParseDuration(d); err != nil || s <= 0 {
					r.diags.Errorf(w.Pos, "burn-rate window %q is not a positive duration such as 1h", d)
				}
			}
			bs = append(bs, model.BurnWindow{Factor: w.BurnRate, Long: w.LongWindow, Short: w.ShortWindow})
		}
		return bs
	}
	out.Page, out.Ticket = conv(p.Page), conv(p.Ticket)
	return out
}
