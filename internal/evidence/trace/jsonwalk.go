package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonWalker walks a JSON stream with encoding/json's token API and hands
// out one element at a time as raw bytes, so that no more than one
// element is held in memory.
type jsonWalker struct {
	in  *input
	dec *json.Decoder
	g   *guard
	// base is added to the decoder's offsets (non-zero when the stream is
	// a part of the input, as a decompressed protobuf frame).
	base int64
}

// newJSONWalker returns a walker of the JSON stream r, which starts at
// offset base of the input. Long runs of white space are squeezed (see
// squeezer); in's offsets are mapped back through it.
func newJSONWalker(in *input, r io.Reader, base int64) *jsonWalker {
	sq := &squeezer{r: r}
	g := &guard{r: sq}
	in.offsetMap = func(o int64) int64 { return base + sq.inputOffset(o-base) }
	return &jsonWalker{in: in, dec: json.NewDecoder(g), g: g, base: base}
}

// guard fails a read once more than maxElement bytes have been read since
// the last mark, so that one huge element cannot exhaust memory.
type guard struct {
	r          io.Reader
	read, mark int64
}

// errTooBig is the error of a guard.
type errTooBig struct{ limit int64 }

func (e errTooBig) Error() string {
	return fmt.Sprintf("element larger than the limit of %d bytes", e.limit)
}

func (g *guard) Read(b []byte) (int, error) {
	left := maxElement - (g.read - g.mark)
	if left < 0 {
		return 0, errTooBig{maxElement}
	}
	if int64(len(b)) > left+1 {
		b = b[:left+1] // one byte over tells the next read to fail
	}
	n, err := g.r.Read(b)
	g.read += int64(n)
	return n, err
}

// offset is the input offset of the decoder's position.
func (w *jsonWalker) offset() int64 { return w.base + w.dec.InputOffset() }

// tokenOffset is the input offset of the next token: the decoder's
// position after white space (which More skips) and a separator.
func (w *jsonWalker) tokenOffset() int64 {
	w.dec.More()
	off := w.offset()
	var head [64]byte
	n, _ := io.ReadFull(w.dec.Buffered(), head[:])
	for i, c := range head[:n] {
		if c != ':' && c != ',' && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return off + int64(i)
		}
	}
	return off
}

// fail turns a decoder error into an *InputError at its position.
func (w *jsonWalker) fail(err error) error {
	off := w.offset()
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		off, err = w.syntaxPos(se)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		rest, _ := io.ReadAll(w.dec.Buffered())
		off += int64(len(rest))
		err = errors.New("unexpected end of input")
	}
	return w.in.errorAt(off, err)
}

// syntaxPos places a syntax error. The offsets of encoding/json's errors
// are absolute for token errors but count only the bytes of decoded
// values for others; so the buffered input from the decoder's position,
// which runs to the offending byte, is scanned again by a fresh decoder,
// whose offsets start there.
func (w *jsonWalker) syntaxPos(se *json.SyntaxError) (int64, error) {
	base := w.offset()
	rest, _ := io.ReadAll(w.dec.Buffered())
	var m json.RawMessage
	err := json.NewDecoder(bytes.NewReader(rest)).Decode(&m)
	var se2 *json.SyntaxError
	if errors.As(err, &se2) && se2.Offset > 0 {
		return base + se2.Offset - 1, se2
	}
	return w.base + se.Offset, se
}

// token reads the next token; io.EOF is returned as is.
func (w *jsonWalker) token() (json.Token, error) {
	t, err := w.dec.Token()
	if err != nil && err != io.EOF {
		return nil, w.fail(err)
	}
	return t, err
}

// inner reads the next token inside a value, where the end of the input
// is an error with its position.
func (w *jsonWalker) inner() (json.Token, error) {
	t, err := w.dec.Token()
	if err != nil {
		return nil, w.fail(err)
	}
	return t, nil
}

// expect reads a token that must be the delimiter d.
func (w *jsonWalker) expect(d json.Delim, what string) error {
	off := w.tokenOffset()
	t, err := w.dec.Token()
	if err != nil {
		return w.fail(err)
	}
	if t != d {
		return w.in.errorAt(off, fmt.Errorf("%s: want %q, found %s", what, d, describe(t)))
	}
	return nil
}

// key reads an object key, or returns "" at the object's end (consuming
// the closing brace).
func (w *jsonWalker) key() (string, bool, error) {
	if !w.dec.More() {
		return "", false, w.expect('}', "object")
	}
	t, err := w.dec.Token()
	if err != nil {
		return "", false, w.fail(err)
	}
	k, _ := t.(string)
	return k, true, nil
}

// raw reads the next value whole, returning it and its offset.
func (w *jsonWalker) raw() (json.RawMessage, int64, error) {
	w.g.mark = w.g.read
	var m json.RawMessage
	if err := w.dec.Decode(&m); err != nil {
		return nil, 0, w.fail(err)
	}
	return m, w.offset() - int64(len(m)), nil
}

// array calls fn with each element of an array value; null is an empty
// array.
func (w *jsonWalker) array(what string, fn func(raw json.RawMessage, off int64) error) error {
	return w.elements(what, false, func(int64) error {
		m, off, err := w.raw()
		if err != nil {
			return err
		}
		return fn(m, off)
	})
}

// each calls fn before each element of an array value, with the
// element's offset; fn must consume the element. null is an empty array.
func (w *jsonWalker) each(what string, fn func(off int64) error) error {
	return w.elements(what, true, fn)
}

// elements walks an array value for array and each; fn gets the offset
// of each element when placed is set (finding it costs a little).
func (w *jsonWalker) elements(what string, placed bool, fn func(off int64) error) error {
	off := w.tokenOffset()
	t, err := w.dec.Token()
	if err != nil {
		return w.fail(err)
	}
	if t == nil {
		return nil
	}
	if t != json.Delim('[') {
		return w.in.errorAt(off, fmt.Errorf("%s: want \"[\", found %s", what, describe(t)))
	}
	for w.dec.More() {
		var at int64
		if placed {
			at = w.tokenOffset()
		}
		if err := fn(at); err != nil {
			return err
		}
	}
	return w.expect(']', what)
}

// skipRest consumes the rest of a value whose first token t was read.
func (w *jsonWalker) skipRest(t json.Token) error {
	depth := 0
	for {
		switch t {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
		if depth == 0 {
			return nil
		}
		var err error
		if t, err = w.dec.Token(); err != nil {
			return w.fail(err)
		}
	}
}

// object walks the members of an object whose opening brace has been
// read: fn handles the keys it wants (returning true) and the others are
// skipped.
func (w *jsonWalker) object(fn func(key string) (bool, error)) error {
	for {
		k, ok, err := w.key()
		if err != nil || !ok {
			return err
		}
		handled, err := fn(k)
		if err != nil {
			return err
		}
		if !handled {
			if _, _, err := w.raw(); err != nil {
				return err
			}
		}
	}
}

// values calls fn for each top-level value of the stream (a single
// document or JSON Lines), after reading its first token.
func (w *jsonWalker) values(fn func(first json.Token, off int64) error) error {
	for {
		off := w.tokenOffset()
		t, err := w.token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(t, off); err != nil {
			return err
		}
	}
}

func describe(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return fmt.Sprintf("string %q", v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", t)
}
