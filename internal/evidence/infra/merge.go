package infra

import (
	"maps"
	"slices"
)

// Merge combines evidence read from several sources (for example the
// Kubernetes manifests and the mesh configuration). Lists are
// concatenated and re-sorted; domains of the same name are united: a
// component in both has its confidences combined by noisy-OR, as
// independent evidence, and the domain's confidence is again its lowest
// member confidence. Merging never lowers a member's confidence.
func Merge(evs ...Evidence) Evidence {
	var out Evidence
	domains := map[string]*Domain{}
	var order []string
	for _, ev := range evs {
		out.Workloads = append(out.Workloads, ev.Workloads...)
		out.Routes = append(out.Routes, ev.Routes...)
		out.Policies = append(out.Policies, ev.Policies...)
		out.Externals = append(out.Externals, ev.Externals...)
		out.Warnings = append(out.Warnings, ev.Warnings...)
		for _, d := range ev.Domains {
			acc, ok := domains[d.Name]
			if !ok {
				acc = &Domain{Name: d.Name, MemberConfidence: map[string]float64{}}
				domains[d.Name] = acc
				order = append(order, d.Name)
			}
			unite(acc, d)
		}
	}
	for _, name := range order {
		d := domains[name]
		d.Members = slices.Sorted(maps.Keys(d.MemberConfidence))
		d.Confidence = minConfidence(d.MemberConfidence)
		out.Domains = append(out.Domains, *d)
	}
	out.sort()
	return out
}

// unite adds d's members and signals to acc.
func unite(acc *Domain, d Domain) {
	for _, m := range d.Members {
		c, ok := d.MemberConfidence[m]
		if !ok {
			c = d.Confidence
		}
		if old, ok := acc.MemberConfidence[m]; ok {
			c = round4(1 - (1-old)*(1-c))
		}
		acc.MemberConfidence[m] = c
	}
	acc.Signals = append(acc.Signals, d.Signals...)
}
