package prom

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/gen/promql"
)

// Alert names (DESIGN §4).
const (
	AlertBurn        = "EmacJourneyErrorBudgetBurn"
	AlertContributor = "EmacContributorBurn"
	AlertAbsent      = "EmacJourneySLIAbsent"
	AlertLatency     = "EmacJourneyLatencyBound"
)

// ReportPath is where every alert's `report` annotation points: the
// journey's provenance report, relative to the journey's output directory.
const ReportPath = "report/derivation.md"

// Contributor alert selection: at most MaxContributorAlerts contributors
// (components or domains) whose budget share is at least
// MinContributorShare get an EmacContributorBurn alert.
const (
	MaxContributorAlerts = 3
	MinContributorShare  = 0.2
)

// AbsentFor is how long an SLI must be absent before EmacJourneySLIAbsent
// fires, and AbsentWindow the window of the SLI it watches.
const (
	AbsentFor    = 10 * time.Minute
	AbsentWindow = "5m"
)

// BurnWindow is one multi-window burn-rate condition: the journey's
// pessimistic burn rate exceeds Factor over both the Long and the Short
// window.
type BurnWindow struct {
	Factor      float64
	Long, Short string
}

// BurnPolicy lists the conditions of the page and the ticket alert; an
// alert fires when any of its conditions holds.
type BurnPolicy struct {
	Page, Ticket []BurnWindow
}

// referenceWindow is the SLO window DefaultBurnPolicy's factors are
// stated for.
const referenceWindow = 30 * 24 * time.Hour

// DefaultBurnPolicy returns the policy of the SRE workbook for a 30d SLO
// window: page when 2% of the budget burns in 1h (14.4× over 1h and 5m) or
// 5% in 6h (6× over 6h and 30m), ticket when 10% burns in 1d (3× over 1d
// and 2h) or 10% in 3d (1× over 3d and 6h).
func DefaultBurnPolicy() BurnPolicy {
	return BurnPolicy{
		Page:   []BurnWindow{{14.4, "1h", "5m"}, {6, "6h", "30m"}},
		Ticket: []BurnWindow{{3, "1d", "2h"}, {1, "3d", "6h"}},
	}
}

// Policy returns the burn-rate policy of an SLO window: override when
// not nil (its factors are taken as written, for that window), else
// DefaultBurnPolicy with every factor multiplied by sloWindow/30d. A
// burn rate r held for a time d consumes r·d/W of a window W's budget, so
// the rescaled factor burns the same fraction of the budget in the same
// long window as the default does for 30d (a 7d window pages at
// 14.4·7/30 = 3.36× over 1h: 2% of its budget). Window names are
// normalised as Prometheus prints them.
func Policy(sloWindow string, override *BurnPolicy) (BurnPolicy, error) {
	var p BurnPolicy
	if override != nil {
		p = BurnPolicy{Page: slices.Clone(override.Page), Ticket: slices.Clone(override.Ticket)}
	} else {
		p = DefaultBurnPolicy()
		scale := 1.0
		if sloWindow != "" {
			d, err := model.ParseDuration(sloWindow)
			if err != nil || d <= 0 {
				return BurnPolicy{}, fmt.Errorf("SLO window %q is not a positive Prometheus duration", sloWindow)
			}
			scale = float64(d) / float64(referenceWindow)
		}
		for _, ws := range [][]BurnWindow{p.Page, p.Ticket} {
			for i := range ws {
				ws[i].Factor = round12(ws[i].Factor * scale)
			}
		}
	}
	for _, ws := range [][]BurnWindow{p.Page, p.Ticket} {
		for i, c := range ws {
			if !(c.Factor > 0) || math.IsInf(c.Factor, 0) {
				return BurnPolicy{}, fmt.Errorf("burn-rate policy: factor %g is not positive", c.Factor)
			}
			long, dl, err := normWindow(c.Long)
			if err != nil {
				return BurnPolicy{}, fmt.Errorf("burn-rate policy: %w", err)
			}
			short, ds, err := normWindow(c.Short)
			if err != nil {
				return BurnPolicy{}, fmt.Errorf("burn-rate policy: %w", err)
			}
			if dl <= ds {
				return BurnPolicy{}, fmt.Errorf("burn-rate policy: long window %s is not longer than short window %s", long, short)
			}
			ws[i].Long, ws[i].Short = long, short
		}
	}
	return p, nil
}

// normWindow parses a window and prints it as Prometheus does.
func normWindow(w string) (string, time.Duration, error) {
	d, err := model.ParseDuration(w)
	if err != nil || d <= 0 {
		return "", 0, fmt.Errorf("window %q is not a positive Prometheus duration", w)
	}
	return d.String(), time.Duration(d), nil
}

