package infra

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// attacher holds the state of one Attach.
type attacher struct {
	ev      Evidence
	j       Journey
	targets []Target
	// backing are the workloads backing each target, by target name.
	backing map[string][]*Workload
	idx     index
	// subsets are the subset names of each host (by short name).
	subsets map[string][]string
	notes   noteSet
	edges   []Edge
}

// index maps names onto workloads, level by level.
type index struct {
	services, names, appNames, apps map[string][]*Workload
	namespaces                      map[string]bool
}

func newAttacher(ev Evidence, j Journey) *attacher {
	a := &attacher{ev: ev, j: j, backing: map[string][]*Workload{}}
	a.idx = index{services: map[string][]*Workload{}, names: map[string][]*Workload{},
		appNames: map[string][]*Workload{}, apps: map[string][]*Workload{}, namespaces: map[string]bool{}}
	for i := range a.ev.Workloads {
		w := &a.ev.Workloads[i]
		for _, s := range w.Services {
			a.idx.services[s] = append(a.idx.services[s], w)
		}
		a.idx.names[w.Name] = append(a.idx.names[w.Name], w)
		if v := w.Labels["app.kubernetes.io/name"]; v != "" {
			a.idx.appNames[v] = append(a.idx.appNames[v], w)
		}
		if v := w.Labels["app"]; v != "" {
			a.idx.apps[v] = append(a.idx.apps[v], w)
		}
		if w.Namespace != "" {
			a.idx.namespaces[w.Namespace] = true
		}
	}
	seen := map[string]bool{}
	for _, t := range j.Components {
		if t.Name != "" && !seen[t.Name] {
			seen[t.Name] = true
			a.targets = append(a.targets, t)
		}
	}
	slices.SortFunc(a.targets, func(x, y Target) int { return strings.Compare(x.Name, y.Name) })
	return a
}

// lookup returns the workloads a name stands for and how it was matched:
// the workloads a Service of that name selects, else the workloads of
// that name, else those labelled app.kubernetes.io/name, else app. A
// name "X.Y…" matching nothing is looked up as X (the service of an
// operation "service.operation", or a host "service.namespace…"), in
// namespace Y when Y is a namespace of the manifests.
func (x *index) lookup(name string) ([]*Workload, string) {
	levels := []struct {
		m   map[string][]*Workload
		how string
	}{{x.services, "Service"}, {x.names, "workload"}, {x.appNames, "label app.kubernetes.io/name"}, {x.apps, "label app"}}
	for _, l := range levels {
		if ws := l.m[name]; len(ws) > 0 {
			return ws, l.how + " " + name
		}
	}
	base, rest, ok := strings.Cut(name, ".")
	if !ok || base == "" {
		return nil, ""
	}
	ws, how := x.lookup(base)
	how += fmt.Sprintf(" (the part of %s before the first '.')", name)
	if ns, _, _ := strings.Cut(rest, "."); x.namespaces[ns] {
		ws = slices.DeleteFunc(slices.Clone(ws), func(w *Workload) bool { return w.Namespace != ns })
		how += " in namespace " + ns
	}
	if len(ws) == 0 {
		return nil, ""
	}
	return ws, how
}

// keys are the names a target may be called by in manifests and mesh
// configuration: its name, its service, and its name up to the first '.'.
func keys(t Target) []string {
	out := []string{t.Name}
	if t.Service != "" {
		out = append(out, t.Service)
	}
	if base, _, ok := strings.Cut(t.Name, "."); ok && base != "" {
		out = append(out, base)
	}
	return out
}

