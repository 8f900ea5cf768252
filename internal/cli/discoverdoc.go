package cli

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emac-dev/emac/api/v1alpha1"
	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/evidence/infer"
	"github.com/emac-dev/emac/internal/evidence/infra"
	"github.com/emac-dev/emac/internal/gen/yamlout"
	"github.com/emac-dev/emac/internal/journey"
)

// The discovered model as written: field order is the review order, and
// every number is rounded so that output is stable.
type discoveredDoc struct {
	APIVersion string       `yaml:"apiVersion"`
	Kind       string       `yaml:"kind"`
	Metadata   docMeta      `yaml:"metadata"`
	Spec       discoverSpec `yaml:"spec"`
}

type docMeta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels,omitempty"`
}

type discoverSpec struct {
	Journey        docRoot                 `yaml:"journey"`
	Confidence     docConfidence           `yaml:"confidence"`
	Expr           string                  `yaml:"expr"`
	Components     map[string]docComponent `yaml:"components"`
	Nodes          []docNode               `yaml:"nodes"`
	Topology       *docTopology            `yaml:"topology,omitempty"`
	FailureDomains docDomains              `yaml:"failureDomains"`
	Notes          []docNote               `yaml:"notes,omitempty"`
	Provenance     docProvenance           `yaml:"provenance"`
}

type docRoot struct {
	Service   string `yaml:"service,omitempty"`
	Operation string `yaml:"operation"`
}

type docConfidence struct {
	Overall float64  `yaml:"overall"`
	Method  string   `yaml:"method"`
	Notes   []string `yaml:"notes,omitempty"`
}

type docComponent struct {
	Service         string         `yaml:"service,omitempty"`
	Operation       string         `yaml:"operation,omitempty"`
	Kind            string         `yaml:"kind"`
	Availability    docCounts      `yaml:"availability"`
	FailureEvidence string         `yaml:"failureEvidence,omitempty"`
	Latency         *docLatency    `yaml:"latency,omitempty"`
	Telemetry       *docTelemetry  `yaml:"telemetry,omitempty"`
	Confidence      float64        `yaml:"confidence"`
	Provenance      *docProvenance `yaml:"provenance,omitempty"`
}

type docTelemetry struct {
	Good      string           `yaml:"good"`
	Total     string           `yaml:"total"`
	Histogram *docHistogramRef `yaml:"histogram,omitempty"`
}

type docHistogramRef struct {
	Metric   string `yaml:"metric"`
	Selector string `yaml:"selector"`
}

type docCounts struct {
	Good  int `yaml:"good"`
	Total int `yaml:"total"`
}

type docLatency struct {
	Histogram docHistogram `yaml:"histogram"`
}

type docHistogram struct {
	Bounds []float64 `yaml:"bounds,flow"`
	Counts []float64 `yaml:"counts,flow"`
}

type docNode struct {
	Path          string         `yaml:"path"`
	Kind          string         `yaml:"kind"`
	Confidence    float64        `yaml:"confidence"`
	Probabilities [][2]float64   `yaml:"probabilities,omitempty,flow"`
	Signals       []string       `yaml:"signals,omitempty"`
	Provenance    *docProvenance `yaml:"provenance,omitempty"`
}

type docTopology struct {
	Edges []docEdge `yaml:"edges"`
}

type docEdge struct {
	From        string  `yaml:"from"`
	To          string  `yaml:"to"`
	CallType    string  `yaml:"callType"`
	Probability float64 `yaml:"probability"`
	Notes       string  `yaml:"notes"`
}

type docDomains struct {
	Inferred []docDomain `yaml:"inferred"`
}

type docDomain struct {
	Name       string   `yaml:"name"`
	Members    []string `yaml:"members,flow"`
	Confidence float64  `yaml:"confidence"`
	Signals    []string `yaml:"signals,omitempty"`
}

