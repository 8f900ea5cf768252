package infra

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// meshNotes resolves the routes and traffic policies onto the journey.
func (a *attacher) meshNotes() {
	conflicting := a.routeConflicts()
	shadowed := shadowedRules(a.ev.Routes)
	for i := range a.ev.Routes {
		r := &a.ev.Routes[i]
		hosts := a.hostTargets(r.Host, r.Namespace)
		if len(hosts) == 0 {
			a.notes.add(NoteUnused, r.ObjectSource, fmt.Sprintf("%s routes host %s, which none of the journey's components is named after or backed by", r.Object, r.Host))
			continue
		}
		a.ruleNotes(r, hosts)
		switch {
		case shadowed[r] != "":
			a.notes.add(NoteShadowed, r.Source, fmt.Sprintf("%s, %s rule %d for %s never applies: the earlier rule at %s takes every request",
				r.Object, r.Protocol, r.Rule, r.Host, shadowed[r]), hosts...)
		case !conflicting[r]:
			a.route(r, hosts)
		}
	}
	a.policyNotes()
}

// ruleNotes notes a rule's match, faults and weights.
func (a *attacher) ruleNotes(r *Route, hosts []string) {
	if r.Match != "" {
		a.notes.add(NoteMatch, r.Source, fmt.Sprintf("%s, %s rule %d for %s applies only to requests matching %s: their share of the traffic is not in the configuration, "+
			"so the rule's edges are conditional and later rules take the rest", r.Object, r.Protocol, r.Rule, r.Host, r.Match), hosts...)
	}
	for _, f := range r.Faults {
		scope := "on every request to " + r.Host
		if r.Match != "" {
			scope = "on the requests to " + r.Host + " matching " + r.Match
		}
		a.notes.add(NoteFault, f.Source, fmt.Sprintf("%s injects a fault, %s, %s%s", r.Object, f, scope, a.faultEvidence(r, f, hosts)), hosts...)
	}
	if r.Weights != "" {
		a.notes.add(NoteWeights, r.Source, fmt.Sprintf("%s, %s rule %d for %s: %s", r.Object, r.Protocol, r.Rule, r.Host, r.Weights), hosts...)
	}
}

// route draws a rule's edges and notes it, with what the traces say.
func (a *attacher) route(r *Route, hosts []string) {
	n := r.Node()
	if n == nil {
		return
	}
	var parts, leaves []string
	for _, d := range r.Split {
		if d.Weight <= 0 {
			continue
		}
		to, folded := a.destTargets(r, d)
		desc := a.describeDest(r, d)
		if len(to) == 0 {
			a.notes.add(NoteUnresolved, r.Source, fmt.Sprintf("%s: destination %s is none of the journey's components", r.Object, desc), hosts...)
			continue
		}
		how := "→ " + strings.Join(to, ", ")
		if folded {
			how = "folded onto " + strings.Join(to, ", ")
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", desc, fmtFloat(d.Weight), how))
		leaves = append(leaves, to...)
		for _, t := range to {
			e := Edge{From: r.Component, To: t, Weight: round4(d.Weight), Conditional: r.Match != "", Source: r.Source,
				Notes: fmt.Sprintf("%s: %s %s", r.Source, n, desc)}
			if r.Match != "" {
				e.Notes += " when " + r.Match
			}
			a.edges = append(a.edges, e)
		}
	}
	if len(parts) == 0 {
		return
	}
	msg := fmt.Sprintf("Istio route %s (%s, %s rule %d) is %s; %s; destinations: %s", r.Host, r.Object, r.Protocol, r.Rule, n,
		deadlineAgreement(a.j.Root, r, leaves), strings.Join(parts, "; "))
	if s := a.splitAgreement(r); s != "" {
		msg += "; " + s
	}
	if len(r.Notes) > 0 {
		msg += "; " + strings.Join(r.Notes, "; ")
	}
	a.notes.add(NoteRoute, r.Source, msg, hosts...)
}

// describeDest renders a destination: its host, and its subset with the
// version its labels select.
func (a *attacher) describeDest(r *Route, d Destination) string {
	if d.Subset == "" {
		return d.Host
	}
	sub, ok := a.subset(d.Host, r.Namespace, d.Subset)
	if !ok {
		a.notes.add(NoteUnresolved, r.Source, fmt.Sprintf("%s: subset %s of %s is defined by no DestinationRule read; Istio fails such requests (503) unless one defined elsewhere applies",
			r.Object, d.Subset, d.Host))
		return fmt.Sprintf("%s subset %s", d.Host, d.Subset)
	}
	if v := sub.Labels["version"]; v != "" {
		return fmt.Sprintf("%s subset %s (version %s)", d.Host, d.Subset, v)
	}
	return fmt.Sprintf("%s subset %s (labels %s)", d.Host, d.Subset, labelString(sub.Labels))
}

func labelString(labels map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		out = append(out, k+"="+labels[k])
	}
	return strings.Join(out, ",")
}

