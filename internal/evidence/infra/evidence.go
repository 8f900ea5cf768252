package infra

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/emac-dev/emac/internal/diag"
)

// Evidence is what the manifests and mesh configuration say about a
// deployment: its workloads, failure-domain hypotheses over components,
// routes, traffic policies and external dependencies. Every slice is
// sorted (see the field comments) so that output is deterministic.
type Evidence struct {
	// Workloads by namespace, name and kind.
	Workloads []Workload `json:"workloads,omitempty"`
	// Domains by name.
	Domains []Domain `json:"domains,omitempty"`
	// Routes by host, then source position.
	Routes []Route `json:"routes,omitempty"`
	// Policies (DestinationRules) by host, then source position.
	Policies []Policy `json:"policies,omitempty"`
	// Externals by name, then address.
	Externals []External `json:"externals,omitempty"`
	// Warnings are positioned messages about input that was read but not
	// fully used, in file order.
	Warnings []string `json:"warnings,omitempty"`
}

// Workload is a Deployment, StatefulSet, DaemonSet or Pod and where its
// pods may run.
type Workload struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Namespace is the workload's namespace, "" when no input says it
	// (see NamespaceFrom).
	Namespace string `json:"namespace"`
	// NamespaceFrom says where Namespace comes from: "metadata" (written
	// on the object), "file" (the only Namespace object of the object's
	// file), "option" (KubeOptions.DefaultNamespace), or "" when unknown:
	// kubectl's context would decide, so no namespace is assumed.
	NamespaceFrom string `json:"namespaceFrom,omitempty"`
	// Component is the component name the workload backs, as traces name
	// it: the single Service selecting its pods, else the pod label
	// app.kubernetes.io/name, else the label app, else metadata.name.
	Component string `json:"component"`
	// Aliases are every name the workload is known by (metadata.name, the
	// app labels, the Services selecting it), sorted; Component is one.
	Aliases []string `json:"aliases"`
	// Services are the Services whose selector matches the pod labels.
	Services []string `json:"services,omitempty"`
	// Replicas is spec.replicas (1 when omitted); 0 for a DaemonSet, which
	// runs one pod on every eligible node.
	Replicas int `json:"replicas"`
	// Labels are the pod labels.
	Labels map[string]string `json:"labels,omitempty"`
	// Pins restrict the nodes the pods may run on; Spreads ask for the
	// pods to be spread over topology domains.
	Pins    []Pin    `json:"pins,omitempty"`
	Spreads []Spread `json:"spreads,omitempty"`
	// Memberships are the failure domains the workload may run in, with
	// the confidence and signals of each (see the package documentation),
	// by domain name.
	Memberships []Membership `json:"memberships,omitempty"`
	// Source is the file:line of the object.
	Source string   `json:"source"`
	Pos    diag.Pos `json:"-"`
}

// Membership is one workload's evidence of running in one failure
// domain.
type Membership struct {
	Domain     string   `json:"domain"`
	Confidence float64  `json:"confidence"`
	Signals    []string `json:"signals"`
}

// Pin is a placement constraint on a node label (or the node name).
type Pin struct {
	// Domain is the failure domain the pods are confined to ("zone/X",
	// "region/X", "node/X", "nodepool/X", or "nodeset/KEY:VALUE" for
	// another node label); empty when the constraint allows several
	// values or is on a label that selects a platform (operating system,
	// architecture) rather than a set of nodes that may fail together.
	Domain string `json:"domain,omitempty"`
	// Key is the node label (or "metadata.name" for a node name).
	Key    string   `json:"key"`
	Values []string `json:"values"`
	// By is nodeName, nodeSelector, requiredNodeAffinity or
	// preferredNodeAffinity.
	By string `json:"by"`
	// Weight is a preferred affinity's weight (1–100), 0 otherwise.
	Weight int    `json:"weight,omitempty"`
	Source string `json:"source"`
}

