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
	// DefaultNamespace, when set, is the namespace of objects that state
	// none and whose file declares no single Namespace object, as
	// `kubectl apply --namespace` would supply it. When empty such
	// objects' namespace is unknown: no namespace is assumed.
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
	services   []*service
	namespaces map[string][]namespaceObject // file → its Namespace objects
	externals  []External
}

// namespaceObject is a declared Namespace and its file:line.
type namespaceObject struct{ name, source string }

type service struct {
	name, namespace, nsFrom string
	selector                map[string]string
	file, source            string
}

// ParseKubernetes reads Kubernetes manifests from file contents (see
// ReadKubernetes).
func ParseKubernetes(files []File, opts KubeOptions) (Evidence, error) {
	var diags diag.List
	m := &manifests{namespaces: map[string][]namespaceObject{}}
	for _, f := range files {
		for _, doc := range parseFile(f, &diags) {
			r := &reader{doc: doc, diags: &diags}
			m.object(r, doc.root, opts, 0)
		}
	}
	m.resolveNamespaces(opts)
	m.dedupe(&diags)
	ev := Evidence{Externals: m.externals}
	m.name()
	ev.Domains = m.domains(opts)
	for _, w := range m.workloads {
		ev.Workloads = append(ev.Workloads, *w)
	}
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
		m.workload(r, n, kind)
	case group == "" && kind == "Pod":
		m.workload(r, n, kind)
	case group == "" && kind == "Service":
		m.service(r, n)
	case group == "" && kind == "Namespace":
		if name := r.str(get(n, "metadata"), "name", "metadata.name"); name != "" {
			m.namespaces[r.doc.file] = append(m.namespaces[r.doc.file], namespaceObject{name, r.doc.source(n)})
		}
	}
}

// meta reads metadata.name and metadata.namespace ("" when not written).
func meta(r *reader, n *yaml.Node) (name, ns string) {
	md := r.mapping(n, "metadata", "metadata")
	name = r.str(md, "name", "metadata.name")
	if name == "" {
		r.errorf(n, "metadata.name is required")
	}
	return name, r.str(md, "namespace", "metadata.namespace")
}

// nsFrom says where a namespace read by meta comes from so far.
func nsFrom(ns string) string {
	if ns != "" {
		return "metadata"
	}
	return ""
}

// resolveNamespaces gives objects that state no namespace the only
// Namespace object their file declares (the namespace such a file is
// meant to be applied to), else opts.DefaultNamespace when set; others
// keep an unknown namespace.
func (m *manifests) resolveNamespaces(opts KubeOptions) {
	pick := func(file string) (string, string) {
		if decl := m.namespaces[file]; len(decl) == 1 {
			return decl[0].name, "file"
		}
		if opts.DefaultNamespace != "" {
			return opts.DefaultNamespace, "option"
		}
		return "", ""
	}
	for _, w := range m.workloads {
		if w.NamespaceFrom == "" {
			w.Namespace, w.NamespaceFrom = pick(w.Pos.File)
		}
	}
	for _, s := range m.services {
		if s.nsFrom == "" {
			s.namespace, s.nsFrom = pick(s.file)
		}
	}
}

func (m *manifests) workload(r *reader, n *yaml.Node, kind string) {
	name, ns := meta(r, n)
	if name == "" {
		return
	}
	w := &Workload{Kind: kind, Name: name, Namespace: ns, NamespaceFrom: nsFrom(ns), Replicas: 1, Source: r.doc.source(n), Pos: r.doc.pos(n)}
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
}

func (m *manifests) service(r *reader, n *yaml.Node) {
	name, ns := meta(r, n)
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
	m.services = append(m.services, &service{name: name, namespace: ns, nsFrom: nsFrom(ns), selector: sel, file: r.doc.file, source: r.doc.source(n)})
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
			diags.Warnf(w.Pos, "%s is declared again at %s; the later declaration is used",
				workloadRef(w), m.workloads[j].Source)
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
	index := map[[3]string][]*service{}
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
