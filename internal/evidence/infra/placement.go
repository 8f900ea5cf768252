package infra

import (
	"fmt"
	"maps"
	"slices"

	"go.yaml.in/yaml/v3"
)

// topologyLevels maps the well-known node labels to the failure-domain
// level they name.
var topologyLevels = map[string]string{
	"topology.kubernetes.io/zone":              "zone",
	"failure-domain.beta.kubernetes.io/zone":   "zone",
	"topology.kubernetes.io/region":            "region",
	"failure-domain.beta.kubernetes.io/region": "region",
	"kubernetes.io/hostname":                   "node",
	"cloud.google.com/gke-nodepool":            "nodepool",
	"eks.amazonaws.com/nodegroup":              "nodepool",
	"kubernetes.azure.com/agentpool":           "nodepool",
	"karpenter.sh/nodepool":                    "nodepool",
}

func levelOf(key string) string {
	if l, ok := topologyLevels[key]; ok {
		return l
	}
	return "other"
}

// platformLabels are the node labels that select a platform rather than
// a set of nodes that may fail together.
var platformLabels = map[string]bool{
	"kubernetes.io/os": true, "kubernetes.io/arch": true,
	"beta.kubernetes.io/os": true, "beta.kubernetes.io/arch": true,
}

// newPin builds a pin; it names a domain when exactly one value is
// allowed: the topology level's for a topology label, a node set's
// ("nodeset/KEY:VALUE") for another label, none for a platform label.
func newPin(key string, values []string, by string, weight int, source string) Pin {
	p := Pin{Key: key, Values: values, By: by, Weight: weight, Source: source}
	switch l := levelOf(key); {
	case len(values) != 1 || platformLabels[key]:
	case l != "other":
		p.Domain = l + "/" + values[0]
	default:
		p.Domain = "nodeset/" + key + ":" + values[0]
	}
	return p
}

// readPlacement reads the scheduling constraints of a pod spec.
func readPlacement(r *reader, spec *yaml.Node, path string, w *Workload) {
	if node := r.str(spec, "nodeName", path+".nodeName"); node != "" {
		p := newPin("kubernetes.io/hostname", []string{node}, "nodeName", 0, r.doc.source(get(spec, "nodeName")))
		w.Pins = append(w.Pins, p)
	}
	if sel := r.mapping(spec, "nodeSelector", path+".nodeSelector"); sel != nil {
		for i := 0; i+1 < len(sel.Content); i += 2 {
			k, v := resolve(sel.Content[i]), resolve(sel.Content[i+1])
			if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
				r.errorf(k, "%s.nodeSelector: want a map of strings", path)
				continue
			}
			w.Pins = append(w.Pins, newPin(k.Value, []string{v.Value}, "nodeSelector", 0, r.doc.source(k)))
		}
	}
	aff := r.mapping(spec, "affinity", path+".affinity")
	readNodeAffinity(r, r.mapping(aff, "nodeAffinity", path+".affinity.nodeAffinity"), path+".affinity.nodeAffinity", w)
	readAntiAffinity(r, r.mapping(aff, "podAntiAffinity", path+".affinity.podAntiAffinity"), path+".affinity.podAntiAffinity", w)
	readSpreads(r, spec, path+".topologySpreadConstraints", w)
}

// readNodeAffinity reads required and preferred node affinity. Required
// terms are ORed, so a key is pinned only when every term constrains it
// with In; the allowed values are the union over the terms.
func readNodeAffinity(r *reader, na *yaml.Node, path string, w *Workload) {
	if na == nil {
		return
	}
	reqPath := path + ".requiredDuringSchedulingIgnoredDuringExecution"
	req := r.mapping(na, "requiredDuringSchedulingIgnoredDuringExecution", reqPath)
	terms := r.seq(req, "nodeSelectorTerms", reqPath+".nodeSelectorTerms")
	var perTerm []map[string][]string
	for i, t := range terms {
		perTerm = append(perTerm, readTerm(r, t, fmt.Sprintf("%s.nodeSelectorTerms[%d]", reqPath, i)))
	}
	if len(perTerm) > 0 {
		for _, key := range slices.Sorted(maps.Keys(perTerm[0])) {
			values, all := perTerm[0][key], true
			for _, t := range perTerm[1:] {
				v, ok := t[key]
				all = all && ok
				values = append(values, v...)
			}
			if all {
				slices.Sort(values)
				w.Pins = append(w.Pins, newPin(key, slices.Compact(values), "requiredNodeAffinity", 0, r.doc.source(terms[0])))
			}
		}
	}
	prefPath := path + ".preferredDuringSchedulingIgnoredDuringExecution"
	for i, p := range r.seq(na, "preferredDuringSchedulingIgnoredDuringExecution", prefPath) {
		at := fmt.Sprintf("%s[%d]", prefPath, i)
		weight, ok := r.integer(p, "weight", at+".weight")
		if !ok {
			r.errorf(p, "%s.weight is required", at)
			continue
		}
		if weight < 1 || weight > 100 {
			r.errorf(p, "%s.weight: must be in 1..100, got %d", at, weight)
			continue
		}
		pref := r.mapping(p, "preference", at+".preference")
		for key, values := range sortedMap(readTerm(r, pref, at+".preference")) {
			w.Pins = append(w.Pins, newPin(key, values, "preferredNodeAffinity", weight, r.doc.source(p)))
		}
	}
}

