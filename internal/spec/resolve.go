package spec

import (
	"maps"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/emac-dev/emac/api/v1alpha1"
	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/limits"
	"github.com/emac-dev/emac/internal/model"
)

// Options tune how a Bundle is mapped onto the model.
type Options struct {
	// Model, when set, names the file of the DiscoveredJourneyModel to
	// consult instead of the one the intent references.
	Model string
	// ReadFile reads files that specs refer to (samplesFile); nil forbids
	// such references.
	ReadFile func(name string) ([]byte, error)
	// Limits bound the tree's size and the evidence read (zero fields
	// take limits.Default's values).
	Limits limits.Limits
}

// Resolve maps every JourneyIntent of the bundle onto the internal model,
// resolving OpenSLO references and discovered models. sources holds the file
// contents (for positions inside block-scalar expressions). Journeys with
// errors are still returned; callers check diags.HasErrors().
func (b *Bundle) Resolve(sources map[string][]byte, opts Options, diags *diag.List) []*model.Journey {
	r := &resolver{bundle: b, sources: sources, opts: opts, diags: diags, slos: map[string]*v1alpha1.SLO{}}
	for _, s := range b.SLOs {
		if prev, dup := r.slos[s.Metadata.Name]; dup {
			diags.Errorf(s.Metadata.Pos, "duplicate OpenSLO SLO %q (first defined at %s)", s.Metadata.Name, prev.Pos)
			continue
		}
		r.slos[s.Metadata.Name] = s
	}
	var out []*model.Journey
	seen := map[string]diag.Pos{}
	for _, in := range b.Intents {
		if prev, dup := seen[in.Metadata.Name]; dup && in.Metadata.Name != "" {
			diags.Errorf(in.Metadata.Pos, "duplicate JourneyIntent %q (first defined at %s)", in.Metadata.Name, prev)
			continue
		}
		seen[in.Metadata.Name] = in.Pos
		out = append(out, r.journey(in))
	}
	return out
}

type resolver struct {
	// lenient is set while resolving an intent that failed to decode:
	// missing required fields are then not reported (they are usually
	// misspelled, and already reported as unknown).
	lenient bool
	bundle  *Bundle
	sources map[string][]byte
	opts    Options
	diags   *diag.List
	slos    map[string]*v1alpha1.SLO
}

func (r *resolver) journey(in *v1alpha1.JourneyIntent) *model.Journey {
	j := &model.Journey{Name: in.Metadata.Name, Pos: in.Pos, Components: map[string]*model.Component{}}
	r.lenient = r.bundle.malformed[in]
	if j.Name == "" && !r.lenient {
		r.diags.Errorf(in.Pos, "JourneyIntent needs metadata.name")
	}
	r.checkJourneyName(j.Name, orPos(in.Metadata.Pos, in.Pos))
	s := &in.Spec
	j.Objective = r.objective(&s.Objectives, in.Pos)
	j.Governance = r.governance(s.Governance)
	for _, name := range slices.Sorted(maps.Keys(s.Components)) {
		c := s.Components[name]
		j.Components[name] = r.component(name, &c, j.Governance.ConfidenceLevel)
	}
	before := len(r.diags.Errors())
	j.Params = r.params(s.Parameters)
	j.Root = r.tree(s, in.Pos)
	if j.Root != nil && len(r.diags.Errors()) == before {
		r.checkTree(j)
	}
	r.checkDomainRules(s.FailureDomains)
	r.attachDiscovered(j, s.Evidence)
	return j
}

func (r *resolver) tree(s *v1alpha1.IntentSpec, docPos diag.Pos) journey.Node {
	switch {
	case s.Operator != nil && s.Expr != nil:
		r.diags.Errorf(s.Expr.Pos, "spec has both operator and expr; write the tree once")
		return nil
	case s.Operator != nil:
		b := &treeBuilder{diags: r.diags}
		return b.build(s.Operator)
	case s.Expr != nil:
		return parseExpr(s.Expr, r.sources[s.Expr.Pos.File], r.diags)
	}
	if !r.lenient {
		r.diags.Errorf(orPos(s.Pos, docPos), "spec needs the journey's control flow: operator (a tree) or expr (an expression)")
	}
	return nil
}

