package infra

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// deployment renders a Deployment "w" (pods labelled app: w) with the
// given replicas and pod-spec placement lines (indented under spec).
func deployment(name string, replicas int, placement ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s, namespace: shop}\n", name)
	fmt.Fprintf(&b, "spec:\n  replicas: %d\n  template:\n    metadata: {labels: {app: %s}}\n    spec:\n", replicas, name)
	for _, p := range placement {
		for _, l := range strings.Split(p, "\n") {
			b.WriteString("      " + l + "\n")
		}
	}
	return b.String()
}

// Placement snippets (pod spec fields) for workload "w".
const (
	selZoneA   = "nodeSelector: {topology.kubernetes.io/zone: a}"
	reqZoneA   = "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a]}]}]}}}"
	reqZoneAB  = "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a]}]}, {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [b]}]}]}}}"
	reqZoneAA  = "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a]}]}, {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a]}, {key: disk, operator: Exists}]}]}}}"
	reqZoneAOr = "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a]}]}, {matchExpressions: [{key: disk, operator: In, values: [ssd]}]}]}}}"
	nodeN1     = "nodeName: n1"
	poolP      = "nodeSelector: {cloud.google.com/gke-nodepool: p}"
)

func prefZoneA(weight int) string {
	return fmt.Sprintf("affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: %d, preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a]}]}}]}}", weight)
}

func spread(key, when, app string) string {
	return fmt.Sprintf("topologySpreadConstraints: [{maxSkew: 1, topologyKey: %s, whenUnsatisfiable: %s, labelSelector: {matchLabels: {app: %s}}}]", key, when, app)
}

func antiAffinity(kind, key string) string {
	if kind == "required" {
		return fmt.Sprintf("affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: w}}, topologyKey: %s}]}}", key)
	}
	return fmt.Sprintf("affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 50, podAffinityTerm: {labelSelector: {matchExpressions: [{key: app, operator: Exists}]}, topologyKey: %s}}]}}", key)
}

func parseKube(t *testing.T, opts KubeOptions, docs ...string) Evidence {
	t.Helper()
	ev, err := ParseKubernetes([]File{{Name: "m.yaml", Data: []byte(strings.Join(docs, "---\n"))}}, opts)
	if err != nil {
		t.Fatalf("unexpected error:\n%v\ninput:\n%s", err, strings.Join(docs, "---\n"))
	}
	return ev
}

// memberConfidence returns the confidence of member in domain, 0 when
// absent.
func memberConfidence(ev Evidence, domain, member string) float64 {
	for _, d := range ev.Domains {
		if d.Name == domain {
			return d.MemberConfidence[member]
		}
	}
	return 0
}

func TestConfidence(t *testing.T) {
	tests := []struct {
		name      string
		replicas  int
		placement []string
		domain    string
		want      float64
	}{
		{"nodeName", 2, []string{nodeN1}, "node/n1", 0.95},
		{"required affinity", 2, []string{reqZoneA}, "zone/a", 0.9},
		{"required affinity, same value in every term", 2, []string{reqZoneAA}, "zone/a", 0.9},
		{"required affinity, two zones", 2, []string{reqZoneAB}, "zone/a", 0},
		{"required affinity, a term without the key", 2, []string{reqZoneAOr}, "zone/a", 0},
		{"nodeSelector", 2, []string{selZoneA}, "zone/a", 0.85},
		{"node pool", 2, []string{poolP}, "nodepool/p", 0.85},
		{"preferred weight 100", 2, []string{prefZoneA(100)}, "zone/a", 0.6},
		{"preferred weight 1", 2, []string{prefZoneA(1)}, "zone/a", 0.303},
		{"nodeSelector and required agree", 2, []string{selZoneA, reqZoneA}, "zone/a", 0.985},
		{"hard zone spread", 3, []string{selZoneA, spread("topology.kubernetes.io/zone", "DoNotSchedule", "w")}, "zone/a", 0.425},
		{"soft zone spread", 3, []string{selZoneA, spread("topology.kubernetes.io/zone", "ScheduleAnyway", "w")}, "zone/a", 0.6375},
		{"region spread contradicts a zone", 3, []string{selZoneA, spread("topology.kubernetes.io/region", "DoNotSchedule", "w")}, "zone/a", 0.425},
		{"node spread does not contradict a zone", 3, []string{selZoneA, spread("kubernetes.io/hostname", "DoNotSchedule", "w")}, "zone/a", 0.85},
		{"zone spread contradicts a node", 3, []string{nodeN1, spread("topology.kubernetes.io/zone", "ScheduleAnyway", "w")}, "node/n1", 0.7125},
		{"zone spread leaves a node pool", 3, []string{poolP, spread("topology.kubernetes.io/zone", "DoNotSchedule", "w")}, "nodepool/p", 0.85},
		{"spread selecting other pods is ignored", 3, []string{selZoneA, spread("topology.kubernetes.io/zone", "DoNotSchedule", "other")}, "zone/a", 0.85},
		{"spread on one replica", 1, []string{selZoneA, spread("topology.kubernetes.io/zone", "DoNotSchedule", "w")}, "zone/a", 0.85},
		{"required anti-affinity on nodes", 3, []string{nodeN1 + "\n" + antiAffinity("required", "kubernetes.io/hostname")}, "node/n1", 0.475},
		{"preferred anti-affinity on zones", 3, []string{selZoneA + "\n" + antiAffinity("preferred", "topology.kubernetes.io/zone")}, "zone/a", 0.6375},
		{"namespace", 2, nil, "namespace/shop", 0.2},
		{"nodeSelector on a custom label", 2, []string{"nodeSelector: {dedicated: infra}"}, "nodeset/dedicated:infra", 0.425},
		{"required affinity on a custom label", 2, []string{"affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: dedicated, operator: In, values: [infra]}]}]}}}"},
			"nodeset/dedicated:infra", 0.45},
		{"node set and a zone spread", 3, []string{"nodeSelector: {dedicated: infra}", spread("topology.kubernetes.io/zone", "DoNotSchedule", "w")}, "nodeset/dedicated:infra", 0.425},
		{"platform label names no domain", 2, []string{"nodeSelector: {kubernetes.io/os: linux}"}, "nodeset/kubernetes.io/os:linux", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := parseKube(t, KubeOptions{}, deployment("w", tt.replicas, tt.placement...))
			if got := memberConfidence(ev, tt.domain, "w"); got != tt.want {
				t.Errorf("confidence of w in %s = %v, want %v\ndomains: %+v", tt.domain, got, tt.want, ev.Domains)
			}
		})
	}
}