// readTerm returns the keys a node selector term restricts with In (or a
// metadata.name field match), each with its allowed values.
func readTerm(r *reader, t *yaml.Node, path string) map[string][]string {
	out := map[string][]string{}
	for _, field := range []string{"matchExpressions", "matchFields"} {
		for i, e := range r.seq(t, field, path+"."+field) {
			at := fmt.Sprintf("%s.%s[%d]", path, field, i)
			key := r.str(e, "key", at+".key")
			op := r.str(e, "operator", at+".operator")
			values := r.strings(e, "values", at+".values")
			if op != "In" {
				continue
			}
			if field == "matchFields" {
				if key != "metadata.name" {
					continue
				}
				key = "kubernetes.io/hostname"
			}
			if old, ok := out[key]; ok { // expressions of a term are ANDed
				values = intersect(old, values)
			}
			out[key] = values
		}
	}
	return out
}

// readAntiAffinity reads pod anti-affinity terms that select the
// workload's own pods: they spread its pods over the topology key.
func readAntiAffinity(r *reader, paa *yaml.Node, path string, w *Workload) {
	if paa == nil {
		return
	}
	reqPath := path + ".requiredDuringSchedulingIgnoredDuringExecution"
	for i, t := range r.seq(paa, "requiredDuringSchedulingIgnoredDuringExecution", reqPath) {
		antiTerm(r, t, fmt.Sprintf("%s[%d]", reqPath, i), "requiredPodAntiAffinity", true, w)
	}
	prefPath := path + ".preferredDuringSchedulingIgnoredDuringExecution"
	for i, p := range r.seq(paa, "preferredDuringSchedulingIgnoredDuringExecution", prefPath) {
		at := fmt.Sprintf("%s[%d].podAffinityTerm", prefPath, i)
		antiTerm(r, r.mapping(p, "podAffinityTerm", at), at, "preferredPodAntiAffinity", false, w)
	}
}

func antiTerm(r *reader, t *yaml.Node, path, by string, hard bool, w *Workload) {
	if t == nil {
		return
	}
	key := r.str(t, "topologyKey", path+".topologyKey")
	sel := r.mapping(t, "labelSelector", path+".labelSelector")
	if key == "" || !selectorMatches(r, sel, path+".labelSelector", w.Labels) {
		return
	}
	w.Spreads = append(w.Spreads, Spread{Key: key, Level: levelOf(key), By: by, Hard: hard, Source: r.doc.source(t)})
}

// readSpreads reads topologySpreadConstraints whose selector matches the
// workload's own pods.
func readSpreads(r *reader, spec *yaml.Node, path string, w *Workload) {
	for i, c := range r.seq(spec, "topologySpreadConstraints", path) {
		at := fmt.Sprintf("%s[%d]", path, i)
		key := r.str(c, "topologyKey", at+".topologyKey")
		if key == "" {
			r.errorf(c, "%s.topologyKey is required", at)
			continue
		}
		skew, ok := r.integer(c, "maxSkew", at+".maxSkew")
		if !ok {
			skew = 1 // the API's default
		} else if skew < 1 {
			r.errorf(get(c, "maxSkew"), "%s.maxSkew: must be at least 1, got %d", at, skew)
			continue
		}
		when := r.str(c, "whenUnsatisfiable", at+".whenUnsatisfiable")
		switch when {
		case "":
			when = "DoNotSchedule" // the API's default
		case "DoNotSchedule", "ScheduleAnyway":
		default:
			r.errorf(get(c, "whenUnsatisfiable"), "%s.whenUnsatisfiable: want DoNotSchedule or ScheduleAnyway, got %q", at, when)
			continue
		}
		sel := r.mapping(c, "labelSelector", at+".labelSelector")
		if !selectorMatches(r, sel, at+".labelSelector", w.Labels) {
			r.warnf(c, "%s: the labelSelector does not select the workload's own pods; ignored", at)
			continue
		}
		w.Spreads = append(w.Spreads, Spread{
			Key: key, Level: levelOf(key), By: "topologySpreadConstraints",
			MaxSkew: skew, Hard: when == "DoNotSchedule", Source: r.doc.source(c),
		})
	}
}

// selectorMatches evaluates a metav1.LabelSelector against labels. An
// absent selector matches nothing, as in Kubernetes; an empty one matches
// everything.
func selectorMatches(r *reader, sel *yaml.Node, path string, labels map[string]string) bool {
	if sel == nil {
		return false
	}
	for k, v := range r.labels(sel, "matchLabels", path+".matchLabels") {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	for i, e := range r.seq(sel, "matchExpressions", path+".matchExpressions") {
		at := fmt.Sprintf("%s.matchExpressions[%d]", path, i)
		key := r.str(e, "key", at+".key")
		values := r.strings(e, "values", at+".values")
		lv, has := labels[key]
		switch op := r.str(e, "operator", at+".operator"); op {
		case "In":
			if !has || !slices.Contains(values, lv) {
				return false
			}
		case "NotIn":
			if has && slices.Contains(values, lv) {
				return false
			}
		case "Exists":
			if !has {
				return false
			}
		case "DoesNotExist":
			if has {
				return false
			}
		default:
			r.errorf(e, "%s.operator: want In, NotIn, Exists or DoesNotExist, got %q", at, op)
			return false
		}
	}
	return true
}

func intersect(a, b []string) []string {
	var out []string
	for _, v := range a {
		if slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}

// sortedMap iterates a map in key order.
func sortedMap[V any](m map[string]V) func(func(string, V) bool) {
	return func(yield func(string, V) bool) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}
