package argo_test

// These tests check the generated files against Argo Rollouts itself: its
// CRD schemas, its Go types, its argument substitution and its condition
// evaluator. Argo Rollouts and apiextensions-apiserver are imported by
// tests only; the emac binary does not link them.

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	analysisutil "github.com/argoproj/argo-rollouts/utils/analysis"
	"github.com/argoproj/argo-rollouts/utils/evaluate"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/sirupsen/logrus"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/emac-dev/emac/internal/gen/argo"
)

// schema is a CRD's schema (or a part of it) as the API server applies
// it: pruning of unknown fields, then validation.
type schema struct {
	structural *structuralschema.Structural
	validator  validation.SchemaValidator
	root       bool
}

// crdSchema loads the v1alpha1 schema of the CRD file name shipped in the
// Argo Rollouts module, descending into the properties path.
func crdSchema(t *testing.T, name string, path ...string) schema {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/argoproj/argo-rollouts").Output()
	if err != nil {
		t.Fatalf("locate the argo-rollouts module: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "manifests", "crds", name))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
		t.Fatal(err)
	}
	var v *apiextensionsv1.CustomResourceDefinitionVersion
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Name == "v1alpha1" {
			v = &crd.Spec.Versions[i]
		}
	}
	if v == nil || v.Schema == nil {
		t.Fatalf("%s: no v1alpha1 schema", name)
	}
	var internal apiextensions.CustomResourceValidation
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v.Schema, &internal, nil); err != nil {
		t.Fatal(err)
	}
	props := internal.OpenAPIV3Schema
	for _, p := range path {
		next, ok := props.Properties[p]
		if !ok {
			t.Fatalf("%s: no property %s", name, p)
		}
		props = &next
	}
	s := schema{root: len(path) == 0}
	if s.structural, err = structuralschema.NewStructural(props); err != nil {
		t.Fatal(err)
	}
	if s.validator, _, err = validation.NewSchemaValidator(props); err != nil {
		t.Fatal(err)
	}
	return s
}