// resolveTargets finds the workloads backing each target, noting how,
// and notes targets nothing backs.
func (a *attacher) resolveTargets() {
	for _, t := range a.targets {
		var ws []*Workload
		var how string
		for _, name := range []string{t.Service, t.Name} {
			if name != "" && len(ws) == 0 {
				ws, how = a.idx.lookup(name)
			}
		}
		if len(ws) > 0 {
			a.backing[t.Name] = ws
			a.resolvedNote(t, ws, how)
			continue
		}
		if e, ok := a.external(t); ok {
			a.notes.add(NoteExternal, e.Source, fmt.Sprintf("%s %s (%s) is outside the cluster: no placement evidence", e.By, e.Name, e.Address), t.Name)
			continue
		}
		if len(a.ev.Workloads) > 0 {
			a.notes.add(NoteUnresolved, "", fmt.Sprintf("no workload, Service or app label of the manifests is named %s: no placement or namespace evidence for it",
				joinNames(keys(t))), t.Name)
		}
	}
}

// resolvedNote says which workloads back a target, and whether they lie
// in several namespaces.
func (a *attacher) resolvedNote(t Target, ws []*Workload, how string) {
	var refs []string
	namespaces := map[string]bool{}
	for _, w := range ws {
		refs = append(refs, fmt.Sprintf("%s (%s)", workloadRef(w), w.Source))
		namespaces[w.Namespace] = true
	}
	msg := fmt.Sprintf("backed by %s: %s", how, strings.Join(refs, ", "))
	if len(namespaces) > 1 {
		msg += fmt.Sprintf("; ambiguous: the workloads lie in %d namespaces (%s), all are counted",
			len(namespaces), strings.Join(slices.Sorted(maps.Keys(namespaces)), ", "))
	}
	a.notes.add(NoteResolved, ws[0].Source, msg, t.Name)
}

// external returns the ExternalName Service or ServiceEntry a target is
// named after.
func (a *attacher) external(t Target) (External, bool) {
	for _, e := range a.ev.Externals {
		for _, k := range keys(t) {
			if e.Name == k || e.Address == k || shortHost(e.Name) == k {
				return e, true
			}
		}
	}
	return External{}, false
}

// hostNamespace returns the namespace a mesh host names: the second label
// of a fully qualified "svc.ns.svc.cluster.local"-style host, else the
// namespace of the object that names it.
func hostNamespace(host, objectNS string) string {
	parts := strings.Split(host, ".")
	if len(parts) >= 3 && parts[2] == "svc" {
		return parts[1]
	}
	return objectNS
}

// hostTargets returns the targets a mesh host stands for: those called by
// the host or its short name, or by SHORT-SUBSET for a subset of the host
// that the mesh configuration names (as Route.Node names its leaves), and
// those backed by the workloads the host's Service selects (in the host's
// namespace when known).
func (a *attacher) hostTargets(host, objectNS string) []string {
	short := shortHost(host)
	ns := hostNamespace(host, objectNS)
	selected := map[*Workload]bool{}
	for _, w := range a.idx.services[short] {
		if ns == "" || w.Namespace == "" || w.Namespace == ns {
			selected[w] = true
		}
	}
	names := []string{host, short}
	for _, sub := range a.subsetNames(short) {
		names = append(names, short+"-"+sub)
	}
	var out []string
	for _, t := range a.targets {
		if slices.ContainsFunc(keys(t), func(k string) bool { return slices.Contains(names, k) }) ||
			slices.ContainsFunc(a.backing[t.Name], func(w *Workload) bool { return selected[w] }) {
			out = append(out, t.Name)
		}
	}
	return out
}

// subsetNames returns the subsets of a host (by short name) that the
// DestinationRules define or the routes name, sorted.
func (a *attacher) subsetNames(short string) []string {
	if a.subsets == nil {
		a.subsets = map[string][]string{}
		for _, p := range a.ev.Policies {
			for _, s := range p.Subsets {
				a.subsets[p.Component] = append(a.subsets[p.Component], s.Name)
			}
		}
		for _, r := range a.ev.Routes {
			for _, d := range r.Split {
				if d.Subset != "" {
					a.subsets[d.Component] = append(a.subsets[d.Component], d.Subset)
				}
			}
		}
		for k, v := range a.subsets {
			slices.Sort(v)
			a.subsets[k] = slices.Compact(v)
		}
	}
	return a.subsets[short]
}