// round12 rounds x to 12 significant digits, so rescaled factors print
// as the decimals they are meant to be (13.44, not 13.439999999999998).
func round12(x float64) float64 {
	y, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	return y
}

// windows returns every window the policy names.
func (p BurnPolicy) windows() []string {
	var out []string
	for _, c := range slices.Concat(p.Page, p.Ticket) {
		out = append(out, c.Long, c.Short)
	}
	return out
}

// state is a synthetic steady state of the leaves, the same in every
// window: what an alert's fires function decides on.
type state struct {
	pess    float64            // the journey's pessimistic SLI (folded)
	ratios  map[string]float64 // leaf ratios
	latency float64            // the latency bound; NaN when not recorded
}

// alertDef is an alert rule with the Go predicate of its expression over
// a steady state (used to generate the expected alerts of the unit
// tests).
type alertDef struct {
	rule  rulefmt.Rule
	fires func(s state) (bool, error)
}

// above reports x > thr, refusing states so close to the threshold that
// floating-point rounding could decide the comparison.
func above(x, thr float64) (bool, error) {
	if math.Abs(x-thr) <= 1e-9*math.Max(math.Abs(thr), 1e-12) {
		return false, fmt.Errorf("synthetic state %g is too close to the threshold %g", x, thr)
	}
	return x > thr, nil
}

