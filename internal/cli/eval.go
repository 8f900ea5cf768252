package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/gen/yamlout"
	"github.com/emac-dev/emac/internal/govern"
	"github.com/emac-dev/emac/internal/model"
)

// maxContributors caps the contributors listed per journey.
const maxContributors = 10

type evalFlags struct {
	journey string
	model   string
	format  string
}

func newEvalCmd(e *env) *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval PATH...",
		Short: "Derive a journey's availability bounds, decision and top contributors",
		Long: `eval reads the journeys under PATH (files or directories) and prints, per
journey: the optimistic availability A+ (every call fails independently), the
pessimistic bound A- (lower leaf evidence, worst branch probabilities, shared
fate inside failure domains), the PASS / REVIEW / FAIL decision with its
reasons, and the components and failure domains that dominate the error
budget.

budgetShare is the fraction of the pessimistic error-budget burn (1 - A-)
that would disappear if the component or domain never failed; Birnbaum is
the change of A+ between the component always failing and never failing.

eval exits 0 whenever it produced its result, whatever the verdict; 2 on bad
input (every error is printed as file:line:col with the source line).`,
		Example: `  emac eval examples/checkout
  emac eval examples/checkout --format json
  emac eval specs/ --journey checkout --model discovered.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.runEval(args, f)
		},
	}
	cmd.Flags().StringVar(&f.journey, "journey", "", "evaluate only the journey with this name")
	cmd.Flags().StringVar(&f.model, "model", "", "DiscoveredJourneyModel file to consult instead of the one the intent references")
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text, json or yaml")
	return cmd
}

func (e *env) runEval(paths []string, f evalFlags) error {
	if !slices.Contains([]string{"text", "json", "yaml"}, f.format) {
		return badInput(fmt.Errorf("--format %q is not supported (want text, json or yaml)", f.format))
	}
	l, err := e.loadJourneys(paths, f.model)
	if err != nil {
		return badInput(err)
	}
	if err := e.reportDiags(l); err != nil {
		return err
	}
	journeys, err := selectJourneys(l.journeys, f.journey)
	if err != nil {
		return badInput(err)
	}
	out := evalOutput{Journeys: []journeyResult{}}
	for _, j := range journeys {
		r, err := evaluate(j)
		if err != nil {
			return badInput(fmt.Errorf("journey %s: %w", j.Name, err))
		}
		out.Journeys = append(out.Journeys, r)
	}
	return writeEval(e.stdout, out, f.format)
}

func selectJourneys(all []*model.Journey, name string) ([]*model.Journey, error) {
	if name == "" {
		return all, nil
	}
	var names []string
	for _, j := range all {
		if j.Name == name {
			return []*model.Journey{j}, nil
		}
		names = append(names, j.Name)
	}
	return nil, fmt.Errorf("no journey named %q (have: %v)", name, names)
}

// evaluate runs the compute and governance stages for one journey.
func evaluate(j *model.Journey) (journeyResult, error) {
	ev, dec, err := judge(j)
	if err != nil {
		return journeyResult{}, err
	}
	return newJourneyResult(j, ev, dec), nil
}

// judge derives j's bounds and applies its governance policy to them.
func judge(j *model.Journey) (*compute.Evaluation, govern.Decision, error) {
	ev, err := compute.Evaluate(j)
	if err != nil {
		return nil, govern.Decision{}, err
	}
	b := govern.Bounds{Optimistic: ev.Availability.Optimistic, Pessimistic: ev.Availability.Pessimistic, Inexact: ev.Inexact}
	if l := ev.Latency; l != nil {
		b.Latency = &govern.LatencyBounds{Estimate: l.EstimateSeconds, UpperConfidence: l.UpperConfidenceSeconds, UpperBound: l.UpperBoundSeconds}
	}
	return ev, govern.Decide(j, b), nil
}

func writeEval(w io.Writer, out evalOutput, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "yaml":
		return yamlout.Encode(w, out)
	}
	return writeEvalText(w, out)
}
