package infra

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/emac-dev/emac/internal/diag"
)

// istioVersions are the networking.istio.io versions read.
var istioVersions = map[string]bool{"v1": true, "v1beta1": true, "v1alpha3": true}

// defaultBackoff is Envoy's base retry interval when retries.backoff is
// not set.
const defaultBackoff = 0.025

// ParseMesh reads Istio configuration from file contents (see ReadMesh).
func ParseMesh(files []File) (Evidence, error) {
	var diags diag.List
	var ev Evidence
	for _, f := range files {
		for _, doc := range parseFile(f, &diags) {
			meshObject(&reader{doc: doc, diags: &diags}, doc.root, &ev)
		}
	}
	return finish(ev, &diags)
}

func meshObject(r *reader, n *yaml.Node, ev *Evidence) {
	if n.Kind != yaml.MappingNode {
		r.warnf(n, "not a manifest (%s, not a mapping); ignored", describe(n))
		return
	}
	group, version, _ := strings.Cut(r.str(n, "apiVersion", "apiVersion"), "/")
	kind := r.str(n, "kind", "kind")
	if group != "networking.istio.io" {
		return
	}
	if !istioVersions[version] {
		r.warnf(n, "%s/%s %s: unknown version; ignored", group, version, kind)
		return
	}
	spec := r.mapping(n, "spec", "spec")
	switch kind {
	case "VirtualService":
		ev.Routes = append(ev.Routes, virtualService(r, n, spec)...)
	case "DestinationRule":
		if p, ok := destinationRule(r, n, spec); ok {
			ev.Policies = append(ev.Policies, p)
		}
	case "ServiceEntry":
		ev.Externals = append(ev.Externals, serviceEntry(r, n, spec)...)
	}
}

// objectName renders an Istio object as "KIND NAMESPACE/NAME" ("KIND
// NAME" when no namespace is written) and returns its
// metadata.namespace.
func objectName(r *reader, n *yaml.Node, kind string) (string, string) {
	md := r.mapping(n, "metadata", "metadata")
	ns, name := r.str(md, "namespace", "metadata.namespace"), r.str(md, "name", "metadata.name")
	if ns == "" {
		return kind + " " + name, ns
	}
	return kind + " " + ns + "/" + name, ns
}

// virtualService returns one Route per host and rule.
func virtualService(r *reader, n, spec *yaml.Node) []Route {
	hosts := r.strings(spec, "hosts", "spec.hosts")
	if len(hosts) == 0 {
		r.errorf(spec, "spec.hosts: a VirtualService needs at least one host")
		return nil
	}
	object, ns := objectName(r, n, "VirtualService")
	gws := r.strings(spec, "gateways", "spec.gateways")
	var common []string
	if len(gws) > 0 && !slices.Contains(gws, "mesh") {
		common = append(common, "applies at gateways "+strings.Join(gws, ", ")+" only, not to sidecars")
	}
	var rules []Route
	for _, proto := range []string{"http", "tcp", "tls"} {
		for i, rule := range r.seq(spec, proto, "spec."+proto) {
			rt := routeRule(r, rule, proto, fmt.Sprintf("spec.%s[%d]", proto, i))
			rt.Object, rt.ObjectSource, rt.Namespace, rt.Gateways, rt.Rule = object, r.doc.source(n), ns, gws, i
			rt.Notes = append(append([]string{}, common...), rt.Notes...)
			rules = append(rules, rt)
		}
	}
	var out []Route
	for _, h := range hosts {
		for _, rt := range rules {
			rt.Host, rt.Component = h, shortHost(h)
			out = append(out, rt)
		}
	}
	return out
}

// routeRule reads one http, tcp or tls rule.
func routeRule(r *reader, rule *yaml.Node, proto, path string) Route {
	rt := Route{Protocol: proto, Source: r.doc.source(rule), Pos: r.doc.pos(rule)}
	rt.Name = r.str(rule, "name", path+".name")
	rt.Match = describeMatch(r.seq(rule, "match", path+".match"))
	rt.Split, rt.Weights = readSplit(r, rule, path)
	if proto != "http" {
		return rt
	}
	for _, k := range []string{"redirect", "directResponse", "delegate"} {
		if get(rule, k) != nil {
			rt.Notes = append(rt.Notes, k+": the rule answers without a routed destination")
		}
	}
	if d, ok := duration(r, rule, "timeout", path+".timeout"); ok {
		rt.Timeout = d
	}
	readRetries(r, rule, path, &rt)
	readMirror(r, rule, path, &rt)
	readFault(r, rule, path, &rt)
	return rt
}

