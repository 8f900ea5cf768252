package infra

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// policyFields are the trafficPolicy sections noted on a Policy.
var policyFields = []string{"outlierDetection", "connectionPool", "loadBalancer"}

// destinationRule reads a DestinationRule's subsets and notes its traffic
// policies.
func destinationRule(r *reader, n, spec *yaml.Node) (Policy, bool) {
	host := r.str(spec, "host", "spec.host")
	if host == "" {
		r.errorf(n, "spec.host: a DestinationRule needs a host")
		return Policy{}, false
	}
	p := Policy{Host: host, Component: shortHost(host), Source: r.doc.source(n)}
	p.Notes = policyNotes(r, spec, "spec.trafficPolicy")
	for i, s := range r.seq(spec, "subsets", "spec.subsets") {
		at := fmt.Sprintf("spec.subsets[%d]", i)
		sub := Subset{Name: r.str(s, "name", at+".name"), Labels: r.labels(s, "labels", at+".labels")}
		if sub.Name == "" {
			r.errorf(s, "%s.name is required", at)
			continue
		}
		sub.Notes = policyNotes(r, s, at+".trafficPolicy")
		p.Subsets = append(p.Subsets, sub)
	}
	return p, true
}

// policyNotes renders the policy sections of a trafficPolicy, each as
// "section: key=value, …".
func policyNotes(r *reader, m *yaml.Node, path string) []string {
	tp := r.mapping(m, "trafficPolicy", path)
	var notes []string
	for _, f := range policyFields {
		sec := r.mapping(tp, f, path+"."+f)
		if sec == nil {
			continue
		}
		notes = append(notes, f+": "+strings.Join(flatten(sec), ", "))
	}
	return notes
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
