package infer

import (
	"fmt"
	"testing"

	"github.com/emac-dev/emac/internal/evidence/trace"
	"github.com/emac-dev/emac/internal/journey"
)

// fuzzSpans decodes arbitrary bytes into traces of up to 32 spans: per
// span, 6 bytes select its parent, kind, service, name, start, duration
// and error type. A 0xff byte starts a new trace.
func fuzzSpans(data []byte) [][]trace.Span {
	var out [][]trace.Span
	var cur []trace.Span
	names := []string{"checkout", "call a", "call b", "handle", "GET /"}
	svcs := []string{"gateway", "a", "b", "edge"}
	errs := []string{"", "500", "timeout", "cancelled"}
	tr := 0
	for len(data) >= 6 {
		if data[0] == 0xff {
			out, cur, tr = append(out, cur), nil, tr+1
			data = data[1:]
			continue
		}
		b := data[:6]
		data = data[6:]
		s := trace.Span{TraceID: fmt.Sprintf("%032x", tr), SpanID: fmt.Sprintf("%016x", len(cur)+1),
			Kind: trace.Kind(b[1] % 6), Service: svcs[int(b[2])%len(svcs)], Name: names[int(b[3])%len(names)],
			Start: int64(b[4]) * 1e6, End: int64(b[4])*1e6 + int64(b[5])*3e5,
			Attrs: map[string]string{trace.AttrPeerService: svcs[int(b[2]>>4)%len(svcs)]}, Resource: map[string]string{}}
		if p := int(b[0]); p < len(cur) {
			s.ParentID = cur[p].SpanID
		} else if p%7 == 0 {
			s.ParentID = "dangling"
		}
		if e := errs[int(b[1]>>4)%len(errs)]; e != "" {
			s.Error, s.Attrs[trace.AttrErrorType] = true, e
		}
		if b[5]%3 == 0 {
			s.Resource[trace.AttrK8sNode] = "n1"
		}
		if len(cur) < 32 {
			cur = append(cur, s)
		}
	}
	return append(out, cur)
}

// FuzzBuilder feeds arbitrary span sets to the inference: it must never
// panic, and a model it returns must validate.
func FuzzBuilder(f *testing.F) {
	f.Add([]byte{9, 2, 0, 0, 0, 10, 0, 3, 0x10, 1, 0, 5, 0, 3, 0x20, 2, 6, 5})
	f.Add([]byte{9, 2, 0, 0, 0, 10, 0, 3, 0x10, 1, 0, 5, 0xff, 9, 2, 0, 0, 0, 10, 0, 3, 0x31, 1, 2, 5})
	f.Add([]byte{9, 2, 0, 4, 0, 10, 0, 3, 0, 0, 1, 9, 1, 2, 0, 0, 1, 8, 2, 3, 0x21, 2, 2, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		traces := fuzzSpans(data)
		for _, sel := range []string{"", "checkout", "gateway checkout"} {
			b := NewBuilder(Options{Journey: sel})
			for k := 0; k < 3; k++ { // repeated, so that counts pass the evidence thresholds
				for _, spans := range traces {
					b.Add("fuzz", spans)
				}
			}
			b.Candidates()
			m, err := b.Model()
			if err != nil {
				continue
			}
			comps := map[string]bool{}
			for _, c := range m.Components {
				comps[c.Name] = true
			}
			if errs := journey.Validate(m.Root, comps, nil); errs.HasErrors() {
				t.Fatalf("invalid tree %s: %v", m.Root, errs.Err())
			}
		}
	})
}
