package argo

// The types below are the subset of the argoproj.io/v1alpha1 resources
// that emac emits, with the field names of the upstream CRDs (the tests
// check them against the CRD schemas shipped with Argo Rollouts). They
// are declared here so that the emac binary does not link Argo Rollouts.

// AnalysisTemplate is an argoproj.io/v1alpha1 AnalysisTemplate.
type AnalysisTemplate struct {
	APIVersion string       `yaml:"apiVersion"`
	Kind       string       `yaml:"kind"`
	Metadata   Metadata     `yaml:"metadata"`
	Spec       TemplateSpec `yaml:"spec"`
}

// Metadata is the object metadata emac sets.
type Metadata struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels,omitempty"`
}

// TemplateSpec is the spec of an AnalysisTemplate.
type TemplateSpec struct {
	Args    []Arg    `yaml:"args"`
	Metrics []Metric `yaml:"metrics"`
}

// Arg is a template argument, or the value an analysis step gives one.
// An argument without Value or ValueFrom is required.
type Arg struct {
	Name      string     `yaml:"name"`
	Value     *string    `yaml:"value,omitempty"`
	ValueFrom *ValueFrom `yaml:"valueFrom,omitempty"`
}

// ValueFrom takes an argument's value from the Rollout.
type ValueFrom struct {
	// PodTemplateHashValue is Stable or Latest: the pod-template-hash of
	// that ReplicaSet.
	PodTemplateHashValue string `yaml:"podTemplateHashValue,omitempty"`
}

// Metric is one measurement of an AnalysisTemplate.
type Metric struct {
	Name              string   `yaml:"name"`
	InitialDelay      string   `yaml:"initialDelay,omitempty"`
	Interval          string   `yaml:"interval"`
	Count             int      `yaml:"count"`
	FailureLimit      int      `yaml:"failureLimit"`
	InconclusiveLimit int      `yaml:"inconclusiveLimit"`
	SuccessCondition  string   `yaml:"successCondition"`
	FailureCondition  string   `yaml:"failureCondition"`
	Provider          Provider `yaml:"provider"`
}

// Provider is a metric's data source.
type Provider struct {
	Prometheus *Prometheus `yaml:"prometheus"`
}

// Prometheus is a Prometheus instant query.
type Prometheus struct {
	Address string `yaml:"address"`
	Query   string `yaml:"query"`
}

// Rollout is the excerpt of an argoproj.io/v1alpha1 Rollout that holds
// the canary steps; it is merged into a Rollout's spec.
type Rollout struct {
	// Component is the component the Rollout deploys; it is not part of
	// the excerpt.
	Component string      `yaml:"-"`
	Spec      RolloutSpec `yaml:"spec"`
}

// RolloutSpec is the part of a Rollout's spec emac fills.
type RolloutSpec struct {
	Strategy Strategy `yaml:"strategy"`
}

// Strategy is a Rollout's deployment strategy.
type Strategy struct {
	Canary Canary `yaml:"canary"`
}

// Canary is a canary strategy.
type Canary struct {
	Steps []Step `yaml:"steps"`
}

// Step is one canary step: a weight or an analysis.
type Step struct {
	SetWeight *int32        `yaml:"setWeight,omitempty"`
	Analysis  *StepAnalysis `yaml:"analysis,omitempty"`
}

// StepAnalysis runs analysis templates as a canary step.
type StepAnalysis struct {
	Templates []TemplateRef `yaml:"templates"`
	Args      []Arg         `yaml:"args"`
}

// TemplateRef names an AnalysisTemplate.
type TemplateRef struct {
	TemplateName string `yaml:"templateName"`
}