// subset finds a subset of a host among the DestinationRules.
func (a *attacher) subset(host, objectNS, name string) (Subset, bool) {
	short, ns := shortHost(host), hostNamespace(host, objectNS)
	for _, p := range a.ev.Policies {
		if p.Component != short || ns != "" && hostNamespace(p.Host, p.Namespace) != "" && hostNamespace(p.Host, p.Namespace) != ns {
			continue
		}
		for _, s := range p.Subsets {
			if s.Name == name {
				return s, true
			}
		}
	}
	return Subset{}, false
}

// destTargets returns the targets a destination resolves to: those
// specific to its subset — named host-subset, or backed only by
// workloads that the host's Service selects and the subset's labels
// match — else the host's targets, the subset folded onto its service.
func (a *attacher) destTargets(r *Route, d Destination) ([]string, bool) {
	if d.Subset != "" {
		if specific := a.subsetTargets(r, d); len(specific) > 0 {
			return specific, false
		}
	}
	hosts := a.serviceTargets(d.Host, r.Namespace)
	return hosts, d.Subset != "" && len(hosts) > 0
}

// serviceTargets returns the host's targets that are specific to none of
// its subsets (the components named after the service), or all of them
// when every one is.
func (a *attacher) serviceTargets(host, objectNS string) []string {
	hosts := a.hostTargets(host, objectNS)
	specific := map[string]bool{}
	for _, sub := range a.subsetNames(shortHost(host)) {
		for _, t := range a.subsetTargets(&Route{Namespace: objectNS}, Destination{Host: host, Subset: sub, Component: shortHost(host)}) {
			specific[t] = true
		}
	}
	general := slices.DeleteFunc(slices.Clone(hosts), func(t string) bool { return specific[t] })
	if len(general) == 0 {
		return hosts
	}
	return general
}

// subsetTargets returns the targets specific to a destination's subset.
func (a *attacher) subsetTargets(r *Route, d Destination) []string {
	sub, ok := a.subset(d.Host, r.Namespace, d.Subset)
	selected := map[*Workload]bool{}
	for _, w := range a.idx.services[shortHost(d.Host)] {
		selected[w] = true
	}
	var out []string
	for _, t := range a.targets {
		ws := a.backing[t.Name]
		byLabels := ok && len(sub.Labels) > 0 && len(ws) > 0 && !slices.ContainsFunc(ws, func(w *Workload) bool {
			return !selected[w] || !selects(sub.Labels, w.Labels)
		})
		if slices.Contains(keys(t), d.Name()) || byLabels {
			out = append(out, t.Name)
		}
	}
	return out
}

