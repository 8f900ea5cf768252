package spec

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/emac-dev/emac/internal/diag"
)

// Name rules. A journey's name becomes a directory under compile's output
// and part of Kubernetes object names, so it must be a DNS-1123 label.
// Component and parameter names are the expression's identifiers; domain
// names may also hold '/' and ':' ("cluster/prod-eu1", "k8s/zone"). None
// may hold path separators that climb ("..") or characters that need
// quoting in YAML keys or PromQL label values beyond the usual.
const (
	// maxNameLen bounds component, domain and parameter names.
	maxNameLen = 253
)

// journeyNameRule says what a journey name must look like.
const journeyNameRule = "a journey name becomes a directory and a Kubernetes object name, so it must be a DNS-1123 label: " +
	"at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. checkout, sign-up-v2)"

// checkJourneyName reports a journey name that is not a DNS-1123 label.
func (r *resolver) checkJourneyName(name string, pos diag.Pos) {
	if name == "" {
		return // reported as missing elsewhere
	}
	if len(validation.IsDNS1123Label(name)) > 0 {
		r.diags.Errorf(pos, "metadata.name %s is not a valid journey name: %s", quoteName(name), journeyNameRule)
	}
}

// ValidJourneyName reports whether name is a valid journey name (a
// DNS-1123 label).
func ValidJourneyName(name string) bool { return len(validation.IsDNS1123Label(name)) == 0 }

// identRule says what component and parameter names must look like.
const identRule = "names start with a letter or '_' and continue with letters, digits, '_', '.' or '-' (at most 253 characters)"

// checkIdent reports a component or parameter name that the expression
// language could not write.
func (r *resolver) checkIdent(what, name string, pos diag.Pos) {
	if !validIdent(name) {
		r.diags.Errorf(pos, "%s name %s is not valid: %s", what, quoteName(name), identRule)
	}
}

// validIdent reports whether s is an identifier of the expression
// language: [A-Za-z_][A-Za-z0-9_.-]*, at most maxNameLen bytes, with no
// ".." (so it can never climb out of a directory if used in a path).
func validIdent(s string) bool {
	if s == "" || len(s) > maxNameLen || strings.Contains(s, "..") {
		return false
	}
	for i := range len(s) {
		c := s[i]
		letter := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '.' || c == '-')) {
			return false
		}
	}
	return true
}

// domainRule says what failure-domain names must look like.
const domainRule = "failure-domain names are letters, digits, '_', '.', '-', '/' and ':' (e.g. zone/eu-1a, cluster/prod), " +
	"starting with a letter or digit, without '..' or '//', at most 253 characters"

// checkDomain reports a failure-domain name outside domainRule.
func (r *resolver) checkDomain(owner, name string, pos diag.Pos) {
	if !validDomain(name) {
		r.diags.Errorf(pos, "%s: failure domain %s is not valid: %s", owner, quoteName(name), domainRule)
	}
}

func validDomain(s string) bool {
	if s == "" || len(s) > maxNameLen || strings.Contains(s, "..") || strings.Contains(s, "//") || strings.HasSuffix(s, "/") {
		return false
	}
	for i := range len(s) {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("_.-/:", rune(c))) {
			return false
		}
	}
	return true
}

// quoteName quotes a name for a message, shortened when long so that an
// attacker's megabyte of name does not fill the terminal.
func quoteName(s string) string {
	const show = 60
	if len(s) > show {
		return fmt.Sprintf("%q… (%d bytes)", s[:show], len(s))
	}
	return fmt.Sprintf("%q", s)
}
