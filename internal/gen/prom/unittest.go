package prom

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/gen/promql"
)

// TestFile is a `promtool test rules` file.
type TestFile struct {
	RuleFiles          []string    `yaml:"rule_files"`
	EvaluationInterval string      `yaml:"evaluation_interval"`
	GroupEvalOrder     []string    `yaml:"group_eval_order,omitempty"`
	Tests              []TestGroup `yaml:"tests"`
}

// TestGroup is one unit test: input series and expectations.
type TestGroup struct {
	Name        string       `yaml:"name,omitempty"`
	Interval    string       `yaml:"interval"`
	InputSeries []TestSeries `yaml:"input_series"`
	ExprTests   []ExprTest   `yaml:"promql_expr_test,omitempty"`
	AlertTests  []AlertTest  `yaml:"alert_rule_test,omitempty"`
}

// TestSeries is a synthetic input series in promtool's expanding notation.
type TestSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

// ExprTest expects the samples of a PromQL expression at EvalTime.
type ExprTest struct {
	Expr       string       `yaml:"expr"`
	EvalTime   string       `yaml:"eval_time"`
	ExpSamples []TestSample `yaml:"exp_samples"`
}

// TestSample is an expected sample.
type TestSample struct {
	Labels string  `yaml:"labels"`
	Value  float64 `yaml:"value"`
}

// Scenario is a synthetic state of the leaves and the journey SLIs the
// compiler derives for it: every leaf with telemetry has the ratio
// Ratios[name], and the compiler, given those ratios as the leaves'
// availabilities (point and lower alike), finds Optimistic and
// Pessimistic.
type Scenario struct {
	Name                    string
	Ratios                  map[string]float64
	Optimistic, Pessimistic float64
}

// Tolerance is the absolute difference the tests allow between an SLI
// computed by Prometheus and the compiler's value.
const Tolerance = 1e-9

// Synthetic series run for scenarioSpan, the total counter growing by
// scenarioRate per minute.
const (
	scenarioSpan = time.Hour
	scenarioRate = 100.0
)

// UnitTests returns a promtool test group checking that the rules of in,
// read from ruleFile, reproduce sc: each leaf's good counter grows by
// ratio·100 and its total counter by 100 per minute for an hour, and at the
// end every window's leaf ratios, journey SLIs and burn rates must match
// the compiler's values within Tolerance. The series are synthesised from
// the leaves' queries, which must have one series selector each
// (leafCounters): when good narrows total, a good series grows by ratio·100
// and a bad one, which only total selects, by (1−ratio)·100.
func UnitTests(in Input, sc Scenario) (TestGroup, error) {
	b, err := newBuilder(in)
	if err != nil {
		return TestGroup{}, err
	}
	return b.unitTests(sc)
}

// Tests returns UnitTests(in, sc) followed by AlertTests(in, sc), from one
// builder.
func Tests(in Input, sc Scenario) ([]TestGroup, error) {
	b, err := newBuilder(in)
	if err != nil {
		return nil, err
	}
	u, err := b.unitTests(sc)
	if err != nil {
		return nil, err
	}
	as, err := b.alertTests(sc)
	return append([]TestGroup{u}, as...), err
}

func (b *builder) unitTests(sc Scenario) (TestGroup, error) {
	in := b.in
	ws, _, err := plan(in)
	if err != nil {
		return TestGroup{}, err
	}
	name := in.Journey.Name
	clk, err := newClock(scenarioSpan, ws)
	if err != nil {
		return TestGroup{}, err
	}
	tg := TestGroup{Name: sc.Name, Interval: clk.interval()}
	at := clk.end()
	for _, l := range b.leaves {
		a, ok := sc.Ratios[l.Name]
		if !ok {
			return TestGroup{}, fmt.Errorf("scenario has no ratio for component %q", l.Name)
		}
		cs, err := b.selectors().counters(l)
		if err != nil {
			return TestGroup{}, err
		}
		tg.InputSeries = append(tg.InputSeries, cs.values(a, clk)...)
	}
	// Where the rules compute a sound lower bound below A− (b.notes), the
	// pessimistic SLIs must equal that bound, which must not exceed A−.
	pessimistic := sc.Pessimistic
	if _, folded, err := b.fold(sc.Ratios); err != nil {
		return TestGroup{}, err
	} else if len(b.notes) > 0 {
		if folded > sc.Pessimistic+Tolerance {
			return TestGroup{}, fmt.Errorf("the rules' lower bound %.12f exceeds the compiler's A− %.12f", folded, sc.Pessimistic)
		}
		pessimistic = folded
	}
	target := in.Journey.Objective.Availability
	for _, w := range ws {
		for _, l := range b.leaves {
			t, err := near(selector(LeafRecord(w), "journey", name, "component", l.Name), sc.Ratios[l.Name], at)
			if err != nil {
				return TestGroup{}, err
			}
			tg.ExprTests = append(tg.ExprTests, t)
		}
		checks := []struct {
			record string
			want   float64
		}{
			{OptimisticRecord(w), sc.Optimistic},
			{PessimisticRecord(w), pessimistic},
		}
		if target > 0 && target < 1 {
			checks = append(checks, struct {
				record string
				want   float64
			}{BurnRecord(w), (1 - pessimistic) / (1 - target)})
		}
		for _, c := range checks {
			t, err := near(selector(c.record, "journey", name), c.want, at)
			if err != nil {
				return TestGroup{}, err
			}
			tg.ExprTests = append(tg.ExprTests, t)
		}
	}
	return tg, nil
}

// TestEvaluationInterval is the rule evaluation interval of the test
// files: promtool evaluates every group at every step of it, whatever the
// group's own interval, so it is TileWindow, the long-window group's
// interval, which the tiles' exactness rests on (tile.go); every eval_time
// is a multiple of it.
var TestEvaluationInterval = model.Duration(TileWindow).String()

// TestRules returns a test file running groups against ruleFile, holding
// journey's rules: the long-window group is evaluated before the main one
// at every step, as the main group's alerts read it.
func TestRules(ruleFile, journey string, groups ...TestGroup) TestFile {
	return TestFile{RuleFiles: []string{ruleFile}, EvaluationInterval: TestEvaluationInterval,
		GroupEvalOrder: EvalOrder(journey), Tests: groups}
}

// MarshalTests returns the test file as YAML with the generated-code
// header.
func MarshalTests(version string, f TestFile) ([]byte, error) { return marshal(version, f) }

// near returns a test that `abs(sel − want) < bool Tolerance` is 1: one
// sample, with sel's labels, at time at.
func near(sel *parser.VectorSelector, want float64, at string) (ExprTest, error) {
	e := promql.Binary(parser.LSS, promql.Call("abs", promql.Binary(parser.SUB, sel, promql.Num(want))), promql.Num(Tolerance))
	e.ReturnBool = true
	s, err := promql.Reparse(e)
	if err != nil {
		return ExprTest{}, err
	}
	var ls []labels.Label
	for _, m := range sel.LabelMatchers {
		if m.Name != labels.MetricName {
			ls = append(ls, labels.Label{Name: m.Name, Value: m.Value})
		}
	}
	return ExprTest{Expr: s, EvalTime: at,
		ExpSamples: []TestSample{{Labels: labels.New(ls...).String(), Value: 1}}}, nil
}