type docProvenance struct {
	Sources         []string `yaml:"sources,omitempty"`
	Traces          int      `yaml:"traces,omitempty"`
	ExampleTraceIDs []string `yaml:"exampleTraceIDs,omitempty,flow"`
	WindowStart     string   `yaml:"windowStart,omitempty"`
	WindowEnd       string   `yaml:"windowEnd,omitempty"`
}

// confidenceMethod documents, in the model itself, how its confidences
// are computed (package infer has the formulas).
const confidenceMethod = "w(n) = n/(n+20); Cond: (1 - largest Wilson half-width) * w(reached instances); Series: w(instances calling two or more steps); Parallel, Race, KofN: share of instances agreeing with the operator * w(instances); Timeout: w(cuts and fallback starts at the deadline); Retry: w(retried instances); leaf: (1 - Wilson half-width of good/total) * w(calls); domain from attributes: mean share of the members' server spans carrying it * w(spans of the least-seen member); domain from manifests: signal weights combined by noisy-OR, halved by contradicting spread constraints; model: the smallest node or leaf confidence"

// discoveredModel renders m (and the infrastructure evidence ev) as a
// DiscoveredJourneyModel named name.
func discoveredModel(name string, m *infer.Model, ev infra.Evidence) ([]byte, error) {
	original := renameComponents(m)
	if _, errs := journey.Parse(m.Root.String(), diag.Pos{File: "discovered"}); errs.HasErrors() {
		return nil, fmt.Errorf("the inferred tree %s does not parse back: %v", m.Root, errs.Err())
	}
	svc, op := m.Service, m.Journey
	doc := discoveredDoc{
		APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.KindDiscover,
		Metadata: docMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "emac"}},
		Spec: discoverSpec{
			Journey:    docRoot{Service: svc, Operation: op},
			Confidence: docConfidence{Overall: round4(m.Confidence), Method: confidenceMethod, Notes: m.Notes},
			Expr:       m.Root.String(),
			Components: map[string]docComponent{},
			Provenance: docProvenance{Sources: m.Sources, Traces: m.Traces,
				WindowStart: stamp(m.Window[0]), WindowEnd: stamp(m.Window[1])},
		},
	}
	for _, c := range m.Components {
		dc := docComponent{Service: cmp.Or(c.Service, original[c.Name]), Operation: c.Operation, Kind: componentKind(c.Kind),
			Availability: docCounts{Good: c.Good, Total: c.Total}, FailureEvidence: c.Evidence,
			Confidence: round4(c.Confidence), Provenance: &docProvenance{ExampleTraceIDs: c.Examples}}
		if t := c.Telemetry; t != nil {
			dc.Telemetry = &docTelemetry{Good: t.Good, Total: t.Total, Histogram: &docHistogramRef{Metric: t.HistogramMetric, Selector: t.HistogramSelector}}
		}
		if len(c.Bounds) > 0 && c.Samples > 0 {
			dc.Latency = &docLatency{Histogram: docHistogram{Bounds: c.Bounds, Counts: roundAll(c.Counts)}}
		}
		doc.Spec.Components[c.Name] = dc
	}
	for _, n := range m.Nodes {
		dn := docNode{Path: n.Path, Kind: n.Kind, Confidence: round4(n.Confidence),
			Signals: n.Signals, Provenance: &docProvenance{Traces: n.Traces, ExampleTraceIDs: n.Examples}}
		for _, p := range n.Probs {
			dn.Probabilities = append(dn.Probabilities, [2]float64{round4(p.Lo), round4(p.Hi)})
		}
		doc.Spec.Nodes = append(doc.Spec.Nodes, dn)
	}
	attachInfra(&doc, m, ev)
	var b bytes.Buffer
	b.WriteString(header())
	if err := yamlout.Encode(&b, doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// domainsDoc joins the traces' domain hypotheses with the manifests'
// ones over the journey's components (infra.Attach's, kept when they have
// at least two members); a domain seen by both keeps the larger
// confidence and both signals.
func domainsDoc(m *infer.Model, manifests []infra.Domain) []docDomain {
	byName := map[string]*docDomain{}
	var names []string
	add := func(name string, members []string, conf float64, signals []string) {
		d, ok := byName[name]
		if !ok {
			d = &docDomain{Name: name}
			byName[name] = d
			names = append(names, name)
		}
		d.Members = slices.Compact(slices.Sorted(slices.Values(append(d.Members, members...))))
		d.Confidence = max(d.Confidence, round4(conf))
		d.Signals = append(d.Signals, signals...)
	}
	for _, d := range m.Domains {
		add(d.Name, d.Members, d.Confidence, d.Signals)
	}
	for _, d := range manifests {
		if len(d.Members) >= 2 {
			add(d.Name, d.Members, d.Confidence, d.Signals)
		}
	}
	slices.Sort(names)
	out := []docDomain{}
	for _, n := range names {
		out = append(out, *byName[n])
	}
	return out
}

// componentKind maps inferred kinds onto the spec's component kinds.
func componentKind(k string) string {
	switch k {
	case "service", "external_dependency", "database", "queue", "cache", "function":
		return k
	}
	return "service"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func round4(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 4, 64), 64)
	return v
}

