package cli

import (
	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/gen/openslo"
	"github.com/emac-dev/emac/internal/gen/report"
	"github.com/emac-dev/emac/internal/model"
)

// generators produce every artifact of DESIGN §4 besides the report, in a
// fixed order.
var generators = []generator{genOpenSLO}

// genOpenSLO writes the journey SLO and the per-component allocations.
func genOpenSLO(j *model.Journey, _ *compute.Evaluation) (fileSet, []report.Artifact, error) {
	if j.Objective.Availability <= 0 {
		return nil, nil, nil
	}
	a, err := openslo.Allocate(j, j.Objective.Availability)
	if err != nil {
		return nil, []report.Artifact{{Path: "openslo/slos.yaml", Kind: "skipped", Implements: []string{err.Error()}}}, nil
	}
	data, err := openslo.Documents(header(), j, a)
	if err != nil {
		return nil, nil, err
	}
	art := report.Artifact{Path: "openslo/slos.yaml", Kind: "openslo",
		Implements: []string{"journey SLO on the pessimistic SLI", "per-component availability allocations keeping A− at the target"}}
	return fileSet{"openslo/slos.yaml": data}, []report.Artifact{art}, nil
}
