// Package v1alpha1 holds the versioned YAML types of emac's spec
// (apiVersion emac.dev/v1alpha1) and the OpenSLO v1 documents emac reads.
// They mirror what users write, field for field, and are kept apart from the
// internal model (internal/model); internal/spec maps one onto the other.
//
// A complete JourneyIntent:
//
//	apiVersion: emac.dev/v1alpha1
//	kind: JourneyIntent
//	metadata: {name: checkout}
//	spec:
//	  objectives:
//	    availability: {target: 0.999, window: 30d}
//	    latency: {window: 30d, objective: {metric: p99, threshold: 0.4}}
//	  expr: "Series(frontend, Cond(p_hit; cache, catalog), Timeout(200ms; Race(paya, payb), queue))"
//	  parameters:
//	    p_hit: {value: 0.8, query: "sum(rate(cache_hits_total[5m])) / sum(rate(cache_requests_total[5m]))"}
//	  components:
//	    frontend: {atomicSLORef: "openslo:slo.frontend", failureDomains: [cluster]}
//	    paya:
//	      kind: external_dependency
//	      availability: {good: 99500, total: 100000}
//	      latency: {lognormal: {median: 80ms, sigma: 0.5}}
//	      failureDomains: [payment-network]
//	  governance:
//	    useBoundsForAutomation: {availability: pessimistic, latency: upperConfidence}
//
// Every struct carries Pos, the position of its YAML node, so later stages
// can report file:line:col without holding YAML.
package v1alpha1

import "github.com/emac-dev/emac/internal/diag"

// Group and version of emac's own kinds.
const (
	APIVersion   = "emac.dev/v1alpha1"
	OpenSLOv1    = "openslo/v1"
	KindIntent   = "JourneyIntent"
	KindDiscover = "DiscoveredJourneyModel"
)

