package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	pmodel "github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/gen/prom"
	"github.com/emac-dev/emac/internal/gen/promql"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// Link ties a family of generated items — the recording rules of one name
// pattern and labels over several windows, an alert, an analysis metric,
// an SLO — to what it computes: the operator nodes (paths of the
// availability trace), the formula, the inputs its PromQL reads (taken
// from the parsed expression), the assumptions, the evidence and the
// contributors it names.
type Link struct {
	Artifact     string            `json:"artifact"`
	Kind         string            `json:"kind"`
	Name         string            `json:"name"`
	Labels       map[string]string `json:"labels,omitempty"`
	Windows      []string          `json:"windows,omitempty"`
	Nodes        []string          `json:"nodes"`
	Formula      string            `json:"formula"`
	Expr         string            `json:"expr,omitempty"`
	Inputs       []string          `json:"inputs"`
	Assumptions  []string          `json:"assumptions,omitempty"`
	Evidence     []string          `json:"evidence,omitempty"`
	Contributors []string          `json:"contributors,omitempty"`
}

// Query is a named PromQL query of an artifact (an analysis metric).
// Inputs, when not nil, lists the selectors it reads, which QueryLinks
// otherwise takes from the parsed expression (a canary gate over a
// thousand components is megabytes long; its generator knows them).
type Query struct {
	Name, Expr string
	Inputs     []string
}

// linker builds links for one journey.
type linker struct {
	j  *model.Journey
	ev *compute.Evaluation
}

// RuleLinks links every rule of rules, written to artifact, to the
// journey's operator nodes; rules of one family differing only in their
// window share one link listing the windows.
func RuleLinks(artifact string, rules []rulefmt.Rule, j *model.Journey, ev *compute.Evaluation) ([]Link, error) {
	lk := linker{j: j, ev: ev}
	var out []Link
	index := map[string]int{}
	for _, r := range rules {
		l, w, err := lk.rule(r)
		if err != nil {
			return nil, err
		}
		l.Artifact = artifact
		key := l.Kind + "\x00" + l.Name + "\x00" + fmt.Sprint(l.Labels)
		if i, ok := index[key]; ok {
			out[i].Inputs = union(out[i].Inputs, l.Inputs)
			if w != "" {
				out[i].Windows = append(out[i].Windows, w)
			}
			continue
		}
		if w != "" {
			l.Windows = []string{w}
		}
		index[key] = len(out)
		out = append(out, l)
	}
	return out, nil
}

// rule returns the link of one rule and its window ("" for alerts).
func (lk linker) rule(r rulefmt.Rule) (Link, string, error) {
	name := r.Record
	kind := "recording rule"
	if r.Alert != "" {
		name, kind = r.Alert, "alert"
	}
	inputs, err := selectors(r.Expr)
	if err != nil {
		return Link{}, "", fmt.Errorf("%s: %w", name, err)
	}
	l := Link{Kind: kind, Name: name, Labels: without(r.Labels, "journey"), Inputs: inputs}
	if r.Alert != "" {
		l.Expr = r.Expr
		lk.alert(&l, r)
		return l, "", nil
	}
	family, w := splitWindow(name, recordFamilies)
	l.Name = family + "<w>"
	for i, in := range l.Inputs {
		l.Inputs[i] = strings.Replace(in, "rate"+w+"{", "rate<w>{", 1)
	}
	switch family {
	case prom.LeafRecord(""):
		c := r.Labels["component"]
		l.Nodes = lk.leafPaths(c)
		l.Formula = "good/total of " + c + "'s counters over [w] (rates of counters, never averaged short-window ratios)"
		l.Evidence = lk.evidence(c)
	case prom.ParameterRecord(""):
		p := r.Labels["parameter"]
		l.Nodes = lk.paramPaths(p)
		l.Formula = "live branch probability " + p + " = good/total of its queries over [w]"
	case prom.OptimisticRecord(""):
		l.Nodes, l.Formula = lk.allPaths(), "A+ by the operator algebra under independence: "+lk.rootFormula()
	case prom.PessimisticRecord(""):
		l.Nodes, l.Formula = lk.allPaths(), "A− by the operator algebra with shared fate: "+lk.rootFormula()
		l.Assumptions = lk.ev.Availability.Assumptions
	case prom.BurnRecord(""):
		l.Nodes = lk.rootPath()
		l.Formula = fmt.Sprintf("(1 − A−_w)/(1 − %g): pessimistic error-budget burn rate", lk.j.Objective.Availability)
	case prom.LatencyRecord(""):
		l.Nodes = lk.allPaths()
		l.Formula = "dependence-free union bound of the leaves' histogram_quantile over [w]"
		if lk.ev.Latency != nil {
			l.Assumptions = lk.ev.Latency.Assumptions
		}
	case trimWindow(prom.GoodTileRecord()), trimWindow(prom.TotalTileRecord()):
		c := r.Labels["component"]
		l.Nodes = lk.leafPaths(c)
		what := "good"
		if family == trimWindow(prom.TotalTileRecord()) {
			what = "total"
		}
		l.Formula = fmt.Sprintf("%s events of %s over the last %s (a tile: its query's increase), recorded every %s; a long window's ratio is the sum of its tiles' good over the sum of their totals (exact counts over the window)", what, c, w, w)
		l.Evidence = lk.evidence(c)
	case prom.NodeRecord("optimistic", ""), prom.NodeRecord("pessimistic", ""), prom.NodeRecord("", ""), prom.NodeLatencyRecord(""):
		l.Nodes = lk.nodePaths(r.Labels[prom.NodeLabel])
		which := map[string]string{prom.NodeRecord("optimistic", ""): "the optimistic SLI (A+)", prom.NodeRecord("pessimistic", ""): "the pessimistic SLI (A−)",
			prom.NodeRecord("", ""): "both SLIs (the same sub-expression in A+ and A−)", prom.NodeLatencyRecord(""): "the latency upper bound"}[family]
		l.Formula = "intermediate rule: part of the expression of " + l.Nodes[0] + " read by " + which + ", recorded on its own to keep every expression under 16 kB"
		if family == prom.NodeRecord("pessimistic", "") || family == prom.NodeRecord("", "") {
			l.Assumptions = lk.ev.Availability.Assumptions
		}
	default:
		l.Name, w = name, ""
		l.Nodes, l.Formula = lk.rootPath(), "recorded expression"
	}
	return l, w, nil
}

