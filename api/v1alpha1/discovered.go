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

// DiscoveredSpec is the body of a DiscoveredJourneyModel. The artifact's
// schema (confidence, topology, redundancy, failureDomains) is extended
// by what `emac discover` proposes: the journey's root operation, the
// operator tree (operator or expr, as in a JourneyIntent), per-component
// evidence, per-node confidence and provenance.
type DiscoveredSpec struct {
	Pos            diag.Pos                       `yaml:"-"`
	Journey        *DiscoveredRoot                `yaml:"journey"`
	Confidence     *ModelConfidence               `yaml:"confidence"`
	Operator       *OperatorNode                  `yaml:"operator"`
	Expr           *Expr                          `yaml:"expr"`
	Components     map[string]DiscoveredComponent `yaml:"components"`
	Nodes          []NodeEvidence                 `yaml:"nodes"`
	Topology       *Topology                      `yaml:"topology"`
	Redundancy     []RedundancyGroup              `yaml:"redundancy"`
	FailureDomains *DomainHypotheses              `yaml:"failureDomains"`
	Notes          []EvidenceNote                 `yaml:"notes"`
	Provenance     *Provenance                    `yaml:"provenance"`
}

// EvidenceNote is a remark on the evidence for the reviewer, at the input
// that prompted it: which manifests back a component, placement, unknown
// namespaces, Istio routes, matches, faults, conflicts, traffic policies,
// and declared values the traces contradict.
type EvidenceNote struct {
	Pos diag.Pos `yaml:"-"`
	// Kind is resolved, unresolved, unused, external, namespace,
	// placement, route, match, fault, weights, shadowed, conflict,
	// policy or disagreement.
	Kind string `yaml:"kind"`
	// Source is the file:line of the input the note is about.
	Source     string   `yaml:"source"`
	Components []string `yaml:"components"`
	Message    string   `yaml:"message"`
}

// DiscoveredRoot is the operation whose sub-trees form the journey.
type DiscoveredRoot struct {
	Pos       diag.Pos `yaml:"-"`
	Service   string   `yaml:"service"`
	Operation string   `yaml:"operation"`
}

// ModelConfidence is the model's overall confidence and notes.
type ModelConfidence struct {
	Pos     diag.Pos `yaml:"-"`
	Overall float64  `yaml:"overall"`
	Method  string   `yaml:"method"`
	Notes   []string `yaml:"notes"`
}

// DiscoveredComponent is a leaf's evidence as discovery measured it from
// the caller's side.
type DiscoveredComponent struct {
	Pos diag.Pos `yaml:"-"`
	// Service is the callee's service as the traces name it (e.g.
	// "cartservice", "postgresql@db:5432"), so that the leaf can be bound
	// to per-service SLOs.
	Service string `yaml:"service"`
	// Operation is the operation of Service the component is (e.g.
	// "GetCart"); empty when operations were grouped by service.
	Operation    string                `yaml:"operation"`
	Kind         string                `yaml:"kind"`
	Availability *AvailabilityEvidence `yaml:"availability"`
	// FailureEvidence says how the failures in availability were found
	// (span status, HTTP or gRPC codes, truncated instances).
	FailureEvidence string      `yaml:"failureEvidence"`
	Latency         *LatencyLaw `yaml:"latency"`
	// Telemetry proposes live series for the component (those of a
	// span-metrics connector), for review.
	Telemetry  *Telemetry  `yaml:"telemetry"`
	Confidence *float64    `yaml:"confidence"`
	Provenance *Provenance `yaml:"provenance"`
}

// NodeEvidence is the confidence and provenance of one operator node,
// located by its path (as in the derivation trace, e.g. "Series/Race[2]").
// For a Cond, Probabilities are the confidence intervals of its branch
// probabilities, whatever the tree holds.
type NodeEvidence struct {
	Pos           diag.Pos      `yaml:"-"`
	Path          string        `yaml:"path"`
	Kind          string        `yaml:"kind"`
	Confidence    float64       `yaml:"confidence"`
	Probabilities []Probability `yaml:"probabilities"`
	Signals       []string      `yaml:"signals"`
	Provenance    *Provenance   `yaml:"provenance"`
}

// Provenance says where an element of a discovered model comes from.
type Provenance struct {
	Pos             diag.Pos `yaml:"-"`
	Sources         []string `yaml:"sources"`
	Traces          int      `yaml:"traces"`
	Spans           int      `yaml:"spans"`
	ExampleTraceIDs []string `yaml:"exampleTraceIDs"`
	WindowStart     string   `yaml:"windowStart"`
	WindowEnd       string   `yaml:"windowEnd"`
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
	Signals    []string `yaml:"signals"`
}
