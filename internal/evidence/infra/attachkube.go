package infra

import (
	"fmt"
	"strconv"
	"strings"
)

// kubeNotes notes, for the workloads backing the journey's components,
// unknown namespaces and every pin and spread, and notes the workloads
// that back none.
func (a *attacher) kubeNotes() {
	backs := map[*Workload][]string{}
	for _, t := range a.targets {
		for _, w := range a.backing[t.Name] {
			backs[w] = append(backs[w], t.Name)
		}
	}
	for i := range a.ev.Workloads {
		w := &a.ev.Workloads[i]
		comps := backs[w]
		if len(comps) == 0 {
			if len(a.targets) > 0 {
				a.notes.add(NoteUnused, w.Source, fmt.Sprintf("%s (names: %s) backs none of the journey's components",
					workloadRef(w), strings.Join(w.Aliases, ", ")))
			}
			continue
		}
		if w.NamespaceFrom == "" {
			a.notes.add(NoteNamespace, w.Source, fmt.Sprintf("%s: no metadata.namespace, and its file declares no single Namespace object: "+
				"its namespace is whatever kubectl's context says when it is applied, so no namespace domain is assumed", workloadRef(w)), comps...)
		}
		for _, p := range w.Pins {
			a.notes.add(NotePlacement, p.Source, workloadRef(w)+": "+pinNote(p), comps...)
		}
		for _, s := range w.Spreads {
			a.notes.add(NotePlacement, s.Source, workloadRef(w)+": "+spreadNote(w, s), comps...)
		}
	}
}

// pinNote describes a pin and what it says about failure domains.
func pinNote(p Pin) string {
	weight, how := pinWeight(p)
	what := how + " " + p.Key + "=" + strings.Join(p.Values, ",")
	switch {
	case p.By == "nodeName":
		what = how + " " + strings.Join(p.Values, ",")
	case len(p.Values) != 1:
		what = how + " " + p.Key + " in [" + strings.Join(p.Values, ", ") + "]"
	}
	switch {
	case platformLabels[p.Key]:
		return what + ": " + platformNote + "; no shared-fate signal"
	case p.Domain == "":
		return fmt.Sprintf("%s: allows %d values, so the pods may run in any of them; no single domain is named", what, len(p.Values))
	case strings.HasPrefix(p.Domain, "nodeset/"):
		return fmt.Sprintf("%s: confines the pods to the labelled node set %s (+%s; a node set may span zones, so it weighs half a zone or node pin)",
			what, p.Domain, fmtFloat(weight))
	}
	return fmt.Sprintf("%s: confines the pods to %s (+%s)", what, p.Domain, fmtFloat(weight))
}

// spreadNote describes a spread of a workload's pods and its effect.
func spreadNote(w *Workload, s Spread) string {
	how := map[string]string{
		"topologySpreadConstraints": "topology spread constraint",
		"requiredPodAntiAffinity":   "required pod anti-affinity",
		"preferredPodAntiAffinity":  "preferred pod anti-affinity",
	}[s.By]
	over := map[string]string{"node": "nodes", "zone": "zones", "region": "regions", "nodepool": "node pools"}[s.Level]
	if over == "" {
		over = "values of " + s.Key
	}
	what := fmt.Sprintf("%s on %s (%s", how, s.Key, hardness(s.Hard))
	if s.MaxSkew > 0 {
		what += ", maxSkew " + strconv.Itoa(s.MaxSkew)
	}
	what += ")"
	switch {
	case w.Kind == "DaemonSet":
		return fmt.Sprintf("%s: a DaemonSet runs one pod per eligible node anyway", what)
	case w.Replicas <= 1:
		return fmt.Sprintf("%s: %d replica, so it has no effect: the component's one pod shares the fate of its node and zone", what, w.Replicas)
	}
	factor := factorSoftSpread
	if s.Hard {
		factor = factorHardSpread
	}
	return fmt.Sprintf("%s: the %d replicas are spread over distinct %s, so one failure there takes only part of them "+
		"(×%s on a pin at that level or finer)", what, w.Replicas, over, fmtFloat(factor))
}
