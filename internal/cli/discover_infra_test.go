package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/evidence/infer"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/limits"
)

// realInfra is where the public manifests used by these tests live (their
// sources and licences are recorded next to them).
const realInfra = "../evidence/infra/testdata/real/"

// infraDoc is the part of a written DiscoveredJourneyModel these tests
// look at.
type infraDoc struct {
	Spec struct {
		Topology *struct {
			Edges []struct {
				From, To, CallType, Notes string
				Probability               float64
			}
		}
		FailureDomains struct {
			Inferred []struct {
				Name       string
				Members    []string
				Confidence float64
				Signals    []string
			}
		} `yaml:"failureDomains"`
		Notes []infraNote
	}
}

type infraNote struct {
	Kind, Source, Message string
	Components            []string
}

// testModel builds an inferred model over expr, every leaf a service seen
// in 1000 calls with the given failures, the Cond nodes given their
// confidence intervals.
func testModel(t *testing.T, expr string, failures map[string]int, conds map[string][]journey.Prob) *infer.Model {
	t.Helper()
	root, errs := journey.Parse(expr, diag.Pos{File: "test"})
	if errs.HasErrors() {
		t.Fatalf("%s: %v", expr, errs.Err())
	}
	m := &infer.Model{Journey: "journey", Root: root, Confidence: 0.9, Traces: 1000}
	leaves := journey.Leaves(root)
	slices.Sort(leaves)
	for _, l := range leaves {
		m.Components = append(m.Components, infer.Component{Name: l, Kind: "service", Good: 1000 - failures[l], Total: 1000, Confidence: 0.9})
	}
	for path, probs := range conds {
		m.Nodes = append(m.Nodes, infer.NodeInfo{Path: path, Kind: "cond", Confidence: 0.9, Probs: probs})
	}
	return m
}

// discoverDoc renders m with the evidence of the k8s and mesh paths, as
// discover writes it, and reads the result back.
func discoverDoc(t *testing.T, m *infer.Model, k8s, mesh []string) (infraDoc, string) {
	t.Helper()
	ev, err := readInfra(discoverFlags{k8s: k8s, mesh: mesh}, limits.Default())
	if err != nil {
		t.Fatalf("reading the evidence: %v", err)
	}
	data, err := discoveredModel("test", m, ev)
	if err != nil {
		t.Fatalf("discoveredModel: %v", err)
	}
	var doc infraDoc
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return doc, string(data)
}

// noteWant is a note a test expects: its kind, the end of its source
// (file:line), a component it names and words of its message.
type noteWant struct {
	kind, source, component string
	words                   []string
}

func (w noteWant) matches(n infraNote) bool {
	if n.Kind != w.kind || !strings.HasSuffix(n.Source, w.source) {
		return false
	}
	if w.component != "" && !slices.Contains(n.Components, w.component) {
		return false
	}
	for _, word := range w.words {
		if !strings.Contains(n.Message, word) {
			return false
		}
	}
	return true
}

func checkNotes(t *testing.T, doc infraDoc, out string, wants ...noteWant) {
	t.Helper()
	for _, w := range wants {
		if !slices.ContainsFunc(doc.Spec.Notes, w.matches) {
			t.Errorf("no %s note at …%s on %q saying %q; the model:\n%s", w.kind, w.source, w.component, w.words, out)
		}
	}
}

func domainMembers(doc infraDoc, name string) []string {
	for _, d := range doc.Spec.FailureDomains.Inferred {
		if d.Name == name {
			return d.Members
		}
	}
	return nil
}

// TestInfraNamespaces (issue 11, defect 11): namespaces come from the
// objects themselves — metadata.namespace, or the file's only Namespace
// object — never from a silent "default", and namespace signals speak
// only of the journey's workloads.
func TestInfraNamespaces(t *testing.T) {
	t.Run("otel demo: the file's only Namespace", func(t *testing.T) {
		m := testModel(t, "Series(frontend-proxy, frontend, Parallel(cart, product-catalog), checkout)", nil, nil)
		doc, out := discoverDoc(t, m, []string{realInfra + "opentelemetry-demo"}, nil)
		want := []string{"cart", "checkout", "frontend", "frontend-proxy", "product-catalog"}
		if got := domainMembers(doc, "namespace/otel-demo"); !slices.Equal(got, want) {
			t.Errorf("namespace/otel-demo members %q, want %q\n%s", got, want, out)
		}
		if strings.Contains(out, "namespace/default") {
			t.Errorf("a namespace was assumed:\n%s", out)
		}
		for _, d := range doc.Spec.FailureDomains.Inferred {
			for _, s := range d.Signals {
				for _, other := range []string{"accounting", "grafana", "opensearch", "kafka", "otel-collector"} {
					if strings.Contains(s, "/"+other+":") {
						t.Errorf("domain %s: signal about %s, which is not in the journey: %s", d.Name, other, s)
					}
				}
			}
		}
	})
	t.Run("metallb: stated namespaces", func(t *testing.T) {
		m := testModel(t, "Series(controller, speaker)", nil, nil)
		doc, out := discoverDoc(t, m, []string{realInfra + "metallb"}, nil)
		if got, want := domainMembers(doc, "namespace/metallb-system"), []string{"controller", "speaker"}; !slices.Equal(got, want) {
			t.Errorf("namespace/metallb-system members %q, want %q\n%s", got, want, out)
		}
	})
	t.Run("bookinfo: no namespace anywhere", func(t *testing.T) {
		m := testModel(t, "Series(productpage, details, reviews, ratings)", nil, nil)
		doc, out := discoverDoc(t, m, []string{realInfra + "bookinfo/platform"}, nil)
		for _, d := range doc.Spec.FailureDomains.Inferred {
			if strings.HasPrefix(d.Name, "namespace/") {
				t.Errorf("namespace domain %s although no object states a namespace:\n%s", d.Name, out)
			}
		}
		checkNotes(t, doc, out, noteWant{kind: "namespace", source: "bookinfo/platform/bookinfo.yaml:155", component: "reviews",
			words: []string{"no metadata.namespace", "kubectl"}})
	})
}

