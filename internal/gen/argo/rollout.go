package argo

import "fmt"

// Rollouts returns, for every component of in, the canary steps of its
// Rollout: each weight of in.Weights followed by an analysis with the
// gate, given the component and the canary's pod-template-hash (Argo
// fills valueFrom.podTemplateHashValue: Latest with the hash of the
// ReplicaSet being rolled out).
func Rollouts(in Input) ([]Rollout, error) {
	s, err := newSettings(in)
	if err != nil {
		return nil, fmt.Errorf("journey %q: %w", in.Journey, err)
	}
	out := make([]Rollout, len(s.Components))
	for i, c := range s.Components {
		out[i] = Rollout{Component: c.Name, Spec: RolloutSpec{Strategy: Strategy{Canary: Canary{Steps: s.steps(c.Name)}}}}
	}
	return out, nil
}

func (s settings) steps(component string) []Step {
	var steps []Step
	for _, w := range s.Weights {
		steps = append(steps, Step{SetWeight: &w}, Step{Analysis: &StepAnalysis{
			Templates: []TemplateRef{{TemplateName: TemplateName(s.Journey)}},
			Args: []Arg{
				{Name: ArgComponent, Value: &component},
				{Name: ArgCanaryHash, ValueFrom: &ValueFrom{PodTemplateHashValue: "Latest"}},
			},
		}})
	}
	return steps
}