// check returns the fields the API server would prune (strict field
// validation rejects them) and the schema violations of doc.
func (s schema) check(t *testing.T, doc []byte) (unknown []string, errs field.ErrorList) {
	t.Helper()
	var obj any
	if err := yaml.Unmarshal(doc, &obj); err != nil {
		t.Fatal(err)
	}
	unknown = pruning.PruneWithOptions(obj, s.structural, s.root,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	return unknown, validation.ValidateCustomResource(nil, obj, s.validator)
}

// documents splits a YAML stream; parts without content are dropped.
func documents(b []byte) [][]byte {
	var out [][]byte
	for _, d := range bytes.Split(b, []byte("\n---\n")) {
		if strings.TrimSpace(stripComments(string(d))) != "" {
			out = append(out, d)
		}
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// typo renames the first key `from:` of doc to `to:`.
func typo(t *testing.T, doc []byte, from, to string) []byte {
	t.Helper()
	out := bytes.Replace(doc, []byte(from+":"), []byte(to+":"), 1)
	if bytes.Equal(out, doc) {
		t.Fatalf("no key %s to rename", from)
	}
	return out
}

func TestTemplateSchema(t *testing.T) {
	s := crdSchema(t, "analysis-template-crd.yaml")
	doc, _ := generate(t, loadInput(t, "checkout"))
	if unknown, errs := s.check(t, doc); len(unknown) > 0 || len(errs) > 0 {
		t.Errorf("analysis template: unknown fields %v, schema errors %v", unknown, errs)
	}
	// The check has teeth: a misspelt key is an unknown field, a value of
	// the wrong type a schema error.
	if unknown, _ := s.check(t, typo(t, doc, "successCondition", "successCondtion")); len(unknown) != 1 || unknown[0] != "spec.metrics[0].successCondtion" {
		t.Errorf("misspelt successCondition: unknown fields %v, want [spec.metrics[0].successCondtion]", unknown)
	}
	if _, errs := s.check(t, bytes.Replace(doc, []byte("      interval: 1m\n"), []byte("      interval: [1m]\n"), 1)); len(errs) == 0 {
		t.Error("interval of the wrong type: no schema error")
	}
}

func TestTemplateStrictDecode(t *testing.T) {
	doc, _ := generate(t, loadInput(t, "checkout"))
	var at v1alpha1.AnalysisTemplate
	if err := yaml.UnmarshalStrict(doc, &at); err != nil {
		t.Fatalf("strict decoding into the Argo type: %v", err)
	}
	if err := analysisutil.ValidateMetrics(at.Spec.Metrics); err != nil {
		t.Errorf("Argo's metric validation: %v", err)
	}
	if err := yaml.UnmarshalStrict(typo(t, doc, "inconclusiveLimit", "inconclusiveLimt"), &at); err == nil {
		t.Error("misspelt inconclusiveLimit decoded without error")
	}
}

// strategySchema is the schema of a Rollout's spec.strategy.
func strategySchema(t *testing.T) schema {
	return crdSchema(t, "rollout-crd.yaml", "spec", "strategy")
}

func TestRolloutSnippet(t *testing.T) {
	s := strategySchema(t)
	_, stream := generate(t, loadInput(t, "checkout"))
	docs := documents(stream)
	if len(docs) != 6 {
		t.Fatalf("%d rollout documents, want 6", len(docs))
	}
	for _, doc := range docs {
		var r struct {
			Spec struct {
				Strategy v1alpha1.RolloutStrategy `json:"strategy"`
			} `json:"spec"`
		}
		if err := yaml.UnmarshalStrict(doc, &r); err != nil {
			t.Fatalf("strict decoding into the Argo type: %v\n%s", err, doc)
		}
		strategy, err := yaml.Marshal(r.Spec.Strategy)
		if err != nil {
			t.Fatal(err)
		}
		if unknown, errs := s.check(t, strategy); len(unknown) > 0 || len(errs) > 0 {
			t.Errorf("rollout strategy: unknown fields %v, schema errors %v", unknown, errs)
		}
		steps := r.Spec.Strategy.Canary.Steps
		if len(steps) != 4 || steps[0].SetWeight == nil || steps[1].Analysis == nil {
			t.Fatalf("steps %+v, want setWeight, analysis, setWeight, analysis", steps)
		}
		a := steps[1].Analysis
		if a.Templates[0].TemplateName != argo.TemplateName("checkout") ||
			a.Args[1].ValueFrom == nil || a.Args[1].ValueFrom.PodTemplateHashValue == nil ||
			*a.Args[1].ValueFrom.PodTemplateHashValue != v1alpha1.Latest {
			t.Errorf("analysis step %+v does not run the gate on the latest ReplicaSet", a)
		}
	}
	bad := typo(t, docs[0], "templateName", "templateNmae")
	var r struct {
		Spec struct {
			Strategy v1alpha1.RolloutStrategy `json:"strategy"`
		} `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(bad, &r); err == nil {
		t.Error("misspelt templateName decoded without error")
	}
}

// TestResolvedQueries substitutes the arguments as the Argo controller
// does (the rollout step's args merged into the template's, then the
// metric resolved as JSON) and parses every query with the Prometheus
// parser.
func TestResolvedQueries(t *testing.T) {
	in := loadInput(t, "checkout")
	g, err := argo.Gate(in)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := argo.MarshalTemplate(version, g)
	if err != nil {
		t.Fatal(err)
	}
	var at v1alpha1.AnalysisTemplate
	if err := yaml.UnmarshalStrict(doc, &at); err != nil {
		t.Fatal(err)
	}
	const hash = "6d4f8c7b9"
	for _, comp := range in.Components {
		name, h := comp.Name, hash
		args, err := analysisutil.MergeArgs([]v1alpha1.Argument{
			{Name: argo.ArgComponent, Value: &name},
			{Name: argo.ArgCanaryHash, Value: &h}, // what valueFrom: podTemplateHashValue: Latest resolves to
		}, at.Spec.Args)
		if err != nil {
			t.Fatalf("MergeArgs: %v", err)
		}
		for _, m := range at.Spec.Metrics {
			r, err := analysisutil.ResolveMetricArgs(m, args)
			if err != nil {
				t.Fatalf("%s, component %s: %v", m.Name, name, err)
			}
			p := r.Provider.Prometheus
			if p.Address != in.PrometheusAddress {
				t.Errorf("%s: address %q, want %q", m.Name, p.Address, in.PrometheusAddress)
			}
			if strings.Contains(p.Query, "{{") {
				t.Errorf("%s, component %s: unresolved placeholder in\n%s", m.Name, name, p.Query)
			}
			e, err := parser.NewParser(parser.Options{}).ParseExpr(p.Query)
			if err != nil {
				t.Errorf("%s, component %s: resolved query does not parse: %v\n%s", m.Name, name, err, p.Query)
				continue
			}
			canary := 0
			parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok && strings.Contains(vs.String(), `rollouts_pod_template_hash="`+hash+`"`) {
					canary++
				}
				return nil
			})
			if strings.HasPrefix(m.Name, "canary-burn-rate") && canary != 2*len(in.Components) {
				t.Errorf("%s: %d canary selectors, want %d", m.Name, canary, 2*len(in.Components))
			}
			if strings.HasPrefix(m.Name, "canary-burn-rate") && !strings.Contains(p.Query, `label_replace(vector(1), "emac_component", "`+name+`", "", "") == on (emac_component) label_replace(vector(1), "emac_component", "`+name+`", "", "")`) {
				t.Errorf("%s: no guard that holds for component %s", m.Name, name)
			}
		}
	}
}

// TestConditions evaluates the conditions of every metric with Argo's own
// evaluator: an empty or NaN result is inconclusive, never a pass.
func TestConditions(t *testing.T) {
	in := loadInput(t, "checkout")
	doc, _ := generate(t, in)
	var at v1alpha1.AnalysisTemplate
	if err := yaml.UnmarshalStrict(doc, &at); err != nil {
		t.Fatal(err)
	}
	log := *logrus.NewEntry(logrus.New())
	for _, m := range at.Spec.Metrics {
		limit := 1.0 // the default maximum canary burn rate
		if strings.HasPrefix(m.Name, "latency") {
			limit = in.Latency.ThresholdSeconds
		}
		for _, c := range []struct {
			result []float64
			want   v1alpha1.AnalysisPhase
		}{
			{[]float64{}, v1alpha1.AnalysisPhaseInconclusive},
			// The Prometheus provider never passes nil (an empty vector is
			// an empty slice); Argo makes a nil result an error, not a pass.
			{nil, v1alpha1.AnalysisPhaseError},
			{[]float64{math.NaN()}, v1alpha1.AnalysisPhaseInconclusive},
			{[]float64{0.5 * limit}, v1alpha1.AnalysisPhaseSuccessful},
			{[]float64{limit}, v1alpha1.AnalysisPhaseSuccessful},
			{[]float64{2 * limit}, v1alpha1.AnalysisPhaseFailed},
			{[]float64{math.Inf(1)}, v1alpha1.AnalysisPhaseFailed},
		} {
			got, err := evaluate.EvaluateResult(c.result, m, log)
			if got != c.want || (err != nil) != (c.want == v1alpha1.AnalysisPhaseError) {
				t.Errorf("%s on %#v: %s (error %v), want %s", m.Name, c.result, got, err, c.want)
			}
		}
	}
}
