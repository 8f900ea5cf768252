// Package prom generates the Prometheus side of a journey's control plane
// (DESIGN §4): recording rules that compute the journey's availability SLIs
// live from leaf telemetry by the same operator algebra as package compute,
// and a `promtool test rules` file that proves the two algebras agree.
//
// For every window w (DefaultWindows plus the SLO window) it records
//
//	component:emac_availability:ratio_rate<w>{journey="J", component="C"}
//	journey:emac_availability:optimistic_rate<w>{journey="J"}
//	journey:emac_availability:pessimistic_rate<w>{journey="J"}
//	journey:emac_error_budget_burn:pessimistic_rate<w>{journey="J"}
//
// and, for every Cond probability bound to a parameter with a query,
// journey:emac_parameter:ratio_rate<w>{journey="J", parameter="P"}. The
// windows of the burn-rate policy (alerts.go) join the window set.
//
// When the journey has a latency objective and some leaf has histogram
// telemetry, it also records, for the windows of LatencyWindows, the
// dependence-free latency bound (latency.go)
//
//	journey:emac_latency_upper_seconds:rate<w>{journey="J", quantile="Q"}
//
// and then the alerts EmacJourneyErrorBudgetBurn (multi-window
// multi-burn-rate, severity page|ticket), EmacContributorBurn,
// EmacJourneySLIAbsent and EmacJourneyLatencyBound (alerts.go).
//
// A leaf ratio is good/total of the component's counters over [w]: every
// range in its queries is set to w on the PromQL AST, never by averaging
// short-window ratios. The journey SLIs combine the leaf rules of the same
// window; they are evaluated after them in one rule group. Everything
// emitted is printed from the Prometheus parser's AST and re-parsed.
//
// Generators are pure: they return typed values and never do I/O.
package prom

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/emac-dev/emac/internal/compute"
	emodel "github.com/emac-dev/emac/internal/model"
)

// Leaf is a component's telemetry: PromQL queries of its good and total
// event counts (each with some range inside, e.g.
// `sum(increase(http_requests_total{service="cart"}[30d]))`) and its
// missing-data policy, and optionally its latency histogram.
type Leaf struct {
	Name       string
	GoodQuery  string
	TotalQuery string
	// HistogramMetric is the name of the component's latency histogram
	// without the _bucket suffix (e.g. http_request_duration_seconds);
	// empty when the component has none.
	HistogramMetric string
	// HistogramSelector narrows the histogram to the component, in braces
	// (e.g. {service="cart"}); may be empty.
	HistogramSelector string
	// MissingData says what an absent leaf ratio (no series, or no traffic
	// in the window) counts as: "good" (1), "bad" (0) or "ignore" (the
	// ratio, and every journey SLI depending on it, stays absent). Empty
	// means "ignore".
	MissingData string
}

// Input is what the rules of one journey are generated from.
type Input struct {
	// Journey is the resolved journey: tree (Cond probabilities bound),
	// components, objective and parameters.
	Journey *emodel.Journey
	// Leaves is the telemetry of the components that have some. A
	// component without telemetry enters the journey SLIs as its offline
	// availability: its point value in the optimistic SLI, its lower value
	// in the pessimistic one.
	Leaves []Leaf
	// Availability is the compiler's availability result; the fate groups
	// of its trace decide the shared-fate terms of the pessimistic SLI.
	Availability compute.AvailabilityResult
	// Late is the compiler's late fractions of Timeout and Retry nodes
	// (compute.LatencyResult.Late). A node missing from it uses its
	// declared timeoutProbability, or 0.
	Late []compute.LateFraction
	// Windows overrides Windows(objective window) when not nil. The
	// windows the burn-rate policy names are added to either.
	Windows []string
	// BurnPolicy overrides the multi-window multi-burn-rate policy
	// (governance.alerts.burnRatePolicy); nil means DefaultBurnPolicy
	// rescaled to the SLO window (see Policy).
	BurnPolicy *BurnPolicy
	// Contributors are the compiler's contributors (compute.Evaluation),
	// sorted by budget share: they name the dominant contributor in the
	// annotations and select the contributor alerts. May be nil.
	Contributors []compute.Contributor
	// SplitBytes is the length beyond which a sub-expression is recorded
	// as an intermediate rule (cut.go); 0 means DefaultSplitBytes. Tests
	// lower it to split small journeys.
	SplitBytes int
}

// Recording rule names; w is a window as Windows prints it.

// LeafRecord is the name of the leaf ratio rule over window w.
func LeafRecord(w string) string { return "component:emac_availability:ratio_rate" + w }

// ParameterRecord is the name of the live parameter rule over window w.
func ParameterRecord(w string) string { return "journey:emac_parameter:ratio_rate" + w }

// OptimisticRecord is the name of the optimistic journey SLI over window w.
func OptimisticRecord(w string) string { return "journey:emac_availability:optimistic_rate" + w }

// PessimisticRecord is the name of the pessimistic journey SLI over window w.
func PessimisticRecord(w string) string { return "journey:emac_availability:pessimistic_rate" + w }

// BurnRecord is the name of the error-budget burn rate over window w.
func BurnRecord(w string) string { return "journey:emac_error_budget_burn:pessimistic_rate" + w }

// LatencyRecord is the name of the latency bound over window w.
func LatencyRecord(w string) string { return "journey:emac_latency_upper_seconds:rate" + w }

// GroupName is the name of journey j's rule group.
func GroupName(journey string) string { return "emac-journey-" + journey }

