package infra

import (
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/emac-dev/emac/internal/diag"
)

// KubeOptions configure ReadKubernetes.
type KubeOptions struct {
	// Cluster, when set, names the cluster every manifest is applied to:
	// all workloads then share the domain "cluster/<Cluster>".
	Cluster string
	// DefaultNamespace is the namespace of objects that name none
	// ("default" when empty), as kubectl's context would supply it.
	DefaultNamespace string
	// MaxFileBytes bounds each file ReadKubernetes reads (see
	// LoadFiles); 0 means limits.Default().FileBytes.
	MaxFileBytes int64
}

// kubeObject is a manifest object read for its placement or naming.
type kubeObject struct {
	doc *document
	n   *yaml.Node
}

// manifests holds the objects of the kinds ReadKubernetes consumes.
type manifests struct {
	workloads  []*Workload
	nsExplicit map[*Workload]bool // metadata.namespace was written
	services   []service
	namespaces map[string]string // declared Namespace → file:line
	externals  []External
}

type service struct {
	name, namespace string
	selector        map[string]string
	source          string
}

// ParseKubernetes reads Kubernetes manifests from file contents (see
// ReadKubernetes).
func ParseKubernetes(files []File, opts KubeOptions) (Evidence, error) {
	if opts.DefaultNamespace == "" {
		opts.DefaultNamespace = "default"
	}
	var diags diag.List
	m := &manifests{nsExplicit: map[*Workload]bool{}, namespaces: map[string]string{}}
	for _, f := range files {
		for _, doc := range parseFile(f, &diags) {
			r := &reader{doc: doc, diags: &diags}
			m.object(r, doc.root, opts, 0)
		}
	}
	m.dedupe(&diags)
	ev := Evidence{Externals: m.externals}
	m.name()
	for _, w := range m.workloads {
		ev.Workloads = append(ev.Workloads, *w)
	}
	ev.Domains = m.domains(opts)
	return finish(ev, &diags)
}

