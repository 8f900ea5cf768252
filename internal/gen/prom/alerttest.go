package prom

import (
	"fmt"
	"maps"
	"math"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// AlertTest expects exactly the alerts ExpAlerts of one name to be firing
// at EvalTime (none when ExpAlerts is empty).
type AlertTest struct {
	EvalTime  string     `yaml:"eval_time"`
	Alertname string     `yaml:"alertname"`
	ExpAlerts []ExpAlert `yaml:"exp_alerts"`
}

// ExpAlert is an expected firing alert: its labels (without alertname)
// and its annotations, both compared exactly by promtool.
type ExpAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

// Alert scenarios run for alertSpan: every synthetic counter grows at a
// constant rate from the start, so every window sees the same steady
// ratios however much of it the run fills (a window summed from tiles
// holds the tiles recorded so far, a raw window's increase is
// extrapolated alike for good and total), and the alerts with a `for`
// clause (LatencyFor, AbsentFor) have time to fire. Each evaluation of
// the rules costs promtool in proportion to their length, so the run is
// kept short.
const alertSpan = 30 * time.Minute

// Synthetic latency histograms of the alert scenarios: every observation
// of a fast leaf falls in (0, fastLE], of a slow one in (fastLE, slowLE].
// histogram_quantile(φ) then interpolates to fastLE·φ or
// fastLE + (slowLE − fastLE)·φ, which the expectations use.
const (
	fastLE = 0.05
	slowLE = 1.0
)

// degradeRatios are the ratios tried, in order, for the degraded leaf.
var degradeRatios = []float64{0.5, 0.1, 0}

// AlertTests returns promtool test groups for the alert rules of in, each
// over alertSpan of synthetic series and evaluated at the end:
//
//   - "<name>_calm": every leaf at calm.Ratios (the compiled
//     availabilities) with fast histograms;
//   - "<name>_degraded": the first leaf — in order of budget share — whose
//     degradation to 0.5, 0.1 or 0 makes the page alert fire, and the
//     first leaf with a histogram turned slow. Omitted when no single
//     leaf can page (full redundancy).
//
// For every alert name the expected alerts are exactly those whose
// expression holds in the scenario, with the rule's labels and
// annotations; the expectations come from folding the same algebra the
// rules are built from to numbers, and the groups also check the folded
// pessimistic SLI and latency bound against Prometheus's values.
func AlertTests(in Input, calm Scenario) ([]TestGroup, error) {
	b, err := newBuilder(in)
	if err != nil {
		return nil, err
	}
	return b.alertTests(calm)
}

func (b *builder) alertTests(calm Scenario) ([]TestGroup, error) {
	ws, pol, err := plan(b.in)
	if err != nil {
		return nil, err
	}
	clk, err := newClock(alertSpan, append(ws, LatencyWindows...))
	if err != nil {
		return nil, err
	}
	defs, err := b.alerts(pol)
	if err != nil {
		return nil, err
	}
	for _, l := range b.leaves {
		if _, ok := calm.Ratios[l.Name]; !ok {
			return nil, fmt.Errorf("scenario has no ratio for component %q", l.Name)
		}
	}
	g, err := b.alertGroup(calm.Name+"_calm", defs, calm.Ratios, "", clk)
	if err != nil {
		return nil, err
	}
	out := []TestGroup{g}
	leaf, ratio, ok, err := b.pager(defs, calm.Ratios)
	if err != nil || !ok {
		return out, err
	}
	ratios := maps.Clone(calm.Ratios)
	ratios[leaf] = ratio
	slow := ""
	for _, l := range b.leaves {
		if l.HistogramMetric != "" {
			slow = l.Name
			break
		}
	}
	g, err = b.alertGroup(calm.Name+"_degraded", defs, ratios, slow, clk)
	if err != nil {
		return nil, err
	}
	return append(out, g), nil
}

// pager returns the leaf and ratio the degraded scenario uses.
func (b *builder) pager(defs []alertDef, calm map[string]float64) (string, float64, bool, error) {
	var page *alertDef
	for i := range defs {
		if defs[i].rule.Alert == AlertBurn && defs[i].rule.Labels["severity"] == "page" {
			page = &defs[i]
		}
	}
	if page == nil {
		return "", 0, false, nil
	}
	var order []string
	seen := map[string]bool{}
	for _, c := range b.dominantOrder() {
		if b.tele[c] && !seen[c] {
			seen[c] = true
			order = append(order, c)
		}
	}
	for _, l := range b.leaves {
		if !seen[l.Name] {
			order = append(order, l.Name)
		}
	}
	for _, name := range order {
		for _, r := range degradeRatios {
			ratios := maps.Clone(calm)
			ratios[name] = r
			_, pess, err := b.fold(ratios)
			if err != nil {
				return "", 0, false, err
			}
			if fires, err := page.fires(state{pess: pess, ratios: ratios}); err == nil && fires {
				return name, r, true, nil
			}
		}
	}
	return "", 0, false, nil
}

// dominantOrder returns the component contributors by budget share.
func (b *builder) dominantOrder() []string {
	var out []string
	for _, c := range b.in.Contributors {
		if c.Kind == "component" {
			out = append(out, c.Name)
		}
	}
	return out
}

// alertGroup returns the test group of one steady scenario.
func (b *builder) alertGroup(name string, defs []alertDef, ratios map[string]float64, slow string, clk clock) (TestGroup, error) {
	j := b.in.Journey
	_, pess, err := b.fold(ratios)
	if err != nil {
		return TestGroup{}, err
	}
	st := state{pess: pess, ratios: ratios, latency: math.NaN()}
	if b.hasLatency() {
		if st.latency, err = b.foldLatency(slow); err != nil {
			return TestGroup{}, err
		}
	}
	tg := TestGroup{Name: name, Interval: clk.interval()}
	for _, l := range b.leaves {
		cs, err := b.selectors().counters(l)
		if err != nil {
			return TestGroup{}, err
		}
		tg.InputSeries = append(tg.InputSeries, cs.values(ratios[l.Name], clk)...)
		if l.HistogramMetric != "" {
			hs, err := histogramSeries(l, l.Name == slow, clk)
			if err != nil {
				return TestGroup{}, fmt.Errorf("component %q: %w", l.Name, err)
			}
			tg.InputSeries = append(tg.InputSeries, hs...)
		}
	}
	at := clk.end()
	t, err := near(selector(PessimisticRecord(AbsentWindow), "journey", j.Name), pess, at)
	if err != nil {
		return TestGroup{}, err
	}
	tg.ExprTests = append(tg.ExprTests, t)
	if b.hasLatency() {
		for _, w := range LatencyWindows {
			t, err := near(selector(LatencyRecord(w), "journey", j.Name, "quantile", b.quantileLabel()), st.latency, at)
			if err != nil {
				return TestGroup{}, err
			}
			tg.ExprTests = append(tg.ExprTests, t)
		}
	}
	byName := map[string]int{}
	for _, d := range defs {
		i, ok := byName[d.rule.Alert]
		if !ok {
			i = len(tg.AlertTests)
			byName[d.rule.Alert] = i
			tg.AlertTests = append(tg.AlertTests, AlertTest{EvalTime: at, Alertname: d.rule.Alert, ExpAlerts: []ExpAlert{}})
		}
		fires, err := d.fires(st)
		if err != nil {
			return TestGroup{}, fmt.Errorf("%s %v: %w", d.rule.Alert, d.rule.Labels, err)
		}
		if fires {
			tg.AlertTests[i].ExpAlerts = append(tg.AlertTests[i].ExpAlerts,
				ExpAlert{ExpLabels: d.rule.Labels, ExpAnnotations: d.rule.Annotations})
		}
	}
	return tg, nil
}

// foldLatency returns the latency bound the rules compute from the
// synthetic histograms (slow names the slow leaf).
func (b *builder) foldLatency(slow string) (float64, error) {
	b.fixedQ = func(leaf string, phi float64) float64 {
		if leaf == slow {
			return fastLE + (slowLE-fastLE)*phi
		}
		return fastLE * phi
	}
	defer func() { b.fixedQ = nil }()
	lo := b.in.Journey.Objective.Latency
	d, _ := model.ParseDuration(LatencyAlertWindow)
	v, err := b.bound(b.in.Journey.Root, 1-lo.Quantile, time.Duration(d))
	if err != nil {
		return 0, err
	}
	if !v.isConst() || math.IsInf(v.c, 0) {
		return 0, fmt.Errorf("the latency bound did not fold to a finite number")
	}
	return v.c, nil
}

// histogramSeries returns a leaf's synthetic bucket series: every
// observation at or below fastLE, or, when slow, in (fastLE, slowLE].
func histogramSeries(l Leaf, slow bool, clk clock) ([]TestSeries, error) {
	base, err := histogramBase(l)
	if err != nil {
		return nil, err
	}
	fast := scenarioRate
	if slow {
		fast = 0
	}
	var out []TestSeries
	for _, b := range []struct {
		le   string
		rate float64
	}{{num2s(fastLE), fast}, {num2s(slowLE), scenarioRate}, {"+Inf", scenarioRate}} {
		ls := labels.NewBuilder(base).Set("le", b.le).Labels()
		out = append(out, TestSeries{Series: notation(ls), Values: clk.counter(b.rate)})
	}
	return out, nil
}

// clock is the sampling of a test group's synthetic series: one sample
// every step for a run of length span. Rates over a window need at least
// two samples inside it, so the step is a quarter of the shortest window
// the rules read, and at most a minute.
type clock struct {
	step, span time.Duration
}

// newClock returns the clock for a run of span whose rules read windows
// ws (Prometheus durations).
func newClock(span time.Duration, ws []string) (clock, error) {
	step := time.Minute
	for _, w := range ws {
		d, err := model.ParseDuration(w)
		if err != nil {
			return clock{}, err
		}
		step = min(step, time.Duration(d)/4)
	}
	step = max(step.Truncate(time.Second), time.Second)
	return clock{step: step, span: span}, nil
}

// interval returns the step in promtool's notation.
func (c clock) interval() string { return model.Duration(c.step).String() }

// end returns the time of the last sample in promtool's notation.
func (c clock) end() string { return model.Duration(c.span).String() }

// counter is a counter starting at 0 growing by perMinute per minute over
// the run.
func (c clock) counter(perMinute float64) string {
	inc := perMinute * c.step.Seconds() / 60
	return "0+" + strconv.FormatFloat(inc, 'g', -1, 64) + "x" + strconv.Itoa(int(c.span/c.step))
}
