package infer

import (
	"time"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/limits"
)

// Options configures a Builder. The zero value is usable: every field has
// a default.
type Options struct {
	// Journey selects the journey: "service operation" or an operation name
	// alone. Every span of that operation is a journey root, wherever it
	// sits in its trace. Empty means no selection: Candidates lists the
	// root operations, and Model picks the only one if there is just one.
	Journey string
	// SkewTolerance is the clock disagreement tolerated when a call's times
	// come from the callee's server span (its client span is missing);
	// default 2ms. Times of client spans, all on the caller's clock, are
	// compared exactly.
	SkewTolerance time.Duration
	// Gap is the largest idle time between the end of a Series step and the
	// start of the next one, and between the starts of Parallel branches;
	// default 1ms.
	Gap time.Duration
	// Confidence is the level of the Wilson intervals of probabilities and
	// availabilities and of the latency quantile intervals; default 0.95.
	Confidence float64
	// PointHalfWidth is the largest Wilson half-width for which a Cond
	// probability is emitted as a point; wider ones are emitted as
	// intervals. Default 0.01.
	PointHalfWidth float64
	// MaxExamples is the number of example trace IDs kept per component,
	// node and domain (the lexicographically smallest); default 3.
	MaxExamples int
	// GroupBy is GroupByOperation (the default: a component is one
	// operation of one service) or GroupByService (the operations of a
	// service are one component).
	GroupBy string
	// MaxComponents bounds the distinct components of the selected
	// journey; default DefaultMaxComponents. The decomposition relates
	// every pair of components, so its time and memory grow with their
	// square: Model fails with a *limits.Error (flag FlagMaxComponents)
	// beyond the bound instead of running out of memory.
	MaxComponents int
}

// DefaultMaxComponents is Options.MaxComponents when unset: far more than
// a reviewable journey calls, and small enough that the decomposition
// takes well under a second and a few hundred MiB at worst.
const DefaultMaxComponents = 1000

// FlagMaxComponents is the command-line flag (without dashes) that sets
// Options.MaxComponents, named in the limit's error.
const FlagMaxComponents = limits.FlagComponents

func (o Options) withDefaults() Options {
	if o.SkewTolerance <= 0 {
		o.SkewTolerance = 2 * time.Millisecond
	}
	if o.Gap <= 0 {
		o.Gap = time.Millisecond
	}
	if !(o.Confidence > 0 && o.Confidence < 1) {
		o.Confidence = 0.95
	}
	if !(o.PointHalfWidth > 0) {
		o.PointHalfWidth = 0.01
	}
	if o.MaxExamples <= 0 {
		o.MaxExamples = 3
	}
	if o.MaxComponents <= 0 {
		o.MaxComponents = DefaultMaxComponents
	}
	if o.GroupBy != GroupByService {
		o.GroupBy = GroupByOperation
	}
	return o
}

// Candidate is an operation that could be a journey: a root operation of
// the traces read, or a server operation called directly below a root
// that makes calls of its own.
type Candidate struct {
	// Service and Operation name the spans.
	Service, Operation string
	// Root is true when the spans are trace roots.
	Root bool
	// Traces is the number of traces holding at least one such span.
	Traces int
	// Calls is the mean number of calls made directly by such a span.
	Calls float64
}

// Model is the journey model inferred from traces.
type Model struct {
	// Journey is the selected operation, Service the service of its root
	// spans.
	Journey, Service string
	// Root is the inferred operator tree.
	Root journey.Node
	// Components are the tree's leaves with their evidence, sorted by name.
	Components []Component
	// Domains are the failure-domain hypotheses, sorted by name.
	Domains []Domain
	// Nodes describes every node of Root, in depth-first order.
	Nodes []NodeInfo
	// Confidence is the model's overall confidence in [0, 1].
	Confidence float64
	// Notes are remarks for the reviewer (ambiguities, limits of the
	// evidence), sorted.
	Notes []string
	// Traces is the number of journey instances read.
	Traces int
	// Failed is how many of them failed.
	Failed int
	// Window is the first instance's start and the last one's end.
	Window [2]time.Time
	// Sources are the inputs the instances came from, sorted.
	Sources []string
}

// Component is one leaf of the tree, with its evidence as the caller saw it
// (client spans).
type Component struct {
	// Name is the component's name: SERVICE.OPERATION (SERVICE alone when
	// the operation is named after the service, or when components are
	// grouped by service), made of the characters a component name may
	// hold.
	Name string
	// Service is the callee's service (its server spans' service.name,
	// else peer.service, db.system@server.address or server.address) and
	// Operation the operation called (rpc.method, the HTTP method and
	// route, else the span name); Operation is "" when components are
	// grouped by service.
	Service, Operation string
	// Kind is "service", "external_dependency" (never seen answering with
	// a server span), "database" or "cache" (db.system redis or memcached).
	Kind string
	// Good and Total count the calls that completed: Total the successes
	// and the failures, Good the successes. Calls cut by a deadline or
	// cancelled are in neither.
	Good, Total int
	// Lower and Upper are the Wilson interval of Good/Total.
	Lower, Upper float64
	// Evidence says how the failures in Good/Total were found: by span
	// status, error tags, HTTP or gRPC codes, or by truncation (an
	// instance that stopped before a step the journey requires, with no
	// failure recorded).
	Evidence string
	// Cut and Cancelled count the calls cut by a deadline and cancelled.
	Cut, Cancelled int
	// Bounds and Counts are the latency histogram of successful calls in
	// seconds: Counts[i] observations ≤ Bounds[i] (and above Bounds[i−1]),
	// the last count the +Inf bucket. Counts are Kaplan–Meier corrected for
	// the calls cut or cancelled (right-censored) and scaled to Samples;
	// mass the evidence cannot place is in the +Inf bucket.
	Bounds []float64
	Counts []float64
	// Samples is the number of successful calls.
	Samples int
	// P99 is the 99th percentile of the latency of successful calls
	// (Kaplan–Meier), and P99Lo, P99Hi its confidence interval. When the
	// censored evidence cannot place it, P99 is the largest observed
	// duration (a lower bound) and P99Hi is +Inf.
	P99, P99Lo, P99Hi float64
	// Confidence is the evidence's confidence in [0, 1].
	Confidence float64
	// Telemetry is how its calls can be watched live (span metrics), nil
	// when the spans do not name its service.
	Telemetry *Telemetry
	// Downstream are the dependencies the component was seen calling,
	// sorted.
	Downstream []string
	// Examples are trace IDs of calls.
	Examples []string
}

// Domain is a failure-domain hypothesis: components that share a fate.
type Domain struct {
	// Name is "zone/X", "region/X", "cluster/X", "node/X", "host/X" or
	// "dependency/X" (a shared downstream dependency).
	Name string
	// Members are the components in the domain, sorted.
	Members []string
	// Signals explain the hypothesis.
	Signals []string
	// Confidence is in [0, 1].
	Confidence float64
}

// NodeInfo is the provenance of one node of the inferred tree.
type NodeInfo struct {
	// Path is the node's derivation path (journey.ChildPath), e.g.
	// "Series/Cond[1]".
	Path string
	// Kind is journey.Kind of the node.
	Kind string
	// Confidence is in [0, 1].
	Confidence float64
	// Signals explain the inference.
	Signals []string
	// Traces is the number of instances in which the node ran.
	Traces int
	// Examples are trace IDs in which the node ran.
	Examples []string
	// Probs are, for a Cond, the Wilson intervals of its branch
	// probabilities at Options.Confidence, whatever the tree holds.
	Probs []journey.Prob
}