// routeConflicts finds the routes of hosts that several VirtualServices
// configure (for the same sidecars or the same gateways), notes each such
// host once, and returns the conflicting routes.
func (a *attacher) routeConflicts() map[*Route]bool {
	groups := map[string][]*Route{}
	var order []string
	for i := range a.ev.Routes {
		r := &a.ev.Routes[i]
		k := shortHost(r.Host) + "." + hostNamespace(r.Host, r.Namespace) + "@" + scope(r.Gateways)
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	out := map[*Route]bool{}
	for _, k := range order {
		rs := groups[k]
		var objects []string
		for _, r := range rs {
			objects = append(objects, r.Object+" ("+r.ObjectSource+")")
		}
		objects = slices.Compact(objects)
		if len(objects) < 2 {
			continue
		}
		for _, r := range rs {
			out[r] = true
		}
		hosts := a.hostTargets(rs[0].Host, rs[0].Namespace)
		if len(hosts) == 0 {
			continue
		}
		a.notes.add(NoteConflict, rs[0].ObjectSource, fmt.Sprintf("%d VirtualServices route host %s: %s. Istio does not merge the VirtualServices of one host for sidecars "+
			"(at gateways it merges them in creation order), and kubectl apply keeps only the last of those that share a name, so which rules apply cannot be told from the files: "+
			"no route edges are drawn for %s", len(objects), rs[0].Host, strings.Join(objects, ", "), rs[0].Host), hosts...)
	}
	return out
}

// scope names where a VirtualService applies: its gateways, sorted, "mesh"
// standing for the sidecars (also when no gateway is named).
func scope(gateways []string) string {
	if len(gateways) == 0 {
		return "mesh"
	}
	gs := slices.Clone(gateways)
	slices.Sort(gs)
	return strings.Join(slices.Compact(gs), ",")
}

// shadowedRules returns, for each rule that follows a rule without match
// conditions in the same VirtualService, host and protocol, the source of
// that earlier rule: the rules are tried in order, so it never applies.
func shadowedRules(routes []Route) map[*Route]string {
	catchAll := map[string]string{}
	out := map[*Route]string{}
	order := make([]*Route, len(routes))
	for i := range routes {
		order[i] = &routes[i]
	}
	slices.SortStableFunc(order, func(x, y *Route) int { return x.Rule - y.Rule })
	for _, r := range order {
		k := r.ObjectSource + "|" + r.Host + "|" + r.Protocol
		if src, ok := catchAll[k]; ok {
			out[r] = src
			continue
		}
		if r.Match == "" {
			catchAll[k] = r.Source
		}
	}
	return out
}

// policyNotes notes every traffic policy of the DestinationRules of the
// journey's hosts, and conflicting DestinationRules.
func (a *attacher) policyNotes() {
	byHost := map[string][]Policy{}
	var order []string
	for _, p := range a.ev.Policies {
		hosts := a.hostTargets(p.Host, p.Namespace)
		if len(hosts) == 0 {
			a.notes.add(NoteUnused, p.Source, fmt.Sprintf("%s configures host %s, which none of the journey's components is named after or backed by", p.Object, p.Host))
			continue
		}
		k := p.Component + "." + hostNamespace(p.Host, p.Namespace)
		if byHost[k] == nil {
			order = append(order, k)
		}
		byHost[k] = append(byHost[k], p)
		for _, tp := range p.Traffic {
			comps := hosts
			if tp.Subset != "" {
				if specific := a.subsetTargets(&Route{Namespace: p.Namespace}, Destination{Host: p.Host, Subset: tp.Subset, Component: p.Component}); len(specific) > 0 {
					comps = specific
				}
			}
			a.notes.add(NotePolicy, tp.Source, p.Object+": "+policyMessage(p.Host, tp), comps...)
		}
	}
	for _, k := range order {
		ps := byHost[k]
		if len(ps) < 2 {
			continue
		}
		var objects []string
		for _, p := range ps {
			objects = append(objects, p.Object+" ("+p.Source+")")
		}
		a.notes.add(NoteConflict, ps[0].Source, fmt.Sprintf("%d DestinationRules configure host %s: %s; Istio applies one of them (or merges them, depending on version and exportTo), "+
			"so which subsets and policies apply cannot be told from the files", len(ps), ps[0].Host, strings.Join(objects, ", ")), a.hostTargets(ps[0].Host, ps[0].Namespace)...)
	}
}

// policyMessage explains one traffic policy section.
func policyMessage(host string, tp TrafficPolicy) string {
	on := host
	if tp.Subset != "" {
		on = host + " subset " + tp.Subset
	}
	settings := strings.Join(tp.Settings, ", ")
	switch tp.Section {
	case "outlierDetection":
		return fmt.Sprintf("outlier detection on %s (%s): the mesh ejects endpoints that keep failing, so a fault of some pods is masked once they are ejected "+
			"while a fault shared by every pod is not, and ejection lowers the capacity left (shared-fate signal)", on, settings)
	case "connectionPool":
		msg := fmt.Sprintf("connection pool on %s (%s): requests beyond these limits fail at once with 503 for every caller together (shared-fate signal)", on, settings)
		if strings.Contains(settings, "Timeout=") {
			msg += "; its connect or idle timeouts are deadlines the traces should show (timeout signal)"
		}
		return msg
	}
	return fmt.Sprintf("load balancer on %s (%s)", on, settings)
}