// readSplit reads the weighted destinations of a rule. Istio sends
// weight/(sum of weights) of the traffic to each destination, all of it to
// a single destination; weights summing to other than 100 are normalised
// with a warning, and missing weights on several destinations split the
// traffic equally with a warning. The warning is also returned, for the
// route.
func readSplit(r *reader, rule *yaml.Node, path string) ([]Destination, string) {
	items := r.seq(rule, "route", path+".route")
	var split []Destination
	var sum float64
	for i, it := range items {
		at := fmt.Sprintf("%s.route[%d]", path, i)
		dst := r.mapping(it, "destination", at+".destination")
		host := r.str(dst, "host", at+".destination.host")
		if host == "" {
			r.errorf(it, "%s.destination.host is required", at)
			continue
		}
		d := Destination{Host: host, Subset: r.str(dst, "subset", at+".destination.subset"), Component: shortHost(host)}
		if w, ok := r.integer(it, "weight", at+".weight"); ok {
			if w < 0 {
				r.errorf(get(it, "weight"), "%s.weight: must not be negative, got %d", at, w)
				w = 0
			}
			d.Weight = float64(w)
		}
		sum += d.Weight
		split = append(split, d)
	}
	var warning string
	switch {
	case len(split) == 1:
		split[0].Weight = 1
	case len(split) > 1 && sum == 0:
		warning = fmt.Sprintf("no weights on %d destinations; traffic assumed split equally", len(split))
		for i := range split {
			split[i].Weight = 1 / float64(len(split))
		}
	case len(split) > 1:
		if sum != 100 {
			warning = fmt.Sprintf("weights sum to %g, not 100; normalised", sum)
		}
		for i := range split {
			split[i].Weight /= sum
		}
	}
	if warning != "" {
		r.warnf(items[0], "%s.route: %s", path, warning)
	}
	return split, warning
}

// readRetries reads an http rule's retry policy. Istio's attempts counts
// retries: the most requests made is attempts+1, and attempts 0 disables
// retries. perTryTimeout defaults to the route timeout.
func readRetries(r *reader, rule *yaml.Node, path string, rt *Route) {
	rp := path + ".retries"
	ret := r.mapping(rule, "retries", rp)
	if ret == nil {
		return
	}
	n, ok := r.integer(ret, "attempts", rp+".attempts")
	if !ok {
		r.errorf(ret, "%s.attempts is required", rp)
		return
	}
	if n < 0 {
		r.errorf(get(ret, "attempts"), "%s.attempts: must not be negative, got %d", rp, n)
		return
	}
	rt.Attempts = n + 1
	if n == 0 {
		rt.Notes = append(rt.Notes, "retries disabled (attempts: 0)")
		return
	}
	rt.RetryOn = r.str(ret, "retryOn", rp+".retryOn")
	rt.PerTryTimeout = rt.Timeout
	if d, ok := duration(r, ret, "perTryTimeout", rp+".perTryTimeout"); ok {
		rt.PerTryTimeout = d
	} else if rt.Timeout > 0 {
		rt.Notes = append(rt.Notes, "perTryTimeout defaults to the route timeout")
	}
	rt.Backoff = defaultBackoff
	if d, ok := duration(r, ret, "backoff", rp+".backoff"); ok {
		rt.Backoff = d
	}
	if rt.RetryOn == "" {
		rt.Notes = append(rt.Notes, "retryOn not set: Istio's default retries connection failures and 503s, not HTTP 500 responses")
	} else if !retriesServerErrors(rt.RetryOn) {
		rt.Notes = append(rt.Notes, fmt.Sprintf("retryOn %q does not retry HTTP 500 responses", rt.RetryOn))
	}
}

// retriesServerErrors reports whether an Envoy retryOn list retries a 500.
func retriesServerErrors(retryOn string) bool {
	for c := range strings.SplitSeq(retryOn, ",") {
		if c = strings.TrimSpace(c); c == "5xx" || c == "500" {
			return true
		}
	}
	return false
}

// readMirror notes mirroring, which does not affect the response.
func readMirror(r *reader, rule *yaml.Node, path string, rt *Route) {
	var targets []string
	if m := r.mapping(rule, "mirror", path+".mirror"); m != nil {
		targets = append(targets, destinationName(r, m, path+".mirror"))
	}
	for i, m := range r.seq(rule, "mirrors", path+".mirrors") {
		at := fmt.Sprintf("%s.mirrors[%d].destination", path, i)
		targets = append(targets, destinationName(r, r.mapping(m, "destination", at), at))
	}
	if len(targets) > 0 {
		rt.Notes = append(rt.Notes, "mirrors to "+strings.Join(targets, ", ")+" (ignored: mirrored requests do not affect the response)")
	}
}

