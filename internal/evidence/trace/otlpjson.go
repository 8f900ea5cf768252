package trace

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// otlpBatch is the most spans (and about the most bytes of them) decoded
// by pdata at once: a resourceSpans element is streamed span by span and
// decoded in batches, so that memory does not grow with the element and a
// caller's bound (spans per trace) stops a huge element early.
const (
	otlpBatchSpans = 1024
	otlpBatchBytes = 4 << 20
)

// readOTLPJSON reads OTLP JSON: one {"resourceSpans":[…]} object or a
// sequence of them (JSON Lines), each possibly wrapped in {"result": …}
// as the Jaeger v3 query API returns it. The spans of each resourceSpans element
// are decoded by pdata in batches, wrapped as {"resourceSpans":[{resource,
// scopeSpans:[{scope, spans:[batch]}]}]}.
func readOTLPJSON(in *input, r io.Reader, base int64) error {
	w := newJSONWalker(in, r, base)
	e := &otlpElement{in: in, w: w}
	return w.values(func(first json.Token, off int64) error {
		if first != json.Delim('{') {
			return in.errorAt(off, fmt.Errorf(`want an OTLP object {"resourceSpans":[…]}, found %s`, describe(first)))
		}
		return otlpDocument(w, e, 0)
	})
}

// otlpDocument walks the members of an OTLP JSON object (its '{' read):
// resourceSpans, or "result" holding the document as the Jaeger v3 query
// API wraps it.
func otlpDocument(w *jsonWalker, e *otlpElement, depth int) error {
	return w.object(func(key string) (bool, error) {
		switch key {
		case "resourceSpans", "resource_spans":
			return true, w.each(key, func(off int64) error {
				e.reset(off)
				return e.read()
			})
		case "result":
			if depth > 0 || w.peek() != '{' {
				return false, nil
			}
			if _, err := w.inner(); err != nil {
				return true, err
			}
			return true, otlpDocument(w, e, depth+1)
		}
		return false, nil
	})
}

// otlpElement streams one resourceSpans element (one at a time: its
// buffers are reused).
type otlpElement struct {
	in  *input
	w   *jsonWalker
	off int64
	// res is the resource; hasRes is set once it was read. Spans read
	// before it are held in early (up to maxElement bytes) until the end
	// of the element.
	res    jsonValue
	hasRes bool
	early  []otlpSpan
	size   int64 // bytes held in early
	scope  jsonValue
	scopes int // scopeSpans read so far
	batch  []otlpSpan
	bytes  int64 // bytes held in batch
	buf    []byte
}

// reset prepares e for the element at off.
func (e *otlpElement) reset(off int64) {
	clear(e.early)
	clear(e.batch)
	*e = otlpElement{in: e.in, w: e.w, off: off, early: e.early[:0], batch: e.batch[:0], buf: e.buf[:0]}
}

// otlpSpan is one span read but not decoded, with the scope it belongs
// to and its place in the element (scopeSpans[i].spans[j]).
type otlpSpan struct {
	val   jsonValue
	scope jsonValue
	i, j  int
}

func (s otlpSpan) name() string { return fmt.Sprintf("scopeSpans[%d].spans[%d]", s.i, s.j) }

