// Package spec reads emac's YAML inputs: it splits files into documents,
// routes each by apiVersion/kind, decodes them strictly with positions into
// the api/v1alpha1 types, and maps JourneyIntents (with the OpenSLO SLOs and
// discovered models they reference) onto the internal model. Every problem is
// reported as a positioned diagnostic; nothing stops at the first error.
//
// The package does no I/O: callers pass file contents in.
package spec

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/emac-dev/emac/api/v1alpha1"
	"github.com/emac-dev/emac/internal/diag"
)

// File is one input file: its name (as shown in diagnostics) and contents.
type File struct {
	Name string
	Data []byte
}

// Bundle is every document read, by kind. Documents of unrelated kinds are
// dropped.
type Bundle struct {
	Intents     []*v1alpha1.JourneyIntent
	Discovered  []*v1alpha1.DiscoveredJourneyModel
	SLOs        []*v1alpha1.SLO
	SLIs        []*v1alpha1.SLIDoc
	DataSources []*v1alpha1.DataSource
	// Ignored counts documents of kinds emac does not consume.
	Ignored int
	// malformed marks intents whose decoding reported errors; checks for
	// missing required fields are skipped for them to avoid cascades.
	malformed map[*v1alpha1.JourneyIntent]bool
}

// emacKindsIgnored are emac kinds produced by emac itself that evaluation
// does not read.
var emacKindsIgnored = map[string]bool{
	"DerivationReport": true, "ModelDelta": true, "AcceptedJourneyModel": true,
}

// Parse decodes every document of every file into b, adding diagnostics to
// diags.
func (b *Bundle) Parse(files []File, diags *diag.List) {
	for _, f := range files {
		b.parseFile(f, diags)
	}
}

func (b *Bundle) parseFile(f File, diags *diag.List) {
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			diags.Errorf(yamlErrorPos(f.Name, err), "%s", yamlErrorMessage(err))
			return
		}
		if len(doc.Content) == 0 {
			continue
		}
		b.route(f.Name, doc.Content[0], diags)
	}
}

// header is the part of every document used for routing.
type header struct {
	apiVersion, kind string
}

func readHeader(n *yaml.Node) header {
	var h header
	if n.Kind != yaml.MappingNode {
		return h
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "apiVersion":
			h.apiVersion = n.Content[i+1].Value
		case "kind":
			h.kind = n.Content[i+1].Value
		}
	}
	return h
}

func (b *Bundle) route(file string, n *yaml.Node, diags *diag.List) {
	d := &decoder{file: file, diags: diags}
	h := readHeader(n)
	switch {
	case h.apiVersion == v1alpha1.APIVersion && h.kind == v1alpha1.KindIntent:
		var x v1alpha1.JourneyIntent
		before := len(diags.Errors())
		d.decode(n, valueOf(&x), "JourneyIntent")
		b.Intents = append(b.Intents, &x)
		if len(diags.Errors()) > before {
			if b.malformed == nil {
				b.malformed = map[*v1alpha1.JourneyIntent]bool{}
			}
			b.malformed[&x] = true
		}
	case h.apiVersion == v1alpha1.APIVersion && h.kind == v1alpha1.KindDiscover:
		var x v1alpha1.DiscoveredJourneyModel
		d.decode(n, valueOf(&x), "DiscoveredJourneyModel")
		b.Discovered = append(b.Discovered, &x)
	case h.apiVersion == v1alpha1.OpenSLOv1 && h.kind == v1alpha1.KindSLO:
		var x v1alpha1.SLO
		d.decode(n, valueOf(&x), "SLO")
		b.SLOs = append(b.SLOs, &x)
	case h.apiVersion == v1alpha1.OpenSLOv1 && h.kind == v1alpha1.KindSLI:
		var x v1alpha1.SLIDoc
		d.decode(n, valueOf(&x), "SLI")
		b.SLIs = append(b.SLIs, &x)
	case h.apiVersion == v1alpha1.OpenSLOv1 && h.kind == v1alpha1.KindDataSource:
		var x v1alpha1.DataSource
		d.decode(n, valueOf(&x), "DataSource")
		b.DataSources = append(b.DataSources, &x)
	case h.apiVersion == v1alpha1.APIVersion && !emacKindsIgnored[h.kind]:
		diags.Errorf(d.pos(n), "unknown kind %q for apiVersion %s (want %s or %s)",
			h.kind, v1alpha1.APIVersion, v1alpha1.KindIntent, v1alpha1.KindDiscover)
	default:
		b.Ignored++
	}
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlErrorPos extracts the line from a yaml.v3 syntax error.
func yamlErrorPos(file string, err error) diag.Pos {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		// yaml.v3 prints parser errors (unlike scanner errors) with a
		// 0-based line.
		if strings.Contains(err.Error(), "did not find expected") {
			line++
		}
		return diag.Pos{File: file, Line: line, Col: 1}
	}
	return diag.Pos{File: file}
}

func yamlErrorMessage(err error) string {
	msg := yamlLineRE.ReplaceAllString(err.Error(), "")
	return "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")
}
