package prom

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/emac-dev/emac/internal/gen/yamlout"
)

// PrometheusRule is a Prometheus Operator monitoring.coreos.com/v1
// PrometheusRule holding rule groups; its spec has the schema of a rule
// file, so the groups marshal exactly as in rules.yaml.
type PrometheusRule struct {
	APIVersion string             `yaml:"apiVersion"`
	Kind       string             `yaml:"kind"`
	Metadata   ObjectMeta         `yaml:"metadata"`
	Spec       PrometheusRuleSpec `yaml:"spec"`
}

// ObjectMeta is the part of Kubernetes object metadata emac sets.
type ObjectMeta struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace,omitempty"`
	Labels    map[string]string `yaml:"labels,omitempty"`
}

// PrometheusRuleSpec is a PrometheusRule's spec.
type PrometheusRuleSpec struct {
	Groups []rulefmt.RuleGroup `yaml:"groups"`
}

// ManagedBy is the app.kubernetes.io/managed-by label of every object emac
// generates.
const ManagedBy = "emac"

// NewPrometheusRule returns the PrometheusRule of journey j named
// ObjectName(j), labelled app.kubernetes.io/managed-by: emac and
// emac.dev/journey: j, without a namespace (kubectl apply -n chooses).
func NewPrometheusRule(journey string, groups ...rulefmt.RuleGroup) PrometheusRule {
	return PrometheusRule{
		APIVersion: "monitoring.coreos.com/v1",
		Kind:       "PrometheusRule",
		Metadata: ObjectMeta{Name: ObjectName(journey), Labels: map[string]string{
			"app.kubernetes.io/managed-by": ManagedBy,
			"emac.dev/journey":             journey,
		}},
		Spec: PrometheusRuleSpec{Groups: groups},
	}
}

// ObjectName returns "emac-" + journey as a Kubernetes object name (a DNS
// subdomain): lower-cased, every character other than a-z, 0-9, '-' and
// '.' replaced by '-', trimmed to 253 characters and to an alphanumeric
// last character.
func ObjectName(journey string) string {
	var sb strings.Builder
	for _, r := range "emac-" + strings.ToLower(journey) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			sb.WriteRune(r)
		} else {
			sb.WriteByte('-')
		}
	}
	s := sb.String()
	if len(s) > 253 {
		s = s[:253]
	}
	return strings.TrimRight(s, "-.")
}

// MarshalPrometheusRule returns the object as YAML with the
// generated-code header, byte for byte the same for the same input.
func MarshalPrometheusRule(version string, pr PrometheusRule) ([]byte, error) {
	return marshal(version, pr)
}

// MarshalPrometheusRuleWith returns MarshalPrometheusRule(version, pr)
// for pr holding the groups that rules, a file Marshal wrote, holds,
// without encoding them again: they are the same YAML two spaces deeper
// (large journeys have rule files of megabytes).
func MarshalPrometheusRuleWith(version string, pr PrometheusRule, rules []byte) ([]byte, error) {
	pr.Spec.Groups = nil
	head, err := marshal(version, pr)
	if err != nil {
		return nil, err
	}
	const empty = "spec:\n  groups: []\n"
	header := []byte(yamlout.Header(version))
	if !bytes.HasSuffix(head, []byte(empty)) || !bytes.HasPrefix(rules, header) {
		return nil, fmt.Errorf("unexpected encoding of a PrometheusRule or a rule file")
	}
	var b bytes.Buffer
	b.Grow(len(head) + len(rules) + len(rules)/8)
	b.Write(head[:len(head)-len(empty)])
	b.WriteString("spec:\n")
	for line := range bytes.SplitAfterSeq(rules[len(header):], []byte("\n")) {
		if len(line) > 0 && line[0] != '\n' {
			b.WriteString("  ")
		}
		b.Write(line)
	}
	return b.Bytes(), nil
}
