package cli

import (
	"fmt"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/gen/argo"
	"github.com/emac-dev/emac/internal/gen/openslo"
	"github.com/emac-dev/emac/internal/gen/prom"
	"github.com/emac-dev/emac/internal/gen/report"
	"github.com/emac-dev/emac/internal/model"
)

// generators produce every artifact of DESIGN §4 besides the report, in a
// fixed order.
var generators = []generator{genPrometheus, genArgo, genOpenSLO}

// genOpenSLO writes the journey SLO and the per-component allocations.
func genOpenSLO(u *unit) (fileSet, []report.Artifact, error) {
	j := u.j
	if j.Objective.Availability <= 0 {
		return nil, nil, nil
	}
	a, err := openslo.Allocate(j, j.Objective.Availability)
	if err != nil {
		return nil, []report.Artifact{{Path: "openslo/slos.yaml", Kind: "skipped", Implements: []string{err.Error()}}}, nil
	}
	data, err := openslo.Documents(header(), j, a)
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	for _, c := range j.ComponentNames() {
		names[c] = openslo.AllocationSLOName(j.Name, c)
	}
	art := report.Artifact{Path: "openslo/slos.yaml", Kind: "openslo",
		Implements: []string{"journey SLO on the pessimistic SLI", "per-component availability allocations keeping A− at the target"},
		Links:      report.SLOLinks("openslo/slos.yaml", openslo.JourneySLOName(j.Name), names, a.Targets, j, u.ev)}
	return fileSet{"openslo/slos.yaml": data}, []report.Artifact{art}, nil
}

// genPrometheus writes the rule file, its promtool unit test and the
// PrometheusRule object.
func genPrometheus(u *unit) (fileSet, []report.Artifact, error) {
	j, ev, in := u.j, u.ev, u.promIn
	if len(in.Leaves) == 0 {
		return nil, []report.Artifact{{Path: "prometheus/rules.yaml", Kind: "skipped",
			Implements: []string{"no component has telemetry (good/total queries): there is nothing to compute live"}}}, nil
	}
	if u.err != nil {
		return nil, nil, u.err
	}
	group := u.group
	rules, err := prom.Marshal(Version, group)
	if err != nil {
		return nil, nil, err
	}
	kube, err := prom.MarshalPrometheusRule(Version, prom.NewPrometheusRule(j.Name, group))
	if err != nil {
		return nil, nil, err
	}
	fs := fileSet{"prometheus/rules.yaml": rules, "kubernetes/prometheusrule.yaml": kube}
	links, err := report.RuleLinks("prometheus/rules.yaml", group.Rules, j, ev)
	if err != nil {
		return nil, nil, err
	}
	arts := []report.Artifact{
		{Path: "prometheus/rules.yaml", Kind: "prometheus-rules", Implements: []string{
			"leaf SLIs per window", "journey optimistic and pessimistic SLIs by the operator algebra",
			"pessimistic error-budget burn", "dependence-free latency upper bound", "multi-window multi-burn-rate, contributor, latency and absent-data alerts"}, Links: links},
		{Path: "kubernetes/prometheusrule.yaml", Kind: "prometheus-operator PrometheusRule", Implements: []string{"the rule group of prometheus/rules.yaml, unchanged"}},
	}
	tests, err := promTests(in, ev)
	if err != nil {
		arts = append(arts, report.Artifact{Path: "prometheus/rules_test.yaml", Kind: "skipped",
			Implements: []string{"no promtool unit test: " + err.Error()}})
		return fs, arts, nil
	}
	fs["prometheus/rules_test.yaml"] = tests
	arts = append(arts, report.Artifact{Path: "prometheus/rules_test.yaml", Kind: "promtool unit test",
		Implements: []string{"journey SLIs equal the compiler's A+ and A− at the compiled leaf ratios", "alerts fire and stay quiet as predicted"}})
	return fs, arts, nil
}

func promInput(j *model.Journey, ev *compute.Evaluation) prom.Input {
	in := prom.Input{Journey: j, Availability: ev.Availability, Contributors: ev.Contributors}
	if ev.Latency != nil {
		in.Late = ev.Latency.Late
	}
	if p := j.Governance.BurnRates; p != nil {
		conv := func(ws []model.BurnWindow) []prom.BurnWindow {
			var out []prom.BurnWindow
			for _, w := range ws {
				out = append(out, prom.BurnWindow{Factor: w.Factor, Long: w.Long, Short: w.Short})
			}
			return out
		}
		in.BurnPolicy = &prom.BurnPolicy{Page: conv(p.Page), Ticket: conv(p.Ticket)}
	}
	for _, n := range j.ComponentNames() {
		t := j.Components[n].Telemetry
		if t == nil || t.Good == "" {
			continue
		}
		in.Leaves = append(in.Leaves, prom.Leaf{Name: n, GoodQuery: t.Good, TotalQuery: t.Total,
			MissingData: j.Components[n].MissingData, HistogramMetric: t.HistogramMetric, HistogramSelector: t.HistogramSelector})
	}
	return in
}

