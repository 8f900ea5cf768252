package argo

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/emac-dev/emac/internal/gen/yamlout"
)

// MarshalTemplate returns the AnalysisTemplate file: the header, then t
// as YAML (indent 2, keys in struct order, map keys sorted), byte for
// byte the same for the same input.
func MarshalTemplate(version string, t AnalysisTemplate) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(yamlout.Header(version))
	if err := encode(&buf, t); err != nil {
		return nil, fmt.Errorf("marshal analysis template: %w", err)
	}
	return buf.Bytes(), nil
}

// MarshalRollouts returns the rollout snippet file: the header, then one
// YAML document per Rollout excerpt, each introduced by a comment naming
// its component.
func MarshalRollouts(version string, rs []Rollout) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(yamlout.Header(version))
	buf.WriteString("# Canary steps gated by the journey's AnalysisTemplate, one document per\n" +
		"# component: merge the one of the component a Rollout deploys into its spec.\n" +
		"# The gate selects the canary's series by the pod-template-hash label.\n")
	for _, r := range rs {
		buf.WriteString("---\n# component " + strconv.Quote(r.Component) + "\n")
		if err := encode(&buf, r); err != nil {
			return nil, fmt.Errorf("marshal rollout of component %q: %w", r.Component, err)
		}
	}
	return buf.Bytes(), nil
}

func encode(buf *bytes.Buffer, v any) error { return yamlout.Encode(buf, v) }
