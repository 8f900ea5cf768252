package trace

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Writer writes traces in one format, streaming: each Write goes out
// (through a buffer) before the next, and nothing is kept in between.
type Writer interface {
	// Write writes the spans of one trace.
	Write(trace []Span) error
	// Close ends the output (closing brackets) and flushes it. It does not
	// close the underlying io.Writer.
	Close() error
}

// NewWriter returns a Writer of format (one of Formats) to w:
//
//   - "otlp": OTLP JSON Lines, one {"resourceSpans":[…]} object per trace,
//     one resourceSpans element per distinct resource (service and
//     resource attributes), as the collector's file exporter writes;
//   - "otlp-proto": one TracesData message per trace, each prefixed by
//     its length (4 bytes, big-endian), as the file exporter's proto
//     format;
//   - "jaeger": {"data":[…]}, one Jaeger trace per line;
//   - "zipkin": one JSON array of Zipkin v2 spans, one span per line.
//
// Attributes are written as strings. Jaeger and Zipkin carry times in
// microseconds: Start and End are truncated to whole microseconds. Zipkin
// has no resources: resource attributes are written as tags (and read
// back into Span.Resource when they are in an OpenTelemetry resource
// namespace such as k8s.* or cloud.*).
func NewWriter(w io.Writer, format string) (Writer, error) {
	o := out{w: bufio.NewWriterSize(w, 256<<10)}
	switch format {
	case FormatOTLP:
		return &otlpWriter{out: o}, nil
	case FormatOTLPProto:
		return &otlpWriter{out: o, proto: true}, nil
	case FormatJaeger:
		return &jaegerWriter{out: o}, nil
	case FormatZipkin:
		return &zipkinWriter{out: o}, nil
	}
	return nil, fmt.Errorf("unknown trace format %q (want %s)", format, strings.Join(Formats, ", "))
}

// out is a buffered output with a sticky error.
type out struct {
	w   *bufio.Writer
	err error
}

func (o *out) put(s string) {
	if o.err == nil {
		_, o.err = o.w.WriteString(s)
	}
}

func (o *out) putBytes(b []byte) {
	if o.err == nil {
		_, o.err = o.w.Write(b)
	}
}

func (o *out) flush() error {
	if o.err == nil {
		o.err = o.w.Flush()
	}
	return o.err
}

// otlpWriter writes OTLP JSON Lines or length-prefixed protobuf.
type otlpWriter struct {
	out
	proto bool
}

func (w *otlpWriter) Write(trace []Span) error {
	if len(trace) == 0 {
		return w.err
	}
	td, err := toPdata(trace)
	if err != nil {
		return err
	}
	if w.proto {
		var m ptrace.ProtoMarshaler
		b, err := m.MarshalTraces(td)
		if err != nil {
			return err
		}
		var prefix [4]byte
		binary.BigEndian.PutUint32(prefix[:], uint32(len(b)))
		w.putBytes(prefix[:])
		w.putBytes(b)
		return w.err
	}
	var m ptrace.JSONMarshaler
	b, err := m.MarshalTraces(td)
	if err != nil {
		return err
	}
	w.putBytes(b)
	w.put("\n")
	return w.err
}

func (w *otlpWriter) Close() error { return w.flush() }
