package sim

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/emac-dev/emac/internal/evidence/trace"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// Random streams of the emitter, all seeded by EmitOptions.Seed; none is a
// stream Simulate uses.
const (
	streamOutcomes = 0x656d69745f6f7574 // call outcomes, latencies, Cond branches
	streamJitter   = 0x656d69745f6a6974 // Series gaps, Parallel jitter, server offsets
	streamIDs      = 0x656d69745f696473 // trace and span IDs
	streamSkew     = 0x656d69745f736b77 // per-service clock skew, with the service name
	streamQuirks   = 0x656d69745f717572 // async-cancel lags, duplicated requests
)

// Fixed features of the emitted traces.
const (
	gatewayService = "gateway"
	namespace      = "shop"
	maxSkew        = 2e-3   // seconds; each service's clock is off by up to this
	maxSkewQuirk   = 25e-3  // … with the skew quirk
	maxCancelLag   = 2e-3   // seconds; a cancelled span closes up to this late with async-cancel
	dupShare       = 0.02   // share of requests written twice with the duplicates quirk
	dupDelay       = 50     // requests between a request and its repeat
	serverDelayMin = 0.1e-3 // a server span starts this long after its client span, at least
	serverDelayMax = 0.5e-3
)

// defaultEmitStart is the first request's start when EmitOptions.Start is
// zero.
var defaultEmitStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// EmitOptions configures EmitTraces.
type EmitOptions struct {
	// Requests is the number of simulated requests, one trace each (> 0).
	Requests int
	// Seed selects the random streams: outcomes, timings and IDs.
	Seed uint64
	// Correlation is the joint law of calls' failures and latencies.
	Correlation Correlation
	// Start is the first request's start; zero means 2026-01-01T00:00:00Z.
	Start time.Time
	// Interval separates the starts of consecutive requests; zero means
	// one second.
	Interval time.Duration
	// Quirks reproduce the habits of real instrumentation (see Quirks);
	// the journey shapes among them (Loops, Cooccur) are applied by
	// ApplyShapeQuirks, not here.
	Quirks Quirks
}

// EmitStats counts what EmitTraces emitted.
type EmitStats struct {
	// Requests is the number of requests played (and traces passed on).
	Requests int
	// Successes is how many of them succeeded.
	Successes int
	// Spans is the number of spans emitted.
	Spans int
}

// Availability returns Successes/Requests, NaN when no request was played.
func (s EmitStats) Availability() float64 {
	if s.Requests == 0 {
		return math.NaN()
	}
	return float64(s.Successes) / float64(s.Requests)
}

// EmitTraces plays opts.Requests requests of j and calls fn with each
// request's spans (root first, then in start order), deterministic for a
// seed. Outcomes and latencies follow the joint law of Simulate (a failed
// call also draws a latency, its duration); fn owns the slice it is
// given. An error of fn stops the emission and is returned, wrapped, with
// the counts so far.
//
// Each request is one trace:
//
//   - a root server span of service "gateway" named after the journey,
//     from the request's start to its success or known failure;
//   - per leaf call, a client span "call C" of the gateway, child of the
//     root, on the gateway's clock, with peer.service C (db.system "redis"
//     for caches, "postgresql" for databases, server.address for external
//     dependencies) and, on error, error.type "500" (the server failed),
//     "timeout" (cut at a Timeout or Retry deadline) or "cancelled" (a
//     Race or KofN no longer needed it);
//   - unless C is an external dependency, a server span of C named after
//     the operation (C itself, see Identities),
//     child of the client span, starting and ending δ ∈ [0.1, 0.5] ms
//     inside the call as the server saw it (δ at most half the latency),
//     shifted by C's constant clock skew in [−2, 2] ms; a cut call's
//     server span still ends when the server finished. Its resource holds
//     service.name, k8s.namespace.name "shop" and C's domains zone/X,
//     region/X, cluster/X, node/X and host/X as the OpenTelemetry
//     attributes of X.
//
// Operators have no spans of their own. Series steps start 0–0.2 ms after
// the previous step ended and stop at the first failure; Parallel branches
// start within 0.05 ms and all run to completion; Race branch j starts at
// j·hedgeAfter unless a success came first, and the first success cancels
// the rest; KofN cancels the running calls at the k-th success, or when
// fewer than k can still succeed; Timeout cuts its primary at τ, where the
// fallback starts (without one it fails at τ); Retry starts attempt j at
// j·(τ+b), cuts each at τ and fails at the last deadline. A timely
// success made late by timeoutProbability shows its answering call cut at
// the deadline.
//
// A component's service and operation are its name (Identities); the
// server span is named after the operation. opts.Quirks changes the
// spans as each quirk says; a request repeated by the duplicates quirk
// comes again, appended to a later request's spans (or the last one's).
func EmitTraces(j *model.Journey, opts EmitOptions, fn func(spans []trace.Span) error) (EmitStats, error) {
	if opts.Requests <= 0 {
		return EmitStats{}, errors.New("emit traces: requests must be positive")
	}
	if opts.Interval < 0 {
		return EmitStats{}, fmt.Errorf("emit traces: interval %v must not be negative", opts.Interval)
	}
	corr := opts.Correlation
	if corr.Copula && !(corr.Rho >= 0 && corr.Rho <= 1) {
		return EmitStats{}, fmt.Errorf("emit traces: rho %v must lie in [0, 1]", corr.Rho)
	}
	p, err := compile(j, corr)
	if err != nil {
		return EmitStats{}, err
	}
	em := newEmitter(j, p, opts)
	em.last = opts.Requests - 1
	var st EmitStats
	for i := range opts.Requests {
		spans, ok := em.request(i)
		st.Requests++
		if ok {
			st.Successes++
		}
		st.Spans += len(spans)
		if err := fn(spans); err != nil {
			return st, fmt.Errorf("emit traces: request %d: %w", i, err)
		}
	}
	return st, nil
}