// Spread asks for a workload's pods to be spread over the values of a
// topology key, which argues against the workload sharing one domain at
// that level.
type Spread struct {
	Key string `json:"key"`
	// Level is zone, region, node or nodepool for the well-known keys,
	// else "other".
	Level string `json:"level"`
	// By is topologySpreadConstraints, requiredPodAntiAffinity or
	// preferredPodAntiAffinity.
	By string `json:"by"`
	// MaxSkew is a spread constraint's maxSkew (0 for anti-affinity).
	MaxSkew int `json:"maxSkew,omitempty"`
	// Hard is true for DoNotSchedule and required anti-affinity.
	Hard   bool   `json:"hard"`
	Source string `json:"source"`
}

// Domain is a failure-domain hypothesis: its members (component names)
// share the domain, so one failure of the domain may take them all down.
type Domain struct {
	// Name is "zone/X", "region/X", "node/X", "nodepool/X", "namespace/X"
	// or "cluster/X", the names traces' resource attributes map to.
	Name    string   `json:"name"`
	Members []string `json:"members"`
	// MemberConfidence is each member's confidence of being in the domain.
	MemberConfidence map[string]float64 `json:"memberConfidence"`
	// Signals say which file:line said what, with each signal's weight.
	Signals []string `json:"signals"`
	// Confidence is the lowest member confidence: the hypothesis that all
	// members share the domain is as strong as its weakest membership.
	Confidence float64 `json:"confidence"`
}

// Route is the routing of one host by one rule of a VirtualService.
type Route struct {
	// Host is the VirtualService host; Component its short name (up to
	// the first '.').
	Host      string `json:"host"`
	Component string `json:"component"`
	// Object names the VirtualService ("VirtualService NAMESPACE/NAME",
	// or "VirtualService NAME" when no namespace is written) and
	// ObjectSource is its file:line; Namespace is its metadata.namespace.
	Object       string `json:"object"`
	ObjectSource string `json:"objectSource"`
	Namespace    string `json:"namespace,omitempty"`
	// Gateways are the VirtualService's gateways; none, or "mesh" among
	// them, means the route applies to the sidecars.
	Gateways []string `json:"gateways,omitempty"`
	// Protocol is http, tcp or tls, and Rule the rule's index in the
	// VirtualService's list of that protocol (rules are tried in order,
	// first match wins).
	Protocol string `json:"protocol"`
	Rule     int    `json:"rule"`
	// Name is the rule's name, if any.
	Name string `json:"name,omitempty"`
	// Match describes the rule's match conditions; empty when the rule
	// takes all traffic.
	Match string `json:"match,omitempty"`
	// Split is the weighted split, weights summing to 1.
	Split []Destination `json:"split,omitempty"`
	// Weights says what was wrong with the weights as written (a sum
	// other than 100, or none on several destinations), "" when nothing.
	Weights string `json:"weights,omitempty"`
	// Timeout is the route timeout in seconds, 0 for none.
	Timeout float64 `json:"timeout,omitempty"`
	// Attempts is the total number of attempts (Istio's retries.attempts
	// plus one), 0 when the rule sets no retry policy.
	Attempts int `json:"attempts,omitempty"`
	// PerTryTimeout is the per-attempt timeout in seconds (Istio defaults
	// it to the route timeout), 0 for none.
	PerTryTimeout float64 `json:"perTryTimeout,omitempty"`
	// Backoff is the base interval between attempts in seconds (Envoy's
	// default 25 ms unless retries.backoff is set), 0 without retries.
	Backoff float64 `json:"backoff,omitempty"`
	RetryOn string  `json:"retryOn,omitempty"`
	// Faults are the rule's fault injections.
	Faults []Fault `json:"faults,omitempty"`
	// Notes record what was read but not modelled (mirrors, gateways,
	// redirects, retry conditions).
	Notes  []string `json:"notes,omitempty"`
	Source string   `json:"source"`
	Pos    diag.Pos `json:"-"`
}

// Fault is one fault injection of an http rule.
type Fault struct {
	// Kind is "abort" or "delay".
	Kind string `json:"kind"`
	// Percent of the requests (that match the rule) it applies to.
	Percent float64 `json:"percent"`
	// Status is an abort's HTTP status or "grpc CODE".
	Status string `json:"status,omitempty"`
	// Delay is a delay's fixed delay in seconds.
	Delay  float64 `json:"delay,omitempty"`
	Source string  `json:"source"`
}

