package infra

import (
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/emac-dev/emac/internal/diag"
)

// reader reads the fields of one document, checking the type of every
// field it uses and reporting mistakes at the field's position. Fields it
// does not use are not looked at: manifests carry many.
type reader struct {
	doc   *document
	diags *diag.List
}

func (r *reader) errorf(n *yaml.Node, format string, args ...any) {
	r.diags.Errorf(r.doc.pos(n), format, args...)
}

func (r *reader) warnf(n *yaml.Node, format string, args ...any) {
	r.diags.Warnf(r.doc.pos(n), format, args...)
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// get returns the value of key in mapping m, or nil. Merge keys ("<<") are
// not expanded.
func get(m *yaml.Node, key string) *yaml.Node {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := resolve(m.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
			if v := resolve(m.Content[i+1]); !isNull(v) {
				return v
			}
			return nil
		}
	}
	return nil
}

// describe names a node's type for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	}
	return strconv.Quote(n.Value)
}

// mapping returns the mapping at key of m (nil when absent), reporting a
// value of another type.
func (r *reader) mapping(m *yaml.Node, key, path string) *yaml.Node {
	v := get(m, key)
	if v == nil || v.Kind == yaml.MappingNode {
		return v
	}
	r.errorf(v, "%s: want a mapping, got %s", path, describe(v))
	return nil
}

// seq returns the items of the sequence at key of m, reporting a value of
// another type.
func (r *reader) seq(m *yaml.Node, key, path string) []*yaml.Node {
	v := get(m, key)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		r.errorf(v, "%s: want a sequence, got %s", path, describe(v))
		return nil
	}
	out := make([]*yaml.Node, 0, len(v.Content))
	for _, it := range v.Content {
		out = append(out, resolve(it))
	}
	return out
}

// str returns the string at key of m ("" when absent), reporting a value
// that is not a scalar.
func (r *reader) str(m *yaml.Node, key, path string) string {
	v := get(m, key)
	if v == nil {
		return ""
	}
	if v.Kind != yaml.ScalarNode {
		r.errorf(v, "%s: want a string, got %s", path, describe(v))
		return ""
	}
	return v.Value
}

// strings returns the strings of the sequence at key of m.
func (r *reader) strings(m *yaml.Node, key, path string) []string {
	var out []string
	for _, it := range r.seq(m, key, path) {
		if it == nil || it.Kind != yaml.ScalarNode {
			r.errorf(it, "%s: want a string, got %s", path, describe(it))
			continue
		}
		out = append(out, it.Value)
	}
	return out
}

// integer returns the integer at key of m and whether it was present and
// valid.
func (r *reader) integer(m *yaml.Node, key, path string) (int, bool) {
	v := get(m, key)
	if v == nil {
		return 0, false
	}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!int" {
		if i, err := strconv.ParseInt(v.Value, 10, 32); err == nil {
			return int(i), true
		}
	}
	r.errorf(v, "%s: want an integer, got %s", path, describe(v))
	return 0, false
}

// number returns the number at key of m and whether it was present and
// valid.
func (r *reader) number(m *yaml.Node, key, path string) (float64, bool) {
	v := get(m, key)
	if v == nil {
		return 0, false
	}
	if v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
		if f, err := strconv.ParseFloat(v.Value, 64); err == nil {
			return f, true
		}
	}
	r.errorf(v, "%s: want a number, got %s", path, describe(v))
	return 0, false
}

// labels returns the string-to-string map at key of m (nil when absent).
func (r *reader) labels(m *yaml.Node, key, path string) map[string]string {
	v := r.mapping(m, key, path)
	if v == nil {
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := resolve(v.Content[i]), resolve(v.Content[i+1])
		if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode {
			r.errorf(k, "%s: want a map of strings", path)
			continue
		}
		out[k.Value] = val.Value
	}
	return out
}