// emitter turns the calls of emitWalker's requests into spans, following
// the conventions of EmitTraces.
type emitter struct {
	w        *emitWalker
	ids      *rand.Rand
	journey  string
	comps    []emitComp // by program component index
	gateway  map[string]string
	start    int64 // Unix ns of the first request
	interval int64
	last     int // the last request's number
	quirks   Quirks
	qr       *rand.Rand // quirks' draws
	dups     []dupSpans // repeats due later
}

// dupSpans are spans to write again when request due is emitted.
type dupSpans struct {
	due   int
	spans []trace.Span
}

// emitComp is what the spans of one component's calls carry.
type emitComp struct {
	name     string
	service  string // Identities
	op       string
	spanName string // of the server span (and of the client span under SharedService)
	style    string // how the nostatus quirk records answers: "http", "grpc" or ""
	external bool
	attrs    map[string]string // client span attributes, without error.type
	resource map[string]string // server span resource
	skew     float64           // seconds
}

func newEmitter(j *model.Journey, p *program, opts EmitOptions) *emitter {
	em := &emitter{
		w:        newEmitWalker(p, opts.Correlation, opts.Seed),
		ids:      rand.New(rand.NewPCG(opts.Seed, streamIDs)),
		journey:  cmp.Or(j.Name, "journey"),
		gateway:  map[string]string{trace.AttrServiceName: gatewayService},
		start:    defaultEmitStart.UnixNano(),
		interval: cmp.Or(opts.Interval, time.Second).Nanoseconds(),
	}
	if !opts.Start.IsZero() {
		em.start = opts.Start.UnixNano()
	}
	em.quirks = opts.Quirks
	em.qr = rand.New(rand.NewPCG(opts.Seed, streamQuirks))
	if em.quirks.NoStatus {
		em.gateway = map[string]string{trace.AttrServiceName: gatewayService}
	}
	ids := Identities(j, opts.Quirks)
	// The program numbers components in first-use order (see compile).
	for _, name := range journey.Leaves(j.Root) {
		if c := j.Components[name]; c != nil {
			em.comps = append(em.comps, newEmitComp(c, ids[name], opts.Seed, opts.Quirks))
		}
	}
	return em
}

func newEmitComp(c *model.Component, id Identity, seed uint64, q Quirks) emitComp {
	ec := emitComp{
		name:     c.Name,
		service:  id.Service,
		op:       id.Operation,
		spanName: id.Operation,
		external: c.Kind == "external_dependency",
		attrs:    map[string]string{trace.AttrPeerService: id.Service},
		resource: map[string]string{trace.AttrServiceName: id.Service, trace.AttrK8sNamespace: namespace},
		skew:     skew(seed, id.Service, q.Skew),
	}
	if id.Operation != id.Service {
		ec.attrs[attrRPCMethod] = id.Operation
	}
	if q.SharedService {
		ec.spanName = id.Service + "/" + id.Operation
		ec.attrs[attrRPCService] = id.Service
		ec.attrs[attrRPCSystem] = "grpc"
	}
	if q.NoStatus {
		ec.style = [...]string{"http", "grpc", ""}[nameHash(id.Service)%3]
	}
	switch c.Kind {
	case "cache":
		ec.attrs[trace.AttrDBSystem] = "redis"
	case "database":
		ec.attrs[trace.AttrDBSystem] = "postgresql"
	case "external_dependency":
		ec.attrs[trace.AttrServerAddress] = c.Name + ".example.com"
	}
	// AllDomains is sorted: of two domains of one kind the first is kept.
	for _, d := range c.AllDomains() {
		if key, v, ok := domainAttr(d); ok && ec.resource[key] == "" {
			ec.resource[key] = v
		}
	}
	return ec
}