// String describes the fault, e.g. "abort of 100% of requests with HTTP
// 555".
func (f Fault) String() string {
	if f.Kind == "delay" {
		return fmt.Sprintf("delay of %s%% of requests by %ss", fmtFloat(f.Percent), fmtFloat(f.Delay))
	}
	return fmt.Sprintf("abort of %s%% of requests with %s", fmtFloat(f.Percent), f.Status)
}

// Destination is one branch of a weighted split.
type Destination struct {
	Host   string `json:"host"`
	Subset string `json:"subset,omitempty"`
	// Component is the short host name: a subset (a version) is folded
	// onto its service.
	Component string  `json:"component"`
	Weight    float64 `json:"weight"`
}

// Name is the destination's leaf name in Route.Node: the component,
// "-subset" appended when there is a subset (e.g. "reviews-v1").
func (d Destination) Name() string {
	if d.Subset == "" {
		return d.Component
	}
	return d.Component + "-" + d.Subset
}

// Policy is a DestinationRule: the subsets of a host and its traffic
// policies (outlier detection, connection pool, load balancer).
type Policy struct {
	Host      string `json:"host"`
	Component string `json:"component"`
	// Object names the DestinationRule ("DestinationRule NAMESPACE/NAME");
	// Namespace is its metadata.namespace.
	Object    string   `json:"object"`
	Namespace string   `json:"namespace,omitempty"`
	Subsets   []Subset `json:"subsets,omitempty"`
	// Traffic are the traffic policy sections, the host's first, then
	// each subset's.
	Traffic []TrafficPolicy `json:"traffic,omitempty"`
	Source  string          `json:"source"`
}

// Subset is a named subset of a host's pods.
type Subset struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

// TrafficPolicy is one section of a DestinationRule's trafficPolicy.
type TrafficPolicy struct {
	// Section is outlierDetection, connectionPool or loadBalancer.
	Section string `json:"section"`
	// Subset is the subset it applies to, "" for the whole host.
	Subset string `json:"subset,omitempty"`
	// Settings are the section's scalar settings as path=value.
	Settings []string `json:"settings"`
	Source   string   `json:"source"`
}

// External is a dependency outside the cluster or mesh: a Service of type
// ExternalName or an Istio ServiceEntry.
type External struct {
	// Name is the component name: the Service name, or a ServiceEntry's
	// host.
	Name    string `json:"name"`
	Address string `json:"address"`
	By      string `json:"by"`
	Source  string `json:"source"`
}

// ComponentOf returns the component name a workload name or alias stands
// for, and whether it is known.
func (e Evidence) ComponentOf(name string) (string, bool) {
	for _, w := range e.Workloads {
		if slices.Contains(w.Aliases, name) {
			return w.Component, true
		}
	}
	return "", false
}

// sort orders every slice of the evidence.
func (e *Evidence) sort() {
	slices.SortStableFunc(e.Workloads, func(a, b Workload) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind))
	})
	slices.SortStableFunc(e.Domains, func(a, b Domain) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortStableFunc(e.Routes, func(a, b Route) int {
		return cmp.Or(cmp.Compare(a.Host, b.Host), compareSource(a.Source, b.Source))
	})
	slices.SortStableFunc(e.Policies, func(a, b Policy) int {
		return cmp.Or(cmp.Compare(a.Host, b.Host), compareSource(a.Source, b.Source))
	})
	slices.SortStableFunc(e.Externals, func(a, b External) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Address, b.Address), compareSource(a.Source, b.Source))
	})
}

// compareSource orders file:line sources by file, then numeric line.
func compareSource(a, b string) int {
	fa, la := splitSource(a)
	fb, lb := splitSource(b)
	return cmp.Or(cmp.Compare(fa, fb), cmp.Compare(la, lb))
}

func splitSource(s string) (string, int) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return s, 0
	}
	return s[:i], n
}

// shortHost returns a host name up to its first '.' (a wildcard host
// whole).
func shortHost(host string) string {
	if strings.HasPrefix(host, "*") {
		return host
	}
	if i := strings.IndexByte(host, '.'); i > 0 {
		return host[:i]
	}
	return host
}