// LongGroupName is the name of journey j's long-window rule group
// (tile.go), evaluated every TileWindow.
func LongGroupName(journey string) string { return GroupName(journey) + "-long-windows" }

// EvalOrder lists journey j's rule groups in the order a unit test must
// evaluate them: the long windows first, the main group (whose alerts
// read them) last.
func EvalOrder(journey string) []string { return []string{LongGroupName(journey), GroupName(journey)} }

// Note is a place where the rules compute less than the compiler: the
// live pessimistic SLI is a sound lower bound there, below A−.
type Note struct {
	Path, Text string
}

// Rules returns the rules of one journey: the main group, evaluated at
// Prometheus's global interval, and, when some window is summed from
// recorded increases (tile.go), the long-window group evaluated every
// TileWindow. In each group the recording rules come first, so that every
// rule reads values of the same evaluation: per window, the leaf ratios,
// the live parameters, the intermediate rules of long expressions
// (cut.go), then the optimistic and pessimistic journey SLIs and the
// burn rate (which needs an availability target in (0, 1)); the main
// group then holds the latency bounds and the alerts. notes lists the
// nodes where the live pessimistic SLI is below the compiler's A−.
func Rules(in Input) (groups []rulefmt.RuleGroup, notes []Note, err error) {
	j := in.Journey
	if j == nil || j.Root == nil {
		return nil, nil, fmt.Errorf("journey has no operator tree")
	}
	ws, pol, err := plan(in)
	if err != nil {
		return nil, nil, fmt.Errorf("journey %q: %w", j.Name, err)
	}
	b, err := newBuilder(in)
	if err != nil {
		return nil, nil, fmt.Errorf("journey %q: %w", j.Name, err)
	}
	g := rulefmt.RuleGroup{Name: GroupName(j.Name)}
	long := rulefmt.RuleGroup{Name: LongGroupName(j.Name), Interval: model.Duration(TileWindow)}
	for _, w := range ws {
		rules, err := b.window(w)
		if err != nil {
			return nil, nil, fmt.Errorf("journey %q, window %s: %w", j.Name, w, err)
		}
		if b.tiled(w) {
			long.Rules = append(long.Rules, rules...)
		} else {
			g.Rules = append(g.Rules, rules...)
		}
	}
	lat, err := b.latencyRules()
	if err != nil {
		return nil, nil, fmt.Errorf("journey %q, latency bound: %w", j.Name, err)
	}
	g.Rules = append(g.Rules, lat...)
	defs, err := b.alerts(pol)
	if err != nil {
		return nil, nil, fmt.Errorf("journey %q, alerts: %w", j.Name, err)
	}
	for _, d := range defs {
		g.Rules = append(g.Rules, d.rule)
	}
	groups = []rulefmt.RuleGroup{g}
	if len(long.Rules) > 0 {
		tiles, err := b.tileRules()
		if err != nil {
			return nil, nil, fmt.Errorf("journey %q: %w", j.Name, err)
		}
		long.Rules = append(tiles, long.Rules...)
		groups = append(groups, long)
	}
	for _, p := range slices.Sorted(maps.Keys(b.notes)) {
		notes = append(notes, Note{Path: p, Text: b.notes[p]})
	}
	return groups, notes, nil
}

// plan returns the windows SLIs are recorded over and the burn-rate
// policy: the given or default windows plus those the policy names.
func plan(in Input) ([]string, BurnPolicy, error) {
	j := in.Journey
	pol, err := Policy(j.Objective.Window, in.BurnPolicy)
	if err != nil {
		return nil, BurnPolicy{}, err
	}
	ws := in.Windows
	if ws == nil {
		ws = slices.Clone(DefaultWindows)
		if j.Objective.Window != "" {
			ws = append(ws, j.Objective.Window)
		}
	}
	ws = append(slices.Clone(ws), pol.windows()...)
	ws, err = normalizeWindows(ws)
	return ws, pol, err
}

// window returns the rules of window w.
func (b *builder) window(w string) ([]rulefmt.Rule, error) {
	d, err := model.ParseDuration(w)
	if err != nil {
		return nil, err
	}
	j := b.in.Journey
	var out []rulefmt.Rule
	for _, l := range b.leaves {
		e, err := b.leafRatio(l, w, time.Duration(d))
		if err != nil {
			return nil, fmt.Errorf("component %q: %w", l.Name, err)
		}
		out = append(out, rulefmt.Rule{Record: LeafRecord(w), Expr: e,
			Labels: map[string]string{"journey": j.Name, "component": l.Name}})
	}
	for _, p := range b.params {
		e, err := paramRatio(j.Params[p], time.Duration(d))
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", p, err)
		}
		out = append(out, rulefmt.Rule{Record: ParameterRecord(w), Expr: e,
			Labels: map[string]string{"journey": j.Name, "parameter": p}})
	}
	opt, pess, inter, err := b.journey(w)
	if err != nil {
		return nil, err
	}
	out = append(out, inter...)
	jl := map[string]string{"journey": j.Name}
	out = append(out,
		rulefmt.Rule{Record: OptimisticRecord(w), Expr: opt, Labels: jl},
		rulefmt.Rule{Record: PessimisticRecord(w), Expr: pess, Labels: jl})
	if t := j.Objective.Availability; t > 0 && t < 1 {
		e, err := burn(j.Name, w, t)
		if err != nil {
			return nil, err
		}
		out = append(out, rulefmt.Rule{Record: BurnRecord(w), Expr: e, Labels: jl})
	}
	return out, nil
}