// TestInfraPlacement (issue 11, defect 12): nodeSelector on any label and
// preferred pod anti-affinity are placement evidence on the components.
func TestInfraPlacement(t *testing.T) {
	t.Run("istiod: nodeSelector on a custom label", func(t *testing.T) {
		m := testModel(t, "Series(istiod)", nil, nil)
		doc, out := discoverDoc(t, m, []string{realInfra + "istiod"}, nil)
		checkNotes(t, doc, out, noteWant{kind: "placement", source: "istiod/pilot_k8s_settings.golden.yaml:153", component: "istiod",
			words: []string{"nodeSelector master=true", "nodeset/master:true"}})
	})
	t.Run("metallb: nodeSelector on the OS label", func(t *testing.T) {
		m := testModel(t, "Series(controller, speaker)", nil, nil)
		doc, out := discoverDoc(t, m, []string{realInfra + "metallb"}, nil)
		for _, c := range []string{"controller", "speaker"} {
			checkNotes(t, doc, out, noteWant{kind: "placement", component: c, words: []string{"nodeSelector kubernetes.io/os=linux", "not a failure domain"}})
		}
	})
	t.Run("otel demo: preferred pod anti-affinity", func(t *testing.T) {
		m := testModel(t, "Series(frontend, opensearch)", nil, nil)
		doc, out := discoverDoc(t, m, []string{realInfra + "opentelemetry-demo"}, nil)
		checkNotes(t, doc, out, noteWant{kind: "placement", component: "opensearch",
			words: []string{"preferred pod anti-affinity on kubernetes.io/hostname", "1 replica"}})
	})
}

// TestInfraRoutesFold (issue 11, defect 13): with components named after
// the Services, Istio destinations host+subset fold onto the service, and
// what attaches to nothing is said.
func TestInfraRoutesFold(t *testing.T) {
	m := testModel(t, "Series(productpage, details, reviews, ratings, mongodb)", nil, nil)
	net := realInfra + "bookinfo/networking/"
	k8s := []string{realInfra + "bookinfo/platform"}
	_, without := discoverDoc(t, m, k8s, nil)
	doc, out := discoverDoc(t, testModel(t, "Series(productpage, details, reviews, ratings, mongodb)", nil, nil), k8s,
		[]string{net + "virtual-service-reviews-80-20.yaml", net + "destination-rule-all.yaml", net + "egress-rule-google-apis.yaml"})
	if out == without {
		t.Fatalf("the mesh configuration changed nothing")
	}
	var got []string
	if doc.Spec.Topology != nil {
		for _, e := range doc.Spec.Topology.Edges {
			got = append(got, e.From+"→"+e.To+" "+journey.FormatFloat(e.Probability))
		}
	}
	if want := []string{"reviews→reviews 0.8", "reviews→reviews 0.2"}; !slices.Equal(got, want) {
		t.Errorf("edges %q, want %q\n%s", got, want, out)
	}
	checkNotes(t, doc, out,
		noteWant{kind: "route", source: "virtual-service-reviews-80-20.yaml:9", component: "reviews", words: []string{"subset v1", "version v1", "0.8"}},
		noteWant{kind: "unresolved", component: "mongodb", words: []string{"no workload"}},
	)
}

