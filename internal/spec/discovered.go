package spec

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/emac-dev/emac/api/v1alpha1"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// findDiscovered picks the discovered model for a journey: the --model file
// if given (for the journey of the model's metadata.name; with a single
// journey, whatever its name, with a warning), else the intent's
// discoveredModelRef (resolved against the intent's directory), else a
// model whose metadata.name is the journey's.
func (r *resolver) findDiscovered(j *model.Journey, ev *v1alpha1.Evidence) *v1alpha1.DiscoveredJourneyModel {
	if r.opts.Model != "" {
		for _, m := range r.bundle.Discovered {
			if !samePath(m.Pos.File, r.opts.Model) {
				continue
			}
			switch {
			case m.Metadata.Name == j.Name:
				return m
			case len(r.bundle.Intents) == 1:
				r.diags.Warnf(m.Metadata.Pos, "model %q is applied to journey %q, the only journey read", m.Metadata.Name, j.Name)
				return m
			}
		}
		return nil
	}
	if ev != nil && ev.ModelDiscovery != nil && ev.ModelDiscovery.DiscoveredModelRef != "" {
		md := ev.ModelDiscovery
		want := RefPath(j.Pos.File, md.DiscoveredModelRef)
		for _, m := range r.bundle.Discovered {
			if samePath(m.Pos.File, want) {
				return m
			}
		}
		r.diags.Errorf(md.Pos, "discoveredModelRef %q: no DiscoveredJourneyModel was read from %s", md.DiscoveredModelRef, want)
		return nil
	}
	for _, m := range r.bundle.Discovered {
		if m.Metadata.Name == j.Name {
			return m
		}
	}
	return nil
}

// RefPath resolves a reference written in file against the file's directory.
func RefPath(file, ref string) string {
	if path.IsAbs(ref) {
		return path.Clean(ref)
	}
	return path.Join(dirOf(file), ref)
}

func samePath(a, b string) bool { return path.Clean(a) == path.Clean(b) }

// attachDiscovered joins a discovered model's failure-domain hypotheses with
// the declared ones: the union is used, and any disagreement marks the
// journey for review.
func (r *resolver) attachDiscovered(j *model.Journey, ev *v1alpha1.Evidence) {
	m := r.findDiscovered(j, ev)
	if m == nil {
		return
	}
	d := &model.Discovered{Name: m.Metadata.Name, File: m.Pos.File, Confidence: 1, Domains: map[string][]string{},
		DomainConfidence: map[string]float64{}, Components: map[string]*model.Component{}, NodeConfidence: map[string]float64{}}
	if c := m.Spec.Confidence; c != nil {
		if c.Overall < 0 || c.Overall > 1 {
			r.diags.Errorf(c.Pos, "confidence.overall must be between 0 and 1")
		}
		d.Confidence = c.Overall
	}
	j.Discovered = d
	r.discoveredTree(j, m, d)
	if m.Spec.FailureDomains == nil {
		return
	}
	hyps := slices.Concat(m.Spec.FailureDomains.Inferred, m.Spec.FailureDomains.Declared)
	for _, h := range hyps {
		r.checkDomain("discovered model "+quoteName(m.Metadata.Name), h.Name, h.Pos)
		members := slices.Compact(slices.Sorted(slices.Values(append(d.Domains[h.Name], h.Members...))))
		d.Domains[h.Name] = members
		if h.Confidence < 0 || h.Confidence > 1 {
			r.diags.Errorf(h.Pos, "confidence must be between 0 and 1")
		}
		if h.Confidence > 0 { // unset: the model's overall confidence stands for it
			d.DomainConfidence[h.Name] = max(d.DomainConfidence[h.Name], h.Confidence)
		}
	}
	for _, h := range hyps {
		for _, member := range h.Members {
			if _, ok := j.Components[member]; !ok && d.Components[member] == nil {
				r.diags.Warnf(h.Pos, "discovered domain %q names %q, which is not a component of journey %q", h.Name, member, j.Name)
			}
		}
	}
	r.joinDomains(j, d)
}

func (r *resolver) joinDomains(j *model.Journey, d *model.Discovered) {
	for _, domain := range slices.Sorted(maps.Keys(d.Domains)) {
		members := d.Domains[domain]
		for _, name := range j.ComponentNames() {
			c := j.Components[name]
			declared := slices.Contains(c.Domains, domain)
			inferred := slices.Contains(members, name)
			switch {
			case inferred && !declared:
				c.InferredDomains = append(c.InferredDomains, domain)
				j.Review = append(j.Review, fmt.Sprintf(
					"discovered model %s places %s in failure domain %s, which the intent does not declare (using the union until the delta is accepted)",
					d.Name, name, domain))
			case declared && !inferred && declaresAnyone(j, members):
				j.Review = append(j.Review, fmt.Sprintf(
					"intent places %s in failure domain %s but the discovered model %s lists only %s (using the union until the delta is accepted)",
					name, domain, d.Name, strings.Join(members, ", ")))
			}
		}
	}
}

// declaresAnyone reports whether the discovered members of a domain include
// a component of the journey (a hypothesis about an unrelated domain says
// nothing about this journey's components).
func declaresAnyone(j *model.Journey, members []string) bool {
	for _, m := range members {
		if _, ok := j.Components[m]; ok {
			return true
		}
	}
	return false
}

// discoveredTree reads the model's operator tree and component evidence,
// when it has them: the tree's leaves must be components of the intent or
// of the model.
func (r *resolver) discoveredTree(j *model.Journey, m *v1alpha1.DiscoveredJourneyModel, d *model.Discovered) {
	s := &m.Spec
	for _, name := range slices.Sorted(maps.Keys(s.Components)) {
		c := s.Components[name]
		d.Components[name] = r.component(name, &v1alpha1.Component{Pos: c.Pos, Kind: c.Kind,
			Availability: c.Availability, Latency: c.Latency}, j.Governance.ConfidenceLevel)
		if c.Confidence != nil && (*c.Confidence < 0 || *c.Confidence > 1) {
			r.diags.Errorf(c.Pos, "confidence must be between 0 and 1")
		}
	}
	for _, n := range s.Nodes {
		if n.Confidence < 0 || n.Confidence > 1 {
			r.diags.Errorf(n.Pos, "confidence must be between 0 and 1")
		}
		d.NodeConfidence[n.Path] = n.Confidence
	}
	var root journey.Node
	switch {
	case s.Operator != nil && s.Expr != nil:
		r.diags.Errorf(s.Expr.Pos, "discovered model has both operator and expr; write the tree once")
	case s.Operator != nil:
		root = (&treeBuilder{diags: r.diags}).build(s.Operator)
	case s.Expr != nil:
		root = parseExpr(s.Expr, r.sources[s.Expr.Pos.File], r.diags)
	}
	if root == nil {
		return
	}
	known := map[string]bool{}
	for name := range j.Components {
		known[name] = true
	}
	for name := range d.Components {
		known[name] = true
	}
	values := map[string]float64{}
	for name, p := range j.Params {
		values[name] = p.Value
	}
	diags := journey.Validate(root, known, values)
	r.diags.Append(diags)
	if !diags.HasErrors() {
		journey.Bind(root, values)
		d.Root = root
	}
}
