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
	weightNamespaceFile  = 0.15
	weightNamespaceGuess = 0.10
	weightNodeSet        = 0.50 // scale of a pin to a labelled node set
	platformNote         = "selects a platform (operating system or architecture), not a failure domain"
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
	order []string
	by    map[string]map[*Workload]*support
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

// domains computes every workload's memberships and returns the
// failure-domain hypotheses over the components the manifests name.
func (m *manifests) domains(opts KubeOptions) []Domain {
	h := &hypotheses{by: map[string]map[*Workload]*support{}}
	for _, w := range m.workloads {
		pinSupport(h, w)
		if w.Namespace != "" {
			weight, signal := m.namespaceSignal(w)
			h.add("namespace/"+w.Namespace, w, weight, signal)
		}
		if opts.Cluster != "" {
			h.add("cluster/"+opts.Cluster, w, weightCluster, fmt.Sprintf("%s: %s: cluster option %q", w.Source, workloadRef(w), opts.Cluster))
		}
	}
	for _, name := range slices.Sorted(slices.Values(h.order)) {
		for _, w := range m.workloads {
			if s := h.by[name][w]; s != nil {
				w.Memberships = append(w.Memberships, Membership{Domain: name, Confidence: round4(s.confidence()), Signals: s.signals})
			}
		}
	}
	byComponent := map[string][]*Workload{}
	for _, w := range m.workloads {
		byComponent[w.Component] = append(byComponent[w.Component], w)
	}
	return groupDomains(byComponent)
}

// namespaceSignal is the weight and the signal of a workload's known
// namespace.
func (m *manifests) namespaceSignal(w *Workload) (float64, string) {
	ref := fmt.Sprintf("%s: %s", w.Source, workloadRef(w))
	switch w.NamespaceFrom {
	case "file":
		decl := m.namespaces[w.Pos.File][0]
		return weightNamespaceFile, fmt.Sprintf("%s: no metadata.namespace; the file's only Namespace object (%s) is %s", ref, decl.source, w.Namespace)
	case "option":
		return weightNamespaceGuess, fmt.Sprintf("%s: no metadata.namespace; %s given as the default namespace", ref, w.Namespace)
	}
	return weightNamespace, fmt.Sprintf("%s: metadata.namespace %s", ref, w.Namespace)
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

// pinWeight is the weight of a pin's signal and its description; a pin
// to a labelled node set weighs weightNodeSet times as much as the same
// pin to a zone or node.
func pinWeight(p Pin) (float64, string) {
	scale := 1.0
	if strings.HasPrefix(p.Domain, "nodeset/") {
		scale = weightNodeSet
	}
	switch p.By {
	case "nodeName":
		return weightNodeName, "spec.nodeName"
	case "requiredNodeAffinity":
		return scale * weightRequired, "required node affinity"
	case "preferredNodeAffinity":
		return scale * (weightPreferredBase + weightPreferredRange*float64(p.Weight)/100),
			"preferred node affinity (weight " + strconv.Itoa(p.Weight) + ")"
	}
	return scale * weightNodeSelector, "nodeSelector"
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

// workloadRef names a workload as KIND NAMESPACE/NAME, or KIND NAME when
// its namespace is unknown.
func workloadRef(w *Workload) string {
	if w.Namespace == "" {
		return w.Kind + " " + w.Name
	}
	return w.Kind + " " + w.Namespace + "/" + w.Name
}

// groupDomains returns the failure-domain hypotheses over groups of
// workloads, each group a component: a component's confidence of being
// in a domain is the replica-weighted mean of its workloads' membership
// confidences (a workload with no membership counts 0), and a domain's
// confidence is its lowest member confidence. Only the groups' workloads
// give signals.
func groupDomains(groups map[string][]*Workload) []Domain {
	var names []string
	for _, ws := range groups {
		for _, w := range ws {
			for _, ms := range w.Memberships {
				names = append(names, ms.Domain)
			}
		}
	}
	slices.Sort(names)
	var out []Domain
	for _, name := range slices.Compact(names) {
		if d, ok := domain(name, groups); ok {
			out = append(out, d)
		}
	}
	return out
}

// domain assembles the hypothesis of one domain over the groups.
func domain(name string, groups map[string][]*Workload) (Domain, bool) {
	d := Domain{Name: name, MemberConfidence: map[string]float64{}}
	for _, c := range slices.Sorted(maps.Keys(groups)) {
		ws := groups[c]
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
			ms, ok := w.membership(name)
			if !ok {
				signals = append(signals, fmt.Sprintf("%s: %s: no evidence for %s (share %s of component %s)",
					w.Source, workloadRef(w), name, fmtFloat(share), c))
				continue
			}
			p += share * ms.Confidence
			signals = append(signals, ms.Signals...)
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
	d.Signals = slices.Compact(d.Signals)
	d.Confidence = minConfidence(d.MemberConfidence)
	return d, true
}

// membership returns the workload's membership of a domain.
func (w *Workload) membership(domain string) (Membership, bool) {
	for _, ms := range w.Memberships {
		if ms.Domain == domain {
			return ms, true
		}
	}
	return Membership{}, false
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
