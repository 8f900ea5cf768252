package prom_test

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pmodel "github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/gen/prom"
	"github.com/emac-dev/emac/internal/golden"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const version = "v0.0.0-test"

// comp is a test component: its synthetic leaf ratio, domains and
// latency law (nil: none).
type comp struct {
	ratio   float64
	domains []string
	latency law.Law
	// hist gives the component a latency histogram.
	hist bool
}

// tcase is a journey compiled by package compute, then turned into rules
// whose promtool test must reproduce compute's bounds.
type tcase struct {
	name   string
	expr   string
	comps  map[string]comp
	params map[string]model.Param
	// offline lists components without telemetry.
	offline map[string]bool
	// target is the availability objective (default 0.99).
	target float64
	// pages says that a single degraded leaf can make the page alert fire
	// (the target leaves room for a 14.4× burn and no redundancy masks
	// every leaf).
	pages bool
	// queries gives a component's good and total queries (default:
	// distinct metrics emac_test_good_total and emac_test_requests_total).
	queries func(n string) (good, total string)
	// split is Input.SplitBytes: small values split the SLIs into many
	// intermediate rules.
	split int
	// lowerBound says the live pessimistic SLI is a documented lower
	// bound below the compiler's A− (a note).
	lowerBound bool
}

func (c tcase) journey(t *testing.T) *model.Journey {
	t.Helper()
	root, errs := journey.Parse(c.expr, diag.Pos{})
	if errs.HasErrors() {
		t.Fatalf("parse %q: %v", c.expr, errs.Err())
	}
	vals := map[string]float64{}
	for n, p := range c.params {
		vals[n] = p.Value
	}
	journey.Bind(root, vals)
	target := c.target
	if target == 0 {
		target = 0.99
	}
	j := &model.Journey{
		Name: c.name, Root: root, Components: map[string]*model.Component{}, Params: c.params,
		Objective: model.Objective{Availability: target, Window: "30d",
			Latency: &model.LatencyObjective{Quantile: 0.99, ThresholdSeconds: 0.4, Window: "30d"}},
	}
	for n, cp := range c.comps {
		j.Components[n] = &model.Component{Name: n, Domains: cp.domains, Latency: cp.latency,
			Availability: model.Availability{Point: cp.ratio, Lower: cp.ratio, Source: "test"}}
	}
	return j
}

// input compiles the journey and returns the generator's input and the
// scenario whose expected values are compute's bounds.
func (c tcase) input(t *testing.T) (prom.Input, prom.Scenario) {
	t.Helper()
	j := c.journey(t)
	ev, err := compute.Evaluate(j)
	if err != nil {
		t.Fatalf("compute.Evaluate: %v", err)
	}
	in := prom.Input{Journey: j, Availability: ev.Availability, Contributors: ev.Contributors, SplitBytes: c.split}
	if ev.Latency != nil {
		in.Late = ev.Latency.Late
	}
	sc := prom.Scenario{Name: c.name, Ratios: map[string]float64{},
		Optimistic: ev.Availability.Optimistic, Pessimistic: ev.Availability.Pessimistic}
	for i, n := range j.ComponentNames() {
		if c.offline[n] {
			continue
		}
		// Alternate increase over the SLO window and rate over 5m: both
		// must be rewritten to each window.
		fn, w := "increase", "30d"
		if i%2 == 1 {
			fn, w = "rate", "5m"
		}
		l := prom.Leaf{Name: n,
			GoodQuery:   `sum(` + fn + `(emac_test_good_total{component="` + n + `"}[` + w + `]))`,
			TotalQuery:  `sum(` + fn + `(emac_test_requests_total{component="` + n + `"}[` + w + `]))`,
			MissingData: "ignore"}
		if c.comps[n].hist {
			l.HistogramMetric, l.HistogramSelector = "emac_test_duration_seconds", `{component="`+n+`"}`
		}
		if c.queries != nil {
			l.GoodQuery, l.TotalQuery = c.queries(n)
		}
		in.Leaves = append(in.Leaves, l)
		sc.Ratios[n] = c.comps[n].ratio
	}
	return in, sc
}

var pay = []string{"payment-network"}

// fast is a latency law well within every test objective.
var fast = law.Lognormal{Median: 0.02, Sigma: 0.3}