// TestConfidenceMonotone checks, over random placements, that an added
// agreeing signal never lowers a confidence and an added spread never
// raises one.
func TestConfidenceMonotone(t *testing.T) {
	signals := []string{selZoneA, reqZoneA, prefZoneA(30), prefZoneA(90)}
	spreads := []string{
		spread("topology.kubernetes.io/zone", "DoNotSchedule", "w"),
		spread("topology.kubernetes.io/region", "ScheduleAnyway", "w"),
		spread("kubernetes.io/hostname", "DoNotSchedule", "w"),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[float64]bool{}
	defer func() {
		if len(seen) < 8 {
			t.Errorf("only %d distinct confidences over the random placements: %v", len(seen), seen)
		}
	}()
	for range 60 {
		var sig, spr []string
		for _, s := range signals {
			if rng.IntN(2) == 0 {
				sig = append(sig, s)
			}
		}
		for _, s := range spreads {
			if rng.IntN(2) == 0 {
				spr = append(spr, s)
			}
		}
		replicas := 1 + rng.IntN(3)
		conf := func(sig, spr []string) float64 {
			return memberConfidence(parseKube(t, KubeOptions{}, deployment("w", replicas, merge(sig, spr)...)), "zone/a", "w")
		}
		base := conf(sig, spr)
		seen[base] = true
		for _, s := range signals {
			if !slices.Contains(sig, s) {
				if got := conf(append(slices.Clone(sig), s), spr); got < base {
					t.Errorf("adding %q to %q lowered %v to %v", s, sig, base, got)
				}
			}
		}
		for _, s := range spreads {
			if !slices.Contains(spr, s) {
				if got := conf(sig, append(slices.Clone(spr), s)); got > base {
					t.Errorf("adding %q to %q raised %v to %v", s, spr, base, got)
				}
			}
		}
	}
}

// merge joins placement snippets: the affinity blocks of several snippets
// are merged into one affinity mapping, other fields kept apart.
func merge(sig, spr []string) []string {
	var affinity []string
	var out []string
	var spreadItems []string
	for _, s := range append(slices.Clone(sig), spr...) {
		switch {
		case strings.HasPrefix(s, "affinity: {nodeAffinity: {preferred"):
			affinity = append(affinity, "nodeAffinityPreferred:"+s)
		case strings.HasPrefix(s, "affinity: "):
			affinity = append(affinity, s)
		case strings.HasPrefix(s, "topologySpreadConstraints: ["):
			spreadItems = append(spreadItems, strings.TrimSuffix(strings.TrimPrefix(s, "topologySpreadConstraints: ["), "]"))
		default:
			out = append(out, s)
		}
	}
	var required, preferred string
	for _, a := range affinity {
		if p, ok := strings.CutPrefix(a, "nodeAffinityPreferred:"); ok {
			inner := strings.TrimSuffix(strings.TrimPrefix(p, "affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: ["), "]}}")
			preferred = joinNonEmpty(preferred, inner)
			continue
		}
		required = strings.TrimSuffix(strings.TrimPrefix(a, "affinity: {nodeAffinity: {"), "}}")
	}
	var na []string
	if required != "" {
		na = append(na, required)
	}
	if preferred != "" {
		na = append(na, "preferredDuringSchedulingIgnoredDuringExecution: ["+preferred+"]")
	}
	if len(na) > 0 {
		out = append(out, "affinity: {nodeAffinity: {"+strings.Join(na, ", ")+"}}")
	}
	if len(spreadItems) > 0 {
		out = append(out, "topologySpreadConstraints: ["+strings.Join(spreadItems, ", ")+"]")
	}
	return out
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}

func TestComponentNames(t *testing.T) {
	svc := func(name, app string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: shop}\nspec: {selector: {app: %s}}\n", name, app)
	}
	labelled := func(name, labels string) string {
		return fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s, namespace: shop}\nspec: {template: {metadata: {labels: %s}}}\n", name, labels)
	}
	tests := []struct {
		name      string
		docs      []string
		component string
		aliases   []string
	}{
		{"one service", []string{labelled("w-v1", "{app: w}"), svc("w-svc", "w")}, "w-svc", []string{"w", "w-svc", "w-v1"}},
		{"two services", []string{labelled("w-v1", "{app: w}"), svc("w-a", "w"), svc("w-b", "w")}, "w", []string{"w", "w-a", "w-b", "w-v1"}},
		{"service in another namespace", []string{labelled("w-v1", "{app: w}"), strings.Replace(svc("w-svc", "w"), "namespace: shop", "namespace: other", 1)}, "w", []string{"w", "w-v1"}},
		{"recommended label first", []string{labelled("w-v1", "{app: x, app.kubernetes.io/name: y}")}, "y", []string{"w-v1", "x", "y"}},
		{"no labels", []string{labelled("w-v1", "{}")}, "w-v1", []string{"w-v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := parseKube(t, KubeOptions{}, tt.docs...)
			if len(ev.Workloads) != 1 {
				t.Fatalf("got %d workloads, want 1", len(ev.Workloads))
			}
			w := ev.Workloads[0]
			if w.Component != tt.component || !slices.Equal(w.Aliases, tt.aliases) {
				t.Errorf("component %q aliases %q, want %q %q", w.Component, w.Aliases, tt.component, tt.aliases)
			}
			for _, a := range w.Aliases {
				if c, ok := ev.ComponentOf(a); !ok || c != tt.component {
					t.Errorf("ComponentOf(%q) = %q, %v", a, c, ok)
				}
			}
		})
	}
}

