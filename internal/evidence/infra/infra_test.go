package infra

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"

	"github.com/emac-dev/emac/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

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
				ev, err = ReadMesh(tt.paths, MeshOptions{})
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
			golden.Check(t, filepath.Join("testdata", "golden", tt.golden), marshal(t, out), *update)
		})
	}
}