// promTests builds the promtool unit tests: the live leaves at their
// compiled point ratios must give the compiler's bounds for a journey whose
// live leaves have exactly those availabilities (leaves without telemetry
// enter the rules as constants: point in A+, lower in A−).
func promTests(in prom.Input, ev *compute.Evaluation) ([]byte, error) {
	j := in.Journey
	at := *j
	at.Components = map[string]*model.Component{}
	sc := prom.Scenario{Name: j.Name, Ratios: map[string]float64{}}
	live := map[string]bool{}
	for _, l := range in.Leaves {
		live[l.Name] = true
	}
	for n, c := range j.Components {
		cc := *c
		if live[n] { // a live leaf's ratio is both its point and lower value
			cc.Availability.Lower = cc.Availability.Point
			sc.Ratios[n] = cc.Availability.Point
		}
		at.Components[n] = &cc
	}
	atEv, err := compute.Evaluate(&at)
	if err != nil {
		return nil, err
	}
	sc.Optimistic, sc.Pessimistic = atEv.Availability.Optimistic, atEv.Availability.Pessimistic
	in.Journey, in.Availability = &at, atEv.Availability
	if atEv.Latency != nil {
		in.Late = atEv.Latency.Late
	}
	base, err := prom.UnitTests(in, sc)
	if err != nil {
		return nil, err
	}
	alerts, err := prom.AlertTests(in, sc)
	if err != nil {
		return nil, err
	}
	return prom.MarshalTests(Version, prom.TestRules("rules.yaml", append([]prom.TestGroup{base}, alerts...)...))
}

// genArgo writes the AnalysisTemplate gating a canary of any component on
// the journey's pessimistic burn rate and latency bound, and the Rollout
// excerpts that use it.
func genArgo(u *unit) (fileSet, []report.Artifact, error) {
	j, in := u.j, u.promIn
	if len(in.Leaves) == 0 || j.Objective.Availability <= 0 {
		return nil, nil, nil
	}
	if u.err != nil {
		return nil, nil, u.err
	}
	var err error
	records := map[string]string{}
	for _, r := range u.group.Rules {
		records[r.Record] = r.Expr
	}
	ai := argo.Input{Journey: j.Name, Target: j.Objective.Availability, MaxBurnRate: j.Governance.MaxCanaryBurnRate}
	if lo := j.Objective.Latency; lo != nil && hasHistogramTelemetry(in.Leaves) {
		ai.Latency = &argo.Latency{Quantile: lo.Quantile, ThresholdSeconds: lo.ThresholdSeconds}
	}
	for _, l := range in.Leaves {
		c := argo.Component{Name: l.Name, GoodQuery: l.GoodQuery, TotalQuery: l.TotalQuery, SLI: map[string]string{}}
		for _, w := range []string{argo.DefaultShort, argo.DefaultLong} {
			if c.SLI[w], err = argo.ComponentSLI(records[prom.PessimisticRecord(w)], j.Name, l.Name, w); err != nil {
				return nil, nil, fmt.Errorf("canary SLI of %s over %s: %w", l.Name, w, err)
			}
		}
		ai.Components = append(ai.Components, c)
	}
	tmpl, err := argo.Gate(ai)
	if err != nil {
		return nil, nil, err
	}
	rollouts, err := argo.Rollouts(ai)
	if err != nil {
		return nil, nil, err
	}
	td, err := argo.MarshalTemplate(Version, tmpl)
	if err != nil {
		return nil, nil, err
	}
	rd, err := argo.MarshalRollouts(Version, rollouts)
	if err != nil {
		return nil, nil, err
	}
	var qs []report.Query
	for _, m := range tmpl.Spec.Metrics {
		qs = append(qs, report.Query{Name: m.Name, Expr: m.Provider.Prometheus.Query})
	}
	links, err := report.QueryLinks("argo/analysistemplate.yaml", "analysis metric",
		"the journey algebra of the pessimistic SLI with the canary's leaf telemetry substituted for the component under test", qs, j, u.ev)
	if err != nil {
		return nil, nil, err
	}
	arts := []report.Artifact{
		{Path: "argo/analysistemplate.yaml", Kind: "argo-rollouts AnalysisTemplate", Implements: []string{
			"canary gate: journey pessimistic burn rate with the canary's leaf telemetry substituted (5m and 1h)", "latency upper bound vs the objective", "empty or NaN results are inconclusive"}, Links: links},
		{Path: "argo/rollout-snippet.yaml", Kind: "argo-rollouts canary steps", Implements: []string{"setWeight/analysis steps per component"}},
	}
	return fileSet{"argo/analysistemplate.yaml": td, "argo/rollout-snippet.yaml": rd}, arts, nil
}

func hasHistogramTelemetry(leaves []prom.Leaf) bool {
	for _, l := range leaves {
		if l.HistogramMetric != "" {
			return true
		}
	}
	return false
}
