package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/emac-dev/emac/api/v1alpha1"
	"github.com/emac-dev/emac/internal/evidence/delta"
	"github.com/emac-dev/emac/internal/gen/yamlout"
)

type diffFlags struct {
	model, journey, format, output string
}

func newDiffCmd(e *env) *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff PATH --model NEW",
		Short: "Compare a newly discovered model with the accepted one and predict its effect on the bounds",
		Long: `diff reads the journeys under PATH twice: once with the model they accept
(the intent's declared tree and its discoveredModelRef, if any) and once
with the DiscoveredJourneyModel NEW in its place. It lists what changed —
failure domains (members joined or left), edges (components called or no
longer called), operators around a component (e.g. a call moved into a
Race), Cond probabilities — each with the new model's confidence and its
predicted effect on the pessimistic and optimistic availability and on the
latency number automation uses.

A change is high impact when it moves A- by at least 0.001 or the latency
bound by at least 5 %. Domain changes are applied one at a time to the
accepted model; tree changes (edges, operators, probabilities, parameters)
share the effect of the whole new tree. The accepted side is what eval and
compile compute (the intent's tree with the accepted model's domains); the
proposed side uses the new model's tree when it has one.

-o FILE writes the ModelDelta (apiVersion emac.dev/v1alpha1) as YAML.
diff exits 0 whenever it produced the delta; 2 on bad input.`,
		Example: `  emac diff specs/checkout --model discovered/checkout.yaml
  emac diff specs/checkout --model new.yaml --format json
  emac diff specs/checkout --model new.yaml -o delta.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.runDiff(args[0], f)
		},
	}
	cmd.Flags().StringVar(&f.model, "model", "", "the newly discovered DiscoveredJourneyModel file (required)")
	cmd.Flags().StringVar(&f.journey, "journey", "", "compare only the journey with this name")
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text, json or yaml")
	cmd.Flags().StringVarP(&f.output, "output", "o", "", "also write the ModelDelta YAML to this file")
	return cmd
}

// modelDelta is the ModelDelta document.
type modelDelta struct {
	APIVersion string            `json:"apiVersion" yaml:"apiVersion"`
	Kind       string            `json:"kind" yaml:"kind"`
	Metadata   map[string]string `json:"metadata" yaml:"metadata"`
	Spec       *delta.Delta      `json:"spec" yaml:"spec"`
}

func (e *env) runDiff(path string, f diffFlags) error {
	if f.model == "" {
		return badInput(fmt.Errorf("diff needs --model NEW (the newly discovered model)"))
	}
	if !slices.Contains([]string{"text", "json", "yaml"}, f.format) {
		return badInput(fmt.Errorf("--format %q is not supported (want text, json or yaml)", f.format))
	}
	switch st, err := os.Stat(f.model); {
	case err != nil:
		return badInput(fmt.Errorf("--model: cannot read %s: %w", f.model, unwrapPathError(err)))
	case st.IsDir():
		return badInput(fmt.Errorf("--model %s is a directory: want a DiscoveredJourneyModel file", f.model))
	}
	base, err := e.loadJourneysExcept([]string{path}, "", f.model)
	if err != nil {
		return badInput(err)
	}
	if err := e.reportDiags(base); err != nil {
		return err
	}
	next, err := e.loadJourneys([]string{path}, f.model)
	if err != nil {
		return badInput(err)
	}
	if err := e.reportDiags(next); err != nil {
		return err
	}
	bs, err := selectJourneys(base.journeys, f.journey)
	if err != nil {
		return badInput(err)
	}
	var docs []modelDelta
	for _, b := range bs {
		var n = b
		for _, j := range next.journeys {
			if j.Name == b.Name {
				n = j
			}
		}
		if n.Discovered == nil || !samePathClean(n.Discovered.File, f.model) {
			continue
		}
		d, err := delta.Compute(b, n)
		if err != nil {
			return badInput(fmt.Errorf("journey %s: %w", b.Name, err))
		}
		docs = append(docs, modelDelta{APIVersion: v1alpha1.APIVersion, Kind: "ModelDelta",
			Metadata: map[string]string{"name": b.Name}, Spec: d})
	}
	if len(docs) == 0 {
		return badInput(fmt.Errorf("no journey under %s uses the model %s (is it a DiscoveredJourneyModel?)", path, f.model))
	}
	if f.output != "" {
		data, err := deltaYAML(docs)
		if err != nil {
			return err
		}
		if err := writeFileAtomically(f.output, data); err != nil {
			return err
		}
	}
	return printDeltas(e.stdout, docs, f.format)
}

func deltaYAML(docs []modelDelta) ([]byte, error) {
	out := make([]any, len(docs))
	for i, d := range docs {
		out[i] = d
	}
	return yamlout.Documents(header(), out...)
}

func printDeltas(w io.Writer, docs []modelDelta, format string) error {
	switch format {
	case "json":
		for i := range docs {
			sanitizeDelta(docs[i].Spec)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"deltas": docs})
	case "yaml":
		data, err := deltaYAML(docs)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	for _, d := range docs {
		fmt.Fprint(w, delta.Review(d.Spec))
	}
	return nil
}

// sanitizeDelta replaces infinite numbers, which JSON cannot carry, by
// ±1e308 (an unbounded latency).
func sanitizeDelta(d *delta.Delta) {
	fix := func(x *float64) {
		if math.IsInf(*x, 1) {
			*x = math.MaxFloat64
		} else if math.IsInf(*x, -1) {
			*x = -math.MaxFloat64
		}
	}
	fix(&d.Before.LatencySeconds)
	fix(&d.After.LatencySeconds)
	fix(&d.Effect.LatencyRelative)
	for i := range d.Changes {
		fix(&d.Changes[i].Effect.LatencyRelative)
	}
}
