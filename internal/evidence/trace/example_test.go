package trace_test

import (
	"fmt"
	"os"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

// Read streams spans from files of any supported format; an Assembler
// groups them into traces with bounded memory.
func ExampleRead() {
	asm := trace.NewAssembler(trace.DefaultWindow, func(tr []trace.Span) error {
		fmt.Printf("trace %s: %d spans, root %q\n", tr[0].TraceID, len(tr), tr[0].Name)
		return nil
	})
	st, err := trace.Read([]string{"testdata/otlp_fileexporter.jsonl", "testdata/zipkin.json"}, trace.Options{},
		func(src string, s *trace.Span) error { return asm.Add(s) })
	if err == nil {
		err = asm.Close()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d files, %d spans, %d skipped\n", st.Files, st.Spans, st.Skipped)
	// Output:
	// trace 0af7651916cd43dd8448eb211c80319c: 3 spans, root "checkout"
	// trace 1af7651916cd43dd8448eb211c80319c: 1 spans, root "browse"
	// trace 00000000000000005af7183fb1d4cf5f: 2 spans, root "get /api"
	// trace 463ac35c9f6413ad48485a3953bb6124: 1 spans, root "async work"
	// 2 files, 7 spans, 0 skipped
}

// NewWriter writes traces in one of the formats; Close ends the output.
func ExampleNewWriter() {
	w, _ := trace.NewWriter(os.Stdout, trace.FormatZipkin)
	w.Write([]trace.Span{{
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
		Service: "gateway", Name: "call cart", Kind: trace.KindClient,
		Start: 1_700_000_000_000_000_000, End: 1_700_000_000_012_000_000,
		Attrs: map[string]string{trace.AttrPeerService: "cart"},
	}})
	w.Close()
	// Output:
	// [
	// {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","id":"00f067aa0ba902b7","kind":"CLIENT","name":"call cart","timestamp":1700000000000000,"duration":12000,"localEndpoint":{"serviceName":"gateway"},"remoteEndpoint":{"serviceName":"cart"}}
	// ]
}