func orPos(p, fallback diag.Pos) diag.Pos {
	if p.IsValid() {
		return p
	}
	return fallback
}

func (r *resolver) checkTree(j *model.Journey) {
	known := map[string]bool{}
	for name := range j.Components {
		known[name] = true
	}
	values := map[string]float64{}
	for name, p := range j.Params {
		values[name] = p.Value
	}
	if size := journey.CheckSize(j.Root, r.opts.Limits); size.HasErrors() {
		r.diags.Append(size)
		return
	}
	d := journey.Validate(j.Root, known, values)
	r.diags.Append(d)
	if !d.HasErrors() {
		journey.Bind(j.Root, values)
	}
	for _, name := range journey.UnusedComponents(j.Root, j.ComponentNames()) {
		r.diags.Warnf(j.Components[name].Pos, "component %q is declared but not used by the journey's operator tree", name)
	}
}

func (r *resolver) params(in map[string]v1alpha1.Parameter) map[string]model.Param {
	out := map[string]model.Param{}
	for _, name := range slices.Sorted(maps.Keys(in)) {
		p := in[name]
		r.checkIdent("parameter", name, p.Pos)
		if p.Value == nil {
			r.diags.Errorf(p.Pos, "parameter %q needs value (used offline; query makes generated rules follow it live)", name)
			continue
		}
		out[name] = model.Param{Value: *p.Value, Query: strings.TrimSpace(p.Query)}
	}
	return out
}

func (r *resolver) objective(o *v1alpha1.Objectives, docPos diag.Pos) model.Objective {
	var out model.Objective
	if o.Availability == nil && o.Latency == nil {
		if r.lenient {
			return out
		}
		r.diags.Errorf(orPos(o.Pos, docPos), "spec.objectives needs an availability or a latency objective")
		return out
	}
	if a := o.Availability; a != nil {
		if !(a.Target > 0 && a.Target < 1) && !reported(a.Target) {
			r.diags.Errorf(a.Pos, "availability target must be between 0 and 1 (exclusive), got %s", journey.FormatFloat(a.Target))
		}
		out.Availability, out.Window = a.Target, r.window(a.Window, a.Pos)
		if a.SLI != nil {
			out.GoodQuery, out.TotalQuery = strings.TrimSpace(a.SLI.GoodEventQuery), strings.TrimSpace(a.SLI.TotalEventQuery)
		}
	}
	if l := o.Latency; l != nil {
		out.Latency = r.latencyObjective(l)
		if out.Window == "" {
			out.Window = out.Latency.Window
		}
	}
	return out
}

func (r *resolver) window(w string, pos diag.Pos) string {
	if w == "" {
		return "30d"
	}
	if s, err := v1alpha1.ParseDuration(w); err != nil || s <= 0 {
		r.diags.Errorf(pos, "window %q is not a positive duration such as 30d", w)
	}
	return w
}

func (r *resolver) latencyObjective(l *v1alpha1.LatencyObjective) *model.LatencyObjective {
	out := &model.LatencyObjective{Window: r.window(l.Window, l.Pos)}
	if l.Objective == nil {
		r.diags.Errorf(l.Pos, "latency objective needs objective: {metric: p99, threshold: 0.4}")
		return out
	}
	q, ok := parseQuantile(l.Objective.Metric)
	if !ok {
		r.diags.Errorf(l.Objective.Pos, "latency metric %q is not a percentile such as p50, p99 or p99.9", l.Objective.Metric)
	}
	out.Quantile = q
	if t := l.Objective.Threshold; t == nil || t.Seconds <= 0 {
		r.diags.Errorf(l.Objective.Pos, "latency objective needs a positive threshold (seconds, or a duration such as 400ms)")
	} else {
		out.ThresholdSeconds = t.Seconds
	}
	return out
}

