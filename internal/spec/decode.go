package spec

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/emac-dev/emac/internal/diag"
)

// NodeUnmarshaler is implemented by api types that decode themselves from a
// YAML node (numbers-or-strings, numbers-or-mappings). The decoder reports a
// returned error at the node's position.
type NodeUnmarshaler interface {
	UnmarshalYAML(n *yaml.Node) error
}

var (
	posType      = reflect.TypeFor[diag.Pos]()
	yamlNodeType = reflect.TypeFor[yaml.Node]()
	unmarshalerT = reflect.TypeFor[NodeUnmarshaler]()
)

// decoder decodes yaml.Node trees into api structs strictly: unknown and
// duplicate keys are errors, every error carries file:line:col, and decoding
// continues after an error so that all problems are reported in one run. A
// struct field `Pos diag.Pos` (tag `yaml:"-"`) receives the node's position.
type decoder struct {
	file  string
	diags *diag.List
}

func (d *decoder) pos(n *yaml.Node) diag.Pos {
	return diag.Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.diags.Errorf(d.pos(n), format, args...)
}

// decode fills v (a settable value) from n. what names the value in messages.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, what string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if v.Type() == yamlNodeType {
		v.Set(reflect.ValueOf(*n))
		return
	}
	if v.Kind() == reflect.Pointer {
		if isNull(n) {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), what)
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerT) {
		if err := v.Addr().Interface().(NodeUnmarshaler).UnmarshalYAML(n); err != nil {
			d.errorf(n, "%s: %v", what, err)
		}
		d.setPos(n, v)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, what)
	case reflect.Slice:
		d.decodeSlice(n, v, what)
	case reflect.Map:
		d.decodeMap(n, v, what)
	default:
		d.decodeScalar(n, v, what)
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func (d *decoder) setPos(n *yaml.Node, v reflect.Value) {
	if v.Kind() != reflect.Struct {
		return
	}
	if f := v.FieldByName("Pos"); f.IsValid() && f.Type() == posType && f.CanSet() {
		f.Set(reflect.ValueOf(d.pos(n)))
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, what string) {
	d.setPos(n, v)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping, not %s", what, describe(n))
		return
	}
	fields := structFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			d.errorf(key, "keys of %s must be names, not %s", what, describe(key))
			continue
		}
		if seen[key.Value] {
			d.errorf(key, "duplicate key %q in %s", key.Value, what)
			continue
		}
		seen[key.Value] = true
		idx, ok := fields[key.Value]
		if !ok {
			d.errorf(key, "unknown field %q in %s%s", key.Value, what, suggest(key.Value, fields))
			continue
		}
		d.decode(val, v.Field(idx), key.Value)
	}
}

// structFields maps YAML keys to field indexes (exported fields with a yaml
// tag other than "-").
func structFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if !f.IsExported() || tag == "-" || tag == "" {
			continue
		}
		out[tag] = i
	}
	return out
}

// suggest returns " (did you mean X?)" for a close known key, or the list of
// known keys when the set is small.
func suggest(key string, fields map[string]int) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if s := diag.DidYouMean(key, keys); s != "" {
		return s
	}
	if len(keys) <= 12 {
		return " (known fields: " + strings.Join(keys, ", ") + ")"
	}
	return ""
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, what string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list, not %s", what, describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", what, i))
	}
	v.Set(s)
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, what string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping, not %s", what, describe(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		panic("spec: map keys must be strings")
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			d.errorf(key, "keys of %s must be names, not %s", what, describe(key))
			continue
		}
		k := reflect.ValueOf(key.Value).Convert(v.Type().Key())
		if m.MapIndex(k).IsValid() {
			d.errorf(key, "duplicate key %q in %s", key.Value, what)
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, what+"."+key.Value)
		m.SetMapIndex(k, elem)
	}
	v.Set(m)
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, what string) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be a %s, not %s", what, v.Kind(), describe(n))
		return
	}
	switch v.Kind() {
	case reflect.String:
		if n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!bool" {
			d.errorf(n, "%s must be a string, not %s", what, describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Tag != "!!bool" || err != nil {
			d.errorf(n, "%s must be true or false, not %q", what, n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if n.Tag != "!!int" || err != nil {
			d.errorf(n, "%s must be an integer, not %q", what, n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := parseNumber(n)
		if err != nil {
			d.errorf(n, "%s must be a number, not %q", what, n.Value)
			v.SetFloat(math.NaN()) // reported: later range checks skip it
			return
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(n, "%s must be a finite number, not %q", what, n.Value)
			v.SetFloat(math.NaN())
			return
		}
		v.SetFloat(f)
	default:
		panic("spec: unsupported field kind " + v.Kind().String())
	}
}

// parseNumber reads an !!int or !!float scalar as float64.
func parseNumber(n *yaml.Node) (float64, error) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return 0, fmt.Errorf("not a number")
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		return 0, err
	}
	return f, nil
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unsupported YAML node"
}

// valueOf returns the settable value behind a pointer.
func valueOf(p any) reflect.Value { return reflect.ValueOf(p).Elem() }
