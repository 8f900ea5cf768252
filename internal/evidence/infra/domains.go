package infra

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Signal weights and contradiction factors; the package documentation
// explains how they combine.
const (
	weightNodeName       = 0.95
	weightRequired       = 0.90
	weightNodeSelector   = 0.85
	weightPreferredBase  = 0.30 // + weightPreferredRange × weight/100
	weightPreferredRange = 0.30
	weightNamespace      = 0.20
	weightNamespaceGuess = 0.10
	weightCluster        = 0.90
	factorHardSpread     = 0.50
	factorSoftSpread     = 0.75
)

// support is one workload's evidence for one domain.
type support struct {
	weights []float64
	factors []float64
	signals []string
}

// confidence combines the supporting signals by noisy-OR and multiplies
// the contradiction factors.
func (s *support) confidence() float64 {
	miss := 1.0
	for _, w := range s.weights {
		miss *= 1 - w
	}
	p := 1 - miss
	for _, f := range s.factors {
		p *= f
	}
	return p
}

// hypotheses accumulates support per domain, per workload.
type hypotheses struct {
	order   []string
	by      map[string]map[*Workload]*support
	signals map[string][]string // domain-level signals
}

func (h *hypotheses) at(domain string, w *Workload) *support {
	if h.by[domain] == nil {
		h.by[domain] = map[*Workload]*support{}
		h.order = append(h.order, domain)
	}
	s := h.by[domain][w]
	if s == nil {
		s = &support{}
		h.by[domain][w] = s
	}
	return s
}

func (h *hypotheses) add(domain string, w *Workload, weight float64, signal string) {
	s := h.at(domain, w)
	s.weights = append(s.weights, weight)
	if signal != "" {
		s.signals = append(s.signals, fmt.Sprintf("%s, +%s", signal, fmtFloat(weight)))
	}
}

// domains builds the failure-domain hypotheses of the manifests.
func (m *manifests) domains(opts KubeOptions) []Domain {
	h := &hypotheses{by: map[string]map[*Workload]*support{}, signals: map[string][]string{}}
	for _, w := range m.workloads {
		pinSupport(h, w)
		nsSignal := fmt.Sprintf("%s: %s: metadata.namespace %s", w.Source, workloadRef(w), w.Namespace)
		weight := weightNamespace
		if !m.nsExplicit[w] {
			nsSignal = fmt.Sprintf("%s: %s: no metadata.namespace, %s assumed", w.Source, workloadRef(w), w.Namespace)
			weight = weightNamespaceGuess
		}
		h.add("namespace/"+w.Namespace, w, weight, nsSignal)
		if opts.Cluster != "" {
			h.add("cluster/"+opts.Cluster, w, weightCluster, "")
		}
	}
	for ns, src := range sortedMap(m.namespaces) {
		if h.by["namespace/"+ns] != nil {
			h.signals["namespace/"+ns] = append(h.signals["namespace/"+ns], fmt.Sprintf("%s: Namespace %s declared", src, ns))
		}
	}
	if opts.Cluster != "" && len(m.workloads) > 0 {
		h.signals["cluster/"+opts.Cluster] = []string{fmt.Sprintf("cluster option %q: all %d workloads of the manifests are applied to it, +%s",
			opts.Cluster, len(m.workloads), fmtFloat(weightCluster))}
	}
	byComponent := map[string][]*Workload{}
	for _, w := range m.workloads {
		byComponent[w.Component] = append(byComponent[w.Component], w)
	}
	var out []Domain
	for _, name := range h.order {
		if d, ok := domain(h, name, byComponent); ok {
			out = append(out, d)
		}
	}
	return out
}

// pinSupport adds a workload's pins, and the spreads contradicting them
// (once per domain).
func pinSupport(h *hypotheses, w *Workload) {
	var pinned []string
	for _, p := range w.Pins {
		if p.Domain == "" {
			continue
		}
		weight, how := pinWeight(p)
		what := how + " " + p.Key + "=" + p.Values[0]
		if p.By == "nodeName" {
			what = how + " " + p.Values[0]
		}
		h.add(p.Domain, w, weight, fmt.Sprintf("%s: %s: %s", p.Source, workloadRef(w), what))
		if !slices.Contains(pinned, p.Domain) {
			pinned = append(pinned, p.Domain)
		}
	}
	for _, domain := range pinned {
		s := h.at(domain, w)
		level, _, _ := strings.Cut(domain, "/")
		for _, sp := range w.Spreads {
			if contradicts(sp.Level, level) {
				s.contradict(w, sp)
			}
		}
	}
}

