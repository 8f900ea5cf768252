package trace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestStructuralErrors checks that malformed input stops reading with an
// error that names the position, and never panics.
func TestStructuralErrors(t *testing.T) {
	proto := mustRead(t, "testdata/otlp_http.pb")
	framed := mustRead(t, "testdata/otlp_fileexporter.pb")
	tests := []struct {
		name, in, want string
	}{
		{"otlp syntax", "{\"resourceSpans\":[{\"resource\":{}},\n  {\"scopeSpans\": [}]}",
			"in:2:19: invalid character '}' looking for beginning of value"},
		{"otlp truncated", "{\"resourceSpans\":[\n{}", "in:2:3: unexpected end of input"},
		{"otlp not an array", `{"resourceSpans": 5}`, `in:1:19: resourceSpans: want "[", found 5`},
		{"otlp second line", "{\"resourceSpans\":[]}\n{\"resourceSpans\":[]}\n[1]",
			`in:3:1: want an OTLP object {"resourceSpans":[…]}, found "["`},
		{"otlp trailing garbage", "{\"resourceSpans\":[]} x", "in:1:22: invalid character 'x' looking for beginning of value"},
		{"otlp null", `{"resourceSpans": null}`, ""},
		{"jaeger data not array", `{"data": "x"}`, `in:1:10: data: want "[", found string "x"`},
		{"jaeger unterminated string", "{\"data\": [{\"traceID\": \"1}]}", "in:1:28: unexpected end of input"},
		{"zipkin missing comma", "[\n {\"traceId\": \"a\"}\n {\"id\": \"b\"}]",
			"in:3:2: expected comma after array element"},
		{"zipkin not an array", `[{}] {}`, `in:1:6: want a Zipkin v2 array of spans, found "{"`},
		{"proto truncated", string(proto[:len(proto)-3]), "in: byte offset 433: truncated field: 126 of 129 bytes"},
		{"proto bad wire type", "\x0a\x00\x0f", "in: byte offset 2: field 1 has unsupported wire type 7; not an OTLP protobuf file?"},
		{"proto bad varint", "\x0a\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01",
			"in: byte offset 0: varint overflows 64 bits"},
		{"framed truncated prefix", string(framed) + "\x00\x00", "in: byte offset 465: truncated length prefix (2 of 4 bytes); not an OTLP protobuf file?"},
		{"framed field overruns", "\x00\x00\x00\x03\x0a\x05\x00\x00\x00\x00\x00",
			"in: byte offset 4: field runs past the end of its message (at byte offset 7)"},
		{"text", "hello, world", "in: byte offset 0: not a trace file: its first bytes (68 65 6c 6c 6f 2c 20 77) are none of the formats tried: otlp, otlp-proto, jaeger, zipkin (each possibly gzip- or zstd-compressed)"},
		{"proto looking like text", "\x0ahello, world", "in: byte offset 0: truncated field: 11 of 104 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFrom(strings.NewReader(tc.in), "in", Options{}, func(*Span) error { return nil })
			var ie *InputError
			if tc.want == "" && err == nil {
				return
			}
			if err == nil || !errors.As(err, &ie) || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestOffsetsWithoutSeek checks that an input that cannot be read again
// gets byte offsets instead of line:col.
func TestOffsetsWithoutSeek(t *testing.T) {
	in := io.MultiReader(strings.NewReader("{\"resourceSpans\":[\n{]"))
	_, err := ReadFrom(in, "stdin", Options{}, func(*Span) error { return nil })
	want := "stdin: byte offset 20: invalid character ']' looking for beginning of value"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestElementLimit checks that an element over the size limit is an
// error, not an allocation of its size.
func TestElementLimit(t *testing.T) {
	defer func(old int64) { maxElement = old }(maxElement)
	maxElement = 100 << 10
	big := `{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"stringValue":"` +
		strings.Repeat("x", 1<<20) + `"}}]}}]}`
	_, err := ReadFrom(strings.NewReader(big), "in", Options{}, func(*Span) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "element larger than the limit of 102400 bytes") {
		t.Errorf("JSON: got %v", err)
	}
	var framed []byte
	framed = binary.BigEndian.AppendUint32(framed, 1<<20)
	framed = append(framed, 0x0a, 0x80, 0x80, 0x40)
	framed = append(framed, bytes.Repeat([]byte{0}, 1<<20)...)
	_, err = ReadFrom(bytes.NewReader(framed), "in", Options{}, func(*Span) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "element of 1048576 bytes is larger than the limit of 102400 bytes") {
		t.Errorf("proto: got %v", err)
	}
}