// object routes one object (or the items of a List) by apiVersion and kind.
func (m *manifests) object(r *reader, n *yaml.Node, opts KubeOptions, depth int) {
	if n.Kind != yaml.MappingNode {
		r.warnf(n, "not a manifest (%s, not a mapping); ignored", describe(n))
		return
	}
	apiVersion := r.str(n, "apiVersion", "apiVersion")
	kind := r.str(n, "kind", "kind")
	group, _, _ := strings.Cut(apiVersion, "/")
	if !strings.Contains(apiVersion, "/") {
		group = ""
	}
	switch {
	case group == "" && kind == "List" && depth == 0:
		for _, it := range r.seq(n, "items", "items") {
			if it != nil {
				m.object(r, it, opts, depth+1)
			}
		}
	case (group == "apps" || group == "extensions") && (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet"):
		m.workload(r, n, kind, opts)
	case group == "" && kind == "Pod":
		m.workload(r, n, kind, opts)
	case group == "" && kind == "Service":
		m.service(r, n, opts)
	case group == "" && kind == "Namespace":
		if name := r.str(get(n, "metadata"), "name", "metadata.name"); name != "" {
			m.namespaces[name] = r.doc.source(n)
		}
	}
}

// meta reads metadata.name and metadata.namespace.
func meta(r *reader, n *yaml.Node, opts KubeOptions) (name, ns string, explicit bool) {
	md := r.mapping(n, "metadata", "metadata")
	name = r.str(md, "name", "metadata.name")
	if name == "" {
		r.errorf(n, "metadata.name is required")
	}
	ns = r.str(md, "namespace", "metadata.namespace")
	if ns != "" {
		return name, ns, true
	}
	return name, opts.DefaultNamespace, false
}

func (m *manifests) workload(r *reader, n *yaml.Node, kind string, opts KubeOptions) {
	name, ns, explicit := meta(r, n, opts)
	if name == "" {
		return
	}
	w := &Workload{Kind: kind, Name: name, Namespace: ns, Replicas: 1, Source: r.doc.source(n), Pos: r.doc.pos(n)}
	spec := r.mapping(n, "spec", "spec")
	podMeta, podSpec := get(n, "metadata"), spec
	path := "spec"
	if kind != "Pod" {
		tmpl := r.mapping(spec, "template", "spec.template")
		podMeta, podSpec = r.mapping(tmpl, "metadata", "spec.template.metadata"), r.mapping(tmpl, "spec", "spec.template.spec")
		path = "spec.template.spec"
	}
	switch kind {
	case "DaemonSet":
		w.Replicas = 0
	case "Deployment", "StatefulSet":
		if v, ok := r.integer(spec, "replicas", "spec.replicas"); ok {
			if v < 0 {
				r.errorf(get(spec, "replicas"), "spec.replicas: must not be negative, got %d", v)
			}
			w.Replicas = v
		}
	}
	w.Labels = r.labels(podMeta, "labels", "labels")
	if podSpec != nil {
		readPlacement(r, podSpec, path, w)
	}
	m.workloads = append(m.workloads, w)
	m.nsExplicit[w] = explicit
}

func (m *manifests) service(r *reader, n *yaml.Node, opts KubeOptions) {
	name, ns, _ := meta(r, n, opts)
	if name == "" {
		return
	}
	spec := r.mapping(n, "spec", "spec")
	if r.str(spec, "type", "spec.type") == "ExternalName" {
		m.externals = append(m.externals, External{
			Name: name, Address: r.str(spec, "externalName", "spec.externalName"),
			By: "Service ExternalName", Source: r.doc.source(n),
		})
		return
	}
	sel := r.labels(spec, "selector", "spec.selector")
	if len(sel) == 0 {
		return // endpoints managed by hand: no workload to map
	}
	m.services = append(m.services, service{name: name, namespace: ns, selector: sel, source: r.doc.source(n)})
}

// dedupe keeps the last declaration of a workload declared twice, as
// kubectl apply would.
func (m *manifests) dedupe(diags *diag.List) {
	last := map[[3]string]int{}
	for i, w := range m.workloads {
		last[[3]string{w.Kind, w.Namespace, w.Name}] = i
	}
	var out []*Workload
	for i, w := range m.workloads {
		if j := last[[3]string{w.Kind, w.Namespace, w.Name}]; j != i {
			diags.Warnf(w.Pos, "%s %s/%s is declared again at %s; the later declaration is used",
				w.Kind, w.Namespace, w.Name, m.workloads[j].Source)
			continue
		}
		out = append(out, w)
	}
	m.workloads = out
}

// name fills every workload's Services, Aliases and Component. Services
// are indexed by namespace and the first label of their selector, so only
// Services that can match are tested.
func (m *manifests) name() {
	index := map[[3]string][]service{}
	for _, s := range m.services {
		k := slices.Sorted(maps.Keys(s.selector))[0]
		index[[3]string{s.namespace, k, s.selector[k]}] = append(index[[3]string{s.namespace, k, s.selector[k]}], s)
	}
	for _, w := range m.workloads {
		for k, v := range w.Labels {
			for _, s := range index[[3]string{w.Namespace, k, v}] {
				if selects(s.selector, w.Labels) {
					w.Services = append(w.Services, s.name)
				}
			}
		}
		slices.Sort(w.Services)
		w.Services = slices.Compact(w.Services)
		aliases := append([]string{w.Name}, w.Services...)
		for _, k := range []string{"app.kubernetes.io/name", "app"} {
			if v := w.Labels[k]; v != "" {
				aliases = append(aliases, v)
			}
		}
		switch {
		case len(w.Services) == 1:
			w.Component = w.Services[0]
		case w.Labels["app.kubernetes.io/name"] != "":
			w.Component = w.Labels["app.kubernetes.io/name"]
		case w.Labels["app"] != "":
			w.Component = w.Labels["app"]
		default:
			w.Component = w.Name
		}
		slices.Sort(aliases)
		w.Aliases = slices.Compact(aliases)
	}
}

// selects reports whether a Service selector matches pod labels.
func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return len(selector) > 0
}