// contradict applies a spread to the support of a pinned domain. A single
// replica occupies one domain however it is spread, so the spread then
// costs nothing.
func (s *support) contradict(w *Workload, sp Spread) {
	desc := fmt.Sprintf("%s: %s: %s on %s (%s)", sp.Source, workloadRef(w), sp.By, sp.Key, hardness(sp.Hard))
	if w.Replicas == 1 {
		s.signals = append(s.signals, desc+" has no effect on 1 replica")
		return
	}
	f := factorSoftSpread
	if sp.Hard {
		f = factorHardSpread
	}
	s.factors = append(s.factors, f)
	s.signals = append(s.signals, fmt.Sprintf("%s spreads the pods, ×%s", desc, fmtFloat(f)))
}

func pinWeight(p Pin) (float64, string) {
	switch p.By {
	case "nodeName":
		return weightNodeName, "spec.nodeName"
	case "requiredNodeAffinity":
		return weightRequired, "required node affinity"
	case "preferredNodeAffinity":
		return weightPreferredBase + weightPreferredRange*float64(p.Weight)/100,
			"preferred node affinity (weight " + strconv.Itoa(p.Weight) + ")"
	}
	return weightNodeSelector, "nodeSelector"
}

var levelRank = map[string]int{"node": 1, "zone": 2, "region": 3}

// contradicts reports whether spreading over spread-level domains rules
// out sharing one pin-level domain: spreading over zones also spreads
// over nodes, not the reverse; node pools stand apart from the hierarchy.
func contradicts(spread, pin string) bool {
	if spread == "nodepool" || pin == "nodepool" {
		return spread == pin
	}
	rs, ok1 := levelRank[spread]
	rp, ok2 := levelRank[pin]
	return ok1 && ok2 && rp <= rs
}

func hardness(hard bool) string {
	if hard {
		return "hard"
	}
	return "soft"
}

func workloadRef(w *Workload) string {
	return w.Kind + " " + w.Namespace + "/" + w.Name
}

// domain assembles one hypothesis: each component's confidence is the
// replica-weighted mean of its workloads' confidences (a workload with no
// evidence for the domain counts 0), and the domain's confidence is the
// lowest member confidence.
func domain(h *hypotheses, name string, byComponent map[string][]*Workload) (Domain, bool) {
	d := Domain{Name: name, MemberConfidence: map[string]float64{}}
	for _, c := range slices.Sorted(maps.Keys(byComponent)) {
		ws := byComponent[c]
		var p, total float64
		for _, w := range ws {
			total += replicaWeight(w)
		}
		var signals []string
		for _, w := range ws {
			share := 1 / float64(len(ws))
			if total > 0 {
				share = replicaWeight(w) / total
			}
			s := h.by[name][w]
			if s == nil {
				signals = append(signals, fmt.Sprintf("%s: %s: no evidence for %s (share %s of component %s)",
					w.Source, workloadRef(w), name, fmtFloat(share), c))
				continue
			}
			p += share * s.confidence()
			signals = append(signals, s.signals...)
		}
		if round4(p) <= 0 {
			continue
		}
		d.Members = append(d.Members, c)
		d.MemberConfidence[c] = round4(p)
		d.Signals = append(d.Signals, signals...)
	}
	if len(d.Members) == 0 {
		return d, false
	}
	d.Signals = append(d.Signals, h.signals[name]...)
	d.Confidence = minConfidence(d.MemberConfidence)
	return d, true
}

func replicaWeight(w *Workload) float64 {
	if w.Kind == "DaemonSet" {
		return 1
	}
	return float64(w.Replicas)
}

func minConfidence(m map[string]float64) float64 {
	lo := math.Inf(1)
	for _, v := range m {
		lo = min(lo, v)
	}
	return lo
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

func fmtFloat(x float64) string { return strconv.FormatFloat(round4(x), 'g', -1, 64) }