// destinationName renders a destination as host or host/subset.
func destinationName(r *reader, d *yaml.Node, path string) string {
	name := r.str(d, "host", path+".host")
	if sub := r.str(d, "subset", path+".subset"); sub != "" {
		name += "/" + sub
	}
	return name
}

// readFault reads an http rule's fault injection.
func readFault(r *reader, rule *yaml.Node, path string, rt *Route) {
	f := r.mapping(rule, "fault", path+".fault")
	if f == nil {
		return
	}
	if d := r.mapping(f, "delay", path+".fault.delay"); d != nil {
		delay, _ := duration(r, d, "fixedDelay", path+".fault.delay.fixedDelay")
		rt.Faults = append(rt.Faults, Fault{Kind: "delay", Percent: percentage(r, d, path+".fault.delay"),
			Delay: delay, Source: r.doc.source(rule)})
	}
	if a := r.mapping(f, "abort", path+".fault.abort"); a != nil {
		status := "HTTP " + r.str(a, "httpStatus", path+".fault.abort.httpStatus")
		if status == "HTTP " {
			status = "gRPC " + r.str(a, "grpcStatus", path+".fault.abort.grpcStatus")
		}
		rt.Faults = append(rt.Faults, Fault{Kind: "abort", Percent: percentage(r, a, path+".fault.abort"),
			Status: strings.TrimSpace(status), Source: r.doc.source(rule)})
	}
}

// percentage reads a fault's percentage.value (or the deprecated percent),
// clamped to [0, 100]; absent, Istio applies the fault to every request.
func percentage(r *reader, n *yaml.Node, path string) float64 {
	if p := r.mapping(n, "percentage", path+".percentage"); p != nil {
		v, _ := r.number(p, "value", path+".percentage.value")
		return clampPercent(v)
	}
	if v, ok := r.integer(n, "percent", path+".percent"); ok {
		return clampPercent(float64(v))
	}
	return 100
}

func clampPercent(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return min(max(v, 0), 100)
}

// describeMatch renders a rule's match conditions: the scalar leaves of
// each condition as path=value, the conditions (ORed) joined by " | ".
func describeMatch(conds []*yaml.Node) string {
	var parts []string
	for _, c := range conds {
		parts = append(parts, strings.Join(flatten(c), ", "))
	}
	return strings.Join(parts, " | ")
}

// maxLeaves bounds what flatten renders: aliases can make a small
// document describe an exponentially large tree.
const maxLeaves = 100

// flatten returns the scalar leaves of n as key.path=value, in document
// order, at most maxLeaves of them ("…" marks a cut).
func flatten(n *yaml.Node) []string {
	f := flattener{budget: maxLeaves}
	f.walk(n, "", 0)
	if f.budget < 0 {
		f.out = append(f.out, "…")
	}
	return f.out
}

type flattener struct {
	out    []string
	budget int
}

func (f *flattener) walk(n *yaml.Node, prefix string, depth int) {
	n = resolve(n)
	if n == nil || f.budget < 0 {
		return
	}
	if f.budget--; f.budget < 0 || depth > 20 {
		f.budget = -1
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := resolve(n.Content[i]).Value
			if prefix != "" {
				key = prefix + "." + key
			}
			f.walk(n.Content[i+1], key, depth+1)
		}
	case yaml.SequenceNode:
		var vals []string
		for _, it := range n.Content {
			sub := flattener{budget: f.budget}
			sub.walk(it, "", depth+1)
			f.budget = sub.budget
			vals = append(vals, strings.Join(sub.out, ","))
		}
		f.out = append(f.out, prefix+"=["+strings.Join(vals, "; ")+"]")
	default:
		f.out = append(f.out, prefix+"="+n.Value)
	}
}

// duration reads an Istio duration ("1.5s", "200ms", "1h"): a positive
// Go duration with units. "0s" is accepted and means none.
func duration(r *reader, m *yaml.Node, key, path string) (float64, bool) {
	s := r.str(m, key, path)
	if s == "" {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		r.errorf(get(m, key), "%s: want a duration such as 1.5s or 200ms, got %q", path, s)
		return 0, false
	}
	return d.Seconds(), true
}
