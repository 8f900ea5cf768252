package spec

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/emac-dev/emac/api/v1alpha1"
	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/limits"
)

// latency builds a component's latency law from its evidence; it returns
// nil when there is none (or after reporting an error).
func (r *resolver) latency(name string, l *v1alpha1.LatencyLaw) (law.Law, string) {
	if l == nil {
		return nil, ""
	}
	n := 0
	for _, set := range []bool{l.Lognormal != nil, l.Exponential != nil, l.Histogram != nil,
		l.Samples != nil, l.SamplesFile != "", l.Quantiles != nil, l.AtomicSLORef != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		r.diags.Errorf(l.Pos, "component %q: latency needs exactly one of lognormal, exponential, histogram, samples, samplesFile, quantiles, atomicSLORef (got %d)", name, n)
		return nil, ""
	}
	lw, src, err := r.buildLaw(l)
	if err != nil {
		r.diags.Errorf(lawPos(l), "component %q: %v", name, err)
		return nil, ""
	}
	return lw, src
}

// lawPos is the position of the law that is set (for messages).
func lawPos(l *v1alpha1.LatencyLaw) diag.Pos {
	switch {
	case l.Lognormal != nil:
		return l.Lognormal.Pos
	case l.Exponential != nil:
		return l.Exponential.Pos
	case l.Histogram != nil:
		return l.Histogram.Pos
	}
	return l.Pos
}

func (r *resolver) buildLaw(l *v1alpha1.LatencyLaw) (law.Law, string, error) {
	switch {
	case l.Lognormal != nil:
		ln := l.Lognormal
		if ln.Median == nil || ln.Median.Seconds <= 0 || ln.Sigma <= 0 {
			return nil, "", fmt.Errorf("lognormal needs a positive median and a positive sigma")
		}
		return law.Lognormal{Median: ln.Median.Seconds, Sigma: ln.Sigma}, "inline lognormal", nil
	case l.Exponential != nil:
		if l.Exponential.Mean == nil || l.Exponential.Mean.Seconds <= 0 {
			return nil, "", fmt.Errorf("exponential needs a positive mean")
		}
		return law.Exponential{Mean: l.Exponential.Mean.Seconds}, "inline exponential", nil
	case l.Histogram != nil:
		h, err := law.NewHistogram(l.Histogram.Bounds, l.Histogram.Counts)
		if err != nil {
			return nil, "", fmt.Errorf("%v (%d bounds, %d counts; the last count is the +Inf bucket)", err, len(l.Histogram.Bounds), len(l.Histogram.Counts))
		}
		return h, "inline histogram", nil
	case l.Samples != nil:
		if err := r.checkSampleCount(len(l.Samples)); err != nil {
			return nil, "", err
		}
		s, err := law.NewSamples(l.Samples)
		return s, "inline samples", err
	case l.SamplesFile != "":
		return r.samplesFile(l)
	case l.Quantiles != nil:
		return r.quantilesLaw(l.Quantiles)
	}
	return r.sloLatency(l.AtomicSLORef)
}

func (r *resolver) quantilesLaw(qs map[string]*v1alpha1.Duration) (law.Law, string, error) {
	var pts []law.Point
	for _, key := range slices.Sorted(maps.Keys(qs)) {
		p, ok := parseQuantile(key)
		if !ok {
			return nil, "", fmt.Errorf("quantile key %q is not a percentile such as p50 or p99.9", key)
		}
		if qs[key] == nil {
			return nil, "", fmt.Errorf("quantile %s needs a latency", key)
		}
		pts = append(pts, law.Point{P: p, Seconds: qs[key].Seconds})
	}
	q, err := law.NewQuantiles(pts)
	return q, "inline quantiles (probit/log-time interpolation)", err
}

// samplesFile reads one number of seconds per line (blank lines and lines
// starting with # are skipped), relative to the file that names it.
func (r *resolver) samplesFile(l *v1alpha1.LatencyLaw) (law.Law, string, error) {
	if r.opts.ReadFile == nil {
		return nil, "", fmt.Errorf("samplesFile %q cannot be read here", l.SamplesFile)
	}
	path := RefPath(l.Pos.File, l.SamplesFile)
	data, err := r.opts.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("samplesFile: %v", err)
	}
	xs, err := parseSamples(data, r.opts.Limits.Or().LeafSamples)
	if err != nil {
		return nil, "", fmt.Errorf("samplesFile %s: %v", path, err)
	}
	s, err := law.NewSamples(xs)
	return s, "samples from " + path, err
}

// parseSamples reads at most limit samples. An unparsable line is
// reported by number only: the file may be one the spec should not have
// named, and its content must not reach the output.
func parseSamples(data []byte, limit int) ([]float64, error) {
	var xs []float64
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		x, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d is not a number of seconds", line)
		}
		if len(xs) == limit {
			return nil, sampleLimit(limit)
		}
		xs = append(xs, x)
	}
	return xs, sc.Err()
}

// checkSampleCount refuses more latency samples than the limit allows.
func (r *resolver) checkSampleCount(n int) error {
	if lim := r.opts.Limits.Or().LeafSamples; n > lim {
		return sampleLimit(lim)
	}
	return nil
}

func sampleLimit(lim int) error {
	return &limits.Error{What: "the latency samples", Limit: int64(lim), Unit: "samples", Flag: limits.FlagLeafSamples}
}

// sloLatency turns an OpenSLO SLO's threshold objectives ("target of calls
// within value seconds") into quantile points.
func (r *resolver) sloLatency(ref string) (law.Law, string, error) {
	name, ok := strings.CutPrefix(ref, "openslo:")
	if !ok {
		return nil, "", fmt.Errorf("latency atomicSLORef %q must look like openslo:NAME", ref)
	}
	slo, ok := r.slos[name]
	if !ok {
		return nil, "", fmt.Errorf("latency atomicSLORef names OpenSLO SLO %q, which is not among the documents read%s", name, r.closeSLO(name))
	}
	var pts []law.Point
	for _, o := range slo.Spec.Objectives {
		if (o.Op == "lte" || o.Op == "lt") && o.Value != nil && o.Target != nil {
			pts = append(pts, law.Point{P: *o.Target, Seconds: *o.Value})
		}
	}
	q, err := law.NewQuantiles(pts)
	if err != nil {
		return nil, "", fmt.Errorf("OpenSLO SLO %q: %v (threshold objectives with op lte and value in seconds)", name, err)
	}
	return q, "openslo:" + name + " threshold objectives", nil
}
