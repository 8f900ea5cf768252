package infra

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/diag"
)

func newList() *diag.List { return &diag.List{} }

func TestMerge(t *testing.T) {
	a := Evidence{
		Domains: []Domain{{Name: "zone/a", Members: []string{"x", "y"}, MemberConfidence: map[string]float64{"x": 0.5, "y": 0.9}, Signals: []string{"a1"}, Confidence: 0.5}},
		Routes:  []Route{{Host: "b", Source: "f.yaml:10"}, {Host: "a", Source: "f.yaml:9"}},
	}
	b := Evidence{
		Domains: []Domain{
			{Name: "zone/a", Members: []string{"x", "z"}, MemberConfidence: map[string]float64{"x": 0.5, "z": 0.7}, Signals: []string{"b1"}, Confidence: 0.5},
			{Name: "node/n", Members: []string{"x"}, MemberConfidence: map[string]float64{"x": 0.95}, Confidence: 0.95},
		},
		Routes:   []Route{{Host: "b", Source: "f.yaml:9"}},
		Warnings: []string{"w"},
	}
	m := Merge(a, b)
	if len(m.Domains) != 2 || m.Domains[0].Name != "node/n" || m.Domains[1].Name != "zone/a" {
		t.Fatalf("domains %+v", m.Domains)
	}
	z := m.Domains[1]
	if !slices.Equal(z.Members, []string{"x", "y", "z"}) || z.MemberConfidence["x"] != 0.75 || z.Confidence != 0.7 {
		t.Errorf("zone/a merged to %+v; want x at 1−0.5·0.5 = 0.75 and confidence min(0.75, 0.9, 0.7)", z)
	}
	if !slices.Equal(z.Signals, []string{"a1", "b1"}) {
		t.Errorf("signals %q", z.Signals)
	}
	var order []string
	for _, r := range m.Routes {
		order = append(order, r.Host+"@"+r.Source)
	}
	if want := []string{"a@f.yaml:9", "b@f.yaml:9", "b@f.yaml:10"}; !slices.Equal(order, want) {
		t.Errorf("routes %q, want %q (numeric line order)", order, want)
	}
	if !slices.Equal(m.Warnings, []string{"w"}) {
		t.Errorf("warnings %q", m.Warnings)
	}
	for _, ev := range []Evidence{a, b} {
		for _, d := range ev.Domains {
			for _, md := range m.Domains {
				if md.Name == d.Name {
					for k, v := range d.MemberConfidence {
						if md.MemberConfidence[k] < v {
							t.Errorf("merge lowered %s in %s from %v to %v", k, d.Name, v, md.MemberConfidence[k])
						}
					}
				}
			}
		}
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"b.yaml":          "b: 1\n",
		"a/z.yml":         "z: 1\n",
		"a/y.json":        "{}\n",
		"a/readme.md":     "# not a manifest\n",
		"a/deep/x.YAML":   "x: 1\n",
		"notes.txt":       "no\n",
		"explicit.config": "e: 1\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := LoadFiles([]string{dir, filepath.Join(dir, "explicit.config"), filepath.Join(dir, "b.yaml")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, strings.TrimPrefix(filepath.ToSlash(strings.TrimPrefix(f.Name, dir)), "/"))
	}
	want := []string{"a/deep/x.YAML", "a/y.json", "a/z.yml", "b.yaml", "explicit.config"}
	if !slices.Equal(got, want) {
		t.Errorf("files %q, want %q", got, want)
	}
	_, err = ReadKubernetes([]string{filepath.Join(dir, "missing")}, KubeOptions{})
	if err == nil || !strings.HasSuffix(err.Error(), "missing: no such file or directory") {
		t.Errorf("missing path: got %v", err)
	}
}

// TestBothReadersOneTree checks that each reader ignores the other's
// kinds, so --k8s and --mesh may name the same directory.
func TestBothReadersOneTree(t *testing.T) {
	paths := []string{"testdata/k8s/shop", "testdata/mesh/bookinfo"}
	k, err := ReadKubernetes(paths, KubeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadMesh(paths, MeshOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Workloads) != 8 || len(k.Routes) != 0 || len(m.Routes) != 7 || len(m.Workloads) != 0 {
		t.Errorf("kubernetes: %d workloads %d routes; mesh: %d routes %d workloads",
			len(k.Workloads), len(k.Routes), len(m.Routes), len(m.Workloads))
	}
	all := Merge(k, m)
	if len(all.Workloads) != 8 || len(all.Routes) != 7 || len(all.Externals) != 2 {
		t.Errorf("merged: %d workloads, %d routes, %d externals", len(all.Workloads), len(all.Routes), len(all.Externals))
	}
}