// domainAttr maps a failure domain to the resource attribute that shows it
// in traces; other domains are not observable.
func domainAttr(d string) (key, value string, ok bool) {
	for _, m := range [...]struct{ prefix, key string }{
		{"zone/", trace.AttrZone}, {"region/", trace.AttrRegion}, {"cluster/", trace.AttrK8sCluster},
		{"node/", trace.AttrK8sNode}, {"host/", trace.AttrHost},
	} {
		if v, ok := strings.CutPrefix(d, m.prefix); ok && v != "" {
			return m.key, v, true
		}
	}
	return "", "", false
}

// Attributes the emitter writes besides trace's (OpenTelemetry semantic
// conventions).
const (
	attrRPCMethod  = "rpc.method"
	attrRPCService = "rpc.service"
	attrRPCSystem  = "rpc.system"
	attrHTTPStatus = "http.response.status_code"
	attrGRPCStatus = "rpc.grpc.status_code"
)

// skew is a service's clock offset in seconds, uniform in [−maxSkew,
// maxSkew] (maxSkewQuirk when large) and fixed by the seed and the name
// alone.
func skew(seed uint64, name string, large bool) float64 {
	m := maxSkew
	if large {
		m = maxSkewQuirk
	}
	return m * (2*rand.New(rand.NewPCG(seed^streamSkew, nameHash(name))).Float64() - 1)
}

// nameHash is FNV-1a of a name.
func nameHash(name string) uint64 {
	h := uint64(14695981039346656037)
	for i := range len(name) {
		h = (h ^ uint64(name[i])) * 1099511628211
	}
	return h
}

// request plays request i and returns its spans and whether it
// succeeded.
func (em *emitter) request(i int) ([]trace.Span, bool) {
	out := em.w.request()
	base := em.start + int64(i)*em.interval
	traceID := em.id() + em.id()
	root := trace.Span{
		TraceID: traceID, SpanID: em.id(), Service: gatewayService, Name: em.journey,
		Kind: trace.KindServer, Start: base, End: base + nanos(out.end),
		Error: !out.ok, Resource: em.gateway,
	}
	if !out.ok {
		root.StatusMessage = "journey failed"
	}
	spans := []trace.Span{root}
	for k := range em.w.calls {
		c := &em.w.calls[k]
		if c.gone {
			continue
		}
		client := em.client(c, root, base)
		spans = append(spans, client)
		if !em.comps[c.comp].external {
			spans = append(spans, em.server(c, client, base))
		}
	}
	slices.SortStableFunc(spans[1:], func(a, b trace.Span) int { return cmp.Compare(a.Start, b.Start) })
	if em.quirks.NoStatus {
		em.rootStatus(&spans[0], out.ok)
	}
	if em.quirks.NoKinds {
		for k := range spans {
			spans[k].Kind = trace.KindUnspecified
		}
	}
	return em.duplicate(i, spans), out.ok
}

// rootStatus records the journey's outcome as an HTTP status code only
// (nostatus).
func (em *emitter) rootStatus(root *trace.Span, ok bool) {
	root.Error, root.StatusMessage = false, ""
	code := "200"
	if !ok {
		code = "500"
	}
	root.Attrs = map[string]string{attrHTTPStatus: code}
}

// duplicate applies the duplicates quirk to request i's spans: some
// requests are kept to be written again later, and the repeats due now
// are appended.
func (em *emitter) duplicate(i int, spans []trace.Span) []trace.Span {
	if !em.quirks.Duplicates {
		return spans
	}
	if em.qr.Float64() < dupShare {
		em.dups = append(em.dups, dupSpans{due: i + dupDelay, spans: slices.Clone(spans)})
	}
	for len(em.dups) > 0 && (em.dups[0].due <= i || i == em.last) {
		spans = append(spans, em.dups[0].spans...)
		em.dups = em.dups[1:]
	}
	return spans
}

