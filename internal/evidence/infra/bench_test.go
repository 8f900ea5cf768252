package infra

import (
	"fmt"
	"strings"
	"testing"
)

// manyWorkloads renders n Deployments (with Services) pinned to three
// zones, some spread, as one file.
func manyWorkloads(n int) []File {
	var b strings.Builder
	for i := range n {
		place := []string{fmt.Sprintf("nodeSelector: {topology.kubernetes.io/zone: z%d}", i%3)}
		if i%4 == 0 {
			place = append(place, spread("kubernetes.io/hostname", "ScheduleAnyway", fmt.Sprintf("w%d", i)))
		}
		b.WriteString(deployment(fmt.Sprintf("w%d", i), 1+i%3, place...))
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: shop}\nspec: {selector: {app: w%d}}\n---\n", i, i)
	}
	return []File{{Name: "many.yaml", Data: []byte(b.String())}}
}

func BenchmarkParseKubernetes1000(b *testing.B) {
	files := manyWorkloads(1000)
	b.SetBytes(int64(len(files[0].Data)))
	for b.Loop() {
		ev, err := ParseKubernetes(files, KubeOptions{Cluster: "c"})
		if err != nil || len(ev.Workloads) != 1000 {
			b.Fatalf("%d workloads, %v", len(ev.Workloads), err)
		}
	}
}

func BenchmarkReadMeshBookinfo(b *testing.B) {
	for b.Loop() {
		if _, err := ReadMesh([]string{"testdata/mesh/bookinfo"}, MeshOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLocateError(b *testing.B) {
	src := []byte(strings.Repeat("k: v\n", 299) + "x: [\n" + strings.Repeat("k: v\n", 100))
	for b.Loop() {
		locateError(src)
	}
}
