// Package trace reads and writes distributed traces in the formats emac
// understands — OTLP JSON and protobuf, Jaeger JSON, Zipkin v2 JSON — as a
// stream of format-neutral spans, and assembles them into traces with
// bounded memory.
package trace

// Kind is a span's role in a call, as in OpenTelemetry.
type Kind uint8

// Span kinds.
const (
	KindUnspecified Kind = iota
	KindInternal
	KindServer
	KindClient
	KindProducer
	KindConsumer
)

// String returns the kind's OpenTelemetry name in lower case
// ("server", "client", …).
func (k Kind) String() string {
	switch k {
	case KindInternal:
		return "internal"
	case KindServer:
		return "server"
	case KindClient:
		return "client"
	case KindProducer:
		return "producer"
	case KindConsumer:
		return "consumer"
	}
	return "unspecified"
}

// Attribute keys emac reads from spans and resources (OpenTelemetry
// semantic conventions).
const (
	AttrPeerService   = "peer.service"
	AttrDBSystem      = "db.system"
	AttrServerAddress = "server.address"
	AttrErrorType     = "error.type" // "timeout", "cancelled", or a code
	AttrK8sNode       = "k8s.node.name"
	AttrK8sCluster    = "k8s.cluster.name"
	AttrK8sNamespace  = "k8s.namespace.name"
	AttrZone          = "cloud.availability_zone"
	AttrRegion        = "cloud.region"
	AttrHost          = "host.name"
	AttrServiceName   = "service.name"
)

// Span is one span, format-neutral. Identifiers are lower-case hex
// (32 digits for trace IDs, 16 for span IDs; ParentID is "" for a root).
// Times are Unix nanoseconds. Resource holds the resource attributes of
// the emitting process (shared, read-only, between the spans of one
// resource); Attrs holds the span's own attributes, both as strings.
type Span struct {
	TraceID  string
	SpanID   string
	ParentID string
	Service  string
	Name     string
	Kind     Kind
	Start    int64
	End      int64
	// Shared is true for the server half of a Zipkin span shared by client
	// and server (Zipkin v2 "shared": true, or a server span whose ID
	// repeats its client's): an Assembler gives it an ID of its own and
	// makes it the client half's child.
	Shared bool
	// Error is true when the span's status is an error.
	Error         bool
	StatusMessage string
	Attrs         map[string]string
	Resource      map[string]string
}

// Duration returns End − Start in nanoseconds.
func (s *Span) Duration() int64 { return s.End - s.Start }