// client returns the gateway's client span of call c.
func (em *emitter) client(c *ecall, root trace.Span, base int64) trace.Span {
	ec := &em.comps[c.comp]
	s := trace.Span{
		TraceID: root.TraceID, SpanID: em.id(), ParentID: root.SpanID, Service: gatewayService,
		Name: "call " + ec.name, Kind: trace.KindClient, Start: base + nanos(c.start), End: base + nanos(c.end),
		Attrs: make(map[string]string, len(ec.attrs)+1), Resource: em.gateway,
	}
	for k, v := range ec.attrs {
		s.Attrs[k] = v
	}
	if em.quirks.SharedService {
		s.Name = ec.spanName
	}
	switch {
	case c.cut == cutTimeout:
		s.Error, s.StatusMessage, s.Attrs[trace.AttrErrorType] = true, "deadline exceeded", "timeout"
	case c.cut == cutCancel:
		s.Error, s.StatusMessage, s.Attrs[trace.AttrErrorType] = true, "cancelled", "cancelled"
		if em.quirks.AsyncCancel {
			s.End += nanos(maxCancelLag * em.qr.Float64())
		}
	case !c.ok:
		s.Error, s.StatusMessage, s.Attrs[trace.AttrErrorType] = true, "500 Internal Server Error", "500"
	}
	if em.quirks.NoStatus {
		em.answerCodes(&s, ec.style, c, true)
	}
	return s
}

// answerCodes replaces a span's status by the codes its service records
// (nostatus): none, an HTTP status code or a gRPC status code of the
// answer — for a client span, of a call that got one.
func (em *emitter) answerCodes(s *trace.Span, style string, c *ecall, client bool) {
	s.Error, s.StatusMessage = false, ""
	if et := s.Attrs[trace.AttrErrorType]; et != "timeout" && et != "cancelled" {
		delete(s.Attrs, trace.AttrErrorType)
	}
	if client && c.cut != cutNone {
		if style == "grpc" {
			s.Attrs[attrGRPCStatus] = map[uint8]string{cutTimeout: "4", cutCancel: "1"}[c.cut]
		}
		return
	}
	switch style {
	case "http":
		s.Attrs[attrHTTPStatus] = map[bool]string{true: "200", false: "500"}[c.ok]
	case "grpc":
		s.Attrs[attrGRPCStatus] = map[bool]string{true: "0", false: "13"}[c.ok]
	}
}

// server returns the component's server span of call c.
func (em *emitter) server(c *ecall, client trace.Span, base int64) trace.Span {
	ec := &em.comps[c.comp]
	d := min(serverDelayMin+(serverDelayMax-serverDelayMin)*em.w.jit.Float64(), (c.served-c.start)/2)
	s := trace.Span{
		TraceID: client.TraceID, SpanID: em.id(), ParentID: client.SpanID, Service: ec.service,
		Name: ec.spanName, Kind: trace.KindServer,
		Start: base + nanos(c.start+d+ec.skew), End: base + nanos(c.served-d+ec.skew),
		Error: !c.ok, Resource: ec.resource,
	}
	if !c.ok {
		s.StatusMessage = "500 Internal Server Error"
		s.Attrs = map[string]string{trace.AttrErrorType: "500"}
	}
	if em.quirks.SharedService {
		s.Attrs = maps.Clone(s.Attrs)
		if s.Attrs == nil {
			s.Attrs = map[string]string{}
		}
		s.Attrs[attrRPCService], s.Attrs[attrRPCMethod], s.Attrs[attrRPCSystem] = ec.service, ec.op, "grpc"
	}
	if em.quirks.NoStatus {
		if s.Attrs == nil {
			s.Attrs = map[string]string{}
		}
		em.answerCodes(&s, ec.style, c, false)
	}
	if em.quirks.ZipkinShared {
		s.SpanID, s.ParentID, s.Shared = client.SpanID, client.ParentID, true
	}
	return s
}

// id returns 16 lower-case hex digits, never all zero.
func (em *emitter) id() string {
	for {
		if v := em.ids.Uint64(); v != 0 {
			return fmt.Sprintf("%016x", v)
		}
	}
}

// nanos converts seconds to whole nanoseconds.
func nanos(s float64) int64 { return int64(math.Round(s * 1e9)) }
