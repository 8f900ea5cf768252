package spec

import (
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/emac-dev/emac/api/v1alpha1"
	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
)

var componentKinds = []string{"service", "external_dependency", "database", "queue", "cache", "function"}

func (r *resolver) component(name string, c *v1alpha1.Component, level float64) *model.Component {
	out := &model.Component{Name: name, Kind: c.Kind, Pos: c.Pos, MissingData: "ignore"}
	if name == "skip" {
		r.diags.Errorf(c.Pos, "component name %q is reserved for the optional step", name)
	}
	r.checkIdent("component", name, c.Pos)
	if c.Kind != "" && !slices.Contains(componentKinds, c.Kind) {
		r.diags.Warnf(c.Pos, "component %q has unusual kind %q (known: %s)", name, c.Kind, strings.Join(componentKinds, ", "))
	}
	switch c.MissingData {
	case "", "ignore":
	case "good", "bad":
		out.MissingData = c.MissingData
	default:
		r.diags.Errorf(c.Pos, "component %q: missingData %q is not supported (want good, bad or ignore)", name, c.MissingData)
	}
	for _, d := range c.FailureDomains {
		if d == "" {
			r.diags.Errorf(c.Pos, "component %q has an empty failure-domain name", name)
		} else {
			r.checkDomain("component "+quoteName(name), d, c.Pos)
		}
	}
	out.Domains = slices.Compact(slices.Sorted(slices.Values(c.FailureDomains)))
	out.Availability = r.availability(name, c, level)
	out.Latency, out.LatencySource = r.latency(name, c.Latency)
	out.Telemetry = r.telemetry(name, c)
	return out
}

func (r *resolver) availability(name string, c *v1alpha1.Component, level float64) model.Availability {
	switch {
	case c.Availability != nil && c.AtomicSLORef != "":
		r.diags.Errorf(c.Availability.Pos, "component %q has both availability and atomicSLORef; give one", name)
	case c.Availability != nil:
		return r.inlineAvailability(name, c.Availability, level)
	case c.AtomicSLORef != "":
		return r.sloAvailability(name, c)
	default:
		r.diags.Errorf(c.Pos, "component %q has no availability evidence: set availability (a number or {good, total}) or atomicSLORef", name)
	}
	return model.Availability{Point: 1, Lower: 1}
}

func (r *resolver) inlineAvailability(name string, a *v1alpha1.AvailabilityEvidence, level float64) model.Availability {
	if a.Value != nil {
		v := *a.Value
		if !(v > 0 && v <= 1) && !reported(v) {
			r.diags.Errorf(a.Pos, "component %q: availability must be in (0, 1], got %s", name, journey.FormatFloat(v))
		}
		return model.Availability{Point: v, Lower: v, Source: "inline"}
	}
	if a.Good == nil || a.Total == nil {
		return model.Availability{Point: 1, Lower: 1} // reported while decoding
	}
	good, total := *a.Good, *a.Total
	if reported(good) || reported(total) {
		return model.Availability{Point: 1, Lower: 1}
	}
	if !(total > 0 && good >= 0 && good <= total) || math.IsInf(total, 0) {
		r.diags.Errorf(a.Pos, "component %q: need 0 <= good <= total and total > 0, got good=%s total=%s",
			name, journey.FormatFloat(good), journey.FormatFloat(total))
		return model.Availability{Point: 1, Lower: 1}
	}
	return model.Availability{
		Point: good / total, Lower: WilsonLower(good, total, level),
		Good: good, Total: total, Source: "inline counts",
	}
}

// WilsonLower returns the lower end of the two-sided Wilson score interval
// for good successes in total trials at the given confidence level.
func WilsonLower(good, total, level float64) float64 {
	if total <= 0 {
		return 0
	}
	z := law.NormalQuantile(1 - (1-level)/2)
	p := good / total
	z2n := z * z / total
	centre := p + z2n/2
	half := z * math.Sqrt(p*(1-p)/total+z2n/(4*total))
	return max(0, (centre-half)/(1+z2n))
}

func (r *resolver) sloAvailability(name string, c *v1alpha1.Component) model.Availability {
	ref, ok := strings.CutPrefix(c.AtomicSLORef, "openslo:")
	if !ok {
		r.diags.Errorf(c.Pos, "component %q: atomicSLORef %q must look like openslo:NAME", name, c.AtomicSLORef)
		return model.Availability{Point: 1, Lower: 1}
	}
	slo, ok := r.slos[ref]
	if !ok {
		r.diags.Errorf(c.Pos, "component %q: atomicSLORef names OpenSLO SLO %q, which is not among the documents read%s",
			name, ref, r.closeSLO(ref))
		return model.Availability{Point: 1, Lower: 1}
	}
	target, ok := sloTarget(slo)
	if !ok {
		r.diags.Errorf(slo.Spec.Pos, "OpenSLO SLO %q has no ratio objective with a target in (0, 1] (needed by component %q)", ref, name)
		return model.Availability{Point: 1, Lower: 1}
	}
	return model.Availability{Point: target, Lower: target, Source: "openslo:" + ref}
}

// sloTarget returns the first objective target of an SLO (target, or
// targetPercent/100), ignoring threshold objectives that carry op/value.
func sloTarget(s *v1alpha1.SLO) (float64, bool) {
	for _, o := range s.Spec.Objectives {
		if o.Op != "" || o.Value != nil {
			continue
		}
		t := -1.0
		switch {
		case o.Target != nil:
			t = *o.Target
		case o.TargetPercent != nil:
			t = *o.TargetPercent / 100
		}
		if t > 0 && t <= 1 {
			return t, true
		}
	}
	return 0, false
}

func (r *resolver) closeSLO(ref string) string {
	if len(r.slos) == 0 {
		return " (no OpenSLO SLO documents were read; pass their directory too)"
	}
	return diag.DidYouMean(ref, slices.Sorted(maps.Keys(r.slos)))
}
