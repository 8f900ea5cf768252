package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonValue is one value of an in-memory JSON document and its offset in
// the input.
type jsonValue struct {
	raw json.RawMessage
	off int64
}

// jsonMember is one member of a JSON object.
type jsonMember struct {
	key string
	val jsonValue
}

// members returns the members of the object v in order, and false when v
// is not an object (or is malformed).
func members(v jsonValue) ([]jsonMember, bool) {
	dec := json.NewDecoder(bytes.NewReader(v.raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var out []jsonMember
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return nil, false
		}
		val, ok := nextValue(dec, v.off)
		if !ok {
			return nil, false
		}
		out = append(out, jsonMember{key, val})
	}
	return out, true
}

// items returns the elements of the array v, and false when v is not an
// array (or is malformed).
func items(v jsonValue) ([]jsonValue, bool) {
	dec := json.NewDecoder(bytes.NewReader(v.raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil, false
	}
	var out []jsonValue
	for dec.More() {
		val, ok := nextValue(dec, v.off)
		if !ok {
			return nil, false
		}
		out = append(out, val)
	}
	return out, true
}

// nextValue decodes the decoder's next value, placed relative to base.
func nextValue(dec *json.Decoder, base int64) (jsonValue, bool) {
	var m json.RawMessage
	if err := dec.Decode(&m); err != nil {
		return jsonValue{}, false
	}
	return jsonValue{raw: m, off: base + dec.InputOffset() - int64(len(m))}, true
}

// member returns the value of the first of keys present in the object v,
// or else of a key equal to it but for case (as encoding/json matches
// struct fields).
func member(v jsonValue, keys ...string) (jsonValue, bool) {
	ms, _ := members(v)
	for _, same := range []func(a, b string) bool{func(a, b string) bool { return a == b }, strings.EqualFold} {
		for _, k := range keys {
			for _, m := range ms {
				if same(m.key, k) {
					return m.val, true
				}
			}
		}
	}
	return jsonValue{}, false
}

// kindOf names the kind of a JSON value for messages: "a string", "a
// number", "an object", "an array", "a boolean" or "null".
func kindOf(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// shown renders a JSON value for a message: strings and numbers as
// written (cut short when long), other values by kind.
func shown(raw []byte) string {
	if len(raw) == 0 || (raw[0] != '"' && kindOf(raw) != "a number") {
		return kindOf(raw)
	}
	const max = 40
	if len(raw) <= max {
		return string(raw)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(raw[cut]) {
		cut--
	}
	return string(raw[:cut]) + "…"
}

// problem is what is wrong with a value of an input, and where.
type problem struct {
	off int64
	msg string
}

// wrong returns a problem at v, a value of the wrong kind: path, what
// was wanted, what kind v is.
func wrong(path string, v jsonValue, want string) *problem {
	return &problem{off: v.off, msg: fmt.Sprintf("%s: want %s, got %s", strings.TrimSpace(path), want, kindOf(v.raw))}
}

// wrongValue returns a problem at v, a value of the right kind but not
// one allowed: path, what was wanted, v itself.
func wrongValue(path string, v jsonValue, want string) *problem {
	return &problem{off: v.off, msg: fmt.Sprintf("%s: want %s, got %s", strings.TrimSpace(path), want, shown(v.raw))}
}

// unquote returns the string v holds.
func unquote(v jsonValue) (string, bool) {
	var s string
	if json.Unmarshal(v.raw, &s) != nil {
		return "", false
	}
	return s, true
}

// typeProblem turns an encoding/json type error of a value decoded from
// v (a Jaeger or Zipkin span) into a problem placed at the member it
// names, in words: "span startTime: want a number, got a string".
func typeProblem(what string, v jsonValue, err error) *problem {
	te, ok := err.(*json.UnmarshalTypeError)
	if !ok {
		return &problem{off: v.off, msg: fmt.Sprintf("%s: %v", what, err)}
	}
	p := &problem{off: v.off, msg: fmt.Sprintf("%s %s: want %s, got %s", what, te.Field, goKind(te.Type.Kind().String()), article(te.Value))}
	if te.Field == "" {
		p.msg = fmt.Sprintf("%s: want %s, got %s", what, goKind(te.Type.Kind().String()), article(te.Value))
	}
	if at, ok := member(v, firstSegment(te.Field)); ok {
		p.off = at.off
	}
	return p
}

// goKind names a Go kind as the JSON value it is decoded from.
func goKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "int", "int8", "int16", "int32", "int64":
		return "an integer"
	case "uint", "uint8", "uint16", "uint32", "uint64":
		return "an unsigned integer"
	case "float32", "float64":
		return "a number"
	}
	return k
}

// article puts an article before encoding/json's description of a value
// ("string", "number -1", "object").
func article(v string) string {
	switch {
	case v == "":
		return "a value"
	case v[0] == 'a' || v[0] == 'o':
		return "an " + v
	}
	return "a " + v
}

func firstSegment(field string) string {
	first, _, _ := strings.Cut(field, ".")
	return first
}

// isUint reports whether s is an unsigned integer of bits bits.
func isUint(s string, bits int) bool {
	_, err := strconv.ParseUint(s, 10, bits)
	return err == nil
}
