package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestReportLinksEveryRule checks the provenance report of compiled
// journeys: every recording rule (name and window), every alert and every
// analysis metric of the generated files is linked to at least one
// operator node of the availability trace, with a formula.
func TestReportLinksEveryRule(t *testing.T) {
	for _, c := range []struct{ name, src, journey string }{
		{"example", "../../examples/checkout", "checkout"},
		{"artifact", artifactSrc, "checkout"},
		{"e2e", "../e2e/testdata/journey.yaml", "e2e"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := source(t, c.src)
			dir := t.TempDir()
			if _, stderr, code := run(t, "compile", src, "-o", dir); code != 0 {
				t.Fatalf("compile %s: %s", src, stderr)
			}
			root := filepath.Join(dir, c.journey)
			var rep struct {
				Availability struct {
					Trace []struct{ Path string }
				}
				Artifacts []struct {
					Path  string
					Links []struct {
						Kind, Name, Formula string
						Labels              map[string]string
						Windows, Nodes      []string
					}
				}
			}
			data, err := os.ReadFile(filepath.Join(root, "report", "derivation.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatal(err)
			}
			paths := map[string]bool{}
			for _, s := range rep.Availability.Trace {
				paths[s.Path] = true
			}
			linked := map[string]bool{}
			for _, a := range rep.Artifacts {
				for _, l := range a.Links {
					if len(l.Nodes) == 0 || l.Formula == "" {
						t.Errorf("%s: %s %s %v: no node or formula", src, l.Kind, l.Name, l.Labels)
					}
					for _, n := range l.Nodes {
						if !paths[n] {
							t.Errorf("%s: %s links to unknown node %q", src, l.Name, n)
						}
					}
					ws := l.Windows
					if len(ws) == 0 {
						ws = []string{""}
					}
					for _, w := range ws {
						linked[a.Path+" "+strings.Replace(l.Name, "<w>", w, 1)+" "+labelKey(l.Labels)] = true
					}
				}
			}
			for _, want := range generatedItems(t, root) {
				if !linked[want] {
					t.Errorf("%s: %s has no link in derivation.json", src, want)
				}
			}
		})
	}
}

// generatedItems lists "file name labels" of every rule and analysis
// metric written under root.
func generatedItems(t *testing.T, root string) []string {
	t.Helper()
	var rules struct {
		Groups []struct {
			Rules []struct {
				Record, Alert string
				Labels        map[string]string
			}
		}
	}
	readYAML(t, filepath.Join(root, "prometheus", "rules.yaml"), &rules)
	var out []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			labels := map[string]string{}
			for k, v := range r.Labels {
				if k != "journey" {
					labels[k] = v
				}
			}
			out = append(out, "prometheus/rules.yaml "+r.Record+r.Alert+" "+labelKey(labels))
		}
	}
	var tmpl struct {
		Spec struct{ Metrics []struct{ Name string } }
	}
	readYAML(t, filepath.Join(root, "argo", "analysistemplate.yaml"), &tmpl)
	for _, m := range tmpl.Spec.Metrics {
		out = append(out, "argo/analysistemplate.yaml "+m.Name+" "+labelKey(nil))
	}
	if len(out) < 10 {
		t.Fatalf("only %d generated items under %s", len(out), root)
	}
	return out
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func labelKey(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}
