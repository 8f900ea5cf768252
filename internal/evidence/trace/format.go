package trace

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
)

// Trace file formats, as named on the command line.
const (
	// FormatOTLP is OTLP JSON: an ExportTraceServiceRequest/TracesData
	// object ({"resourceSpans":[…]}), or JSON Lines of such objects as
	// the collector's file exporter writes them.
	FormatOTLP = "otlp"
	// FormatOTLPProto is OTLP protobuf: one TracesData message, or a
	// sequence of messages each prefixed by its length as a 4-byte
	// big-endian integer (the collector file exporter's proto format).
	FormatOTLPProto = "otlp-proto"
	// FormatJaeger is the Jaeger query API / UI JSON export
	// ({"data":[trace, …]}), a trace saved alone ({"traceID", "spans",
	// "processes"}), or an array of traces or of spans.
	FormatJaeger = "jaeger"
	// FormatZipkin is Zipkin v2 JSON: an array of spans.
	FormatZipkin = "zipkin"
)

// Container formats Detect can report besides the trace formats.
const (
	// FormatGzip is a gzip stream (detected by its magic number).
	FormatGzip = "gzip"
	// FormatZstd is a zstd stream (detected by its magic number).
	FormatZstd = "zstd"
)

// FormatUnknown is what Detect reports for input that is none of the
// formats (binary data that is not protobuf, text that is not JSON).
const FormatUnknown = "unknown"

// ErrNotTraces is the error (wrapped in an *InputError) of an input
// whose format Detect does not know.
var ErrNotTraces = errors.New("not a trace file")

// Formats lists the trace formats, in the order the documentation gives
// them.
var Formats = []string{FormatOTLP, FormatOTLPProto, FormatJaeger, FormatZipkin}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	utf8BOM   = []byte{0xef, 0xbb, 0xbf}
)

// Detect names the format of a file from its first bytes: a gzip or zstd
// magic number; a JSON object whose first key is "data", "traceID",
// "spans" or "processes" (Jaeger) or anything else (OTLP JSON,
// "resourceSpans"); a JSON array whose first element's first key is
// "traceID", "spans", "processes" or "spanID" (Jaeger traces or spans),
// any other JSON array (Zipkin);
// OTLP protobuf when the first byte is 0x0A (field 1 of TracesData,
// length-delimited) or a non-zero 4-byte length prefix is followed by
// 0x0A or a zstd frame (the file exporter's framing). A protobuf
// TracesData starts with 0x0A, a JSON white-space character, so JSON is
// recognised by its first tokens, not by its first character. Detect
// returns "" when head holds nothing but white space (and a byte order
// mark), FormatUnknown for anything else. A few hundred bytes of head
// are enough: the first key must lie within head.
func Detect(head []byte) string {
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return FormatGzip
	case bytes.HasPrefix(head, zstdMagic):
		return FormatZstd
	}
	text := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	if len(text) == 0 {
		return ""
	}
	if text[0] == '{' || text[0] == '[' {
		if f := jsonHead(text); f != "" {
			return f
		}
	}
	switch {
	case protoHead(head):
		return FormatOTLPProto
	case text[0] == '[':
		return FormatZipkin // the Zipkin reader reports the syntax error
	case text[0] == '{':
		return FormatOTLP // the OTLP reader reports the syntax error
	}
	return FormatUnknown
}

// protoHead recognises the start of OTLP protobuf: a TracesData message
// (field 1, length-delimited: 0x0A) or a length-prefixed frame of one,
// possibly zstd-compressed.
func protoHead(head []byte) bool {
	if len(head) > 0 && head[0] == 0x0A {
		return true
	}
	if len(head) < 5 || binary.BigEndian.Uint32(head) == 0 {
		return false
	}
	return head[4] == 0x0A || bytes.HasPrefix(head[4:], zstdMagic)
}

// jsonHead recognises the opening tokens of the JSON formats: '{' then a
// key or '}', '[' then '{' and a key, or ']'.
func jsonHead(text []byte) string {
	dec := json.NewDecoder(bytes.NewReader(text))
	t1, err1 := dec.Token()
	t2, err2 := dec.Token()
	if err1 != nil || err2 != nil {
		return ""
	}
	switch t1 {
	case json.Delim('{'):
		if key, ok := t2.(string); ok && (key == "data" || jaegerTraceKeys[key]) {
			return FormatJaeger
		}
		if _, ok := t2.(string); ok || t2 == json.Delim('}') {
			return FormatOTLP
		}
	case json.Delim('['):
		if t2 == json.Delim(']') {
			return FormatZipkin
		}
		if t3, err := dec.Token(); err == nil && t2 == json.Delim('{') {
			if key, ok := t3.(string); ok && jaegerTraceKeys[key] {
				return FormatJaeger // Jaeger traces or spans (Zipkin's keys are traceId, id)
			}
			if _, ok := t3.(string); ok || t3 == json.Delim('}') {
				return FormatZipkin
			}
		}
	}
	return ""
}
