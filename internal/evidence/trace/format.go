package trace

import (
	"bytes"
	"encoding/json"
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
	// ({"data":[trace, …]}).
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

// Formats lists the trace formats, in the order the documentation gives
// them.
var Formats = []string{FormatOTLP, FormatOTLPProto, FormatJaeger, FormatZipkin}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	utf8BOM   = []byte{0xef, 0xbb, 0xbf}
)

// Detect names the format of a file from its first bytes: a gzip or zstd
// magic number; a JSON object whose first key is "data" (Jaeger) or
// anything else (OTLP JSON, "resourceSpans"); a JSON array (Zipkin);
// otherwise OTLP protobuf. A protobuf TracesData starts with the byte
// 0x0A, a JSON white-space character, so JSON is recognised by its first
// tokens, not by its first character. Detect returns "" when head holds
// nothing but white space. A few hundred bytes of head are enough: the
// first key must lie within head.
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
	if text[0] != '{' && text[0] != '[' {
		return FormatOTLPProto
	}
	if f := jsonHead(text); f != "" {
		return f
	}
	if head[0] == 0x0A { // field 1 of TracesData, length-delimited
		return FormatOTLPProto
	}
	if text[0] == '[' {
		return FormatZipkin
	}
	return FormatOTLP // the OTLP reader reports the syntax error
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
		if key, ok := t2.(string); ok && key == "data" {
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
			if _, ok := t3.(string); ok || t3 == json.Delim('}') {
				return FormatZipkin
			}
		}
	}
	return ""
}