// checkout is the brief's example with paya and payb sharing a domain.
var checkout = tcase{
	name:  "checkout",
	pages: true,
	expr:  "Series(front, Cond(0.8; cache, catalog), Timeout(200ms; Race(paya, payb), queue))",
	comps: map[string]comp{
		"front":   {ratio: 0.999, hist: true},
		"cache":   {ratio: 0.995, hist: true},
		"catalog": {ratio: 0.99, hist: true},
		"paya":    {ratio: 0.98, domains: pay, latency: law.Lognormal{Median: 0.08, Sigma: 0.5}},
		"payb":    {ratio: 0.97, domains: pay, latency: law.Lognormal{Median: 0.1, Sigma: 0.6}},
		"queue":   {ratio: 0.95, hist: true},
	},
}

// generated is everything generated for one test case.
type generated struct {
	in                     prom.Input
	groups                 []rulefmt.RuleGroup
	notes                  []prom.Note
	alertTests             []prom.TestGroup
	rules, tests, operator []byte
}

// all returns the rules of every group.
func (g generated) all() []rulefmt.Rule { return allRules(g.groups) }

func allRules(gs []rulefmt.RuleGroup) []rulefmt.Rule {
	var out []rulefmt.Rule
	for _, g := range gs {
		out = append(out, g.Rules...)
	}
	return out
}

func generate(t *testing.T, c tcase) generated {
	t.Helper()
	in, sc := c.input(t)
	g, notes, err := prom.Rules(in)
	if err != nil {
		t.Fatalf("Rules: %v", err)
	}
	rules, err := prom.Marshal(version, g...)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := prom.UnitTests(in, sc)
	if err != nil {
		t.Fatalf("UnitTests: %v", err)
	}
	ats, err := prom.AlertTests(in, sc)
	if err != nil {
		t.Fatalf("AlertTests: %v", err)
	}
	tests, err := prom.MarshalTests(version, prom.TestRules("rules.yaml", in.Journey.Name, append([]prom.TestGroup{tg}, ats...)...))
	if err != nil {
		t.Fatal(err)
	}
	op, err := prom.MarshalPrometheusRule(version, prom.NewPrometheusRule(in.Journey.Name, g...))
	if err != nil {
		t.Fatal(err)
	}
	if fast, err := prom.MarshalPrometheusRuleWith(version, prom.NewPrometheusRule(in.Journey.Name, g...), rules); err != nil || !bytes.Equal(fast, op) {
		t.Errorf("MarshalPrometheusRuleWith differs from MarshalPrometheusRule (%v)", err)
	}
	return generated{in: in, groups: g, notes: notes, alertTests: ats, rules: rules, tests: tests, operator: op}
}

func TestCheckoutGolden(t *testing.T) {
	g := generate(t, checkout)
	if len(g.in.Late) == 0 || g.in.Late[0].Estimate <= 0 {
		t.Fatalf("the example should exercise a positive late fraction, got %+v", g.in.Late)
	}
	golden.Check(t, filepath.Join("testdata", "checkout/rules.yaml"), g.rules, *update)
	golden.Check(t, filepath.Join("testdata", "checkout/rules_test.yaml"), g.tests, *update)
	golden.Check(t, filepath.Join("testdata", "checkout/prometheusrule.yaml"), g.operator, *update)
	again := generate(t, checkout)
	if !bytes.Equal(g.rules, again.rules) || !bytes.Equal(g.tests, again.tests) || !bytes.Equal(g.operator, again.operator) {
		t.Error("two generations differ")
	}
}

