package infra

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n%s", name, diffLines(string(want), string(got)))
	}
}

// diffLines shows the first differing lines.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\nwant: " + a + "\n got: " + b
		}
	}
	return ""
}

// meshGolden is the printed form of mesh evidence: the evidence and each
// route as a journey expression.
type meshGolden struct {
	Evidence Evidence `json:"evidence"`
	Journeys []string `json:"journeys"`
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		paths  []string
		mesh   bool
		opts   KubeOptions
		golden string
	}{
		{name: "shop manifests", paths: []string{"testdata/k8s/shop"}, opts: KubeOptions{Cluster: "prod-use1"}, golden: "k8s-shop.json"},
		{name: "documentation examples", paths: []string{"testdata/k8s/docs"}, golden: "k8s-docs.json"},
		{name: "bookinfo routing", paths: []string{"testdata/mesh/bookinfo"}, mesh: true, golden: "mesh-bookinfo.json"},
		{name: "shop routing", paths: []string{"testdata/mesh/shop/checkout.yaml"}, mesh: true, golden: "mesh-shop.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Evidence
			var err error
			if tt.mesh {
				ev, err = ReadMesh(tt.paths)
			} else {
				ev, err = ReadKubernetes(tt.paths, tt.opts)
			}
			if err != nil {
				t.Fatalf("unexpected error:\n%v", err)
			}
			var out any = ev
			if tt.mesh {
				g := meshGolden{Evidence: ev}
				for _, r := range ev.Routes {
					expr := "(none)"
					if n := r.Node(); n != nil {
						expr = n.String()
					}
					g.Journeys = append(g.Journeys, r.Host+" @ "+r.Source+": "+expr)
				}
				out = g
			}
			golden(t, tt.golden, marshal(t, out))
		})
	}
}
