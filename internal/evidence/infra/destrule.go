package infra

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// policyFields are the trafficPolicy sections read from a DestinationRule.
var policyFields = []string{"outlierDetection", "connectionPool", "loadBalancer"}

// destinationRule reads a DestinationRule's subsets and traffic policies.
func destinationRule(r *reader, n, spec *yaml.Node) (Policy, bool) {
	host := r.str(spec, "host", "spec.host")
	if host == "" {
		r.errorf(n, "spec.host: a DestinationRule needs a host")
		return Policy{}, false
	}
	p := Policy{Host: host, Component: shortHost(host), Source: r.doc.source(n)}
	p.Object, p.Namespace = objectName(r, n, "DestinationRule")
	p.Traffic = trafficPolicies(r, spec, "spec.trafficPolicy", "")
	for i, s := range r.seq(spec, "subsets", "spec.subsets") {
		at := fmt.Sprintf("spec.subsets[%d]", i)
		sub := Subset{Name: r.str(s, "name", at+".name"), Labels: r.labels(s, "labels", at+".labels")}
		if sub.Name == "" {
			r.errorf(s, "%s.name is required", at)
			continue
		}
		p.Traffic = append(p.Traffic, trafficPolicies(r, s, at+".trafficPolicy", sub.Name)...)
		p.Subsets = append(p.Subsets, sub)
	}
	return p, true
}

// trafficPolicies reads the policy sections of the trafficPolicy of m,
// each with its settings as path=value.
func trafficPolicies(r *reader, m *yaml.Node, path, subset string) []TrafficPolicy {
	tp := r.mapping(m, "trafficPolicy", path)
	var out []TrafficPolicy
	for _, f := range policyFields {
		sec := r.mapping(tp, f, path+"."+f)
		if sec == nil {
			continue
		}
		out = append(out, TrafficPolicy{Section: f, Subset: subset, Settings: flatten(sec), Source: r.doc.source(keyOf(tp, f))})
	}
	return out
}

// keyOf returns the key node of key in mapping m (nil when absent), whose
// line is where the section starts.
func keyOf(m *yaml.Node, key string) *yaml.Node {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := resolve(m.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
			return k
		}
	}
	return nil
}

// serviceEntry returns the external hosts of a ServiceEntry (location
// MESH_EXTERNAL, the default), named by their full host as traces'
// server.address name them.
func serviceEntry(r *reader, n, spec *yaml.Node) []External {
	if loc := r.str(spec, "location", "spec.location"); loc == "MESH_INTERNAL" {
		return nil
	}
	var out []External
	for _, h := range r.strings(spec, "hosts", "spec.hosts") {
		out = append(out, External{Name: h, Address: h, By: "ServiceEntry", Source: r.doc.source(n)})
	}
	return out
}
