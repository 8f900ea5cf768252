package infra

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/journey"
)

// The public manifests under testdata/real (sources and licences in the
// SOURCE.md next to them).
const (
	realOTel     = "testdata/real/opentelemetry-demo/opentelemetry-demo.yaml"
	realMetalLB  = "testdata/real/metallb/metallb-native.yaml"
	realIstiod   = "testdata/real/istiod/pilot_k8s_settings.golden.yaml"
	realBookinfo = "testdata/real/bookinfo/platform/bookinfo.yaml"
	realNet      = "testdata/real/bookinfo/networking/"
)

// readBoth reads manifests and mesh configuration as discover does.
func readBoth(t *testing.T, k8s, mesh []string) Evidence {
	t.Helper()
	var evs []Evidence
	if len(k8s) > 0 {
		ev, err := ReadKubernetes(k8s, KubeOptions{})
		if err != nil {
			t.Fatalf("%v", err)
		}
		evs = append(evs, ev)
	}
	if len(mesh) > 0 {
		ev, err := ReadMesh(mesh, MeshOptions{})
		if err != nil {
			t.Fatalf("%v", err)
		}
		evs = append(evs, ev)
	}
	return Merge(evs...)
}

// services makes targets named after services, each seen in 1000 calls
// without failure.
func services(names ...string) []Target {
	var out []Target
	for _, n := range names {
		out = append(out, Target{Name: n, Good: 1000, Total: 1000})
	}
	return out
}

// tree parses a journey expression.
func tree(t *testing.T, expr string) journey.Node {
	t.Helper()
	n, errs := journey.Parse(expr, diag.Pos{File: "test"})
	if errs.HasErrors() {
		t.Fatalf("%s: %v", expr, errs.Err())
	}
	return n
}

// findNotes returns the notes of a kind whose source ends with source and
// whose message holds every word.
func findNotes(att Attachment, kind, source string, words ...string) []Note {
	var out []Note
	for _, n := range att.Notes {
		if n.Kind != kind || !strings.HasSuffix(n.Source, source) {
			continue
		}
		if !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(n.Message, w) }) {
			out = append(out, n)
		}
	}
	return out
}

// wantNote fails unless exactly one note matches, concerning components.
func wantNote(t *testing.T, att Attachment, components []string, kind, source string, words ...string) {
	t.Helper()
	ns := findNotes(att, kind, source, words...)
	if len(ns) != 1 || !slices.Equal(ns[0].Components, components) {
		t.Errorf("want one %s note at …%s on %q saying %q, got %+v\nall notes:\n%s", kind, source, components, words, ns, dumpNotes(att))
	}
}

func dumpNotes(att Attachment) string {
	var b strings.Builder
	for _, n := range att.Notes {
		fmt.Fprintf(&b, "  %s %s %v: %s\n", n.Kind, n.Source, n.Components, n.Message)
	}
	return b.String()
}

func attDomain(att Attachment, name string) (Domain, bool) {
	for _, d := range att.Domains {
		if d.Name == name {
			return d, true
		}
	}
	return Domain{}, false
}

func edgeList(att Attachment) []string {
	var out []string
	for _, e := range att.Edges {
		s := fmt.Sprintf("%s→%s %g", e.From, e.To, e.Weight)
		if e.Conditional {
			s += " if matched"
		}
		out = append(out, s)
	}
	return out
}