// TestInfraRouteFindings (issue 11, defect 14): faults, header matches,
// DestinationRule policies, weights that do not sum to 100, conflicting
// VirtualServices and a declared split the traces contradict are all
// reported with their file:line.
func TestInfraRouteFindings(t *testing.T) {
	net := realInfra + "bookinfo/networking/"
	k8s := []string{realInfra + "bookinfo/platform"}
	bookinfo := "Series(productpage, details, reviews, ratings)"
	t.Run("fault and header match", func(t *testing.T) {
		doc, out := discoverDoc(t, testModel(t, bookinfo, nil, nil), k8s,
			[]string{net + "virtual-service-ratings-test-abort.yaml", net + "fault-injection-details-v1.yaml"})
		checkNotes(t, doc, out,
			noteWant{kind: "fault", source: "virtual-service-ratings-test-abort.yaml:9", component: "ratings", words: []string{"abort", "100%", "500", "end-user"}},
			noteWant{kind: "match", source: "virtual-service-ratings-test-abort.yaml:9", component: "ratings", words: []string{"headers.end-user.exact=jason"}},
			noteWant{kind: "fault", source: "fault-injection-details-v1.yaml:9", component: "details", words: []string{"abort", "100%", "555", "every request"}},
			noteWant{kind: "shadowed", source: "fault-injection-details-v1.yaml:18", component: "details"},
		)
		if doc.Spec.Topology != nil {
			for _, e := range doc.Spec.Topology.Edges {
				if e.To == "ratings" && e.Probability == 1 && !strings.Contains(e.Notes, "jason") && strings.Contains(e.Notes, ":9") {
					t.Errorf("the jason rule became an unconditional edge: %+v", e)
				}
			}
		}
	})
	t.Run("conflicting VirtualServices", func(t *testing.T) {
		doc, out := discoverDoc(t, testModel(t, bookinfo, nil, nil), k8s, []string{net})
		checkNotes(t, doc, out,
			noteWant{kind: "conflict", component: "reviews", words: []string{"virtual-service-reviews-80-20.yaml:1", "virtual-service-reviews-90-10.yaml:1"}},
			noteWant{kind: "conflict", component: "ratings", words: []string{"virtual-service-ratings-test-abort.yaml"}},
		)
		if doc.Spec.Topology != nil {
			for _, e := range doc.Spec.Topology.Edges {
				if e.From == "reviews" {
					t.Errorf("edge %+v from one of several conflicting VirtualServices", e)
				}
			}
		}
	})
	t.Run("policies and weights", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "reviews.yaml")
		if err := os.WriteFile(file, []byte(policyAndWeights), 0o644); err != nil {
			t.Fatal(err)
		}
		doc, out := discoverDoc(t, testModel(t, bookinfo, nil, nil), k8s, []string{file})
		checkNotes(t, doc, out,
			noteWant{kind: "weights", source: "reviews.yaml:9", component: "reviews", words: []string{"sum to 90", "not 100"}},
			noteWant{kind: "policy", source: "reviews.yaml:25", component: "reviews", words: []string{"outlier detection", "consecutive5xxErrors=5"}},
			noteWant{kind: "policy", source: "reviews.yaml:22", component: "reviews", words: []string{"connection pool", "http1MaxPendingRequests=1"}},
		)
	})
	t.Run("declared 80/20, observed 50/50", func(t *testing.T) {
		m := testModel(t, "Series(productpage, Cond(0.5; reviews-v1, reviews-v2), ratings)", nil,
			map[string][]journey.Prob{"Series/Cond[1]": {{Lo: 0.47, Hi: 0.53}, {Lo: 0.47, Hi: 0.53}}})
		doc, out := discoverDoc(t, m, k8s, []string{net + "virtual-service-reviews-80-20.yaml", net + "destination-rule-all.yaml"})
		checkNotes(t, doc, out, noteWant{kind: "disagreement", source: "virtual-service-reviews-80-20.yaml:9", component: "reviews-v1",
			words: []string{"declared 0.8", "0.47", "0.53"}})
	})
}

// policyAndWeights is a VirtualService whose weights sum to 90 and a
// DestinationRule with outlier detection and a connection pool (the
// circuit-breaking example of the Istio documentation, on reviews).
const policyAndWeights = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 60
    - destination: {host: reviews, subset: v2}
      weight: 30
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
    outlierDetection:
      consecutive5xxErrors: 5
      interval: 1s
      baseEjectionTime: 3m
      maxEjectionPercent: 100
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
`

// TestInfraNotesReadBack runs discover with manifests and mesh
// configuration that attach little to the example's journey (so the
// model carries many notes) and checks that the model, notes included,
// is read back by diff's strict decoder.
func TestInfraNotesReadBack(t *testing.T) {
	dir := t.TempDir()
	traces := filepath.Join(dir, "traces.jsonl")
	if _, stderr, code := run(t, "simulate", "../../examples/checkout", "--emit-traces", traces, "--samples", "2000"); code != 0 {
		t.Fatalf("simulate: %s", stderr)
	}
	model := filepath.Join(dir, "model.yaml")
	_, stderr, code := run(t, "discover", "--traces", traces, "--journey", "checkout", "-o", model,
		"--k8s", realInfra+"bookinfo/platform", "--k8s", "testdata/discover/k8s", "--mesh", realInfra+"bookinfo/networking")
	if code != 0 {
		t.Fatalf("discover: exit %d: %s", code, stderr)
	}
	var doc infraDoc
	readYAML(t, model, &doc)
	if len(doc.Spec.Notes) == 0 {
		t.Fatalf("no notes in the model")
	}
	if _, stderr, code := run(t, "diff", "../../examples/checkout", "--model", model); code != 0 {
		t.Errorf("diff cannot read the model back: exit %d: %s", code, stderr)
	}
}
