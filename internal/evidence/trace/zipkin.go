package trace

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// zipkinSpan is a Zipkin v2 span (zipkin2 API, JSON). Times are
// microseconds.
type zipkinSpan struct {
	TraceID        string                     `json:"traceId"`
	ParentID       string                     `json:"parentId,omitempty"`
	ID             string                     `json:"id"`
	Kind           string                     `json:"kind,omitempty"`
	Name           string                     `json:"name,omitempty"`
	Timestamp      int64                      `json:"timestamp,omitempty"`
	Duration       int64                      `json:"duration,omitempty"`
	LocalEndpoint  *zipkinEndpoint            `json:"localEndpoint,omitempty"`
	RemoteEndpoint *zipkinEndpoint            `json:"remoteEndpoint,omitempty"`
	Tags           map[string]json.RawMessage `json:"tags,omitempty"`
	Shared         bool                       `json:"shared,omitempty"`
}

type zipkinEndpoint struct {
	ServiceName string `json:"serviceName,omitempty"`
}

// resourcePrefixes are the OpenTelemetry resource attribute namespaces.
// Zipkin has no resources: the OpenTelemetry exporters write resource
// attributes as tags, and the readers move tags in these namespaces back
// to Span.Resource, as the collector's Zipkin receiver does.
var resourcePrefixes = []string{
	"service.", "host.", "k8s.", "cloud.", "container.", "process.", "os.",
	"telemetry.", "deployment.", "faas.", "device.", "webengine.",
}

func isResourceKey(k string) bool {
	for _, p := range resourcePrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// readZipkin reads JSON arrays of Zipkin v2 spans, one span at a time;
// base is the offset of r in the input.
func readZipkin(in *input, r io.Reader, base int64) error {
	w := newJSONWalker(in, r, base)
	return w.values(func(first json.Token, off int64) error {
		if first != json.Delim('[') {
			return in.errorAt(off, fmt.Errorf("want a Zipkin v2 array of spans, found %s", describe(first)))
		}
		for w.dec.More() {
			raw, off, err := w.raw()
			if err != nil {
				return err
			}
			var zs zipkinSpan
			if err := json.Unmarshal(raw, &zs); err != nil {
				p := typeProblem("span", jsonValue{raw: raw, off: off}, err)
				in.skip(p.off, "span skipped: "+p.msg)
				continue
			}
			if err := in.emit(fromZipkin(&zs), off); err != nil {
				return err
			}
		}
		return w.expect(']', "array of spans")
	})
}

func fromZipkin(zs *zipkinSpan) *Span {
	s := &Span{
		TraceID:  zs.TraceID,
		SpanID:   zs.ID,
		ParentID: zs.ParentID,
		Name:     zs.Name,
		Start:    zs.Timestamp * 1000,
		End:      (zs.Timestamp + zs.Duration) * 1000,
		Resource: map[string]string{},
	}
	attrs := make(map[string]string, len(zs.Tags)+1)
	for k, v := range zs.Tags {
		if isResourceKey(k) {
			s.Resource[k] = kvString(v)
		} else {
			attrs[k] = kvString(v)
		}
	}
	if zs.LocalEndpoint != nil && zs.LocalEndpoint.ServiceName != "" {
		s.Service = zs.LocalEndpoint.ServiceName
		s.Resource[AttrServiceName] = s.Service
	}
	if len(s.Resource) == 0 {
		s.Resource = nil
	}
	if zs.RemoteEndpoint != nil && zs.RemoteEndpoint.ServiceName != "" && attrs[AttrPeerService] == "" {
		attrs[AttrPeerService] = zs.RemoteEndpoint.ServiceName
	}
	s.Attrs = takeStatusTags(s, attrs)
	if k := parseKind(zs.Kind); k != KindUnspecified {
		s.Kind = k
	}
	if zs.Shared {
		// The server half of a span shared with its client (Zipkin
		// v1 style): the assembler gives it an ID of its own.
		s.Shared = true
		if s.Kind == KindUnspecified {
			s.Kind = KindServer
		}
	}
	return s
}

// zipkinWriter writes one JSON array of spans, one span per line.
type zipkinWriter struct {
	out
	n int
}

func (w *zipkinWriter) Write(trace []Span) error {
	for i := range trace {
		b, err := json.Marshal(toZipkin(&trace[i]))
		if err != nil {
			return err
		}
		if w.n == 0 {
			w.put("[\n")
		} else {
			w.put(",\n")
		}
		w.n++
		w.putBytes(b)
	}
	return w.err
}

func (w *zipkinWriter) Close() error {
	if w.n == 0 {
		w.put("[")
	}
	w.put("\n]\n")
	return w.flush()
}

func toZipkin(s *Span) zipkinSpan {
	zs := zipkinSpan{
		TraceID: s.TraceID, ParentID: s.ParentID, ID: s.SpanID, Name: s.Name,
		Timestamp: s.Start / 1000, Duration: s.End/1000 - s.Start/1000,
		Tags: map[string]json.RawMessage{}, Shared: s.Shared,
	}
	switch s.Kind {
	case KindClient, KindServer, KindProducer, KindConsumer:
		zs.Kind = strings.ToUpper(s.Kind.String())
	case KindInternal:
		zs.Tags[tagSpanKind] = jsonString("internal")
	}
	if s.Service != "" {
		zs.LocalEndpoint = &zipkinEndpoint{ServiceName: s.Service}
	}
	for k, v := range s.Resource {
		if k != AttrServiceName {
			zs.Tags[k] = jsonString(v)
		}
	}
	for k, v := range s.Attrs {
		if k == AttrPeerService {
			zs.RemoteEndpoint = &zipkinEndpoint{ServiceName: v}
			continue
		}
		zs.Tags[k] = jsonString(v)
	}
	msg := s.StatusMessage
	if s.Error {
		// Zipkin's convention: the "error" tag holds the message.
		if msg == "" || msg == "true" || msg == "false" {
			zs.Tags[tagError] = jsonString("true")
		} else {
			zs.Tags[tagError] = jsonString(msg)
			msg = ""
		}
	}
	if msg != "" {
		zs.Tags[tagStatusDesc] = jsonString(msg)
	}
	return zs
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
