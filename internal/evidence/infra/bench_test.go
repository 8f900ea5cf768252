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

// BenchmarkParseOTelDemo parses the OpenTelemetry demo's 84-document
// manifest (637 kB) and attaches it to a journey of eight services.
func BenchmarkParseOTelDemo(b *testing.B) {
	files, err := LoadFiles([]string{realOTel}, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(files[0].Data)))
	targets := services("frontend-proxy", "frontend", "cart", "checkout", "product-catalog", "currency", "payment", "shipping")
	for b.Loop() {
		ev, err := ParseKubernetes(files, KubeOptions{})
		if err != nil || len(ev.Workloads) != 25 {
			b.Fatalf("%d workloads, %v", len(ev.Workloads), err)
		}
		Attach(ev, Journey{Components: targets})
	}
}
