package trace

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"
)

// readOTLPProto reads OTLP protobuf: one TracesData (or
// ExportTraceServiceRequest) message, recognised by its first byte 0x0A
// (field 1, length-delimited), or else the file exporter's sequence of
// messages each prefixed by a 4-byte big-endian length, each possibly
// zstd-compressed. The messages are read one resourceSpans field at a
// time.
func readOTLPProto(in *input, br *bufio.Reader) error {
	p := &protoReader{in: in, br: br}
	first, err := br.Peek(1)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return in.errorAt(0, err)
	}
	if first[0] == 0x0A {
		return p.fields(-1)
	}
	return p.frames()
}

// protoReader reads protobuf from a stream, tracking the offset.
type protoReader struct {
	in  *input
	br  *bufio.Reader
	off int64
	buf []byte
}

func (p *protoReader) fail(off int64, format string, args ...any) error {
	return p.in.errorAt(off, fmt.Errorf(format, args...))
}

// frames reads length-prefixed messages to the end of the input.
func (p *protoReader) frames() error {
	var prefix [4]byte
	for {
		off := p.off
		n, err := io.ReadFull(p.br, prefix[:])
		p.off += int64(n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return p.fail(off, "truncated length prefix (%d of 4 bytes); not an OTLP protobuf file?", n)
		}
		size := int64(binary.BigEndian.Uint32(prefix[:]))
		head, _ := p.br.Peek(4)
		if len(head) == 4 && bytes.Equal(head, zstdMagic) {
			err = p.compressedFrame(off, size)
		} else {
			err = p.fields(size)
		}
		if err != nil {
			return err
		}
	}
}

// compressedFrame reads a zstd-compressed message (the file exporter's
// legacy compression) and reads it as a part of its own, named after the
// frame's offset.
func (p *protoReader) compressedFrame(off, size int64) error {
	data, err := p.read(size, off)
	if err != nil {
		return err
	}
	plain, err := p.inflate(data, off)
	if err != nil {
		return err
	}
	part := *p.in
	part.name = fmt.Sprintf("%s (zstd frame at byte offset %d)", p.in.name, off)
	part.reopen = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(plain)), nil }
	part.pending = nil
	format := FormatOTLPProto
	if Detect(plain) == FormatOTLP {
		format = FormatOTLP
	}
	br := bufio.NewReader(bytes.NewReader(plain))
	if format == FormatOTLPProto {
		part.lineCol = false
		err = (&protoReader{in: &part, br: br}).fields(-1)
	} else {
		err = part.readFormat(br, format)
	}
	part.flushWarnings()
	return err
}

// inflate decompresses a zstd frame of the input at off. Its decoded
// size counts against the input's bound (in place of its compressed
// size, counted as it was read).
func (p *protoReader) inflate(data []byte, off int64) ([]byte, error) {
	size := int64(len(data))
	bound := min(p.in.left()+size, maxElement)
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(bound)))
	if err != nil {
		return nil, p.fail(off, "zstd: %v", err)
	}
	defer dec.Close()
	plain, err := dec.DecodeAll(data, nil)
	if (errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded)) && bound < maxElement {
		return nil, p.in.spend(bound + 1)
	}
	if err != nil {
		return nil, p.fail(off, "zstd frame: %v", err)
	}
	return plain, p.in.spend(int64(len(plain)) - size)
}

// fields reads the fields of a TracesData message of size bytes (-1: to
// the end of input), decoding each resourceSpans field.
func (p *protoReader) fields(size int64) error {
	end := p.off + size
	for size < 0 || p.off < end {
		off := p.off
		tag, err := p.uvarint()
		if err == io.EOF && size < 0 {
			return nil
		}
		if err != nil {
			return p.fail(off, "bad field tag: %v", err)
		}
		num, typ := protowire.Number(tag>>3), protowire.Type(tag&7)
		if err := p.field(off, num, typ); err != nil {
			return err
		}
		if size >= 0 && p.off > end {
			return p.fail(off, "field runs past the end of its message (at byte offset %d)", end)
		}
	}
	return nil
}

func (p *protoReader) field(off int64, num protowire.Number, typ protowire.Type) error {
	switch typ {
	case protowire.VarintType:
		_, err := p.uvarint()
		return p.check(err, off)
	case protowire.Fixed64Type:
		return p.skip(8, off)
	case protowire.Fixed32Type:
		return p.skip(4, off)
	case protowire.BytesType:
		n, err := p.uvarint()
		if err != nil {
			return p.check(err, off)
		}
		if n > 1<<40 {
			return p.fail(off, "field %d has an impossible length %d; not an OTLP protobuf file?", num, n)
		}
		if num != 1 {
			return p.skip(int64(n), off)
		}
		payload, err := p.read(int64(n), off)
		if err != nil {
			return err
		}
		return protoElement(p.in, payload, off)
	}
	return p.fail(off, "field %d has unsupported wire type %d; not an OTLP protobuf file?", num, typ)
}