// cases are journeys covering every operator, shared fate, late fractions,
// interval probabilities and offline leaves; each must pass promtool.
var cases = []tcase{
	checkout,
	withQueries(checkout, "checkout_regex", artifactQueries),
	withQueries(checkout, "checkout_not_regex", exampleQueries),
	{
		name:   "retry",
		expr:   "Series(a, Retry(3, 100ms; Series(b, c)), Parallel(d, skip))",
		target: 0.7,
		comps: map[string]comp{
			"a": {ratio: 0.999, hist: true}, "b": {ratio: 0.97, latency: law.Lognormal{Median: 0.05, Sigma: 0.5}},
			"c": {ratio: 0.96, hist: true}, "d": {ratio: 0.99, hist: true},
		},
	},
	{
		name:   "fallback_shared",
		expr:   "Timeout(150ms; a, b)",
		target: 0.95,
		comps: map[string]comp{
			"a": {ratio: 0.95, domains: []string{"zone"}, latency: law.Lognormal{Median: 0.1, Sigma: 0.4}},
			"b": {ratio: 0.97, domains: []string{"zone"}, hist: true},
		},
	},
	{
		name:   "kofn",
		expr:   "Series(KofN(2; a, b, c), Race(d, e, f))",
		target: 0.7,
		comps: map[string]comp{
			"a": {ratio: 0.9}, "b": {ratio: 0.95}, "c": {ratio: 0.97},
			"d": {ratio: 0.8, domains: []string{"x"}}, "e": {ratio: 0.85, domains: []string{"x", "y"}},
			"f": {ratio: 0.7, domains: []string{"y"}},
		},
	},
	{
		// Issue 10's quorum: zones {n1, n2}, {n3, n4}, {n5}.
		name:   "kofn_shared",
		expr:   "Series(gw, KofN(3; n1, n2, n3, n4, n5))",
		target: 0.99,
		pages:  true,
		comps: map[string]comp{
			"gw": {ratio: 0.9999},
			"n1": {ratio: 0.99, domains: []string{"zone-a"}}, "n2": {ratio: 0.98, domains: []string{"zone-a"}},
			"n3": {ratio: 0.97, domains: []string{"zone-b"}}, "n4": {ratio: 0.99, domains: []string{"zone-b"}},
			"n5": {ratio: 0.95, domains: []string{"zone-c"}},
		},
	},
	{
		// A quorum of three in one zone under a deadline with a shared
		// fallback, and a 1-of-n and an n-of-n KofN over shared zones.
		name:   "kofn_shared_nested",
		expr:   "Series(Timeout(300ms; KofN(2; a, b, c), d), KofN(1; e, f), KofN(2; g, h))",
		target: 0.8,
		comps: map[string]comp{
			"a": {ratio: 0.95, domains: []string{"z"}, latency: fast}, "b": {ratio: 0.9, domains: []string{"z"}, latency: fast},
			"c": {ratio: 0.97, domains: []string{"z"}, latency: fast}, "d": {ratio: 0.99, domains: []string{"z"}, latency: fast},
			"e": {ratio: 0.99, domains: []string{"y"}, latency: fast}, "f": {ratio: 0.98, domains: []string{"y"}, latency: fast},
			"g": {ratio: 0.99, domains: []string{"x"}, latency: fast}, "h": {ratio: 0.98, domains: []string{"x"}, latency: fast},
		},
	},
	{
		name:   "interval_cond",
		expr:   "Cond([0.6, 0.9], [0.05, 0.3]; a, b, Race(c, c))",
		target: 0.95,
		pages:  true,
		comps: map[string]comp{
			"a": {ratio: 0.99}, "b": {ratio: 0.9}, "c": {ratio: 0.95},
		},
	},
	{
		name:    "offline_leaf",
		expr:    "Series(a, Race(b, c))",
		comps:   map[string]comp{"a": {ratio: 0.99, hist: true}, "b": {ratio: 0.9, hist: true}, "c": {ratio: 0.8}},
		offline: map[string]bool{"c": true},
		target:  0.95,
		pages:   true,
	},
}

// splitCases are cases with every SLI split into many intermediate
// rules: promtool must find the same values.
var splitCases = []tcase{
	withSplit(checkout, "checkout_split", 300),
	withSplit(cases[5], "kofn_shared_split", 400),
	withSplit(cases[6], "kofn_shared_nested_split", 300),
	withSplit(kofnLarge, "kofn_large_split", 500),
	withSplit(condIntervals, "cond_intervals_split", 600),
}

// kofnLarge is a quorum of 5 among 9 independent replicas: the
// Poisson-binomial tail by dynamic programming.
var kofnLarge = tcase{
	name:   "kofn_large",
	expr:   "Series(gw, KofN(5; r1, r2, r3, r4, r5, r6, r7, r8, r9))",
	target: 0.99,
	pages:  true,
	comps: map[string]comp{
		"gw": {ratio: 0.9995},
		"r1": {ratio: 0.9}, "r2": {ratio: 0.95}, "r3": {ratio: 0.8}, "r4": {ratio: 0.99}, "r5": {ratio: 0.85},
		"r6": {ratio: 0.9}, "r7": {ratio: 0.97}, "r8": {ratio: 0.75}, "r9": {ratio: 0.92},
	},
}