func TestReplicaShares(t *testing.T) {
	v1 := strings.Replace(deployment("r-v1", 3, selZoneA), "{app: r-v1}", "{app: r}", 1)
	v2 := strings.Replace(deployment("r-v2", 1), "{app: r-v2}", "{app: r}", 1)
	other := deployment("o", 2, reqZoneA)
	ev := parseKube(t, KubeOptions{Cluster: "c1"}, v1, v2, other)
	d := ev.Domains[slices.IndexFunc(ev.Domains, func(d Domain) bool { return d.Name == "zone/a" })]
	if want := []string{"o", "r"}; !slices.Equal(d.Members, want) {
		t.Errorf("members %q, want %q", d.Members, want)
	}
	if got := d.MemberConfidence["r"]; got != 0.6375 {
		t.Errorf("r: %v, want 0.75·0.85 = 0.6375", got)
	}
	if d.Confidence != 0.6375 {
		t.Errorf("domain confidence %v, want the lowest member's, 0.6375", d.Confidence)
	}
	if got := memberConfidence(ev, "cluster/c1", "r"); got != 0.9 {
		t.Errorf("cluster member confidence %v, want 0.9", got)
	}
}

func TestDuplicateWorkload(t *testing.T) {
	ev := parseKube(t, KubeOptions{}, deployment("w", 2, selZoneA), deployment("w", 5))
	if len(ev.Workloads) != 1 || ev.Workloads[0].Replicas != 5 {
		t.Fatalf("want the later declaration kept, got %+v", ev.Workloads)
	}
	want := "m.yaml:1:1: warning: Deployment shop/w is declared again at m.yaml:11; the later declaration is used"
	if !slices.Equal(ev.Warnings, []string{want}) {
		t.Errorf("warnings %q, want %q", ev.Warnings, want)
	}
	if memberConfidence(ev, "zone/a", "w") != 0 {
		t.Errorf("the replaced declaration's pin was used")
	}
}