// alerts returns the journey's alert rules in a fixed order: the burn
// alerts (page, ticket), the contributor alerts, the absent alerts, the
// latency alert.
func (b *builder) alerts(pol BurnPolicy) ([]alertDef, error) {
	var out []alertDef
	if t := b.in.Journey.Objective.Availability; t > 0 && t < 1 {
		for _, sev := range []struct {
			name  string
			conds []BurnWindow
		}{{"page", pol.Page}, {"ticket", pol.Ticket}} {
			if len(sev.conds) > 0 {
				d, err := b.burnAlert(sev.name, sev.conds)
				if err != nil {
					return nil, err
				}
				out = append(out, d)
			}
		}
		cs, err := b.contributorAlerts(pol)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	abs, err := b.absentAlerts()
	if err != nil {
		return nil, err
	}
	out = append(out, abs...)
	lat, err := b.latencyAlert()
	if err != nil {
		return nil, err
	}
	return append(out, lat...), nil
}

// burnAlert is EmacJourneyErrorBudgetBurn{severity}: any condition's burn
// rate over both its windows above its factor.
func (b *builder) burnAlert(severity string, conds []BurnWindow) (alertDef, error) {
	j := b.in.Journey
	var e parser.Expr
	var said []string
	for _, c := range conds {
		both := promql.Binary(parser.LAND,
			promql.Binary(parser.GTR, b.read(BurnRecord(c.Long), c.Long, "journey", j.Name), promql.Num(c.Factor)),
			promql.Binary(parser.GTR, b.read(BurnRecord(c.Short), c.Short, "journey", j.Name), promql.Num(c.Factor)))
		if e == nil {
			e = both
		} else {
			e = promql.Binary(parser.LOR, e, both)
		}
		said = append(said, fmt.Sprintf("%s× over %s and %s", num2s(c.Factor), c.Long, c.Short))
	}
	expr, err := promql.Reparse(e)
	if err != nil {
		return alertDef{}, err
	}
	speed := "fast"
	if severity == "ticket" {
		speed = "steadily"
	}
	target := j.Objective.Availability
	rule := rulefmt.Rule{Alert: AlertBurn, Expr: expr,
		Labels: map[string]string{"journey": j.Name, "severity": severity},
		Annotations: b.annotations(
			fmt.Sprintf("Journey %s is burning its error budget %s", j.Name, speed),
			fmt.Sprintf("The pessimistic availability SLI of journey %s (objective %s over %s) burns its error budget faster than %s.",
				j.Name, pct(target), windowOf(j.Objective.Window), strings.Join(said, ", or "))),
	}
	fires := func(s state) (bool, error) {
		burn := (1 - s.pess) / (1 - target)
		for _, c := range conds {
			f, err := above(burn, c.Factor)
			if err != nil || f {
				return f, err
			}
		}
		return false, nil
	}
	return alertDef{rule: rule, fires: fires}, nil
}

// contributor is a contributor alert's subject: the leaves with telemetry
// it covers and their weights.
type contributor struct {
	c       compute.Contributor
	members []string
	weights []float64
}

// dominantContributors returns the contributors that get an alert: at
// most MaxContributorAlerts of those with a budget share of at least
// MinContributorShare and some member with telemetry, largest share first.
func (b *builder) dominantContributors() []contributor {
	weight := map[string]float64{}
	for _, c := range b.in.Contributors {
		if c.Kind == compute.KindComponent {
			weight[c.Name] = b.weight(c)
		}
	}
	cs := slices.Clone(b.in.Contributors)
	slices.SortStableFunc(cs, func(x, y compute.Contributor) int {
		return cmp.Or(cmp.Compare(y.BudgetShare, x.BudgetShare), cmp.Compare(x.Name, y.Name), cmp.Compare(x.Kind, y.Kind))
	})
	var out []contributor
	for _, c := range cs {
		if len(out) == MaxContributorAlerts || c.BudgetShare < MinContributorShare {
			break
		}
		names := c.Members
		if c.Kind == compute.KindComponent {
			names = []string{c.Name}
		}
		var k contributor
		k.c = c
		for _, n := range names {
			if !b.tele[n] {
				continue
			}
			w, ok := weight[n]
			if !ok {
				w = 1
			}
			k.members = append(k.members, n)
			k.weights = append(k.weights, w)
		}
		if len(k.members) > 0 {
			out = append(out, k)
		}
	}
	return out
}

// weight is the effect of a unit of component c's error ratio on the
// journey's pessimistic error, read off the compiled state as a secant:
// making c perfect removes s_c·(1 − A−) of journey error (s_c its budget
// share) and c's compiled error is 1 − a−_c, so w_c = s_c·(1 − A−)/(1 − a−_c).
// Unlike the Birnbaum importance (a derivative of A+), it sees the shared
// fate A− assumes: a fallback that only matters when its primary's domain
// fails gets its pessimistic weight, not its near-zero independent one.
// When c is compiled perfect the Birnbaum importance is used, else 1.
func (b *builder) weight(c compute.Contributor) float64 {
	comp := b.in.Journey.Components[c.Name]
	if comp != nil {
		lower := min(comp.Availability.Lower, comp.Availability.Point)
		if lower < 1 && c.BudgetShare > 0 {
			return c.BudgetShare * (1 - b.in.Availability.Pessimistic) / (1 - lower)
		}
	}
	if c.Birnbaum > 0 {
		return c.Birnbaum
	}
	return 1
}

// contributorAlerts are the EmacContributorBurn alerts. A contributor x
// with budget share s is allotted the error rate s·(1 − target) of the
// journey. To first order the journey's pessimistic error grows by
// w_c·e_c when component c fails a fraction e_c of its calls (w_c its
// weight, see weight), so x burns its allotment at the rate
// Σ_{c∈x} w_c·e_c / (s·(1 − target)). The alert fires when that rate
// exceeds the first page condition's factor F over both its windows:
//
//	Σ_c w_c·(1 − ratio_c[long]) > F·s·(1 − target)  and  the same over [short]
//
// Only members with telemetry enter the sum. For a single component this
// is e_c/(1 − a−_c) > F·(1 − target)/(1 − A−): its error ratio grew, relative
// to the compiled one, F times more than the journey's budget allows.
func (b *builder) contributorAlerts(pol BurnPolicy) ([]alertDef, error) {
	conds := pol.Page
	if len(conds) == 0 {
		conds = pol.Ticket
	}
	if len(conds) == 0 {
		return nil, nil
	}
	c0 := conds[0]
	j := b.in.Journey
	target := j.Objective.Availability
	var out []alertDef
	for _, k := range b.dominantContributors() {
		thr := round12(c0.Factor * k.c.BudgetShare * (1 - target))
		weighted := func(w string) parser.Expr {
			terms := make([]val, len(k.members))
			for i, m := range k.members {
				leaf := vec(without(parser.SUM, "component",
					b.read(LeafRecord(w), w, "journey", j.Name, "component", m)))
				terms[i] = mul(constant(round12(k.weights[i])), complement(leaf))
			}
			return promql.Binary(parser.GTR, sum(terms).expr(), promql.Num(thr))
		}
		expr, err := promql.Reparse(promql.Binary(parser.LAND, weighted(c0.Long), weighted(c0.Short)))
		if err != nil {
			return nil, err
		}
		what := k.c.Kind + " " + k.c.Name
		if k.c.Kind == compute.KindDomain {
			what += " (members with telemetry: " + strings.Join(k.members, ", ") + ")"
		}
		rule := rulefmt.Rule{Alert: AlertContributor, Expr: expr,
			Labels: map[string]string{"journey": j.Name, "severity": "ticket",
				"contributor": k.c.Name, "contributor_kind": k.c.Kind},
			Annotations: b.annotations(
				fmt.Sprintf("%s %s is burning its share of journey %s's error budget fast", titleCase(k.c.Kind), k.c.Name, j.Name),
				fmt.Sprintf("The %s carries %s of journey %s's pessimistic error budget burn. Its error ratio, weighted by its compiled effect on the journey's pessimistic SLI, exceeds %s × %s × (1 − %s) = %s over %s and %s: alone it burns its share of the %s budget %s× too fast.",
					what, share(k.c.BudgetShare), j.Name, num2s(c0.Factor), share(k.c.BudgetShare), num2s(target), num2s(round6(thr)), c0.Long, c0.Short, windowOf(j.Objective.Window), num2s(c0.Factor))),
		}
		fires := func(s state) (bool, error) {
			x := 0.0
			for i, m := range k.members {
				x += round12(k.weights[i]) * (1 - s.ratios[m])
			}
			return above(x, thr)
		}
		out = append(out, alertDef{rule: rule, fires: fires})
	}
	return out, nil
}

// absentAlerts are the EmacJourneySLIAbsent alerts: the journey's
// pessimistic SLI over AbsentWindow absent for AbsentFor, and the same
// for every leaf ratio whose missing-data policy is ignore (a leaf counted
// as good or bad never goes absent).
func (b *builder) absentAlerts() ([]alertDef, error) {
	j := b.in.Journey
	never := func(state) (bool, error) { return false, nil }
	e, err := promql.Reparse(promql.Call("absent", selector(PessimisticRecord(AbsentWindow), "journey", j.Name)))
	if err != nil {
		return nil, err
	}
	out := []alertDef{{rule: rulefmt.Rule{Alert: AlertAbsent, Expr: e, For: model.Duration(AbsentFor),
		Labels: map[string]string{"journey": j.Name, "severity": "ticket"},
		Annotations: b.annotations(
			fmt.Sprintf("Journey %s has no pessimistic availability SLI", j.Name),
			fmt.Sprintf("%s has had no sample for %s: some leaf it depends on reports no traffic or no series, so neither the SLI nor its burn-rate alerts are evaluated.",
				PessimisticRecord(AbsentWindow), model.Duration(AbsentFor))),
	}, fires: never}}
	for _, l := range b.leaves {
		if l.MissingData != "" && l.MissingData != "ignore" {
			continue
		}
		e, err := promql.Reparse(promql.Call("absent", selector(LeafRecord(AbsentWindow), "journey", j.Name, "component", l.Name)))
		if err != nil {
			return nil, err
		}
		out = append(out, alertDef{rule: rulefmt.Rule{Alert: AlertAbsent, Expr: e, For: model.Duration(AbsentFor),
			Labels: map[string]string{"journey": j.Name, "component": l.Name, "severity": "ticket"},
			Annotations: b.annotations(
				fmt.Sprintf("Component %s of journey %s reports no availability", l.Name, j.Name),
				fmt.Sprintf("%s{component=%q} has had no sample for %s and its missing-data policy is ignore: every journey SLI that depends on it is absent.",
					LeafRecord(AbsentWindow), l.Name, model.Duration(AbsentFor))),
		}, fires: never})
	}
	return out, nil
}

// annotations returns an alert's annotations: summary, the description
// followed by the dominant contributor, and the report.
func (b *builder) annotations(summary, description string) map[string]string {
	if d := dominant(b.in.Contributors); d != "" {
		description += " " + d
	}
	return map[string]string{"summary": summary, "description": description, "report": ReportPath}
}

// dominant names the contributor with the largest budget share, or ""
// when none has a positive share.
func dominant(cs []compute.Contributor) string {
	var best *compute.Contributor
	for i := range cs {
		c := &cs[i]
		if c.BudgetShare > 0 && (best == nil || c.BudgetShare > best.BudgetShare ||
			c.BudgetShare == best.BudgetShare && c.Name < best.Name) {
			best = c
		}
	}
	if best == nil {
		return ""
	}
	s := fmt.Sprintf("Dominant contributor: %s %s (%s of the pessimistic error budget burn", best.Kind, best.Name, share(best.BudgetShare))
	if len(best.Members) > 0 {
		s += "; members " + strings.Join(best.Members, ", ")
	}
	return s + ")."
}

// pct prints a fraction as a percentage with at most 6 significant
// digits.
func pct(x float64) string { return strconv.FormatFloat(round6(x*100), 'g', -1, 64) + "%" }

// share prints a budget share as a percentage with 3 significant digits.
func share(x float64) string {
	return strconv.FormatFloat(x*100, 'g', 3, 64) + "%"
}

func round6(x float64) float64 {
	y, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 6, 64), 64)
	return y
}

// num2s prints a number as PromQL does.
func num2s(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// windowOf names the SLO window, or says there is none.
func windowOf(w string) string {
	if w == "" {
		return "its window"
	}
	return w
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
