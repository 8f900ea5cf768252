package v1alpha1

import "github.com/emac-dev/emac/internal/diag"

// DiscoveredJourneyModel is what discovery proposes from operational
// evidence: topology, redundancy and failure-domain hypotheses, each with a
// confidence.
type DiscoveredJourneyModel struct {
	Pos        diag.Pos       `yaml:"-"`
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	Metadata   ObjectMeta     `yaml:"metadata"`
	Spec       DiscoveredSpec `yaml:"spec"`
}

// DiscoveredSpec is the body of a DiscoveredJourneyModel.
type DiscoveredSpec struct {
	Pos            diag.Pos          `yaml:"-"`
	Confidence     *ModelConfidence  `yaml:"confidence"`
	Topology       *Topology         `yaml:"topology"`
	Redundancy     []RedundancyGroup `yaml:"redundancy"`
	FailureDomains *DomainHypotheses `yaml:"failureDomains"`
}

// ModelConfidence is the model's overall confidence and notes.
type ModelConfidence struct {
	Pos     diag.Pos `yaml:"-"`
	Overall float64  `yaml:"overall"`
	Notes   []string `yaml:"notes"`
}

// Topology is the discovered call graph.
type Topology struct {
	Pos   diag.Pos       `yaml:"-"`
	Nodes []TopologyNode `yaml:"nodes"`
	Edges []TopologyEdge `yaml:"edges"`
}

// TopologyNode is a discovered service or dependency.
type TopologyNode struct {
	Pos    diag.Pos          `yaml:"-"`
	ID     string            `yaml:"id"`
	Type   string            `yaml:"type"`
	Labels map[string]string `yaml:"labels"`
}

// TopologyEdge is a discovered call.
type TopologyEdge struct {
	Pos         diag.Pos `yaml:"-"`
	From        string   `yaml:"from"`
	To          string   `yaml:"to"`
	CallType    string   `yaml:"callType"`
	Probability float64  `yaml:"probability"`
	Notes       string   `yaml:"notes"`
}

// RedundancyGroup is a discovered redundancy pattern over components.
type RedundancyGroup struct {
	Pos       diag.Pos `yaml:"-"`
	Pattern   string   `yaml:"pattern"`
	Group     []string `yaml:"group"`
	Semantics string   `yaml:"semantics"`
}

// DomainHypotheses are failure domains inferred from evidence or declared
// by operators, as the discovery saw them.
type DomainHypotheses struct {
	Pos      diag.Pos           `yaml:"-"`
	Inferred []DomainHypothesis `yaml:"inferred"`
	Declared []DomainHypothesis `yaml:"declared"`
}

// DomainHypothesis says that members share a failure domain.
type DomainHypothesis struct {
	Pos        diag.Pos `yaml:"-"`
	Name       string   `yaml:"name"`
	Members    []string `yaml:"members"`
	Confidence float64  `yaml:"confidence"`
}