func TestNotAManifest(t *testing.T) {
	ev := parseKube(t, KubeOptions{}, "- a\n- b\n", "just a string\n", "# only a comment\n", deployment("w", 1))
	want := []string{
		"m.yaml:1:1: warning: not a manifest (a sequence, not a mapping); ignored",
		`m.yaml:4:1: warning: not a manifest ("just a string", not a mapping); ignored`,
	}
	if !slices.Equal(ev.Warnings, want) || len(ev.Workloads) != 1 {
		t.Errorf("warnings %q, want %q; %d workloads", ev.Warnings, want, len(ev.Workloads))
	}
}

func TestSelectorMatches(t *testing.T) {
	labels := map[string]string{"app": "w", "tier": "db"}
	tests := []struct {
		sel  string
		want bool
	}{
		{"{matchLabels: {app: w}}", true},
		{"{matchLabels: {app: x}}", false},
		{"{}", true},
		{"{matchExpressions: [{key: app, operator: In, values: [x, w]}]}", true},
		{"{matchExpressions: [{key: app, operator: NotIn, values: [w]}]}", false},
		{"{matchExpressions: [{key: zone, operator: NotIn, values: [w]}]}", true},
		{"{matchExpressions: [{key: tier, operator: Exists}]}", true},
		{"{matchExpressions: [{key: tier, operator: DoesNotExist}]}", false},
		{"{matchLabels: {app: w}, matchExpressions: [{key: tier, operator: In, values: [web]}]}", false},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			docs := parseFile(File{Name: "s.yaml", Data: []byte("labelSelector: " + tt.sel)}, nil)
			r := &reader{doc: docs[0]}
			if got := selectorMatches(r, get(docs[0].root, "labelSelector"), "labelSelector", labels); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestNamespaces: a namespace comes from the object, else from the only
// Namespace object of its file, else from the option; otherwise it is
// unknown and no namespace domain is formed (never a silent "default").
func TestNamespaces(t *testing.T) {
	const ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n"
	bare := strings.Replace(deployment("w", 2), "metadata: {name: w, namespace: shop}", "metadata: {name: w}", 1)
	svc := "apiVersion: v1\nkind: Service\nmetadata: {name: w-svc}\nspec: {selector: {app: w}}\n"
	tests := []struct {
		name     string
		files    []string // each file's documents joined by ---
		opts     KubeOptions
		ns, from string
		domain   float64
	}{
		{"written", []string{deployment("w", 2)}, KubeOptions{}, "shop", "metadata", 0.2},
		{"the file's only Namespace", []string{fmt.Sprintf(ns, "otel") + "---\n" + bare}, KubeOptions{}, "otel", "file", 0.15},
		{"written beats the file's Namespace", []string{fmt.Sprintf(ns, "otel") + "---\n" + deployment("w", 2)}, KubeOptions{}, "shop", "metadata", 0.2},
		{"two Namespaces in the file", []string{fmt.Sprintf(ns, "a") + "---\n" + fmt.Sprintf(ns, "b") + "---\n" + bare}, KubeOptions{}, "", "", 0},
		{"the Namespace in another file", []string{fmt.Sprintf(ns, "a"), bare}, KubeOptions{}, "", "", 0},
		{"the option", []string{bare}, KubeOptions{DefaultNamespace: "prod"}, "prod", "option", 0.1},
		{"nothing", []string{bare}, KubeOptions{}, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []File
			for i, f := range tt.files {
				files = append(files, File{Name: fmt.Sprintf("f%d.yaml", i), Data: []byte(f)})
			}
			ev, err := ParseKubernetes(files, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			w := ev.Workloads[0]
			if w.Namespace != tt.ns || w.NamespaceFrom != tt.from {
				t.Errorf("namespace %q from %q, want %q from %q", w.Namespace, w.NamespaceFrom, tt.ns, tt.from)
			}
			var got float64
			for _, d := range ev.Domains {
				if strings.HasPrefix(d.Name, "namespace/") {
					if d.Name != "namespace/"+tt.ns {
						t.Errorf("domain %s", d.Name)
					}
					got = d.Confidence
				}
			}
			if got != tt.domain {
				t.Errorf("namespace domain confidence %v, want %v", got, tt.domain)
			}
		})
	}
	t.Run("a Service and its pods, neither stating a namespace", func(t *testing.T) {
		ev := parseKube(t, KubeOptions{}, bare, svc)
		if w := ev.Workloads[0]; w.Component != "w-svc" {
			t.Errorf("component %q, want the Service's name", w.Component)
		}
	})
}