// parseQuantile reads "p99" or "p99.9" as 0.99 or 0.999.
func parseQuantile(metric string) (float64, bool) {
	rest, ok := strings.CutPrefix(strings.ToLower(metric), "p")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(rest, 64)
	if err != nil || v <= 0 || v >= 100 {
		return 0, false
	}
	return v / 100, true
}

func (r *resolver) governance(g *v1alpha1.Governance) model.Governance {
	out := model.Governance{AvailabilityBound: "pessimistic", LatencyBound: "upperConfidence",
		MinConfidence: 0.8, ConfidenceLevel: 0.95, MaxCanaryBurnRate: 1}
	if g == nil {
		return out
	}
	out.BurnRates = r.burnRates(g)
	if pd := g.ProgressiveDelivery; pd != nil && pd.Gate != nil && pd.Gate.MaxCanaryBurnRate != nil {
		out.MaxCanaryBurnRate = *pd.Gate.MaxCanaryBurnRate
		if out.MaxCanaryBurnRate <= 0 {
			r.diags.Errorf(pd.Gate.Pos, "maxCanaryBurnRate must be positive")
		}
	}
	if m := g.EvaluationMode; m != "" && m != "conservative" && m != "optimistic" {
		r.diags.Errorf(g.Pos, "evaluationMode %q is not supported (want conservative or optimistic)", m)
	}
	if b := g.UseBoundsForAutomation; b != nil {
		out.AvailabilityBound = r.enum(b.Availability, out.AvailabilityBound, b.Pos, "availability bound", "pessimistic", "optimistic")
		out.LatencyBound = r.enum(b.Latency, out.LatencyBound, b.Pos, "latency bound", "upperConfidence", "dependenceFree", "estimate")
	}
	if g.MinConfidence != nil {
		out.MinConfidence = r.unit(*g.MinConfidence, g.Pos, "minConfidence", true)
	}
	if g.ConfidenceLevel != nil {
		out.ConfidenceLevel = r.unit(*g.ConfidenceLevel, g.Pos, "confidenceLevel", false)
	}
	return out
}

func (r *resolver) enum(v, def string, pos diag.Pos, what string, allowed ...string) string {
	if v == "" {
		return def
	}
	if !slices.Contains(allowed, v) {
		r.diags.Errorf(pos, "%s %q is not supported (want %s)", what, v, strings.Join(allowed, ", "))
		return def
	}
	return v
}

// unit checks that v lies in [0,1] (or (0,1) when closed is false).
func (r *resolver) unit(v float64, pos diag.Pos, what string, closed bool) float64 {
	ok := v >= 0 && v <= 1
	if !closed {
		ok = v > 0 && v < 1
	}
	if !ok && !reported(v) {
		r.diags.Errorf(pos, "%s must be between 0 and 1, got %s", what, journey.FormatFloat(v))
	}
	return v
}

// reported tells a number that failed to decode (the decoder stores NaN
// after reporting it, and refuses NaN written in the input), so that range
// checks do not report it a second time.
func reported(v float64) bool { return math.IsNaN(v) }

func (r *resolver) checkDomainRules(fd *v1alpha1.FailureDomains) {
	if fd == nil {
		return
	}
	seen := map[string]bool{}
	for _, rule := range fd.Rules {
		if rule.Name == "" {
			r.diags.Errorf(rule.Pos, "failure-domain rule needs name")
		} else {
			r.checkDomain("failure-domain rule", rule.Name, rule.Pos)
		}
		if seen[rule.Name] {
			r.diags.Errorf(rule.Pos, "duplicate failure-domain rule %q", rule.Name)
		}
		seen[rule.Name] = true
		if rule.Kind != "" && rule.Kind != "declared" && rule.Kind != "inferred" {
			r.diags.Errorf(rule.Pos, "failure-domain rule kind %q is not supported (want declared or inferred)", rule.Kind)
		}
	}
}

// dirOf returns the directory of a slash- or OS-separated file name.
func dirOf(file string) string { return path.Dir(strings.ReplaceAll(file, "\\", "/")) }
