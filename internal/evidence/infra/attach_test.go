package infra

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// shopManifests are workloads with Services, app labels and namespaces
// for the resolution tests.
const shopManifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: cart-server, namespace: shop}
spec: {template: {metadata: {labels: {app: cart, app.kubernetes.io/name: cart-app}}}}
---
apiVersion: v1
kind: Service
metadata: {name: cart-svc, namespace: shop}
spec: {selector: {app: cart}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pricing, namespace: shop}
spec: {template: {metadata: {labels: {app.kubernetes.io/name: prices}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pricing, namespace: staging}
spec: {template: {metadata: {labels: {app: pricing}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: queue, namespace: shop}
spec: {template: {metadata: {labels: {app: q}}}}
---
apiVersion: v1
kind: Service
metadata: {name: payments, namespace: shop}
spec: {type: ExternalName, externalName: pay.example.com}
`

func TestLookup(t *testing.T) {
	ev := parseKube(t, KubeOptions{}, shopManifests)
	a := newAttacher(ev, Journey{})
	tests := []struct {
		name string
		want []string // workloads as namespace/name
		how  string
	}{
		{"cart-svc", []string{"shop/cart-server"}, "Service cart-svc"},
		{"cart-server", []string{"shop/cart-server"}, "workload cart-server"},
		{"cart-app", []string{"shop/cart-server"}, "label app.kubernetes.io/name cart-app"},
		{"cart", []string{"shop/cart-server"}, "label app cart"},
		{"pricing", []string{"shop/pricing", "staging/pricing"}, "workload pricing"},
		{"pricing.staging", []string{"staging/pricing"}, "workload pricing (the part of pricing.staging before the first '.') in namespace staging"},
		{"pricing.staging.svc.cluster.local", []string{"staging/pricing"}, "in namespace staging"},
		{"cart-svc.GetCart", []string{"shop/cart-server"}, "Service cart-svc (the part of cart-svc.GetCart before the first '.')"},
		{"q", []string{"shop/queue"}, "label app q"},
		{"nothing", nil, ""},
		{"nothing.shop", nil, ""},
		{".shop", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, how := a.idx.lookup(tt.name)
			var got []string
			for _, w := range ws {
				got = append(got, w.Namespace+"/"+w.Name)
			}
			if !slices.Equal(got, tt.want) || !strings.Contains(how, tt.how) {
				t.Errorf("lookup %q = %q by %q, want %q by …%q…", tt.name, got, how, tt.want, tt.how)
			}
		})
	}
}

// TestAttachKube: the journey's components get their workloads' domains,
// signals and notes, and nothing of the other workloads; a name found
// in two namespaces, an external dependency and a missing component are
// noted.
func TestAttachKube(t *testing.T) {
	ev := parseKube(t, KubeOptions{}, shopManifests)
	att := Attach(ev, Journey{Components: []Target{
		{Name: "cart.GetCart", Service: "cart-svc"}, {Name: "cart.AddItem", Service: "cart-svc"},
		{Name: "pricing"}, {Name: "payments"}, {Name: "inventory"},
	}})
	d, ok := attDomain(att, "namespace/shop")
	if !ok || !slices.Equal(d.Members, []string{"cart.AddItem", "cart.GetCart", "pricing"}) {
		t.Fatalf("namespace/shop = %+v", d)
	}
	if d.MemberConfidence["pricing"] != 0.1 {
		t.Errorf("pricing is half in shop (one of its two workloads): %v, want 0.1", d.MemberConfidence["pricing"])
	}
	for _, s := range d.Signals {
		if strings.Contains(s, "queue") {
			t.Errorf("signal about queue, not in the journey: %s", s)
		}
	}
	if _, ok := attDomain(att, "namespace/staging"); !ok {
		t.Errorf("no namespace/staging domain for pricing")
	}
	wantNote(t, att, []string{"pricing"}, NoteResolved, "", "ambiguous: the workloads lie in 2 namespaces (shop, staging)")
	wantNote(t, att, []string{"payments"}, NoteExternal, "m.yaml:26", "Service ExternalName payments (pay.example.com) is outside the cluster")
	wantNote(t, att, []string{"inventory"}, NoteUnresolved, "", "no workload, Service or app label of the manifests is named inventory")
	wantNote(t, att, nil, NoteUnused, "m.yaml:21", "Deployment shop/queue (names: q, queue) backs none")
}

// meshFor parses mesh documents as one file.
func meshFor(t *testing.T, docs ...string) Evidence {
	t.Helper()
	ev, err := ParseMesh([]File{{Name: "mesh.yaml", Data: []byte(strings.Join(docs, "---\n"))}})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestAttachMesh covers the route findings without manifests: weights not
// summing to 100, shadowed rules, conflicts only between objects for the
// same sidecars, subset-level policies, and mesh objects for hosts
// outside the journey.
func TestAttachMesh(t *testing.T) {
	const vs = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: %s}\nspec:\n  hosts: [%s]\n%s  http:\n%s"
	rule := func(lines ...string) string { return "  - " + strings.Join(lines, "\n    ") + "\n" }
	weighted := fmt.Sprintf(vs, "r", "reviews", "", rule("route: [{destination: {host: reviews, subset: v1}, weight: 60}, {destination: {host: reviews, subset: v2}, weight: 30}]")+
		rule("route: [{destination: {host: reviews, subset: v3}}]"))
	gateway := fmt.Sprintf(vs, "g", "reviews", "  gateways: [edge]\n", rule("route: [{destination: {host: reviews}}]"))
	other := fmt.Sprintf(vs, "o", "ratings", "", rule("route: [{destination: {host: ratings}}]"))
	dr := `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      connectionPool: {tcp: {connectTimeout: 30ms}}
`
	ev := meshFor(t, weighted, gateway, other, dr)
	att := Attach(ev, Journey{Components: []Target{{Name: "reviews"}, {Name: "reviews-v2"}}})
	wantNote(t, att, []string{"reviews", "reviews-v2"}, NoteWeights, "mesh.yaml:7", "weights sum to 90, not 100; normalised")
	wantNote(t, att, []string{"reviews", "reviews-v2"}, NoteShadowed, "mesh.yaml:8", "http rule 1 for reviews never applies: the earlier rule at mesh.yaml:7")
	wantNote(t, att, []string{"reviews-v2"}, NotePolicy, "mesh.yaml:38", "connection pool on reviews subset v2 (tcp.connectTimeout=30ms)", "timeout signal")
	wantNote(t, att, nil, NoteUnused, "mesh.yaml:19", "VirtualService o routes host ratings")
	if ns := findNotes(att, NoteConflict, ""); len(ns) != 0 {
		t.Errorf("a gateway's VirtualService conflicts with the sidecars' one: %+v", ns)
	}
	if got, want := edgeList(att), []string{"reviews→reviews 0.6667", "reviews→reviews-v2 0.3333", "reviews→reviews 1"}; !slices.Equal(got, want) {
		t.Errorf("edges %q, want %q", got, want)
	}
	again := meshFor(t, weighted, strings.Replace(weighted, "name: r}", "name: r2}", 1), dr)
	att = Attach(again, Journey{Components: []Target{{Name: "reviews"}}})
	wantNote(t, att, []string{"reviews"}, NoteConflict, "mesh.yaml:1", "2 VirtualServices route host reviews: VirtualService r (mesh.yaml:1), VirtualService r2 (mesh.yaml:10)")
	if len(att.Edges) != 0 {
		t.Errorf("edges from conflicting VirtualServices: %q", edgeList(att))
	}
}
