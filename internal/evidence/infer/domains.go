package infer

import (
	"fmt"
	"slices"
)

// memberFraction is the smallest share of a component's server spans that
// must carry a domain's attribute for the component to be a member.
const memberFraction = 0.1

// components returns each component's evidence, sorted by name (infos
// by local number).
func (b *Builder) components(names []string, infos []*compInfo, insts []instance, traceIDs []string) []Component {
	z := zFor(b.opts.Confidence)
	out := make([]Component, len(names))
	xs := make([][]obs, len(names))
	ids := make([][]string, len(names))
	fails := make([][numEvidence]int, len(names))
	known := make([]int, len(names))
	for i := range insts {
		for _, c := range insts[i].calls {
			cp := &out[c.comp]
			d := float64(c.end-c.start) / 1e9
			switch c.st {
			case stOK:
				cp.Good++
				cp.Total++
				cp.Samples++
				xs[c.comp] = append(xs[c.comp], obs{t: d, event: true})
			case stErr:
				cp.Total++
				fails[c.comp][c.ev]++
			case stCut:
				cp.Cut++
				xs[c.comp] = append(xs[c.comp], obs{t: d})
			case stCancel:
				cp.Cancelled++
				xs[c.comp] = append(xs[c.comp], obs{t: d})
			}
			if (c.known || c.st == stErr) && (c.st == stOK || c.st == stErr) {
				known[c.comp]++
			}
			if n := len(ids[c.comp]); n == 0 || ids[c.comp][n-1] != traceIDs[insts[i].trace] {
				ids[c.comp] = append(ids[c.comp], traceIDs[insts[i].trace])
			}
		}
	}
	for i, name := range names {
		cp := &out[i]
		info := infos[i]
		cp.Name, cp.Kind = name, kindOf(info)
		cp.Service, cp.Operation = info.key.service, info.key.op
		cp.Lower, cp.Upper = wilson(cp.Good, cp.Total, z)
		cp.Evidence = evidenceText(fails[i], known[i], cp.Total)
		cp.latency(xs[i], z)
		cp.Confidence = (1 - (cp.Upper-cp.Lower)/2) * evidenceWeight(min(cp.Total, cp.Samples))
		cp.Examples = smallest(ids[i], b.opts.MaxExamples)
		cp.Telemetry = telemetryOf(info)
		for dep := range info.downstream {
			cp.Downstream = append(cp.Downstream, dep)
		}
		slices.Sort(cp.Downstream)
	}
	return out
}

// kindOf guesses a component's kind from its spans.
func kindOf(info *compInfo) string {
	switch {
	case info.db == "redis" || info.db == "memcached":
		return "cache"
	case info.db != "":
		return "database"
	case !info.server:
		return "external_dependency"
	}
	return "service"
}

// domains returns the failure-domain hypotheses: resource attributes shared
// by the server spans of two or more components, and downstream
// dependencies called by two or more.
func (b *Builder) domains(names []string, infos []*compInfo, insts []instance, comps []Component) []Domain {
	seen := make([]int, len(names))
	attr := map[string][]int{} // domain → server spans per component
	for i := range insts {
		for _, c := range insts[i].calls {
			if c.res < 0 {
				continue
			}
			seen[c.comp]++
			for _, dk := range domainKeys {
				if v := b.res[c.res][dk.key]; v != "" {
					name := dk.prefix + v
					if attr[name] == nil {
						attr[name] = make([]int, len(names))
					}
					attr[name][c.comp]++
				}
			}
		}
	}
	var out []Domain
	for name, per := range attr {
		if d, ok := attrDomain(name, per, seen, names); ok {
			out = append(out, d)
		}
	}
	out = append(out, dependencyDomains(comps, infos)...)
	slices.SortFunc(out, func(a, b Domain) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// attrDomain builds the domain of one resource attribute value: the
// components with at least memberFraction of their server spans carrying
// it. Its confidence is the members' mean share, weighted by evidence.
func attrDomain(name string, per, seen []int, names []string) (Domain, bool) {
	d := Domain{Name: name}
	share, least := 0.0, -1
	for c, n := range per {
		if n == 0 {
			continue
		}
		f := float64(n) / float64(seen[c])
		if f < memberFraction {
			continue
		}
		d.Members = append(d.Members, names[c])
		d.Signals = append(d.Signals, fmt.Sprintf("%s on %.0f%% of %d server spans of %s", attrOf(name), 100*f, seen[c], names[c]))
		share += f
		if least < 0 || n < least {
			least = n
		}
	}
	if len(d.Members) < 2 {
		return d, false
	}
	d.Confidence = share / float64(len(d.Members)) * evidenceWeight(least)
	return d, true
}

// attrOf renders a domain as its resource attribute: "node/x" →
// "k8s.node.name=x".
func attrOf(domain string) string {
	for _, dk := range domainKeys {
		if v, ok := cutPrefix(domain, dk.prefix); ok {
			return dk.key + "=" + v
		}
	}
	return domain
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

// dependencyDomains returns one domain per downstream dependency called by
// two or more components: they share its fate. Its confidence weighs the
// evidence of the least frequent caller.
func dependencyDomains(comps []Component, infos []*compInfo) []Domain {
	callers := map[string][]string{}
	least := map[string]int{}
	calls := map[string]int{}
	for i, c := range comps {
		for _, dep := range c.Downstream {
			callers[dep] = append(callers[dep], c.Name)
			n := infos[i].downstream[dep]
			calls[c.Name+"\x00"+dep] = n
			if l, ok := least[dep]; !ok || n < l {
				least[dep] = n
			}
		}
	}
	var out []Domain
	for dep, cs := range callers {
		if len(cs) < 2 {
			continue
		}
		slices.Sort(cs)
		d := Domain{Name: "dependency/" + dep, Members: cs, Confidence: evidenceWeight(least[dep])}
		for _, c := range cs {
			d.Signals = append(d.Signals, fmt.Sprintf("%s calls %s (%d calls)", c, dep, calls[c+"\x00"+dep]))
		}
		out = append(out, d)
	}
	return out
}
