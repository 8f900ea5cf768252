package prom

import (
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
)

func TestRegexSample(t *testing.T) {
	for _, re := range []string{
		"2..|3..", "5..", "2xx", "[0-9]+", `\d{3}`, "(?i)ok|success", "a.*b", "^foo$", "[^a-z]+",
		"(get|post)_[a-z]{2,4}", ".+", "", "x?", `\w+\.svc`, "[[:upper:]]", "(?:)",
	} {
		s, ok := regexSample(re)
		if !ok {
			t.Errorf("%q: no sample", re)
			continue
		}
		if m := labels.MustNewMatcher(labels.MatchRegexp, "l", re); !m.Matches(s) {
			t.Errorf("%q: sample %q does not match", re, s)
		}
	}
	if s, ok := regexSample("2..|3.."); !ok || s != "2xx" {
		t.Errorf(`"2..|3..": sample %q, want "2xx"`, s)
	}
}

func TestLeafCounters(t *testing.T) {
	for _, c := range []struct {
		good, total string
		want        counters
	}{
		{ // the reference artifact: good narrows total by a regex
			`sum(increase(http_requests_total{service="front",code=~"2..|3.."}[30d]))`,
			`sum(increase(http_requests_total{service="front"}[30d]))`,
			counters{`http_requests_total{code="2xx", service="front"}`, `http_requests_total{code="emac", service="front"}`, true},
		},
		{ // examples/checkout: a negative regex
			`sum(rate(http_requests_total{service="catalog",code!~"5.."}[30d]))`,
			`sum(rate(http_requests_total{service="catalog"}[30d]))`,
			counters{`http_requests_total{code="emac", service="catalog"}`, `http_requests_total{code="5xx", service="catalog"}`, true},
		},
		{ // negative equality
			`sum(rate(q_total{q="p",result!="error"}[5m]))`, `sum(rate(q_total{q="p"}[5m]))`,
			counters{`q_total{q="p", result="emac"}`, `q_total{q="p", result="error"}`, true},
		},
		{ // equality on the good side
			`sum(rate(p_total{provider="paya",result="success"}[5m]))`, `sum(rate(p_total{provider="paya"}[5m]))`,
			counters{`p_total{provider="paya", result="success"}`, `p_total{provider="paya", result="emac"}`, true},
		},
		{ // distinct metrics: the existing behaviour
			`sum(rate(good_total{c="a"}[5m]))`, `sum(rate(requests_total{c="a"}[5m]))`,
			counters{`good_total{c="a"}`, `requests_total{c="a"}`, false},
		},
		{ // total narrower than good: only disjoint series work
			`sum(rate(r_total{code=~"2..|3.."}[5m]))`, `sum(rate(r_total{code=~"2..|5.."}[5m]))`,
			counters{`r_total{code="2xx"}`, `r_total{code="5xx"}`, true},
		},
	} {
		l := Leaf{Name: "c", GoodQuery: c.good, TotalQuery: c.total}
		got, err := leafCounters(l, nil)
		if err != nil {
			t.Errorf("%s / %s: %v", c.good, c.total, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s / %s:\ngot  %+v\nwant %+v", c.good, c.total, got, c.want)
		}
	}
}

func TestLeafCountersErrors(t *testing.T) {
	for _, c := range []struct{ good, total, want string }{
		{`sum(rate(r_total{code=~".*"}[5m]))`, `sum(rate(r_total[5m]))`, "cannot synthesise a bad series"},
		{`sum(rate(r_total{code=~"a"}[5m])) / sum(rate(s_total[5m]))`, `sum(rate(r_total[5m]))`, "want one series selector"},
		{`sum(rate(r_total{code=~"a",code="b"}[5m]))`, `sum(rate(r_total[5m]))`, "cannot synthesise a good series"},
	} {
		_, err := leafCounters(Leaf{Name: "c", GoodQuery: c.good, TotalQuery: c.total}, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s / %s: error %v, want %q", c.good, c.total, err, c.want)
		}
	}
	// Another component's query must not select the series.
	a := Leaf{Name: "a", GoodQuery: `sum(rate(r_total{code="200"}[5m]))`, TotalQuery: `sum(rate(r_total[5m]))`}
	b := Leaf{Name: "b", GoodQuery: `sum(rate(r_total{code="200"}[5m]))`, TotalQuery: `sum(rate(r_total[5m]))`}
	if _, err := leafCounters(a, []Leaf{a, b}); err == nil {
		t.Error("two components with the same queries: no error")
	}
}
