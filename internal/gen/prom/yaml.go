package prom

import (
	"bytes"
	"fmt"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/emac-dev/emac/internal/gen/yamlout"
)

// Marshal returns a Prometheus rule file holding groups: the header, then
// the groups as YAML (indent 2, keys in struct order, labels sorted), byte
// for byte the same for the same input.
func Marshal(version string, groups ...rulefmt.RuleGroup) ([]byte, error) {
	return marshal(version, rulefmt.RuleGroups{Groups: groups})
}

func marshal(version string, v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(yamlout.Header(version))
	if err := yamlout.Encode(&buf, v); err != nil {
		return nil, fmt.Errorf("marshal rules: %w", err)
	}
	return buf.Bytes(), nil
}
