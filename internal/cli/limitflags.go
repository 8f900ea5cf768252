package cli

import (
	"github.com/spf13/pflag"

	"github.com/emac-dev/emac/internal/limits"
)

// addLimitFlags registers the input limits on fs (persistent flags of the
// root command, so every command honours them).
func addLimitFlags(fs *pflag.FlagSet, l *limits.Limits) {
	d := limits.Default()
	fs.Int64Var(&l.FileBytes, limits.FlagFileBytes, d.FileBytes, "largest spec, manifest, mesh, model or samples file read, in bytes")
	fs.Int64Var(&l.TraceBytes, limits.FlagTraceBytes, d.TraceBytes, "largest trace input read, in bytes after decompression")
	fs.IntVar(&l.SpansPerTrace, limits.FlagSpansPerTrace, d.SpansPerTrace, "most spans one trace may have")
	fs.IntVar(&l.Nodes, limits.FlagNodes, d.Nodes, "most nodes (leaves and operators) in a journey's operator tree")
	fs.IntVar(&l.Depth, limits.FlagDepth, d.Depth, "deepest nesting of a journey's operator tree")
	fs.IntVar(&l.RetryAttempts, limits.FlagRetryAttempts, d.RetryAttempts, "most attempts of one Retry")
	fs.IntVar(&l.Branches, limits.FlagBranches, d.Branches, "most children of one operator (KofN n, Race, Parallel, Cond, Series)")
	fs.IntVar(&l.Samples, limits.FlagSamples, d.Samples, "most requests 'emac simulate' plays")
	fs.IntVar(&l.LeafSamples, limits.FlagLeafSamples, d.LeafSamples, "most latency samples in one component's evidence")
	fs.IntVar(&l.Components, limits.FlagComponents, d.Components, "most distinct components discover infers one journey over")
}
