// Package infer proposes a journey model from distributed traces: the
// journey's operator tree (package journey), the evidence of each leaf,
// failure-domain hypotheses, and a confidence and provenance for each
// element. It is pure: a Builder accumulates traces (Add) and infers
// (Model); reading files is the caller's business.
//
// # Journey extraction
//
// A journey instance is a span of the selected operation ("service
// operation" or an operation name alone), wherever it sits in its trace;
// a span of that operation below another one is part of the outer
// instance. Without a selection, instances are the trace roots, grouped by
// operation (Candidates lists them). The instance's calls are the client
// (or producer) spans below its root, looking through internal spans. A
// call is paired with the server span whose parent it is, as the
// OpenTelemetry service-graph connector does; the callee is named by
// peer.service, else the server span's service, else
// db.system@server.address, else server.address. A missing server span
// marks an uninstrumented peer (kind external_dependency). Orphan spans
// (parent not in the trace) attach to the root of a trace holding one
// instance; a server span without its client span counts as a call, its
// times moved onto the caller's clock by the callee's clock skew, measured
// on complete pairs as the mean difference of the server and client
// midpoints. Timings always come from client spans; server spans give
// identity, resource attributes and downstream calls. A callee that makes
// calls of its own is one leaf; its downstream dependencies feed the
// shared-fate hypotheses.
//
// # Structure
//
// Each component is taken to be one leaf of the tree (repeated calls are
// retries or, failing that, a loop). For a set S of components and the
// views of the instances that ran their node (the calls of S, the node's
// start — its origin —, whether the node is known to have been reached,
// known to have succeeded, and when an enclosing operator stopped it),
// the tests run outermost operator first:
//
//  1. Cond: components never called together form the branches; instances
//     that reached the node and called none of S (at least 3) form a skip
//     branch. A probability is the share of the reached instances taking
//     the branch; reached is decided without looking at the node's own
//     calls (a Series step is reached when the earlier steps succeeded and
//     ended more than the observed step gap before the node was stopped),
//     so that the shares are unbiased.
//  2. Retry: calls repeat at one period after the node's start, every
//     attempt starts at a multiple of it, ends by its per-try deadline
//     (the cut calls' delay, error.type "timeout"), and each attempt but
//     the last failed or was cut. Attempts is the largest number observed.
//  3. A deadline over all of S: calls cut at one delay τ after the node's
//     start and no call past it — a Timeout without fallback.
//  4. Series: the classes of the relation "not always ordered" (a ≺ b when
//     every call of a ends before any call of b starts, in every instance
//     calling both), sorted by time. Among the steps, a run i..j whose
//     calls are cut at one delay τ after the run's start, or followed by a
//     step that starts exactly at τ only after the run failed or was cut
//     (the fallback, with the later steps called only with it), becomes a
//     Timeout; shorter runs are tried first.
//  5. Concurrent calls: atoms are the components that must share a branch
//     (one starts within the step gap of the end of another and of no
//     third, never called together, always cut at the same instants,
//     always retried together). Atoms whose calls cancel each other
//     (error.type "cancelled" at the instant a call of the other ended, in
//     at least 3 instances) form a Race or KofN, whose branches are the
//     classes of atoms that never cancel each other, refined by moving
//     atoms between branches while that explains more decisions (a
//     success with k branches succeeded and the trigger's branch among
//     them, a failure with n−k+1 failed); the other groups are the
//     branches of a Parallel. k is the most frequent number of branches
//     that had succeeded when the node decided (1: Race); a Race whose
//     branch j always starts j·d after the node's start is hedged by d.
//
// Failed instances keep their place: presence and order use every
// instance, while structure tests that need a complete run (a skip
// branch) use only instances known to have run the node. Deadlines,
// periods and hedge delays are reported to 0.1 ms.
//
// Equivalent readings are not told apart: KofN(1) is a Race, KofN(n of n)
// a Parallel, nested Series, Parallel and Cond flatten, a Timeout without
// fallback around a Cond is a Cond of Timeouts. Shapes the traces cannot
// show are not recovered: a component never called, a deadline that never
// fires, a branch that always finishes before a sibling's later step
// starts (a Parallel of a Series and a call then looks like a Series of a
// Parallel), a fallback whose primary runs beside a branch that always
// ends before the deadline (the branch is read as part of the primary),
// Race or KofN nested inside a Race or KofN branch when its members rarely
// overlap the outer decision, deadlines nested inside deadlines, a Retry
// whose target picks different components in each attempt (a Cond) when
// it runs beside other branches.
//
// # Probabilities
//
// A Cond probability is emitted as a point (rounded to 4 decimals, the last
// one the implicit complement) when every branch's Wilson half-width at
// Options.Confidence is at most Options.PointHalfWidth (default 0.01), and
// as the Wilson intervals otherwise (rounded outwards); NodeInfo.Probs
// always holds the intervals.
//
// # Leaf evidence
//
// Per component, from client spans: Total counts the calls that completed
// (success or error), Good the successes; calls cut by a deadline or
// cancelled are in neither — their outcome is unknown, and the simulator's
// outcomes are independent of latencies, so good/total stays unbiased.
// The latency distribution of successful calls is a Kaplan–Meier estimate
// in which cut and cancelled calls are right-censored at their duration
// (the answer would have come later); failed calls are left out. The
// histogram (ten buckets a decade) holds the estimate's mass scaled to
// the number of successful calls, mass beyond the last observation in the
// +Inf bucket. P99's interval holds the times where 0.01 lies in the
// Wilson interval of S(t), on the effective sample size S(1−S)/se² of
// Greenwood's variance; when censoring hides the 99th percentile, P99 is
// the largest observation and P99Hi is +Inf.
//
// # Failure domains
//
// Resource attributes of server spans map to domains: k8s.node.name to
// "node/X", k8s.cluster.name to "cluster/X", cloud.availability_zone to
// "zone/X", cloud.region to "region/X", host.name to "host/X". A component
// is a member when at least 10 % of its server spans carry the value; a
// domain needs two members. Two components calling one downstream
// dependency (the same db.system@server.address, or peer) share the domain
// "dependency/X".
//
// # Confidence
//
// Every confidence is in [0, 1] and grows with the amount and agreement of
// evidence. With w(n) = n/(n+20) (½ at 20 observations, 0.99 at 2,000):
//
//   - Cond: (1 − largest Wilson half-width) · w(reached instances);
//   - Series: w(instances calling two or more steps) — every such instance
//     agrees with the order, or no Series is inferred;
//   - Parallel: (share of instances whose branches start within Gap of each
//     other) · w(those instances);
//   - Race, KofN: (share of deciding instances in which exactly k branches
//     had succeeded) · w(deciding instances);
//   - Timeout: w(cut calls at τ + fallback starts at τ);
//   - Retry: w(retried instances); a loop: w(instances);
//   - a leaf: its component's (1 − Wilson half-width of Good/Total) ·
//     w(min(Total, successful calls));
//   - components that fit no operator (shown as a Parallel): 0;
//   - a domain from attributes: (mean share of the members' server spans
//     carrying it) · w(spans of the least-seen member); from a dependency:
//     w(calls of the least frequent caller);
//   - the model: the smallest confidence of its nodes and leaves.
package infer