// TestRealOTelDemo reads the OpenTelemetry demo's 84-document manifest:
// the workloads that state no namespace are in the file's only Namespace
// (otel-demo), the namespace domain covers exactly the journey's
// components with signals about them only — also when components are
// operations of the services — and the OpenSearch StatefulSet's preferred
// pod anti-affinity is placement evidence on component opensearch.
func TestRealOTelDemo(t *testing.T) {
	start := time.Now()
	ev := readBoth(t, []string{realOTel}, nil)
	t.Logf("parsed %s (%d workloads) in %s", realOTel, len(ev.Workloads), time.Since(start).Round(time.Millisecond))
	if len(ev.Workloads) != 25 {
		t.Fatalf("%d workloads, want 24 Deployments and 1 StatefulSet", len(ev.Workloads))
	}
	for _, w := range ev.Workloads {
		if w.Namespace != "otel-demo" || w.NamespaceFrom != "file" && w.NamespaceFrom != "metadata" {
			t.Errorf("%s: namespace %q from %q, want otel-demo from the file's Namespace or the object", workloadRef(&w), w.Namespace, w.NamespaceFrom)
		}
	}
	targets := append(services("frontend", "checkout", "product-catalog", "opensearch"),
		Target{Name: "cart.GetCart", Service: "cart"}, Target{Name: "cart.EmptyCart", Service: "cart"}, Target{Name: "payment.Charge"})
	att := Attach(ev, Journey{Components: targets})
	d, ok := attDomain(att, "namespace/otel-demo")
	want := []string{"cart.EmptyCart", "cart.GetCart", "checkout", "frontend", "opensearch", "payment.Charge", "product-catalog"}
	if !ok || !slices.Equal(d.Members, want) {
		t.Fatalf("namespace/otel-demo members %q, want %q", d.Members, want)
	}
	if d.Confidence != weightNamespaceFile {
		t.Errorf("confidence %v, want %v (the file's only Namespace)", d.Confidence, weightNamespaceFile)
	}
	for _, s := range d.Signals {
		if !strings.Contains(s, "the file's only Namespace object (testdata/real/opentelemetry-demo/opentelemetry-demo.yaml:5) is otel-demo") {
			t.Errorf("signal %q does not name the Namespace object", s)
		}
		if strings.Contains(s, "/accounting") || strings.Contains(s, "/grafana") || strings.Contains(s, "/kafka") {
			t.Errorf("signal about a workload outside the journey: %s", s)
		}
	}
	wantNote(t, att, []string{"opensearch"}, NotePlacement, "opentelemetry-demo.yaml:20040",
		"StatefulSet otel-demo/opensearch: preferred pod anti-affinity on kubernetes.io/hostname (soft)", "1 replica, so it has no effect")
	wantNote(t, att, []string{"cart.EmptyCart", "cart.GetCart"}, NoteResolved, "", "backed by Service cart: Deployment otel-demo/cart")
	wantNote(t, att, []string{"payment.Charge"}, NoteResolved, "", "backed by Service payment (the part of payment.Charge before the first '.')")
	if n := len(findNotes(att, NoteUnused, "", "backs none of the journey's components")); n != 25-6 {
		t.Errorf("%d unused workloads noted, want 19 (25 less cart, checkout, frontend, payment, product-catalog, opensearch)", n)
	}
	if len(findNotes(att, NoteNamespace, "")) != 0 {
		t.Errorf("namespace notes although every namespace is known:\n%s", dumpNotes(att))
	}
}

// TestRealMetalLB reads MetalLB's manifest: objects that state their
// namespace give a namespace domain over the journey's components, and
// nodeSelector kubernetes.io/os=linux is noted as selecting a platform,
// not a failure domain.
func TestRealMetalLB(t *testing.T) {
	ev := readBoth(t, []string{realMetalLB}, nil)
	att := Attach(ev, Journey{Components: services("controller", "speaker")})
	d, ok := attDomain(att, "namespace/metallb-system")
	if !ok || !slices.Equal(d.Members, []string{"controller", "speaker"}) || d.Confidence != weightNamespace {
		t.Fatalf("namespace/metallb-system = %+v, want controller and speaker at %v", d, weightNamespace)
	}
	for _, c := range []string{"controller", "speaker"} {
		ns := findNotes(att, NotePlacement, "", "nodeSelector kubernetes.io/os=linux", platformNote)
		if !slices.ContainsFunc(ns, func(n Note) bool { return slices.Equal(n.Components, []string{c}) }) {
			t.Errorf("no platform note for %s:\n%s", c, dumpNotes(att))
		}
	}
	for _, d := range att.Domains {
		if strings.HasPrefix(d.Name, "nodeset/") {
			t.Errorf("the OS label made a domain %s", d.Name)
		}
	}
}

