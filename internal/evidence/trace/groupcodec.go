package trace

// The compact encoding of the spans a Grouper holds and spills.

import (
	"encoding/binary"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Dictionary bounds of a Grouper's encoding: strings up to dictMaxLen
// bytes and resources are stored once while the dictionaries hold less
// than dictBytes bytes and dictResources resources.
const (
	dictMaxLen    = 128
	dictBytes     = 16 << 20
	dictResources = 1 << 16
)

// spanCodec encodes spans compactly: short strings and resources are
// kept once in dictionaries and referred to by number.
type spanCodec struct {
	strs     map[string]uint64
	strList  []string
	strBytes int
	res      map[string]uint64
	resList  []map[string]string
	last     map[string]string // the resource of the last span encoded …
	lastRef  uint64            // … and its reference
	keyBuf   strings.Builder
}

func newSpanCodec() spanCodec {
	return spanCodec{strs: map[string]uint64{}, res: map[string]uint64{}}
}

// Record layout: trace ID, seq, source, span ID, parent ID, kind, flags
// (1 error, 2 shared), start (varint), duration, service, name, status
// message, resource, attributes (count, then key and value). A string is
// 0 (""), 1 and its bytes, or 2+k (dictionary entry k); a resource is 0
// (none), 1 and its attributes inline, or 2+k.

const (
	flagError  = 1
	flagShared = 2
)

func (c *spanCodec) encode(b []byte, s *Span, seq, src uint64) []byte {
	b = appendInline(b, s.TraceID)
	b = binary.AppendUvarint(b, seq)
	b = binary.AppendUvarint(b, src)
	b = c.appendStr(b, s.SpanID)
	b = c.appendStr(b, s.ParentID)
	var flags byte
	if s.Error {
		flags |= flagError
	}
	if s.Shared {
		flags |= flagShared
	}
	b = append(b, byte(s.Kind), flags)
	b = binary.AppendVarint(b, s.Start)
	b = binary.AppendVarint(b, s.End-s.Start)
	b = c.appendStr(b, s.Service)
	b = c.appendStr(b, s.Name)
	b = c.appendStr(b, s.StatusMessage)
	b = c.appendResource(b, s.Resource)
	return c.appendMap(b, s.Attrs)
}

// appendInline appends a string as its length and bytes.
func appendInline(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (c *spanCodec) appendStr(b []byte, s string) []byte {
	if s == "" {
		return append(b, 0)
	}
	if k, ok := c.strs[s]; ok {
		return binary.AppendUvarint(b, k+2)
	}
	if len(s) <= dictMaxLen && c.strBytes < dictBytes {
		k := uint64(len(c.strList))
		c.strs[s] = k
		c.strList = append(c.strList, s)
		c.strBytes += len(s) + 32
		return binary.AppendUvarint(b, k+2)
	}
	b = append(b, 1)
	return appendInline(b, s)
}

func (c *spanCodec) appendMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for k, v := range m {
		b = c.appendStr(b, k)
		b = c.appendStr(b, v)
	}
	return b
}

func (c *spanCodec) appendResource(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, 0)
	}
	if c.last != nil && reflect.ValueOf(m).UnsafePointer() == reflect.ValueOf(c.last).UnsafePointer() {
		return binary.AppendUvarint(b, c.lastRef)
	}
	c.keyBuf.Reset()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		c.keyBuf.WriteString(k)
		c.keyBuf.WriteByte(0)
		c.keyBuf.WriteString(m[k])
		c.keyBuf.WriteByte(0)
	}
	key := c.keyBuf.String()
	k, ok := c.res[key]
	if !ok {
		if len(c.resList) >= dictResources || c.strBytes >= dictBytes {
			return c.appendMap(append(b, 1), m)
		}
		k = uint64(len(c.resList))
		c.res[key] = k
		c.resList = append(c.resList, m)
		c.strBytes += len(key) + 64
	}
	c.last, c.lastRef = m, k+2
	return binary.AppendUvarint(b, k+2)
}

// recordTraceID returns the trace ID of a record.
func recordTraceID(rec []byte) (string, []byte) {
	n, k := binary.Uvarint(rec)
	if k <= 0 || k+int(n) > len(rec) {
		return "", nil
	}
	return string(rec[k : k+int(n)]), rec[k+int(n):]
}

var errCorrupt = errors.New("grouping traces: a spilled record is corrupt")

// decoder reads one record.
type decoder struct {
	c   *spanCodec
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	v, k := binary.Uvarint(d.b)
	return d.consumed(k, v)
}

func (d *decoder) varint() int64 {
	v, k := binary.Varint(d.b)
	return int64(d.consumed(k, uint64(v)))
}

// consumed skips the k bytes a varint took and returns its value v, or
// marks the record bad (k ≤ 0: truncated or overlong) and returns 0.
func (d *decoder) consumed(k int, v uint64) uint64 {
	if k <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) inline() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) str() string {
	switch k := d.uvarint(); {
	case k == 0:
		return ""
	case k == 1:
		return d.inline()
	case k-2 < uint64(len(d.c.strList)):
		return d.c.strList[k-2]
	}
	d.bad = true
	return ""
}

func (d *decoder) attrs() map[string]string {
	n := d.uvarint()
	if n == 0 || n > uint64(len(d.b)) {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := d.str()
		m[k] = d.str()
	}
	return m
}

func (d *decoder) resource() map[string]string {
	switch k := d.uvarint(); {
	case k == 0:
		return nil
	case k == 1:
		return d.attrs()
	case k-2 < uint64(len(d.c.resList)):
		return d.c.resList[k-2]
	}
	d.bad = true
	return nil
}

// decode returns the span of a record with its arrival number and
// source.
func (c *spanCodec) decode(rec []byte) (Span, uint64, uint64, error) {
	d := &decoder{c: c, b: rec}
	var s Span
	s.TraceID = d.inline()
	seq, src := d.uvarint(), d.uvarint()
	s.SpanID, s.ParentID = d.str(), d.str()
	s.Kind = Kind(d.byte())
	flags := d.byte()
	s.Error, s.Shared = flags&flagError != 0, flags&flagShared != 0
	s.Start = d.varint()
	s.End = s.Start + d.varint()
	s.Service, s.Name, s.StatusMessage = d.str(), d.str(), d.str()
	s.Resource = d.resource()
	s.Attrs = d.attrs()
	if d.bad || len(d.b) != 0 {
		return Span{}, 0, 0, errCorrupt
	}
	return s, seq, src, nil
}