// read reads the element: its resource, and the spans of each
// scopeSpans, decoded in batches.
func (e *otlpElement) read() error {
	t, err := e.w.inner()
	if err != nil {
		return err
	}
	if t != json.Delim('{') {
		e.in.skip(e.off, fmt.Sprintf("resourceSpans element skipped: want an object, found %s", describe(t)))
		return e.w.skipRest(t)
	}
	err = e.w.object(func(key string) (bool, error) {
		switch key {
		case "resource":
			raw, off, err := e.w.raw()
			e.res, e.hasRes = jsonValue{raw: raw, off: off}, true
			return true, err
		case "scopeSpans", "scope_spans":
			return true, e.w.each(key, e.readScope)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	e.hasRes = true
	if err := e.flush(e.early); err != nil {
		return err
	}
	return e.flush(e.batch)
}

// readScope reads one scopeSpans element at off.
func (e *otlpElement) readScope(off int64) error {
	i := e.scopes
	e.scopes++
	t, err := e.w.inner()
	if err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if t != json.Delim('{') {
		e.in.warn(off, fmt.Sprintf("scopeSpans[%d] ignored: want an object, found %s", i, describe(t)))
		return e.w.skipRest(t)
	}
	e.scope = jsonValue{}
	j := 0
	return e.w.object(func(key string) (bool, error) {
		switch key {
		case "scope":
			raw, off, err := e.w.raw()
			e.scope = jsonValue{raw: raw, off: off}
			return true, err
		case "spans":
			return true, e.w.array(fmt.Sprintf("scopeSpans[%d].spans", i), func(raw json.RawMessage, off int64) error {
				j++
				return e.add(otlpSpan{val: jsonValue{raw: raw, off: off}, scope: e.scope, i: i, j: j - 1})
			})
		}
		return false, nil
	})
}

// add queues a span, decoding the batch once it is full.
func (e *otlpElement) add(s otlpSpan) error {
	if !e.hasRes {
		e.early = append(e.early, s)
		e.size += int64(len(s.val.raw))
		if e.size > maxElement {
			return e.in.errorAt(s.val.off, fmt.Errorf("resourceSpans element: more than %d bytes of spans before its resource", maxElement))
		}
		return nil
	}
	e.batch = append(e.batch, s)
	e.bytes += int64(len(s.val.raw))
	if len(e.batch) < otlpBatchSpans && e.bytes < otlpBatchBytes {
		return nil
	}
	err := e.flush(e.batch)
	e.batch, e.bytes = e.batch[:0], 0
	return err
}

// flush decodes spans with pdata and emits them. If pdata rejects them
// (a bad ID, a value of the wrong type), they are decoded one by one so
// that only the bad ones are skipped, each reported at the value at
// fault.
func (e *otlpElement) flush(spans []otlpSpan) error {
	if len(spans) == 0 {
		return nil
	}
	e.buf = e.wrap(e.buf[:0], spans)
	var u ptrace.JSONUnmarshaler
	td, err := u.UnmarshalTraces(e.buf)
	if err == nil && td.SpanCount() == len(spans) {
		return emitTraces(e.in, td, func(_, _, k int) int64 { return spans[k].val.off })
	}
	// Decoded one by one: a rejected batch, or one whose spans pdata did
	// not map one to one onto the input's (odd keys can do that).
	for _, s := range spans {
		if err := e.one(s); err != nil {
			return err
		}
	}
	return nil
}

// one decodes and emits one span, or skips it with the problem found.
func (e *otlpElement) one(s otlpSpan) error {
	e.buf = e.wrap(e.buf[:0], []otlpSpan{s})
	var u ptrace.JSONUnmarshaler
	td, err := u.UnmarshalTraces(e.buf)
	if err == nil {
		return emitTraces(e.in, td, at(s.val.off))
	}
	p := checkSpan(s.val)
	if p == nil && s.scope.raw != nil {
		p = checkScope(s.scope)
	}
	if p == nil && e.res.raw != nil {
		p = checkResource(e.res)
	}
	if p == nil {
		p = &problem{off: s.val.off, msg: pdataError(err)}
	}
	e.in.skip(p.off, s.name()+" skipped: "+p.msg)
	return nil
}

// wrap appends to buf a TracesData holding the spans with the element's
// resource, in one scopeSpans (the scope of the first span: the scope
// plays no part in the spans read).
func (e *otlpElement) wrap(buf []byte, spans []otlpSpan) []byte {
	buf = append(buf, `{"resourceSpans":[{"resource":`...)
	buf = append(buf, orNull(e.res.raw)...)
	buf = append(buf, `,"scopeSpans":[{"scope":`...)
	buf = append(buf, orNull(spans[0].scope.raw)...)
	buf = append(buf, `,"spans":[`...)
	for i, s := range spans {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, s.val.raw...)
	}
	return append(buf, "]}]}]}"...)
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
