package trace

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// readOTLPJSON reads OTLP JSON: one {"resourceSpans":[…]} object or a
// sequence of them (JSON Lines). Each resourceSpans element is decoded on
// its own by pdata, wrapped as {"resourceSpans":[element]}.
func readOTLPJSON(in *input, r io.Reader, base int64) error {
	w := newJSONWalker(in, r, base)
	var buf []byte
	return w.values(func(first json.Token, off int64) error {
		if first != json.Delim('{') {
			return in.errorAt(off, fmt.Errorf(`want an OTLP object {"resourceSpans":[…]}, found %s`, describe(first)))
		}
		return w.object(func(key string) (bool, error) {
			if key != "resourceSpans" && key != "resource_spans" {
				return false, nil
			}
			return true, w.array(key, func(raw json.RawMessage, off int64) error {
				buf = append(append(append(buf[:0], `{"resourceSpans":[`...), raw...), "]}"...)
				return otlpJSONElement(in, buf, raw, off)
			})
		})
	})
}

// otlpJSONElement decodes one wrapped resourceSpans element. If pdata
// rejects it (a bad ID, a value of the wrong type), the element is split
// into single spans so that only the bad ones are skipped.
func otlpJSONElement(in *input, wrapped, raw []byte, off int64) error {
	var u ptrace.JSONUnmarshaler
	td, err := u.UnmarshalTraces(wrapped)
	if err == nil {
		return emitTraces(in, td, off)
	}
	var rs struct {
		Resource   json.RawMessage `json:"resource"`
		ScopeSpans []rawScopeSpans `json:"scopeSpans"`
	}
	if json.Unmarshal(raw, &rs) != nil || countRawSpans(rs.ScopeSpans) == 0 {
		in.skip(off, fmt.Sprintf("resourceSpans element skipped: %s", pdataError(err)))
		return nil
	}
	for i, ss := range rs.ScopeSpans {
		for j, sp := range ss.Spans {
			one, _ := json.Marshal(map[string]any{"resourceSpans": []any{map[string]any{
				"resource":   orNull(rs.Resource),
				"scopeSpans": []any{map[string]any{"scope": orNull(ss.Scope), "spans": []json.RawMessage{sp}}},
			}}})
			td, err := u.UnmarshalTraces(one)
			if err != nil {
				in.skip(off, fmt.Sprintf("scopeSpans[%d].spans[%d] skipped: %s", i, j, pdataError(err)))
				continue
			}
			if err := emitTraces(in, td, off); err != nil {
				return err
			}
		}
	}
	return nil
}

// rawScopeSpans is a scopeSpans element with its spans left undecoded.
type rawScopeSpans struct {
	Scope json.RawMessage   `json:"scope"`
	Spans []json.RawMessage `json:"spans"`
}

func countRawSpans(ss []rawScopeSpans) int {
	n := 0
	for _, s := range ss {
		n += len(s.Spans)
	}
	return n
}

func orNull(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage("null")
	}
	return m
}

// pdataError shortens the messages of pdata's JSON decoder, which quote
// the input around the error.
func pdataError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ", error found in"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}
