package infer

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

// Telemetry is how a component's calls can be watched live: the series
// the OpenTelemetry Collector's span-metrics connector makes of the
// spans that identified it (the callee's server spans, or the caller's
// client spans when the callee has none), with its default metric names
// and the histogram unit set to seconds.
type Telemetry struct {
	// Good and Total are PromQL rates of the successful and of all calls.
	Good, Total string
	// HistogramMetric and HistogramSelector name the latency histogram.
	HistogramMetric, HistogramSelector string
}

// Span-metrics connector names (connector "spanmetrics", namespace
// traces.span.metrics).
const (
	spanMetricsCalls    = "traces_span_metrics_calls_total"
	spanMetricsDuration = "traces_span_metrics_duration_seconds"
	spanMetricsError    = "STATUS_CODE_ERROR"
)

// telemetryOf returns the span-metrics series of a component, from the
// span name, service and kind most of its calls were seen with; nil when
// the service is unknown.
func telemetryOf(info *compInfo) *Telemetry {
	var best spanName
	n := 0
	for sn, k := range info.spanNames {
		if k > n || k == n && cmp.Or(strings.Compare(sn.name, best.name), strings.Compare(sn.service, best.service)) < 0 {
			best, n = sn, k
		}
	}
	svc := best.service
	if best.kind != trace.KindServer {
		svc = best.caller
	}
	if n == 0 || svc == "" {
		return nil
	}
	labels := []string{"service_name=" + strconv.Quote(svc)}
	if info.key.op != "" {
		labels = append(labels, "span_name="+strconv.Quote(best.name))
	}
	labels = append(labels, "span_kind="+strconv.Quote("SPAN_KIND_"+strings.ToUpper(best.kind.String())))
	sel := "{" + strings.Join(labels, ", ") + "}"
	good := "{" + strings.Join(append(labels, fmt.Sprintf("status_code!=%q", spanMetricsError)), ", ") + "}"
	return &Telemetry{
		Good:              fmt.Sprintf("sum(rate(%s%s[5m]))", spanMetricsCalls, good),
		Total:             fmt.Sprintf("sum(rate(%s%s[5m]))", spanMetricsCalls, sel),
		HistogramMetric:   spanMetricsDuration,
		HistogramSelector: sel,
	}
}
