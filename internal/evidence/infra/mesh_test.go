package infra

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/journey"
)

// vsDoc renders a VirtualService for host "h" with one http
// rule made of the given lines (indented under the rule).
func vsDoc(apiVersion string, rule ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: networking.istio.io/%s\nkind: VirtualService\nmetadata: {name: h}\nspec:\n  hosts: [h.shop.svc.cluster.local]\n  http:\n  - ", apiVersion)
	b.WriteString(strings.Join(rule, "\n    ") + "\n")
	return b.String()
}

func parseMesh(t *testing.T, docs ...string) Evidence {
	t.Helper()
	ev, err := ParseMesh([]File{{Name: "vs.yaml", Data: []byte(strings.Join(docs, "---\n"))}})
	if err != nil {
		t.Fatalf("unexpected error:\n%v", err)
	}
	return ev
}

func TestRoutes(t *testing.T) {
	const two = "route: [{destination: {host: a}, weight: 80}, {destination: {host: b, subset: v2}, weight: 20}]"
	tests := []struct {
		name    string
		version string
		rule    []string
		split   string // destination name:weight …
		expr    string
		notes   []string
		faults  []string
		warn    string
	}{
		{name: "single destination", version: "v1", rule: []string{"route: [{destination: {host: a.shop.svc.cluster.local}}]"},
			split: "a:1", expr: "a"},
		{name: "weighted split", version: "v1beta1", rule: []string{two}, split: "a:0.8 b-v2:0.2", expr: "Cond(0.8; a, b-v2)"},
		{name: "weights not summing to 100", version: "v1alpha3", rule: []string{"route: [{destination: {host: a}, weight: 1}, {destination: {host: b}, weight: 3}]"},
			split: "a:0.25 b:0.75", expr: "Cond(0.25; a, b)", warn: "weights sum to 4, not 100; normalised"},
		{name: "no weights", version: "v1", rule: []string{"route: [{destination: {host: a}}, {destination: {host: b}}]"},
			split: "a:0.5 b:0.5", expr: "Cond(0.5; a, b)", warn: "no weights on 2 destinations; traffic assumed split equally"},
		{name: "zero weight", version: "v1", rule: []string{"route: [{destination: {host: a}, weight: 100}, {destination: {host: b}, weight: 0}]"},
			split: "a:1 b:0", expr: "a"},
		{name: "timeout", version: "v1", rule: []string{two, "timeout: 1.5s"}, split: "a:0.8 b-v2:0.2", expr: "Timeout(1.5s; Cond(0.8; a, b-v2))"},
		{name: "zero timeout is none", version: "v1", rule: []string{"route: [{destination: {host: a}}]", "timeout: 0s"}, split: "a:1", expr: "a"},
		{name: "retries count retries", version: "v1", rule: []string{"route: [{destination: {host: a}}]", "retries: {attempts: 3, perTryTimeout: 200ms, retryOn: 5xx}"},
			split: "a:1", expr: "Retry(4, 200ms, 25ms; a)"},
		{name: "retries within a split and a timeout", version: "v1", rule: []string{two, "timeout: 1s", "retries: {attempts: 1, perTryTimeout: 300ms, retryOn: 'gateway-error,500', backoff: 10ms}"},
			split: "a:0.8 b-v2:0.2", expr: "Timeout(1s; Cond(0.8; Retry(2, 300ms, 10ms; a), Retry(2, 300ms, 10ms; b-v2)))"},
		{name: "perTryTimeout defaults to the timeout", version: "v1", rule: []string{"route: [{destination: {host: a}}]", "timeout: 2s", "retries: {attempts: 2, retryOn: 5xx}"},
			split: "a:1", expr: "Timeout(2s; Retry(3, 2s, 25ms; a))", notes: []string{"perTryTimeout defaults to the route timeout"}},
		{name: "retries without any timeout", version: "v1", rule: []string{"route: [{destination: {host: a}}]", "retries: {attempts: 2, retryOn: 5xx}"},
			split: "a:1", expr: "a"},
		{name: "retries disabled", version: "v1", rule: []string{"route: [{destination: {host: a}}]", "retries: {attempts: 0}"},
			split: "a:1", expr: "a", notes: []string{"retries disabled (attempts: 0)"}},
		{name: "retryOn without 500", version: "v1", rule: []string{"route: [{destination: {host: a}}]", "retries: {attempts: 1, perTryTimeout: 1s, retryOn: 'connect-failure,503'}"},
			split: "a:1", expr: "Retry(2, 1s, 25ms; a)", notes: []string{`retryOn "connect-failure,503" does not retry HTTP 500 responses`}},
		{name: "fault abort", version: "v1", rule: []string{"route: [{destination: {host: a}}]", "fault: {abort: {percentage: {value: 0.1}, httpStatus: 400}}"},
			split: "a:1", expr: "a", faults: []string{"abort of 0.1% of requests with HTTP 400"}},
		{name: "fault delay, no percentage", version: "v1", rule: []string{"route: [{destination: {host: a}}]", "fault: {delay: {fixedDelay: 7s}}"},
			split: "a:1", expr: "a", faults: []string{"delay of 100% of requests by 7s"}},
		{name: "fault percentage clamped", version: "v1", rule: []string{"route: [{destination: {host: a}}]", "fault: {abort: {percentage: {value: 150}, grpcStatus: UNAVAILABLE}}"},
			split: "a:1", expr: "a", faults: []string{"abort of 100% of requests with gRPC UNAVAILABLE"}},
		{name: "mirrors", version: "v1", rule: []string{"route: [{destination: {host: a}}]", "mirrors: [{destination: {host: m, subset: v2}}]"},
			split: "a:1", expr: "a", notes: []string{"mirrors to m/v2 (ignored: mirrored requests do not affect the response)"}},
		{name: "redirect", version: "v1", rule: []string{"redirect: {uri: /v1/bookRatings, authority: newratings.default.svc.cluster.local}"},
			split: "", expr: "(none)", notes: []string{"redirect: the rule answers without a routed destination"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := parseMesh(t, vsDoc(tt.version, tt.rule...))
			if len(ev.Routes) != 1 {
				t.Fatalf("got %d routes, want 1", len(ev.Routes))
			}
			r := ev.Routes[0]
			var split []string
			for _, d := range r.Split {
				split = append(split, fmt.Sprintf("%s:%g", d.Name(), d.Weight))
			}
			if got := strings.Join(split, " "); got != tt.split {
				t.Errorf("split %q, want %q", got, tt.split)
			}
			expr := "(none)"
			if n := r.Node(); n != nil {
				expr = n.String()
				checkJourney(t, n)
			}
			if expr != tt.expr {
				t.Errorf("journey %s, want %s", expr, tt.expr)
			}
			for _, note := range tt.notes {
				if !slices.Contains(r.Notes, note) {
					t.Errorf("notes %q lack %q", r.Notes, note)
				}
			}
			var faults []string
			for _, f := range r.Faults {
				faults = append(faults, f.String())
			}
			if !slices.Equal(faults, tt.faults) {
				t.Errorf("faults %q, want %q", faults, tt.faults)
			}
			if r.Weights != tt.warn {
				t.Errorf("route weights %q, want %q", r.Weights, tt.warn)
			}
			if tt.warn != "" && (len(ev.Warnings) != 1 || !strings.HasSuffix(ev.Warnings[0], tt.warn)) {
				t.Errorf("warnings %q, want one ending %q", ev.Warnings, tt.warn)
			}
			if tt.warn == "" && len(ev.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", ev.Warnings)
			}
			if r.Host != "h.shop.svc.cluster.local" || r.Component != "h" || r.Source != "vs.yaml:7" {
				t.Errorf("host %q component %q source %q", r.Host, r.Component, r.Source)
			}
		})
	}
}