// alert fills an alert's link.
func (lk linker) alert(l *Link, r rulefmt.Rule) {
	l.Nodes = lk.rootPath()
	switch r.Alert {
	case prom.AlertBurn:
		l.Formula = "multi-window multi-burn-rate on the pessimistic SLI's burn records"
		l.Contributors = lk.contributors()
	case prom.AlertContributor:
		name, kind := r.Labels["contributor"], r.Labels["contributor_kind"]
		if kind == compute.KindComponent {
			l.Nodes = lk.leafPaths(name)
			l.Evidence = lk.evidence(name)
		} else {
			l.Nodes = lk.domainPaths(name)
		}
		l.Formula = "the journey burns its budget while " + kind + " " + name + " (a dominant contributor) is degraded"
		l.Contributors = []string{kind + " " + name}
	case prom.AlertAbsent:
		if c := r.Labels["component"]; c != "" {
			l.Nodes = lk.leafPaths(c)
		}
		l.Formula = "the journey SLI or a leaf series is absent"
	case prom.AlertLatency:
		l.Nodes = lk.allPaths()
		l.Formula = "the latency upper bound exceeds the objective"
	default:
		l.Formula = "alert expression"
	}
}

// QueryLinks links named queries of artifact (gate metrics) to the whole
// journey: each evaluates the journey algebra.
func QueryLinks(artifact, kind, formula string, qs []Query, j *model.Journey, ev *compute.Evaluation) ([]Link, error) {
	lk := linker{j: j, ev: ev}
	var out []Link
	for _, q := range qs {
		in := q.Inputs
		if in == nil {
			var err error
			if in, err = selectors(q.Expr); err != nil {
				return nil, fmt.Errorf("%s: %w", q.Name, err)
			}
		}
		out = append(out, Link{Artifact: artifact, Kind: kind, Name: q.Name, Nodes: lk.allPaths(),
			Formula: formula, Inputs: in, Contributors: lk.contributors()})
	}
	return out, nil
}

// SLOLinks links the OpenSLO documents of artifact: the journey SLO
// (named journeySLO) to the root, and each component's allocation SLO
// (componentSLO[c]) to its leaves, with the allocated target.
func SLOLinks(artifact, journeySLO string, componentSLO map[string]string, targets map[string]float64, j *model.Journey, ev *compute.Evaluation) []Link {
	lk := linker{j: j, ev: ev}
	out := []Link{{Artifact: artifact, Kind: "OpenSLO SLO", Name: journeySLO, Nodes: lk.rootPath(),
		Formula: fmt.Sprintf("journey objective %g over %s on the pessimistic SLI", j.Objective.Availability, j.Objective.Window),
		Inputs:  []string{prom.PessimisticRecord(j.Objective.Window)}}}
	for _, c := range slices.Sorted(maps.Keys(componentSLO)) {
		out = append(out, Link{Artifact: artifact, Kind: "OpenSLO SLO", Name: componentSLO[c], Nodes: lk.leafPaths(c),
			Formula:  fmt.Sprintf("allocated availability %g: every component's unavailability scaled by one factor so that A− stays at the journey target", targets[c]),
			Inputs:   []string{},
			Evidence: lk.evidence(c)})
	}
	return out
}