func (p *protoReader) check(err error, off int64) error {
	if err == nil {
		return nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return p.fail(off, "%v", err)
}

func (p *protoReader) uvarint() (uint64, error) {
	var x uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		b, err := p.br.ReadByte()
		if err != nil {
			if i > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		p.off++
		x |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return x, nil
		}
	}
	return 0, errors.New("varint overflows 64 bits")
}

func (p *protoReader) skip(n int64, off int64) error {
	m, err := p.br.Discard(int(n))
	p.off += int64(m)
	if int64(m) < n {
		return p.fail(off, "truncated field: %d of %d bytes", m, n)
	}
	return p.check(err, off)
}

// read reads n bytes into a buffer reused between calls, growing it as
// the bytes arrive (so that a corrupt length does not allocate).
func (p *protoReader) read(n int64, off int64) ([]byte, error) {
	if n > maxElement {
		return nil, p.fail(off, "element of %d bytes is larger than the limit of %d bytes", n, maxElement)
	}
	buf := p.buf[:0]
	for int64(len(buf)) < n {
		chunk := int(min(n-int64(len(buf)), 1<<20))
		buf = slices.Grow(buf, chunk)
		m, err := io.ReadFull(p.br, buf[len(buf):len(buf)+chunk])
		buf = buf[:len(buf)+m]
		p.off += int64(m)
		if err != nil {
			return nil, p.fail(off, "truncated field: %d of %d bytes", len(buf), n)
		}
	}
	p.buf = buf
	return buf, nil
}

// protoElement decodes one resourceSpans field (payload is the
// ResourceSpans message) with pdata. If pdata rejects it, the element is
// split into single spans so that only the bad ones are skipped.
func protoElement(in *input, payload []byte, off int64) error {
	var u ptrace.ProtoUnmarshaler
	msg := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), payload)
	td, err := u.UnmarshalTraces(msg)
	if err == nil {
		return emitTraces(in, td, at(off))
	}
	resource, scopes, serr := splitResourceSpans(payload)
	if serr != nil || len(scopes) == 0 {
		in.skip(off, fmt.Sprintf("resourceSpans element skipped: %v", err))
		return nil
	}
	for _, sc := range scopes {
		for i, sp := range sc.spans {
			one := singleSpanMessage(resource, sc.scope, sp)
			td, err := u.UnmarshalTraces(one)
			if err != nil {
				in.skip(off, fmt.Sprintf("span %d of a scopeSpans skipped: %v", i, err))
				continue
			}
			if err := emitTraces(in, td, at(off)); err != nil {
				return err
			}
		}
	}
	return nil
}

type rawScope struct {
	scope []byte
	spans [][]byte
}

// splitResourceSpans splits a ResourceSpans message into its resource
// (field 1) and its scopeSpans (field 2: scope 1, spans 2).
func splitResourceSpans(b []byte) (resource []byte, scopes []rawScope, err error) {
	err = eachField(b, func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			resource = v
		case 2:
			var sc rawScope
			if err := eachField(v, func(num protowire.Number, v []byte) error {
				switch num {
				case 1:
					sc.scope = v
				case 2:
					sc.spans = append(sc.spans, v)
				}
				return nil
			}); err != nil {
				return err
			}
			scopes = append(scopes, sc)
		}
		return nil
	})
	return resource, scopes, err
}

// eachField calls fn with the length-delimited fields of a message.
func eachField(b []byte, fn func(protowire.Number, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return protowire.ParseError(m)
			}
			if err := fn(num, v); err != nil {
				return err
			}
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return protowire.ParseError(m)
		}
		b = b[m:]
	}
	return nil
}

// singleSpanMessage builds a TracesData holding one span with its
// resource and scope.
func singleSpanMessage(resource, scope, span []byte) []byte {
	var ss, rs []byte
	if scope != nil {
		ss = protowire.AppendBytes(protowire.AppendTag(ss, 1, protowire.BytesType), scope)
	}
	ss = protowire.AppendBytes(protowire.AppendTag(ss, 2, protowire.BytesType), span)
	if resource != nil {
		rs = protowire.AppendBytes(protowire.AppendTag(rs, 1, protowire.BytesType), resource)
	}
	rs = protowire.AppendBytes(protowire.AppendTag(rs, 2, protowire.BytesType), ss)
	return protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), rs)
}
