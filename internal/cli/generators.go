package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"

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
	a, err := openslo.Allocate(j, j.Objective.Availability, u.promIn.Late)
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
	rules, err := prom.Marshal(Version, u.groups...)
	if err != nil {
		return nil, nil, err
	}
	kube, err := prom.MarshalPrometheusRuleWith(Version, prom.NewPrometheusRule(j.Name, u.groups...), rules)
	if err != nil {
		return nil, nil, err
	}
	fs := fileSet{"prometheus/rules.yaml": rules, "kubernetes/prometheusrule.yaml": kube}
	links, err := report.RuleLinks("prometheus/rules.yaml", u.rules(), j, ev)
	if err != nil {
		return nil, nil, err
	}
	implements := []string{
		"leaf SLIs per window", "journey optimistic and pessimistic SLIs by the operator algebra",
		"pessimistic error-budget burn", "dependence-free latency upper bound", "multi-window multi-burn-rate, contributor, latency and absent-data alerts"}
	if len(u.groups) > 1 {
		implements = append(implements, fmt.Sprintf("windows of %s and longer summed from recorded %s increases by the group %s, evaluated every %s",
			prom.MinTiledWindow(), prom.TileWindow, prom.LongGroupName(j.Name), prom.TileWindow))
	}
	for _, n := range u.notes {
		implements = append(implements, "lower bound: "+n.Text)
	}
	for i := range links {
		if links[i].Name == prom.PessimisticRecord("<w>") || strings.HasPrefix(links[i].Name, prom.NodeRecordPrefix) {
			for _, n := range u.notes {
				links[i].Assumptions = append(links[i].Assumptions, n.Text)
			}
		}
	}
	arts := []report.Artifact{
		{Path: "prometheus/rules.yaml", Kind: "prometheus-rules", Implements: implements, Links: links},
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
	} else if _, late, err := compute.AvailabilityWithLate(j); err == nil {
		// No latency objective: A− still used the late fractions of the
		// timed Timeout and Retry nodes.
		in.Late = late
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
	avail, late, err := compute.AvailabilityWithLate(&at)
	if err != nil {
		return nil, err
	}
	sc.Optimistic, sc.Pessimistic = avail.Optimistic, avail.Pessimistic
	in.Journey, in.Availability, in.Late = &at, avail, late
	groups, err := prom.Tests(in, sc)
	if err != nil {
		return nil, err
	}
	return prom.MarshalTests(Version, prom.TestRules("rules.yaml", j.Name, groups...))
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

	ai := argo.Input{Journey: j.Name, Target: j.Objective.Availability, MaxBurnRate: j.Governance.MaxCanaryBurnRate}
	if lo := j.Objective.Latency; lo != nil && hasHistogramTelemetry(in.Leaves) {
		ai.Latency = &argo.Latency{Quantile: lo.Quantile, ThresholdSeconds: lo.ThresholdSeconds}
	}
	slis := map[string]*prom.SLIs{}
	for _, w := range []string{argo.DefaultShort, argo.DefaultLong} {
		if slis[w], err = prom.NewSLIs(u.groups, j.Name, w); err != nil {
			return nil, nil, err
		}
	}
	for _, l := range in.Leaves {
		c := argo.Component{Name: l.Name, GoodQuery: l.GoodQuery, TotalQuery: l.TotalQuery, SLI: map[string]string{}}
		for _, w := range []string{argo.DefaultShort, argo.DefaultLong} {
			if c.SLI[w], err = slis[w].Template(l.Name, argo.Placeholder); err != nil {
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
	canary, err := argo.CanaryInputs(ai)
	if err != nil {
		return nil, nil, err
	}
	var qs []report.Query
	for _, m := range tmpl.Spec.Metrics {
		q := report.Query{Name: m.Name, Expr: m.Provider.Prometheus.Query}
		for w, s := range slis {
			if strings.HasSuffix(m.Name, "-"+w) && strings.HasPrefix(m.Name, "canary-burn-rate") {
				q.Inputs = gateInputs(s, canary)
			}
		}
		qs = append(qs, q)
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

// gateInputs lists the selectors a canary burn-rate query reads: those
// of the journey SLI and its intermediate rules, and the components'
// queries restricted to the canary (canary).
func gateInputs(s *prom.SLIs, canary []string) []string {
	set := map[string]bool{}
	for _, in := range s.Inputs() {
		set[in] = true
	}
	for _, in := range canary {
		set[in] = true
	}
	return slices.Sorted(maps.Keys(set))
}
