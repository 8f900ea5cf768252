package v1alpha1

import (
	"go.yaml.in/yaml/v3"

	"github.com/emac-dev/emac/internal/diag"
)

// OpenSLO v1 kinds emac reads.
const (
	KindSLO        = "SLO"
	KindSLI        = "SLI"
	KindDataSource = "DataSource"
)

// SLO is an OpenSLO v1 SLO document: an atomic, per-service objective.
type SLO struct {
	Pos        diag.Pos   `yaml:"-"`
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   ObjectMeta `yaml:"metadata"`
	Spec       SLOSpec    `yaml:"spec"`
}

// SLOSpec is the body of an OpenSLO SLO.
type SLOSpec struct {
	Pos             diag.Pos       `yaml:"-"`
	Description     string         `yaml:"description"`
	Service         string         `yaml:"service"`
	Indicator       *InlineSLI     `yaml:"indicator"`
	IndicatorRef    string         `yaml:"indicatorRef"`
	TimeWindow      []TimeWindow   `yaml:"timeWindow"`
	BudgetingMethod string         `yaml:"budgetingMethod"`
	Objectives      []SLOObjective `yaml:"objectives"`
	AlertPolicies   []yaml.Node    `yaml:"alertPolicies"`
}

// InlineSLI is an SLI written inside an SLO.
type InlineSLI struct {
	Pos      diag.Pos   `yaml:"-"`
	Metadata ObjectMeta `yaml:"metadata"`
	Spec     SLISpec    `yaml:"spec"`
}

// SLIDoc is an OpenSLO v1 SLI document.
type SLIDoc struct {
	Pos        diag.Pos   `yaml:"-"`
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   ObjectMeta `yaml:"metadata"`
	Spec       SLISpec    `yaml:"spec"`
}

// SLISpec is a ratio or threshold indicator.
type SLISpec struct {
	Pos             diag.Pos      `yaml:"-"`
	Description     string        `yaml:"description"`
	RatioMetric     *RatioMetric  `yaml:"ratioMetric"`
	ThresholdMetric *MetricHolder `yaml:"thresholdMetric"`
}

// RatioMetric is good/total (or bad/total) event counting.
type RatioMetric struct {
	Pos     diag.Pos      `yaml:"-"`
	Counter bool          `yaml:"counter"`
	Good    *MetricHolder `yaml:"good"`
	Bad     *MetricHolder `yaml:"bad"`
	Total   *MetricHolder `yaml:"total"`
	RawType string        `yaml:"rawType"`
	Raw     *MetricHolder `yaml:"raw"`
}

// MetricHolder wraps a metric source.
type MetricHolder struct {
	Pos          diag.Pos     `yaml:"-"`
	MetricSource MetricSource `yaml:"metricSource"`
}

// MetricSource is a query against a data source; Spec is source-specific.
type MetricSource struct {
	Pos             diag.Pos  `yaml:"-"`
	Type            string    `yaml:"type"`
	MetricSourceRef string    `yaml:"metricSourceRef"`
	Spec            yaml.Node `yaml:"spec"`
}

// TimeWindow is an SLO window (rolling or calendar-aligned).
type TimeWindow struct {
	Pos       diag.Pos  `yaml:"-"`
	Duration  string    `yaml:"duration"`
	IsRolling bool      `yaml:"isRolling"`
	Calendar  yaml.Node `yaml:"calendar"`
}

// SLOObjective is one objective (threshold) of an SLO.
type SLOObjective struct {
	Pos             diag.Pos   `yaml:"-"`
	DisplayName     string     `yaml:"displayName"`
	Op              string     `yaml:"op"`
	Value           *float64   `yaml:"value"`
	Target          *float64   `yaml:"target"`
	TargetPercent   *float64   `yaml:"targetPercent"`
	TimeSliceTarget *float64   `yaml:"timeSliceTarget"`
	TimeSliceWindow string     `yaml:"timeSliceWindow"`
	IndicatorRef    string     `yaml:"indicatorRef"`
	Indicator       *InlineSLI `yaml:"indicator"`
	CompositeWeight *float64   `yaml:"compositeWeight"`
}

// DataSource is an OpenSLO v1 DataSource document.
type DataSource struct {
	Pos        diag.Pos       `yaml:"-"`
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	Metadata   ObjectMeta     `yaml:"metadata"`
	Spec       DataSourceSpec `yaml:"spec"`
}

// DataSourceSpec names the source type and its connection details.
type DataSourceSpec struct {
	Pos               diag.Pos  `yaml:"-"`
	Description       string    `yaml:"description"`
	Type              string    `yaml:"type"`
	ConnectionDetails yaml.Node `yaml:"connectionDetails"`
}