// ObjectMeta is the metadata block shared by every kind.
type ObjectMeta struct {
	Pos         diag.Pos          `yaml:"-"`
	Name        string            `yaml:"name"`
	DisplayName string            `yaml:"displayName"`
	Namespace   string            `yaml:"namespace"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// JourneyIntent declares a journey's objective, control flow, leaf bindings,
// failure domains, evidence and governance.
type JourneyIntent struct {
	Pos        diag.Pos   `yaml:"-"`
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   ObjectMeta `yaml:"metadata"`
	Spec       IntentSpec `yaml:"spec"`
}

// IntentSpec is the body of a JourneyIntent. Exactly one of Operator and
// Expr is set.
type IntentSpec struct {
	Pos            diag.Pos             `yaml:"-"`
	Description    string               `yaml:"description"`
	Objectives     Objectives           `yaml:"objectives"`
	Operator       *OperatorNode        `yaml:"operator"`
	Expr           *Expr                `yaml:"expr"`
	Parameters     map[string]Parameter `yaml:"parameters"`
	Components     map[string]Component `yaml:"components"`
	FailureDomains *FailureDomains      `yaml:"failureDomains"`
	Evidence       *Evidence            `yaml:"evidence"`
	Governance     *Governance          `yaml:"governance"`
}

// Objectives are the journey-level objectives.
type Objectives struct {
	Pos          diag.Pos               `yaml:"-"`
	Availability *AvailabilityObjective `yaml:"availability"`
	Latency      *LatencyObjective      `yaml:"latency"`
}

// AvailabilityObjective is "target fraction of journeys succeed over window".
type AvailabilityObjective struct {
	Pos    diag.Pos    `yaml:"-"`
	Target float64     `yaml:"target"`
	Window string      `yaml:"window"`
	SLI    *JourneySLI `yaml:"sli"`
}

// JourneySLI holds optional journey-level good/total queries.
type JourneySLI struct {
	Pos             diag.Pos `yaml:"-"`
	GoodEventQuery  string   `yaml:"goodEventQuery"`
	TotalEventQuery string   `yaml:"totalEventQuery"`
}

// LatencyObjective is "quantile of successful journeys within threshold".
type LatencyObjective struct {
	Pos       diag.Pos         `yaml:"-"`
	Window    string           `yaml:"window"`
	Objective *LatencyTarget   `yaml:"objective"`
	Evidence  *LatencyEvidence `yaml:"evidence"`
}

// LatencyTarget names the quantile (p50, p99, p99.9) and its threshold.
type LatencyTarget struct {
	Pos       diag.Pos  `yaml:"-"`
	Metric    string    `yaml:"metric"`
	Threshold *Duration `yaml:"threshold"`
}

// LatencyEvidence is a journey-level latency query.
type LatencyEvidence struct {
	Pos    diag.Pos `yaml:"-"`
	PromQL string   `yaml:"promql"`
}

// OperatorNode is one node of the operator tree in YAML form: an operator
// (Type set) or a leaf (Ref set). Which keys are allowed depends on Type.
type OperatorNode struct {
	Pos                diag.Pos       `yaml:"-"`
	Type               string         `yaml:"type"`
	Ref                string         `yaml:"ref"`
	Name               string         `yaml:"name"`
	Probability        *Probability   `yaml:"probability"`
	Steps              []OperatorNode `yaml:"steps"`
	Branches           []OperatorNode `yaml:"branches"`
	Join               string         `yaml:"join"`
	Semantics          string         `yaml:"semantics"`
	HedgeAfter         *Duration      `yaml:"hedgeAfter"`
	K                  *int           `yaml:"k"`
	Timeout            *Duration      `yaml:"timeout"`
	Primary            *OperatorNode  `yaml:"primary"`
	Fallback           *OperatorNode  `yaml:"fallback"`
	Attempts           *int           `yaml:"attempts"`
	PerTryTimeout      *Duration      `yaml:"perTryTimeout"`
	Backoff            *Duration      `yaml:"backoff"`
	Target             *OperatorNode  `yaml:"target"`
	TimeoutProbability *float64       `yaml:"timeoutProbability"`
}

// Parameter is a named value (a branch probability) with an optional live
// PromQL ratio that generated rules follow.
type Parameter struct {
	Pos   diag.Pos `yaml:"-"`
	Value *float64 `yaml:"value"`
	Query string   `yaml:"query"`
}

// FailureDomains holds the failure-domain rules.
type FailureDomains struct {
	Pos   diag.Pos     `yaml:"-"`
	Rules []DomainRule `yaml:"rules"`
}

// DomainRule declares a failure domain, or how to infer one from evidence.
type DomainRule struct {
	Pos         diag.Pos `yaml:"-"`
	Name        string   `yaml:"name"`
	Kind        string   `yaml:"kind"` // declared | inferred
	Source      string   `yaml:"source"`
	Key         string   `yaml:"key"`
	Description string   `yaml:"description"`
}

// Evidence says where the journey's evidence comes from.
type Evidence struct {
	Pos            diag.Pos        `yaml:"-"`
	ModelDiscovery *ModelDiscovery `yaml:"modelDiscovery"`
}

// ModelDiscovery refers to a discovered model and its inputs.
type ModelDiscovery struct {
	Pos                diag.Pos        `yaml:"-"`
	Enabled            bool            `yaml:"enabled"`
	DiscoveredModelRef string          `yaml:"discoveredModelRef"`
	Inputs             []EvidenceInput `yaml:"inputs"`
}

// EvidenceInput names one kind of evidence.
type EvidenceInput struct {
	Pos   diag.Pos `yaml:"-"`
	Type  string   `yaml:"type"`
	Path  string   `yaml:"path"`
	Notes string   `yaml:"notes"`
}

// Governance is the policy: which bounds automation uses and what it may do.
type Governance struct {
	Pos                    diag.Pos             `yaml:"-"`
	EvaluationMode         string               `yaml:"evaluationMode"`
	UseBoundsForAutomation *BoundsPolicy        `yaml:"useBoundsForAutomation"`
	MinConfidence          *float64             `yaml:"minConfidence"`
	ConfidenceLevel        *float64             `yaml:"confidenceLevel"`
	Alerts                 *AlertsPolicy        `yaml:"alerts"`
	ProgressiveDelivery    *ProgressiveDelivery `yaml:"progressiveDelivery"`
	Actions                *ActionsPolicy       `yaml:"actions"`
}

// BoundsPolicy names the bound automation uses for each objective.
type BoundsPolicy struct {
	Pos          diag.Pos `yaml:"-"`
	Availability string   `yaml:"availability"` // pessimistic | optimistic
	Latency      string   `yaml:"latency"`      // upperConfidence | dependenceFree | estimate
}

// AlertsPolicy configures generated alerts.
type AlertsPolicy struct {
	Pos             diag.Pos        `yaml:"-"`
	PromRuleOutput  string          `yaml:"promRuleOutput"`
	SLOBudgetWindow string          `yaml:"sloBudgetWindow"`
	BurnRatePolicy  *BurnRatePolicy `yaml:"burnRatePolicy"`
}

// BurnRatePolicy overrides the multi-window multi-burn-rate alert windows.
type BurnRatePolicy struct {
	Pos    diag.Pos         `yaml:"-"`
	Page   []BurnRateWindow `yaml:"page"`
	Ticket []BurnRateWindow `yaml:"ticket"`
}

// BurnRateWindow is one (burn rate, long window, short window) condition.
type BurnRateWindow struct {
	Pos         diag.Pos `yaml:"-"`
	BurnRate    float64  `yaml:"burnRate"`
	LongWindow  string   `yaml:"longWindow"`
	ShortWindow string   `yaml:"shortWindow"`
}

// ProgressiveDelivery configures the rollout gate.
type ProgressiveDelivery struct {
	Pos                    diag.Pos  `yaml:"-"`
	Provider               string    `yaml:"provider"`
	AnalysisTemplateOutput string    `yaml:"analysisTemplateOutput"`
	Gate                   *GateSpec `yaml:"gate"`
}

// GateSpec bounds what a canary may do to the journey.
type GateSpec struct {
	Pos                  diag.Pos `yaml:"-"`
	MaxCanaryBurnRate    *float64 `yaml:"maxCanaryBurnRate"`
	MaxP99LatencySeconds *float64 `yaml:"maxP99LatencySeconds"`
}

// ActionsPolicy says which declared component actions automation may take.
type ActionsPolicy struct {
	Pos diag.Pos `yaml:"-"`
	// Allowed lists the action types automation may take.
	Allowed []string `yaml:"allowed"`
	// RequireSafeBounds, when true (the default), allows an action only if
	// the predicted pessimistic bounds still meet the objectives.
	RequireSafeBounds *bool `yaml:"requireSafeBounds"`
	// MaxPerDay rate-limits automated actions per journey.
	MaxPerDay *int `yaml:"maxPerDay"`
}

// Component binds a leaf of the tree to evidence and failure domains.
type Component struct {
	Pos            diag.Pos              `yaml:"-"`
	Kind           string                `yaml:"kind"`
	Description    string                `yaml:"description"`
	AtomicSLORef   string                `yaml:"atomicSLORef"`
	Availability   *AvailabilityEvidence `yaml:"availability"`
	Latency        *LatencyLaw           `yaml:"latency"`
	Telemetry      *Telemetry            `yaml:"telemetry"`
	FailureDomains []string              `yaml:"failureDomains"`
	Actions        []ComponentAction     `yaml:"actions"`
	MissingData    string                `yaml:"missingData"` // good | bad | ignore
}

// LatencyLaw is a component's latency evidence; exactly one field is set.
// AtomicSLORef names an OpenSLO SLO whose threshold objectives ("p% of calls
// within v seconds", at least two) give quantile points.
type LatencyLaw struct {
	Pos          diag.Pos             `yaml:"-"`
	AtomicSLORef string               `yaml:"atomicSLORef"`
	Lognormal    *Lognormal           `yaml:"lognormal"`
	Exponential  *Exponential         `yaml:"exponential"`
	Histogram    *Histogram           `yaml:"histogram"`
	Samples      []float64            `yaml:"samples"`
	SamplesFile  string               `yaml:"samplesFile"`
	Quantiles    map[string]*Duration `yaml:"quantiles"`
}

// Lognormal is a lognormal law given by its median and log-space sigma.
type Lognormal struct {
	Pos    diag.Pos  `yaml:"-"`
	Median *Duration `yaml:"median"`
	Sigma  float64   `yaml:"sigma"`
}

// Exponential is an exponential law given by its mean.
type Exponential struct {
	Pos  diag.Pos  `yaml:"-"`
	Mean *Duration `yaml:"mean"`
}

// Histogram is a Prometheus-style histogram: per-bucket counts, one more
// count than bounds (the +Inf bucket). Bounds are in seconds.
type Histogram struct {
	Pos    diag.Pos  `yaml:"-"`
	Bounds []float64 `yaml:"bounds"`
	Counts []float64 `yaml:"counts"`
}

// Telemetry binds a component to live Prometheus series.
type Telemetry struct {
	Pos       diag.Pos            `yaml:"-"`
	Good      string              `yaml:"good"`
	Total     string              `yaml:"total"`
	Histogram *TelemetryHistogram `yaml:"histogram"`
}

// TelemetryHistogram names a latency histogram metric and its selector.
type TelemetryHistogram struct {
	Pos      diag.Pos `yaml:"-"`
	Metric   string   `yaml:"metric"`
	Selector string   `yaml:"selector"`
}

// ComponentAction declares something automation can do to a component.
type ComponentAction struct {
	Pos           diag.Pos               `yaml:"-"`
	Type          string                 `yaml:"type"`
	Parameters    map[string]ParamBounds `yaml:"parameters"`
	Preconditions []string               `yaml:"preconditions"`
	Rollback      string                 `yaml:"rollback"`
}

// ParamBounds bounds an action parameter.
type ParamBounds struct {
	Pos diag.Pos `yaml:"-"`
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
}