// TestRealIstiod reads istiod as istioctl renders it with nodeSelector
// master: "true": the node set is a failure-domain hypothesis at half a
// nodeSelector's weight, and a placement note.
func TestRealIstiod(t *testing.T) {
	ev := readBoth(t, []string{realIstiod}, nil)
	att := Attach(ev, Journey{Components: services("istiod")})
	d, ok := attDomain(att, "nodeset/master:true")
	if !ok || d.MemberConfidence["istiod"] != weightNodeSet*weightNodeSelector {
		t.Errorf("nodeset/master:true = %+v, want istiod at %v", d, weightNodeSet*weightNodeSelector)
	}
	wantNote(t, att, []string{"istiod"}, NotePlacement, "pilot_k8s_settings.golden.yaml:153",
		"Deployment istio-control/istiod: nodeSelector master=true: confines the pods to the labelled node set nodeset/master:true (+0.425")
	if _, ok := attDomain(att, "namespace/istio-control"); !ok {
		t.Errorf("no namespace/istio-control domain:\n%+v", att.Domains)
	}
}

// TestRealBookinfoNamespaces: Bookinfo states no namespace and declares
// no Namespace, so no namespace is assumed and each workload of the
// journey gets a note.
func TestRealBookinfoNamespaces(t *testing.T) {
	att := Attach(readBoth(t, []string{realBookinfo}, nil), Journey{Components: services("productpage", "reviews")})
	for _, d := range att.Domains {
		if strings.HasPrefix(d.Name, "namespace/") {
			t.Errorf("namespace domain %s assumed", d.Name)
		}
	}
	for _, src := range []string{"bookinfo.yaml:155", "bookinfo.yaml:195", "bookinfo.yaml:235"} {
		wantNote(t, att, []string{"reviews"}, NoteNamespace, src, "no metadata.namespace", "kubectl's context")
	}
	wantNote(t, att, []string{"productpage"}, NoteNamespace, "bookinfo.yaml:299", "Deployment productpage-v1")
	if n := len(findNotes(att, NoteNamespace, "")); n != 4 {
		t.Errorf("%d namespace notes, want 4 (the journey's workloads only)", n)
	}
}

