package prom_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// decodePrometheusRule decodes a marshalled PrometheusRule strictly into
// the Prometheus Operator's own Go type: sigs.k8s.io/yaml.UnmarshalStrict
// converts YAML to JSON rejecting duplicate keys, then decodes with
// json.Decoder.DisallowUnknownFields, so any field the operator's API
// does not define (a misspelling, a rulefmt-only field, a wrong level of
// nesting) is an error.
func decodePrometheusRule(b []byte) (*monitoringv1.PrometheusRule, error) {
	var pr monitoringv1.PrometheusRule
	if err := yaml.UnmarshalStrict(b, &pr); err != nil {
		return nil, err
	}
	return &pr, nil
}

// durationPattern is the +kubebuilder:validation:Pattern of
// monitoringv1.Duration (prometheus-operator v0.88.0 types.go), which the
// CRD enforces on a rule's for and keep_firing_for and a group's interval;
// the Go type itself is a plain string.
var durationPattern = regexp.MustCompile(`^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)

// checkOperatorObject validates a generated PrometheusRule against the
// prometheus-operator API types and checks that nothing is lost on the
// way: the typed object, re-encoded, equals the generated document.
func checkOperatorObject(t *testing.T, b []byte) *monitoringv1.PrometheusRule {
	t.Helper()
	pr, err := decodePrometheusRule(b)
	if err != nil {
		t.Fatalf("strict decode into monitoringv1.PrometheusRule: %v", err)
	}
	if pr.APIVersion != monitoringv1.SchemeGroupVersion.String() || pr.Kind != monitoringv1.PrometheusRuleKind {
		t.Errorf("apiVersion/kind = %s/%s, want %s/%s", pr.APIVersion, pr.Kind,
			monitoringv1.SchemeGroupVersion.String(), monitoringv1.PrometheusRuleKind)
	}
	if !strings.HasPrefix(pr.Name, "emac-") || pr.Namespace != "" {
		t.Errorf("metadata: name %q namespace %q", pr.Name, pr.Namespace)
	}
	if len(pr.Spec.Groups) == 0 {
		t.Fatal("no rule groups")
	}
	for _, g := range pr.Spec.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("group %q: empty name or no rules", g.Name)
		}
		if g.Interval != nil && !durationPattern.MatchString(string(*g.Interval)) {
			t.Errorf("group %s: interval %q does not match the CRD's duration pattern", g.Name, *g.Interval)
		}
		for i, r := range g.Rules {
			// The operator's admission webhook rejects a rule that is both
			// or neither a recording and an alerting rule, or has no
			// expression; its expr is IntOrString and must be a string.
			if (r.Record == "") == (r.Alert == "") {
				t.Errorf("group %s rule %d: exactly one of record and alert must be set: %+v", g.Name, i, r)
			}
			if r.Expr.Type != intstr.String || r.Expr.StrVal == "" {
				t.Errorf("group %s rule %d (%s%s): expr must be a non-empty string", g.Name, i, r.Record, r.Alert)
			}
			var durs []string
			if r.For != nil {
				durs = append(durs, string(*r.For))
			}
			if r.KeepFiringFor != nil {
				durs = append(durs, string(*r.KeepFiringFor))
			}
			for _, d := range durs {
				if !durationPattern.MatchString(d) {
					t.Errorf("rule %s%s: duration %q does not match the CRD's duration pattern", r.Record, r.Alert, d)
				}
			}
			if r.Record != "" && (r.For != nil || r.KeepFiringFor != nil || len(r.Annotations) > 0) {
				t.Errorf("recording rule %s has alerting-only fields", r.Record)
			}
		}
	}
	// Round trip: the typed object re-encoded must equal the document, so
	// no field was silently dropped or reshaped by the operator's types.
	again, err := json.Marshal(pr)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := json.Unmarshal(orig, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &got); err != nil {
		t.Fatal(err)
	}
	// ObjectMeta's zero creationTimestamp encodes as null in some
	// apimachinery versions; it is not part of what emac writes.
	if md, ok := got["metadata"].(map[string]any); ok {
		if v, ok := md["creationTimestamp"]; ok && v == nil {
			delete(md, "creationTimestamp")
		}
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("PrometheusRule does not round-trip through monitoringv1.PrometheusRule:\n want %s\n got  %s", orig, again)
	}
	return pr
}

// TestPrometheusRuleOperatorTypes validates the checkout PrometheusRule,
// freshly generated and as committed in the golden file, against the
// prometheus-operator monitoring/v1 Go types.
func TestPrometheusRuleOperatorTypes(t *testing.T) {
	g := generate(t, checkout)
	pr := checkOperatorObject(t, g.operator)
	n := 0
	for _, grp := range pr.Spec.Groups {
		n += len(grp.Rules)
	}
	if n != len(g.all()) {
		t.Errorf("operator object has %d rules, the rule groups %d", n, len(g.all()))
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "checkout", "prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	checkOperatorObject(t, golden)
}

// TestPrometheusRuleOperatorTypesRejectsMisspelling shows the strict decode
// is strict: a misspelt or misplaced field anywhere in the object fails.
func TestPrometheusRuleOperatorTypesRejectsMisspelling(t *testing.T) {
	g := generate(t, checkout)
	if _, err := decodePrometheusRule(g.operator); err != nil {
		t.Fatalf("the unmodified object must decode: %v", err)
	}
	for _, tc := range []struct{ name, old, new string }{
		{"rule field", "\n          expr: ", "\n          exrp: "},
		{"group field", "\n      rules:\n", "\n      rulez:\n"},
		{"spec field", "\n  groups:\n", "\n  group:\n"},
		{"metadata field", "\n  labels:\n    app.kubernetes.io", "\n  lables:\n    app.kubernetes.io"},
		{"top-level field", "\nspec:\n", "\nspecs:\n"},
		{"alert field", "\n          for: ", "\n          fore: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(g.operator), tc.old) {
				t.Fatalf("generated object has no %q", tc.old)
			}
			bad := strings.Replace(string(g.operator), tc.old, tc.new, 1)
			_, err := decodePrometheusRule([]byte(bad))
			if err == nil || !strings.Contains(err.Error(), "unknown field") {
				t.Fatalf("misspelt %s accepted (err %v)", tc.name, err)
			}
			t.Logf("rejected: %v", err)
		})
	}
	// A non-strict decode would have accepted it silently: that is what
	// the strict decode guards against.
	bad := strings.Replace(string(g.operator), "\n          expr: ", "\n          exrp: ", 1)
	var pr monitoringv1.PrometheusRule
	if err := yaml.Unmarshal([]byte(bad), &pr); err != nil {
		t.Fatalf("lenient decode: %v", err)
	}
}
