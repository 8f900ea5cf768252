package cli

import (
	"fmt"

	"github.com/emac-dev/emac/internal/evidence/infer"
	"github.com/emac-dev/emac/internal/evidence/infra"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/limits"
)

// readInfra reads the --k8s and --mesh evidence, each file bounded by
// lim.FileBytes.
func readInfra(f discoverFlags, lim limits.Limits) (infra.Evidence, error) {
	var evs []infra.Evidence
	if len(f.k8s) > 0 {
		ev, err := infra.ReadKubernetes(f.k8s, infra.KubeOptions{Cluster: f.cluster, MaxFileBytes: lim.FileBytes})
		if err != nil {
			return infra.Evidence{}, err
		}
		evs = append(evs, ev)
	}
	if len(f.mesh) > 0 {
		ev, err := infra.ReadMesh(f.mesh, infra.MeshOptions{MaxFileBytes: lim.FileBytes})
		if err != nil {
			return infra.Evidence{}, err
		}
		evs = append(evs, ev)
	}
	return infra.Merge(evs...), nil
}

// warnInfra prints the manifests' and mesh configuration's warnings
// (input read but not fully used) on standard error.
func (e *env) warnInfra(ev infra.Evidence) {
	for _, w := range ev.Warnings {
		fmt.Fprintln(e.stderr, w)
	}
}

// docNote is an evidence note as the model writes it.
type docNote struct {
	Kind       string   `yaml:"kind"`
	Source     string   `yaml:"source,omitempty"`
	Components []string `yaml:"components,omitempty,flow"`
	Message    string   `yaml:"message"`
}

// attachInfra resolves the infrastructure evidence onto the model's
// components and writes what it finds into doc: the failure domains
// (joined with the traces' ones), the Istio routes as topology edges,
// and the notes.
func attachInfra(doc *discoveredDoc, m *infer.Model, ev infra.Evidence) {
	att := infra.Attach(ev, infraJourney(m))
	doc.Spec.FailureDomains.Inferred = domainsDoc(m, att.Domains)
	var edges []docEdge
	for _, e := range att.Edges {
		callType := "istio-route"
		if e.Conditional {
			callType = "istio-route-match"
		}
		edges = append(edges, docEdge{From: e.From, To: e.To, CallType: callType, Probability: round4(e.Weight), Notes: e.Notes})
	}
	if len(edges) > 0 {
		doc.Spec.Topology = &docTopology{Edges: edges}
	}
	for _, n := range att.Notes {
		doc.Spec.Notes = append(doc.Spec.Notes, docNote{Kind: n.Kind, Source: n.Source, Components: n.Components, Message: n.Message})
	}
}

// infraJourney is what infra.Attach needs of the model: the components
// with their services and counts, the tree, and the confidence intervals
// of its Cond probabilities by node path.
func infraJourney(m *infer.Model) infra.Journey {
	j := infra.Journey{Root: m.Root, Intervals: map[string][]journey.Prob{}}
	for _, c := range m.Components {
		j.Components = append(j.Components, infra.Target{Name: c.Name, Service: c.Service, Good: c.Good, Total: c.Total})
	}
	for _, n := range m.Nodes {
		if len(n.Probs) > 0 {
			j.Intervals[n.Path] = n.Probs
		}
	}
	return j
}