// condIntervals is a Cond of 8 branches with interval probabilities: the
// dual form instead of 8! vertex orders.
var condIntervals = tcase{
	name: "cond_intervals",
	expr: "Cond([0.1, 0.15], [0.1, 0.15], [0.1, 0.15], [0.1, 0.15], [0.05, 0.2], [0.1, 0.15], [0.1, 0.15], [0.1, 0.15]; " +
		"a, b, c, Race(d, e), f, g, h, skip)",
	target: 0.8,
	comps: map[string]comp{
		"a": {ratio: 0.99}, "b": {ratio: 0.9}, "c": {ratio: 0.95}, "d": {ratio: 0.8}, "e": {ratio: 0.7},
		"f": {ratio: 0.999}, "g": {ratio: 0.85}, "h": {ratio: 0.6},
	},
}

// zones returns components r0…r(n−1) spread over z zones, each at ratio
// a (varied a little).
func zones(n, z int, a float64) map[string]comp {
	out := map[string]comp{"gw": {ratio: 0.9999}}
	for i := range n {
		out[fmt.Sprintf("r%d", i)] = comp{ratio: a - 0.001*float64(i%3), domains: []string{fmt.Sprintf("zone-%d", i%z)}}
	}
	return out
}

func replicas(n int) string {
	var rs []string
	for i := range n {
		rs = append(rs, fmt.Sprintf("r%d", i))
	}
	return strings.Join(rs, ", ")
}

// moreCases cover what PromQL could not express before issue 10: large
// KofN (independent and over many shared-fate laws), large interval
// Conds, and an interval next to a live parameter.
var moreCases = []tcase{
	kofnLarge,
	condIntervals,
	{
		// 6 zones of 3 replicas, 16 of 18 needed: 3^6 = 729 two-point laws,
		// more than the PromQL expands: the rules take the sound lower
		// bound.
		name:       "kofn_shared_many_laws",
		expr:       "Series(gw, KofN(16; " + replicas(18) + "))",
		target:     0.9,
		comps:      zones(18, 6, 0.995),
		lowerBound: true,
		pages:      true,
	},
	{
		name:   "cond_live_interval",
		expr:   "Cond(p_live, [0.1, 0.3]; a, Race(b, c), d)",
		target: 0.9,
		params: map[string]model.Param{"p_live": {Value: 0.5, Query: `sum(rate(hits_total[5m])) / sum(rate(lookups_total[5m]))`}},
		comps: map[string]comp{
			"a": {ratio: 0.99}, "b": {ratio: 0.9, domains: []string{"z"}}, "c": {ratio: 0.95, domains: []string{"z"}}, "d": {ratio: 0.97},
		},
	},
}

func withSplit(c tcase, name string, split int) tcase {
	c.name, c.split = name, split
	return c
}

// withQueries returns c under a new name with its leaves' queries given by
// q.
func withQueries(c tcase, name string, q func(string) (string, string)) tcase {
	c.name, c.queries = name, q
	return c
}

// artifactQueries are the shapes of the reference artifact's checkout
// journey: good is total narrowed by a regular expression on code, or by
// an equality on result.
func artifactQueries(n string) (good, total string) {
	if strings.HasPrefix(n, "pay") {
		return `sum(increase(payment_requests_total{provider="` + n + `",result="success"}[30d]))`,
			`sum(increase(payment_requests_total{provider="` + n + `"}[30d]))`
	}
	return `sum(increase(http_requests_total{service="` + n + `",code=~"2..|3.."}[30d]))`,
		`sum(increase(http_requests_total{service="` + n + `"}[30d]))`
}

// exampleQueries are the shapes of examples/checkout: good is total
// narrowed by a negative regular expression (or a negative equality).
func exampleQueries(n string) (good, total string) {
	switch n {
	case "queue":
		return `sum(rate(queue_publish_total{queue="payments",result!="error"}[30d]))`,
			`sum(rate(queue_publish_total{queue="payments"}[30d]))`
	case "cache":
		return `sum(rate(cache_requests_total{cache=~"redis|memcached",code!~"5..|4.."}[30d]))`,
			`sum(rate(cache_requests_total{cache=~"redis|memcached"}[30d]))`
	}
	return `sum(rate(http_requests_total{service="` + n + `",code!~"5.."}[30d]))`,
		`sum(rate(http_requests_total{service="` + n + `"}[30d]))`
}