// TestRealBookinfoRoutes attaches Bookinfo's VirtualServices: subsets fold
// onto the Service-named components (or stay apart when the journey has
// a component per version), header matches make conditional edges and a
// note, faults are reported with the traces' failure rate, and a shadowed
// rule is said to never apply.
func TestRealBookinfoRoutes(t *testing.T) {
	k8s := []string{realBookinfo}
	dr := realNet + "destination-rule-all.yaml"
	bookinfo := services("productpage", "details", "reviews", "ratings")
	tests := []struct {
		name    string
		mesh    []string
		targets []Target
		edges   []string
		notes   [][]string // kind, source suffix, words…
	}{
		{name: "80/20 folded onto reviews", mesh: []string{realNet + "virtual-service-reviews-80-20.yaml", dr}, targets: bookinfo,
			edges: []string{"reviews→reviews 0.8", "reviews→reviews 0.2"},
			notes: [][]string{{NoteRoute, "virtual-service-reviews-80-20.yaml:9", "reviews subset v1 (version v1) 0.8 folded onto reviews",
				"reviews subset v2 (version v2) 0.2 folded onto reviews", "the traces do not tell the destinations apart"}}},
		{name: "50/50 onto a component per version", mesh: []string{realNet + "virtual-service-reviews-50-v3.yaml", dr},
			targets: services("productpage", "reviews-v1", "reviews-v2", "reviews-v3"),
			edges:   []string{"reviews→reviews-v1 0.5", "reviews→reviews-v3 0.5"},
			notes:   [][]string{{NoteRoute, "virtual-service-reviews-50-v3.yaml:9", "reviews subset v1 (version v1) 0.5 → reviews-v1"}}},
		{name: "header match", mesh: []string{realNet + "virtual-service-reviews-jason-v2-v3.yaml", dr}, targets: bookinfo,
			edges: []string{"reviews→reviews 1 if matched", "reviews→reviews 1"},
			notes: [][]string{{NoteMatch, "virtual-service-reviews-jason-v2-v3.yaml:9", "applies only to requests matching headers.end-user.exact=jason"}}},
		{name: "abort for jason", mesh: []string{realNet + "virtual-service-ratings-test-abort.yaml", dr}, targets: bookinfo,
			edges: []string{"ratings→ratings 1 if matched", "ratings→ratings 1"},
			notes: [][]string{
				{NoteFault, "virtual-service-ratings-test-abort.yaml:9", "abort of 100% of requests with HTTP 500, on the requests to ratings matching headers.end-user.exact=jason"},
				{NoteMatch, "virtual-service-ratings-test-abort.yaml:9", "headers.end-user.exact=jason"}}},
		{name: "7s delay for jason", mesh: []string{realNet + "virtual-service-ratings-test-delay.yaml", dr}, targets: bookinfo,
			edges: []string{"ratings→ratings 1 if matched", "ratings→ratings 1"},
			notes: [][]string{{NoteFault, "virtual-service-ratings-test-delay.yaml:9", "delay of 100% of requests by 7s, on the requests to ratings matching"}}},
		{name: "unconditional abort the traces do not show", mesh: []string{realNet + "fault-injection-details-v1.yaml"}, targets: bookinfo,
			edges: []string{"details→details 1"},
			notes: [][]string{
				{NoteFault, "fault-injection-details-v1.yaml:9", "abort of 100% of requests with HTTP 555, on every request to details"},
				{NoteDisagreement, "fault-injection-details-v1.yaml:9", "the traces show 0% failures of details (0 of 1000 calls)"},
				{NoteShadowed, "fault-injection-details-v1.yaml:18", "never applies: the earlier rule at testdata/real/bookinfo/networking/fault-injection-details-v1.yaml:9 takes every request"}}},
		{name: "unconditional abort the traces show", mesh: []string{realNet + "fault-injection-details-v1.yaml"},
			targets: append(services("productpage"), Target{Name: "details", Good: 0, Total: 1000}),
			edges:   []string{"details→details 1"},
			notes:   [][]string{{NoteFault, "fault-injection-details-v1.yaml:9", "the traces show 100% failures of details (1000 of 1000 calls)"}}},
		{name: "subset without a DestinationRule", mesh: []string{realNet + "virtual-service-reviews-v3.yaml"}, targets: bookinfo,
			edges: []string{"reviews→reviews 1"},
			notes: [][]string{{NoteUnresolved, "virtual-service-reviews-v3.yaml:9", "subset v3 of reviews is defined by no DestinationRule read"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			att := Attach(readBoth(t, k8s, tt.mesh), Journey{Components: tt.targets})
			if got := edgeList(att); !slices.Equal(got, tt.edges) {
				t.Errorf("edges %q, want %q", got, tt.edges)
			}
			for _, n := range tt.notes {
				if len(findNotes(att, n[0], n[1], n[2:]...)) != 1 {
					t.Errorf("no %s note at …%s saying %q\nall notes:\n%s", n[0], n[1], n[2:], dumpNotes(att))
				}
			}
		})
	}
}

// TestRealBookinfoConflicts reads every networking sample at once, as a
// user pointing --mesh at the directory would: they are alternatives, so
// every Bookinfo host is configured by several VirtualServices and
// DestinationRules; each conflict is noted once, with every object's
// file:line, and no route edge is drawn for a conflicting host.
func TestRealBookinfoConflicts(t *testing.T) {
	att := Attach(readBoth(t, []string{realBookinfo}, []string{realNet}), Journey{Components: services("productpage", "details", "reviews", "ratings")})
	for _, c := range []struct {
		host  string
		count int
	}{{"reviews", 11}, {"ratings", 6}, {"details", 3}} {
		ns := findNotes(att, NoteConflict, "", fmt.Sprintf("%d VirtualServices route host %s", c.count, c.host))
		if len(ns) != 1 || !slices.Equal(ns[0].Components, []string{c.host}) {
			t.Errorf("conflict on %s: %+v\n%s", c.host, ns, dumpNotes(att))
		}
	}
	if ns := findNotes(att, NoteConflict, "", "3 DestinationRules configure host reviews"); len(ns) != 1 {
		t.Errorf("no DestinationRule conflict on reviews:\n%s", dumpNotes(att))
	}
	if got, want := edgeList(att), []string{"productpage→productpage 1"}; !slices.Equal(got, want) {
		t.Errorf("edges %q, want only productpage's (the one host with one VirtualService)", got)
	}
	wantNote(t, att, nil, NoteUnused, "egress-rule-google-apis.yaml:17", "routes host www.googleapis.com")
}

// TestSplitAgreement compares a declared split with the traces' branch
// probabilities: 80/20 declared against 50/50 observed is a disagreement
// noted with both figures; an interval holding the weights, or a point
// within the tolerance, agrees.
func TestSplitAgreement(t *testing.T) {
	ev := readBoth(t, []string{realBookinfo}, []string{realNet + "virtual-service-reviews-80-20.yaml", realNet + "destination-rule-all.yaml"})
	targets := services("productpage", "reviews-v1", "reviews-v2")
	tests := []struct {
		name      string
		expr      string
		intervals map[string][]journey.Prob
		disagree  bool
		words     string
	}{
		{"50/50 observed with intervals", "Series(productpage, Cond(0.5; reviews-v1, reviews-v2))",
			map[string][]journey.Prob{"Series/Cond[1]": {{Lo: 0.47, Hi: 0.53}, {Lo: 0.47, Hi: 0.53}}}, true,
			"declared 0.8 for reviews subset v1 (version v1) (reviews-v1), declared 0.2 for reviews subset v2 (version v2) (reviews-v2), but the traces show 0.5 [0.47, 0.53], 0.5 [0.47, 0.53] at Series/Cond[1]"},
		{"50/50 observed as points", "Series(productpage, Cond(0.5; reviews-v1, reviews-v2))", nil, true, "0.5 [0.5, 0.5]"},
		{"80/20 observed", "Series(productpage, Cond(0.8; reviews-v1, reviews-v2))",
			map[string][]journey.Prob{"Series/Cond[1]": {{Lo: 0.77, Hi: 0.83}, {Lo: 0.17, Hi: 0.23}}}, false, "the traces agree with the split at Series/Cond[1]"},
		{"within the point tolerance", "Series(productpage, Cond(0.17; reviews-v2, reviews-v1))", nil, false, "the traces agree with the split"},
		{"branches in the other order", "Cond(0.5; reviews-v2, Series(productpage, reviews-v1))", nil, true, "at Cond"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			att := Attach(ev, Journey{Components: targets, Root: tree(t, tt.expr), Intervals: tt.intervals})
			dis := findNotes(att, NoteDisagreement, "virtual-service-reviews-80-20.yaml:9")
			if got := len(dis) == 1; got != tt.disagree {
				t.Fatalf("disagreement noted: %v, want %v\n%s", got, tt.disagree, dumpNotes(att))
			}
			where := NoteRoute
			if tt.disagree {
				where = NoteDisagreement
				if !slices.Equal(dis[0].Components, []string{"reviews-v1", "reviews-v2"}) {
					t.Errorf("components %q", dis[0].Components)
				}
			}
			if len(findNotes(att, where, "virtual-service-reviews-80-20.yaml:9", tt.words)) != 1 {
				t.Errorf("no %s note saying %q\n%s", where, tt.words, dumpNotes(att))
			}
		})
	}
}