// checkJourney checks that a route's tree validates and that its
// expression parses back to the same tree.
func checkJourney(t *testing.T, n journey.Node) {
	t.Helper()
	components := map[string]bool{}
	for _, l := range journey.Leaves(n) {
		components[l] = true
	}
	if errs := journey.Validate(n, components, nil); errs.HasErrors() {
		t.Errorf("%s does not validate: %v", n, errs.Err())
	}
	back, errs := journey.Parse(n.String(), n.Position())
	if errs.HasErrors() {
		t.Fatalf("%s does not parse: %v", n, errs.Err())
	}
	if back.String() != n.String() {
		t.Errorf("round trip %s → %s", n, back)
	}
}

func TestRouteRulesAndHosts(t *testing.T) {
	src := `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews, reviews.shop.svc.cluster.local]
  gateways: [mesh, edge]
  http:
  - name: jason
    match: [{headers: {end-user: {exact: jason}}}, {uri: {prefix: /beta}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]
  tcp:
  - route: [{destination: {host: reviews-tcp}}]
`
	ev := parseMesh(t, src)
	var got []string
	for _, r := range ev.Routes {
		got = append(got, fmt.Sprintf("%s %s %s %q %q %s", r.Host, r.Protocol, r.Name, r.Match, r.Notes, r.Source))
	}
	want := []string{
		`reviews http jason "headers.end-user.exact=jason | uri.prefix=/beta" [] vs.yaml:8`,
		`reviews http  "" [] vs.yaml:11`,
		`reviews tcp  "" [] vs.yaml:13`,
		`reviews.shop.svc.cluster.local http jason "headers.end-user.exact=jason | uri.prefix=/beta" [] vs.yaml:8`,
		`reviews.shop.svc.cluster.local http  "" [] vs.yaml:11`,
		`reviews.shop.svc.cluster.local tcp  "" [] vs.yaml:13`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1.5s", 1.5, true}, {"200ms", 0.2, true}, {"1h", 3600, true}, {"1m30s", 90, true},
		{"250us", 0.00025, true}, {"0s", 0, true},
		{"10", 0, false}, {"-1s", 0, false}, {"1.5 s", 0, false}, {"fast", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			docs := parseFile(File{Name: "d.yaml", Data: []byte("timeout: '" + tt.in + "'")}, nil)
			var diags = newList()
			r := &reader{doc: docs[0], diags: diags}
			got, ok := duration(r, docs[0].root, "timeout", "timeout")
			if ok != tt.ok || got != tt.want || diags.HasErrors() == tt.ok {
				t.Errorf("duration(%q) = %v, %v (errors %v), want %v, %v", tt.in, got, ok, diags.Err(), tt.want, tt.ok)
			}
		})
	}
}