func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed: it checks the generated rules (apt-get install prometheus, or put promtool on PATH)")
	}
	for _, c := range slices.Concat(cases, moreCases, splitCases) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := generate(t, c)
			if len(g.notes) > 0 != c.lowerBound {
				t.Errorf("notes %v, want a lower bound: %v", g.notes, c.lowerBound)
			}
			if c.split > 0 && !slices.ContainsFunc(g.all(), func(r rulefmt.Rule) bool { return strings.HasPrefix(r.Record, prom.NodeRecordPrefix) }) {
				t.Errorf("split %d: no intermediate rule", c.split)
			}
			validate(t, g.rules)
			checkAlertScenarios(t, c, g)
			dir := t.TempDir()
			write(t, filepath.Join(dir, "rules.yaml"), g.rules)
			write(t, filepath.Join(dir, "rules_test.yaml"), g.tests)
			write(t, filepath.Join(dir, "spec.yaml"), operatorSpec(t, g.operator))
			run(t, promtool, dir, "check", "rules", "rules.yaml")
			run(t, promtool, dir, "check", "rules", "spec.yaml")
			run(t, promtool, dir, "test", "rules", "rules_test.yaml")
		})
	}
}

// validate parses the rule file with rulefmt and re-parses every
// expression.
func validate(t *testing.T, rules []byte) {
	t.Helper()
	p := parser.NewParser(parser.Options{})
	rgs, errs := rulefmt.Parse(rules, false, pmodel.LegacyValidation, p, slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		t.Fatalf("rulefmt.Parse: %v", errs)
	}
	for _, g := range rgs.Groups {
		for _, r := range g.Rules {
			name := r.Record + r.Alert
			e, err := p.ParseExpr(r.Expr)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(r.Expr) > prom.MaxExprBytes {
				t.Errorf("%s: %d bytes, more than %d", name, len(r.Expr), prom.MaxExprBytes)
			}
			if e.String() != r.Expr {
				t.Errorf("%s does not round-trip:\n%s\n%s", name, r.Expr, e.String())
			}
		}
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, bin, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %v: %v\n%s", args, err, out)
	}
}

// checkAlertScenarios checks that the calm scenario (the compiled
// availabilities) expects no alert and the degraded one expects the page
// alert.
func checkAlertScenarios(t *testing.T, c tcase, g generated) {
	t.Helper()
	if want := map[bool]int{true: 2, false: 1}[c.pages]; len(g.alertTests) != want {
		t.Fatalf("want %d alert scenarios, got %d", want, len(g.alertTests))
	}
	for _, at := range g.alertTests[0].AlertTests {
		if len(at.ExpAlerts) != 0 {
			t.Errorf("calm scenario: %s expected to fire: %+v", at.Alertname, at.ExpAlerts)
		}
	}
	paged := false
	if !c.pages {
		return
	}
	for _, at := range g.alertTests[1].AlertTests {
		for _, a := range at.ExpAlerts {
			paged = paged || at.Alertname == prom.AlertBurn && a.ExpLabels["severity"] == "page"
		}
	}
	if !paged {
		t.Errorf("degraded scenario: no page alert expected: %+v", g.alertTests[1].AlertTests)
	}
}

// operatorSpec returns the spec of a marshalled PrometheusRule as a rule
// file, after checking its header fields.
func operatorSpec(t *testing.T, b []byte) []byte {
	t.Helper()
	var obj struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name   string            `yaml:"name"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec yaml.Node `yaml:"spec"`
	}
	if err := yaml.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	if obj.APIVersion != "monitoring.coreos.com/v1" || obj.Kind != "PrometheusRule" ||
		!strings.HasPrefix(obj.Metadata.Name, "emac-") || obj.Metadata.Labels["app.kubernetes.io/managed-by"] != "emac" {
		t.Errorf("PrometheusRule header: %+v", obj)
	}
	spec, err := yaml.Marshal(&obj.Spec)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}
