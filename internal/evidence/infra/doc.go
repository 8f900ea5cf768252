// Package infra reads deployment evidence for `emac discover --k8s DIR
// --mesh DIR`: Kubernetes manifests give workloads, the component names
// they back and failure-domain hypotheses; Istio configuration gives
// routes (weighted splits, timeouts, retries) and traffic policies.
//
// # Input
//
// Paths are files or directories; a directory is read recursively, its
// *.yaml, *.yml and *.json regular files in lexical order, like `kubectl
// apply -R -f DIR`. Every file is untrusted: each is read up to a bound
// (KubeOptions.MaxFileBytes, MeshOptions.MaxFileBytes; --max-file-bytes),
// beyond which reading stops with a *limits.Error, so that /dev/zero or
// an endless pipe cannot exhaust memory. Every YAML document is routed by apiVersion and kind; other
// kinds are ignored, so both readers can be pointed at the same tree.
// Kubernetes: apps/v1 Deployment, StatefulSet, DaemonSet; v1 Pod, Service,
// Namespace and List. Istio: networking.istio.io v1, v1beta1 and v1alpha3
// VirtualService, DestinationRule and ServiceEntry. Malformed YAML and
// fields of the wrong type are errors, all reported at once as
// file:line:col: message (type *Error). yaml.v3 reports a line that is
// often the start of the enclosing construct and no column, so the
// position of a syntax error is found by parsing ever longer prefixes of
// the document: it is the first line, and on it the first column, past
// the longest prefix that parses.
//
// # Namespaces
//
// An object's namespace is its metadata.namespace; when it states none,
// it is the only Namespace object its file declares (such a file is meant
// to be applied to it, as the OpenTelemetry demo's manifest is), else
// KubeOptions.DefaultNamespace when set; otherwise it is unknown — the
// namespace kubectl's context would supply — and no namespace is assumed
// (Workload.NamespaceFrom says which). Services are matched with the
// workloads of the same namespace, unknown with unknown.
//
// # Components
//
// A workload backs the component named by the single Service selecting
// its pods (the name peers call it by), else by its pod label
// app.kubernetes.io/name, else app, else its metadata.name. Every one of
// these names is kept as an alias (Evidence.ComponentOf).
//
// Attach resolves the evidence onto a discovered journey's components
// instead, by the names the traces use: a component (or the service of
// one of its operations, Target.Service) is backed by the workloads a
// Service of that name selects, else the workloads of that name, else
// those labelled app.kubernetes.io/name, else app with it; a name X.Y…
// that matches nothing is tried as X (an operation "service.operation", or
// a host "service.namespace…", then in namespace Y). An Istio host stands
// for the components called by it, its short name or SHORT-SUBSET, and
// those backed by the workloads its Service selects; a destination's
// subset goes to the components backed only by the workloads its labels
// select, else it is folded onto the service's components (reviews v1, v2
// and v3 onto component reviews).
//
// # Failure-domain hypotheses and their confidence
//
// Pins on the well-known node labels name domains: topology.kubernetes.io/
// zone → "zone/X", topology.kubernetes.io/region → "region/X",
// kubernetes.io/hostname and spec.nodeName → "node/X" (the legacy
// failure-domain.beta.kubernetes.io labels likewise; GKE, EKS, AKS and
// Karpenter node-pool labels → "nodepool/X"). These are the names that
// traces' resource attributes map to (cloud.availability_zone,
// cloud.region, k8s.node.name). A single-valued pin on another node label
// names the node set "nodeset/KEY:VALUE" (istiod's nodeSelector master:
// "true"), at half the weight of the same pin on a zone or node, since a
// labelled node set may span zones; a pin on a platform label
// (kubernetes.io/os, kubernetes.io/arch) names no domain — it selects an
// operating system or architecture, not nodes that fail together. A
// workload's known namespace gives the weak domain "namespace/X"; with
// KubeOptions.Cluster every workload is in "cluster/<name>".
//
// Each signal that a workload w runs in a domain D has a weight:
//
//	spec.nodeName                                 0.95
//	required node affinity (In, one value)       0.90
//	nodeSelector                                  0.85
//	preferred node affinity of weight 1..100     0.30 + 0.30·weight/100
//	the cluster option                            0.90
//	a pin to a labelled node set                 half the above
//	metadata.namespace written                   0.20
//	the file's only Namespace object             0.15
//	KubeOptions.DefaultNamespace                 0.10
//
// Required affinity and nodeSelector are both hard constraints; required
// affinity ranks a little higher as the more deliberate statement. A
// required affinity allowing several values (In [a, b], or terms ORed
// over different values) confines w to several domains and names none.
// Signals agreeing on D combine by noisy-OR, 1 − ∏(1 − weight), so more
// and stronger agreeing evidence gives a higher confidence. Spreading
// contradicts sharing: each topologySpreadConstraint or pod anti-affinity
// that selects w's own pods, on a key at D's level or coarser (spreading
// over zones also spreads over nodes; node pools stand apart), multiplies
// the confidence by 0.5 when hard (DoNotSchedule, required) and 0.75 when
// soft (ScheduleAnyway, preferred) — except for a workload of one replica,
// which is in one domain however it is spread. (Under the default
// nodeAffinityPolicy Honor a spread counts only the nodes a hard pin
// allows, so the pods stay pinned and the factor records that the
// manifests disagree about intent; under a preferred pin the spread
// really moves pods.) So
//
//	p(w, D) = (1 − ∏ signals (1 − weight)) · ∏ contradicting spreads factor.
//
// Each workload's p(w, D) is kept as a Membership. A component's
// confidence of being in D is the replica-weighted mean of p(w, D) over
// the workloads backing it (a DaemonSet weighs as one
// workload; a workload with no signal for D contributes 0, since part of
// the component then runs elsewhere). A Domain lists the components with a
// positive confidence; its Confidence is the lowest of them, because the
// claim that all members share D is as strong as its weakest membership.
// Every quantity is monotone: an added agreeing signal never lowers a
// confidence, an added contradiction never raises one. Merge combines the
// same member's confidences from different sources by noisy-OR.
//
// # Routes
//
// Each http, tcp and tls rule of a VirtualService gives one Route per
// host. Weights follow Istio's current semantics: a destination receives
// weight/(sum of weights) of the traffic, a single destination all of it;
// sums other than 100 are normalised and missing weights on several
// destinations split equally, both with a warning. timeout is the Route
// Timeout ("0s" or none means no timeout). Istio's retries.attempts counts
// retries, not attempts — the Istio API reference (HTTPRetry) says "MUST
// BE >= 0. If 0, retries will be disabled. The maximum possible number of
// requests made will be 1 + attempts" — so Route.Attempts is attempts+1.
// perTryTimeout defaults to the route timeout (none when there is none),
// and the interval between attempts is Envoy's jittered exponential
// backoff with a 25 ms base unless retries.backoff sets it; Backoff holds
// the base. When no retries are configured Istio still retries
// connection failures twice by default; that is not modelled, since it
// does not retry server errors. Mirrors, fault injection, gateways,
// redirects and retryOn lists that do not retry 500s are noted on the
// route; fault injections are kept as Route.Faults and a weight problem
// as Route.Weights. DestinationRules become Policies with their subsets
// and their outlierDetection, connectionPool and loadBalancer sections
// (each with its file:line). Route.Node renders a route as a journey
// operator tree.
//
// # Notes
//
// Attach reports, as Notes with the file:line they concern: the objects
// backing each component, components nothing backs and objects that back
// none; namespaces no input states; every pin and spread of the
// components' pods and what it means for shared fate; every route of
// their hosts, with its destinations (folded or not) and whether the
// traces show its deadline; rules with match conditions (their edges are
// conditional: the share of matching requests is not in the
// configuration); faults, with the failure rate the traces show for an
// unconditional abort; weights that do not sum to 100; rules that never
// apply because an earlier rule takes every request; hosts configured by
// several VirtualServices or DestinationRules (Istio does not merge them
// for sidecars, so no route edges are drawn for such a host); traffic
// policies (outlier detection and connection pools are shared-fate
// signals, their timeouts timeout signals); and disagreements between
// declared and observed behaviour — a weighted split outside the
// confidence interval of the traces' branch probabilities (within 0.05
// of a point estimate without one), or an unconditional abort of p% where
// the traces show fewer than p/2 % failures.
package infra