func (lk linker) steps(keep func(compute.Step) bool) []string {
	out := []string{}
	for _, s := range lk.ev.Availability.Trace {
		if keep(s) {
			out = append(out, s.Path)
		}
	}
	return out
}

func (lk linker) allPaths() []string { return lk.steps(func(compute.Step) bool { return true }) }

func (lk linker) rootPath() []string {
	if t := lk.ev.Availability.Trace; len(t) > 0 {
		return []string{t[0].Path}
	}
	return []string{}
}

func (lk linker) rootFormula() string {
	if t := lk.ev.Availability.Trace; len(t) > 0 {
		return t[0].Formula
	}
	return ""
}

func (lk linker) leafPaths(c string) []string {
	return lk.steps(func(s compute.Step) bool { return s.Kind == "leaf" && s.Expr == c })
}

// domainPaths returns the leaves of the components in domain d.
func (lk linker) domainPaths(d string) []string {
	return lk.steps(func(s compute.Step) bool {
		c := lk.j.Components[s.Expr]
		return s.Kind == "leaf" && c != nil && (slices.Contains(c.Domains, d) || slices.Contains(c.InferredDomains, d))
	})
}

// paramPaths returns the Cond nodes with a probability bound to p.
func (lk linker) paramPaths(p string) []string {
	var conds []string
	journey.Walk(lk.j.Root, func(n journey.Node) bool {
		if c, ok := n.(*journey.Cond); ok {
			for _, pr := range c.Probs {
				if pr.Param == p {
					conds = append(conds, c.String())
					break
				}
			}
		}
		return true
	})
	return lk.steps(func(s compute.Step) bool { return s.Kind == "cond" && slices.Contains(conds, s.Expr) })
}

func (lk linker) evidence(c string) []string {
	comp := lk.j.Components[c]
	if comp == nil {
		return nil
	}
	out := []string{"availability: " + comp.Availability.Source}
	if t := comp.Telemetry; t != nil && t.Source != "" {
		out = append(out, "telemetry: "+t.Source)
	}
	if comp.MissingData != "" {
		out = append(out, "missing data counts as "+comp.MissingData)
	}
	if comp.LatencySource != "" {
		out = append(out, "latency: "+comp.LatencySource)
	}
	return out
}

func (lk linker) contributors() []string {
	var out []string
	for _, c := range lk.ev.Contributors {
		if c.BudgetShare > 0 && len(out) < 3 {
			out = append(out, fmt.Sprintf("%s %s (%.1f%% of the budget)", c.Kind, c.Name, 100*c.BudgetShare))
		}
	}
	return out
}

// selectors returns the series selectors expr reads, printed, sorted and
// deduplicated.
func selectors(expr string) ([]string, error) {
	e, err := promql.Parser().ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			seen[vs.String()] = true
		}
		return nil
	})
	return slices.Sorted(maps.Keys(seen)), nil
}

// recordFamilies are the names of the recorded families without their
// window suffix.
var recordFamilies = []string{prom.LeafRecord(""), prom.ParameterRecord(""), prom.OptimisticRecord(""),
	prom.PessimisticRecord(""), prom.BurnRecord(""), prom.LatencyRecord(""),
	trimWindow(prom.GoodTileRecord()), trimWindow(prom.TotalTileRecord()),
	prom.NodeRecord("optimistic", ""), prom.NodeRecord("pessimistic", ""), prom.NodeRecord("", ""), prom.NodeLatencyRecord("")}

// trimWindow drops the tile window from a tile record's name.
func trimWindow(record string) string {
	return strings.TrimSuffix(record, pmodel.Duration(prom.TileWindow).String())
}

// nodePaths returns the trace path an intermediate rule's node label
// names (its "#k" suffix dropped), or the root's.
func (lk linker) nodePaths(node string) []string {
	if i := strings.LastIndexByte(node, '#'); i >= 0 {
		node = node[:i]
	}
	for _, s := range lk.ev.Availability.Trace {
		if s.Path == node {
			return []string{node}
		}
	}
	return lk.rootPath()
}

// splitWindow splits a record name into the family it starts with and
// the window after it; a name of no family is returned whole.
func splitWindow(name string, families []string) (family, w string) {
	for _, f := range families {
		if w, ok := strings.CutPrefix(name, f); ok {
			return f, w
		}
	}
	return name, ""
}

func without(m map[string]string, key string) map[string]string {
	out := maps.Clone(m)
	delete(out, key)
	if len(out) == 0 {
		return nil
	}
	return out
}

func union(a, b []string) []string {
	set := map[string]bool{}
	for _, s := range append(slices.Clone(a), b...) {
		set[s] = true
	}
	return slices.Sorted(maps.Keys(set))
}
