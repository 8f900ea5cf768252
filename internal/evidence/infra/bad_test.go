package infra

import (
	"errors"
	"strings"
	"testing"
)

func TestBadInput(t *testing.T) {
	tests := []struct {
		file string
		mesh bool
		want []string
	}{
		{file: "k8s-syntax.yaml", want: []string{
			"testdata/bad/k8s-syntax.yaml:5:11: invalid YAML: did not find expected ',' or '}'",
			"testdata/bad/k8s-syntax.yaml:14:2: invalid YAML: did not find expected key",
		}},
		{file: "k8s-types.yaml", want: []string{
			`testdata/bad/k8s-types.yaml:6:13: spec.replicas: want an integer, got "three"`,
			"testdata/bad/k8s-types.yaml:9:15: labels: want a mapping, got a sequence",
			`testdata/bad/k8s-types.yaml:11:21: spec.template.spec.nodeSelector: want a mapping, got "topology.kubernetes.io/zone=us-east-1a"`,
			"testdata/bad/k8s-types.yaml:13:18: spec.template.spec.topologySpreadConstraints[0].maxSkew: must be at least 1, got 0",
			`testdata/bad/k8s-types.yaml:17:28: spec.template.spec.topologySpreadConstraints[1].whenUnsatisfiable: want DoNotSchedule or ScheduleAnyway, got "Sometimes"`,
			"testdata/bad/k8s-types.yaml:21:13: spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: must be in 1..100, got 101",
			"testdata/bad/k8s-types.yaml:24:1: metadata.name is required",
		}},
		{file: "mesh-types.yaml", mesh: true, want: []string{
			"testdata/bad/mesh-types.yaml:9:7: spec.http[0].route[0].destination.host is required",
			`testdata/bad/mesh-types.yaml:12:15: spec.http[0].route[1].weight: want an integer, got "fifty"`,
			`testdata/bad/mesh-types.yaml:13:14: spec.http[0].timeout: want a duration such as 1.5s or 200ms, got "10"`,
			"testdata/bad/mesh-types.yaml:15:17: spec.http[0].retries.attempts: must not be negative, got -2",
			"testdata/bad/mesh-types.yaml:19:7: spec.http[1].retries.attempts is required",
			`testdata/bad/mesh-types.yaml:22:14: spec.http[2].timeout: want a duration such as 1.5s or 200ms, got "1.5 s"`,
			`testdata/bad/mesh-types.yaml:23:43: spec.http[2].retries.perTryTimeout: want a duration such as 1.5s or 200ms, got "-1s"`,
			"testdata/bad/mesh-types.yaml:30:3: spec.hosts: a VirtualService needs at least one host",
			"testdata/bad/mesh-types.yaml:32:1: spec.host: a DestinationRule needs a host",
		}},
		{file: "mesh-syntax.json", mesh: true, want: []string{
			"testdata/bad/mesh-syntax.json:6:65: invalid YAML: did not find expected node content",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			paths := []string{"testdata/bad/" + tt.file}
			var ev Evidence
			var err error
			if tt.mesh {
				ev, err = ReadMesh(paths, MeshOptions{})
			} else {
				ev, err = ReadKubernetes(paths, KubeOptions{})
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("want an *Error, got %v", err)
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
			if len(ev.Workloads)+len(ev.Routes)+len(ev.Domains) != 0 {
				t.Errorf("evidence returned with an error: %+v", ev)
			}
		})
	}
}

func TestLocateError(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
	}{
		{"unclosed flow sequence", "a: 1\nb: [1, 2\nc: 3\n", 2, 4},
		{"mapping in a scalar", "a: 1\n  b: 2\n", 2, 4},
		{"mapping after a sequence item", "a:\n  - x\n  y: 2\n", 3, 3},
		{"unterminated quote", "a: \"unterminated\n", 1, 4},
		{"reserved indicator", "kind: Service\nx: @foo\n", 2, 4},
		{"unknown alias", "a: 1\nb: *nope\n", 2, 4},
		{"tab indentation", "a:\n\tb: 2\n", 2, 1},
		{"sequence after a mapping", "key: value\n- item\n", 2, 1},
		{"long document (bisected)", strings.Repeat("k: v\n", 699) + "x: [\n" + strings.Repeat("k: v\n", 100), 700, 4},
		{"long document with a multi-line string (bisected)", strings.Repeat("k: v\n", 100) + "q: \"a\n" + strings.Repeat("  b\n", 30) + "  c\"\n" + strings.Repeat("k: v\n", 100) + "k: [\n", 233, 4},
		{"long line (bisected)", "a: 1\nb: " + strings.Repeat("x", 600) + ": c\n", 2, 604},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if parses([]byte(tt.src)) {
				t.Fatalf("%q parses", tt.src)
			}
			line, col := locateError([]byte(tt.src))
			if line != tt.line || col != tt.col {
				t.Errorf("locateError(%q) = %d:%d, want %d:%d", tt.src, line, col, tt.line, tt.col)
			}
		})
	}
}

func TestSplitDocuments(t *testing.T) {
	src := "a: 1\n---\nb: 2\n--- # c\nc: 3\n...\n---x: 4\n"
	chunks, starts := splitDocuments([]byte(src))
	want := []string{"a: 1\n", "---\nb: 2\n", "--- # c\nc: 3\n...\n", "---x: 4\n"}
	wantStarts := []int{1, 2, 4, 7}
	if len(chunks) != len(want) {
		t.Fatalf("got %d chunks %q, want %d", len(chunks), chunks, len(want))
	}
	for i := range want {
		if string(chunks[i]) != want[i] || starts[i] != wantStarts[i] {
			t.Errorf("chunk %d = %q at line %d, want %q at line %d", i, chunks[i], starts[i], want[i], wantStarts[i])
		}
	}
}
