package infer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

// Failure evidence: every place real instrumentation records an outcome.

// Attribute keys that carry outcomes.
const (
	attrHTTPStatus    = "http.response.status_code"
	attrHTTPStatusOld = "http.status_code"
	attrGRPCStatus    = "rpc.grpc.status_code"
	attrOTelStatus    = "otel.status_code"
)

// evidence says where a call's outcome was read.
type evidence uint8

const (
	evNone     evidence = iota // no outcome recorded: success assumed
	evStatus                   // span status, error tag, otel.status_code, error.type
	evHTTP                     // HTTP status code
	evGRPC                     // gRPC status code
	evTruncate                 // the instance stopped right after it
	evDecision                 // how the Race or KofN around it decided
	numEvidence
)

var evidenceNames = [numEvidence]string{"no failure recorded", "span status", "HTTP 5xx", "gRPC status", "truncation", "Race/KofN decision"}

// spanOutcome reads the outcome of a span: its status and how it is known.
// known is true when the span records an outcome either way (an HTTP or
// gRPC code, a status or error flag).
func spanOutcome(s *trace.Span, client bool) (st status, ev evidence, known bool) {
	switch strings.ToLower(s.Attrs[trace.AttrErrorType]) {
	case "timeout", "deadline_exceeded", "deadline exceeded":
		return stCut, evStatus, true
	case "cancelled", "canceled":
		return stCancel, evStatus, true
	}
	if c, ok := intAttr(s, attrGRPCStatus); ok {
		switch {
		case c == 4 && client:
			return stCut, evGRPC, true
		case c == 1 && client:
			return stCancel, evGRPC, true
		case grpcFailure(c, client):
			return stErr, evGRPC, true
		}
		known = true
	}
	if s.Error || strings.EqualFold(s.Attrs[attrOTelStatus], "error") || s.Attrs[trace.AttrErrorType] != "" {
		return stErr, evStatus, true
	}
	for _, k := range []string{attrHTTPStatus, attrHTTPStatusOld} {
		if c, ok := intAttr(s, k); ok {
			if c >= 500 {
				return stErr, evHTTP, true
			}
			known = true
		}
	}
	return stOK, evNone, known || s.Attrs[attrOTelStatus] != ""
}

// grpcFailure reports whether gRPC status code c is a failure: any code
// but OK for the client, the server's own faults for the server (as
// OpenTelemetry's conventions set span status).
func grpcFailure(c int, client bool) bool {
	if client {
		return c != 0
	}
	switch c {
	case 2, 4, 12, 13, 14, 15:
		return true
	}
	return false
}

func intAttr(s *trace.Span, k string) (int, bool) {
	v := s.Attrs[k]
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(strings.Trim(v, `"`))
	return n, err == nil
}

// callOutcome joins the outcome of a call's client span with its server
// span's (−1 when missing): the client's deadline or cancellation wins,
// then a failure seen on either side.
func callOutcome(t *traceIndex, c, srv int) (status, evidence, bool) {
	st, ev, known := spanOutcome(&t.spans[c], t.spans[c].Kind != trace.KindServer)
	if st != stOK || srv < 0 {
		return st, ev, known
	}
	sst, sev, sknown := spanOutcome(&t.spans[srv], false)
	if sst == stErr {
		return sst, sev, true
	}
	return st, ev, known || sknown
}

// evidenceText describes how the failures of a component were found:
// counts by source, or the sources that showed only successes.
func evidenceText(fails [numEvidence]int, known, total int) string {
	var parts []string
	for ev := evStatus; ev < numEvidence; ev++ {
		if fails[ev] > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d", evidenceNames[ev], fails[ev]))
		}
	}
	switch {
	case len(parts) > 0:
		return "failures from " + strings.Join(parts, ", ")
	case total == 0:
		return "no completed call"
	case known > 0:
		return fmt.Sprintf("no failure recorded; %d of %d calls record their outcome", known, total)
	}
	return "no failure recorded, and no call records its outcome (no status, HTTP or gRPC code): failures would show only as truncated instances"
}

// rootOutcome reads a journey instance's own outcome from its root span.
func rootOutcome(s *trace.Span) (failed, known bool) {
	st, _, known := spanOutcome(s, false)
	return st != stOK, known
}

// lastCall returns the index of the call of cs that ended last (not a
// cancelled one), −1 if none.
func lastCall(cs []call) int {
	best := -1
	for k, c := range cs {
		if c.st == stCancel {
			continue
		}
		if best < 0 || c.end > cs[best].end || c.end == cs[best].end && c.start > cs[best].start {
			best = k
		}
	}
	return best
}

// explained reports whether a call of cs shows the instance's failure: a
// failed call, or a cut call after which no call started (a deadline
// whose fallback ran does not explain a failure).
func explained(cs []call) bool {
	for _, c := range cs {
		switch {
		case c.st == stErr:
			return true
		case c.st == stCut && !slices.ContainsFunc(cs, func(e call) bool { return e.start >= c.end-500 && e != c }):
			return true
		}
	}
	return false
}