func roundAll(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 10, 64), 64)
		out[i] = v
	}
	return out
}

// candidatesText lists the candidate journeys.
func candidatesText(cs []infer.Candidate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %-28s %-40s %8s %8s\n", "ROOT", "SERVICE", "OPERATION", "TRACES", "CALLS")
	for _, c := range cs {
		root := "below"
		if c.Root {
			root = "root"
		}
		fmt.Fprintf(&b, "%-8s %-28s %-40s %8d %8.1f\n", root, c.Service, c.Operation, c.Traces, c.Calls)
	}
	b.WriteString("\nchoose one with --journey \"SERVICE OPERATION\" (or the operation alone)\n")
	return b.String()
}

// renameComponents gives every component of m a name the spec accepts
// (letters, digits, '_', '.', '-', starting with a letter or '_', not
// "skip"), rewriting the tree, node paths and domains, and returns the
// original name of each renamed component.
func renameComponents(m *infer.Model) map[string]string {
	rename, original := map[string]string{}, map[string]string{}
	used := map[string]bool{}
	for _, c := range m.Components {
		used[c.Name] = true
	}
	for i := range m.Components {
		old := m.Components[i].Name
		n := componentName(old)
		if n == old {
			continue
		}
		for base, k := n, 2; used[n]; k++ {
			n = fmt.Sprintf("%s_%d", base, k)
		}
		used[n] = true
		rename[old], original[n] = n, old
		m.Components[i].Name = n
	}
	if len(rename) == 0 {
		return original
	}
	journey.Walk(m.Root, func(x journey.Node) bool {
		if l, ok := x.(*journey.Leaf); ok && rename[l.Name] != "" {
			l.Name = rename[l.Name]
		}
		return true
	})
	for i := range m.Nodes {
		for old, n := range rename {
			m.Nodes[i].Path = strings.ReplaceAll(m.Nodes[i].Path, "/"+old+"[", "/"+n+"[")
		}
	}
	for i := range m.Domains {
		for j, mem := range m.Domains[i].Members {
			if n := rename[mem]; n != "" {
				m.Domains[i].Members[j] = n
			}
		}
		slices.Sort(m.Domains[i].Members)
	}
	return original
}

// componentName maps a name seen in traces onto a component name.
func componentName(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r == '.' || r == '-' || r >= '0' && r <= '9')
		switch {
		case ok:
			b.WriteRune(r)
		case i == 0 && r >= '0' && r <= '9':
			b.WriteString("c_")
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	n := b.String()
	if n == "" || n == "skip" {
		n += "_"
	}
	return n
}
