package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/limits"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/spec"
)

// loaded is the result of reading and resolving the inputs.
type loaded struct {
	journeys []*model.Journey
	diags    *diag.List
	sources  map[string][]byte
	lim      limits.Limits
	refs     refRoots
}

// readFile reads one input file under the file-size limit.
func (l *loaded) readFile(name string) ([]byte, error) {
	return limits.ReadFile(name, l.lim.FileBytes, limits.FlagFileBytes)
}

// loadJourneys reads every path (file or directory, recursively), the
// discovered models they reference and the optional --model file, and maps
// the journeys onto the model. Diagnostics (errors and warnings) are
// returned in l.diags; an error return means the inputs could not be read.
// Every file is read under e.limits.
func (e *env) loadJourneys(paths []string, modelFile string) (*loaded, error) {
	return e.loadJourneysExcept(paths, modelFile, "")
}

// loadJourneysExcept is loadJourneys leaving the file except out of the
// inputs (diff's proposed model when it lies under PATH: it must not be
// taken for the accepted one).
func (e *env) loadJourneysExcept(paths []string, modelFile, except string) (*loaded, error) {
	l := &loaded{diags: &diag.List{}, sources: map[string][]byte{}, lim: e.limits.Or()}
	l.refs = newRefRoots(paths, modelFile)
	var files []spec.File
	for _, p := range paths {
		fs, err := l.readPath(p)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if except == "" || filepath.Clean(f.Name) != filepath.Clean(except) {
				files = append(files, f)
			}
		}
	}
	if modelFile != "" {
		modelFile = filepath.Clean(modelFile)
		fs, err := l.readPath(modelFile)
		if err != nil {
			return nil, fmt.Errorf("--model: %w", err)
		}
		files = append(files, fs...)
	}
	files = dedupFiles(files)
	b := &spec.Bundle{}
	b.Parse(files, l.diags)
	l.addSources(files)
	if err := checkModelFile(b, modelFile, l.diags); err != nil {
		return nil, err
	}
	extra := l.readReferencedModels(b)
	b.Parse(extra, l.diags)
	l.addSources(extra)
	if len(b.Intents) == 0 && !l.diags.HasErrors() {
		return nil, fmt.Errorf("no JourneyIntent (apiVersion emac.dev/v1alpha1) found in %s", strings.Join(paths, ", "))
	}
	l.journeys = b.Resolve(l.sources, spec.Options{Model: modelFile, ReadFile: l.readRef, Limits: l.lim}, l.diags)
	return l, nil
}

// checkModelFile refuses a --model file that holds no
// DiscoveredJourneyModel (it would otherwise be ignored without a word).
func checkModelFile(b *spec.Bundle, modelFile string, diags *diag.List) error {
	if modelFile == "" || diags.HasErrors() {
		return nil
	}
	for _, m := range b.Discovered {
		if samePathClean(m.Pos.File, modelFile) {
			return nil
		}
	}
	return fmt.Errorf("--model %s holds no DiscoveredJourneyModel (apiVersion emac.dev/v1alpha1)", modelFile)
}

func (l *loaded) addSources(files []spec.File) {
	for _, f := range files {
		l.sources[f.Name] = f.Data
	}
}

// readReferencedModels reads discoveredModelRef files that were not among
// the inputs.
func (l *loaded) readReferencedModels(b *spec.Bundle) []spec.File {
	var out []spec.File
	for _, in := range b.Intents {
		ev := in.Spec.Evidence
		if ev == nil || ev.ModelDiscovery == nil || ev.ModelDiscovery.DiscoveredModelRef == "" {
			continue
		}
		ref := filepath.Clean(spec.RefPath(filepath.ToSlash(in.Pos.File), ev.ModelDiscovery.DiscoveredModelRef))
		if _, ok := l.sources[ref]; ok || slices.ContainsFunc(out, func(f spec.File) bool { return f.Name == ref }) {
			continue
		}
		data, err := l.readRef(ref)
		if err != nil {
			l.diags.Errorf(ev.ModelDiscovery.Pos, "discoveredModelRef: %v", err)
			continue
		}
		out = append(out, spec.File{Name: ref, Data: data})
	}
	return out
}

// readPath reads a YAML file, or every *.yaml/*.yml file under a directory
// (sorted, hidden directories skipped), each under the file-size limit.
func (l *loaded) readPath(p string) ([]spec.File, error) {
	p = filepath.Clean(p)
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", p, unwrapPathError(err))
	}
	if !info.IsDir() {
		data, err := l.readFile(p)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", p, unwrapPathError(err))
		}
		return []spec.File{{Name: p, Data: data}}, nil
	}
	var out []spec.File
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		ext := strings.ToLower(filepath.Ext(path))
		if d.IsDir() || (ext != ".yaml" && ext != ".yml") {
			return nil
		}
		data, err := l.readFile(path)
		if err != nil {
			return err
		}
		out = append(out, spec.File{Name: path, Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", p, unwrapPathError(err))
	}
	return out, nil
}

func dedupFiles(files []spec.File) []spec.File {
	seen := map[string]bool{}
	var out []spec.File
	for _, f := range files {
		if !seen[f.Name] {
			seen[f.Name] = true
			out = append(out, f)
		}
	}
	return out
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// reportDiags prints warnings and errors with source context to stderr and
// returns a bad-input error when there are errors.
func (e *env) reportDiags(l *loaded) error {
	if l.diags.Len() > 0 {
		fmt.Fprint(e.stderr, l.diags.Format(l.sources))
	}
	if l.diags.HasErrors() {
		n := len(l.diags.Errors())
		return badInput(fmt.Errorf("%d error%s in the input; nothing was evaluated", n, plural(n)))
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
