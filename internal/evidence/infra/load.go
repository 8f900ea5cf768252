package infra

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/diag"
)

// File is one input file: its name (as shown in diagnostics and signals)
// and its contents.
type File struct {
	Name string
	Data []byte
}

// LoadFiles reads the files named by paths. A directory is read
// recursively, like `kubectl apply -R -f DIR`: its *.yaml, *.yml and *.json
// files in lexical path order. A path naming a file is read whatever its
// extension. Files reached twice are read once.
func LoadFiles(paths []string) ([]File, error) {
	var files []File
	seen := map[string]bool{}
	for _, p := range paths {
		names, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			if seen[name] {
				continue
			}
			seen[name] = true
			data, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, unwrapPathError(err))
			}
			files = append(files, File{Name: name, Data: data})
		}
	}
	return files, nil
}

// expand lists the manifest files under p (p itself when it is a file).
func expand(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, unwrapPathError(err))
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	var names []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", path, unwrapPathError(err))
		}
		if !d.IsDir() && isManifest(path) {
			names = append(names, path)
		}
		return nil
	})
	slices.Sort(names)
	return names, err
}

func isManifest(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// unwrapPathError drops the path an *fs.PathError repeats.
func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// ReadKubernetes reads Kubernetes manifests from files and directories (see
// LoadFiles) and returns the workloads and failure-domain hypotheses they
// support.
func ReadKubernetes(paths []string, opts KubeOptions) (Evidence, error) {
	files, err := LoadFiles(paths)
	if err != nil {
		return Evidence{}, err
	}
	return ParseKubernetes(files, opts)
}

// ReadMesh reads Istio configuration from files and directories (see
// LoadFiles) and returns the routes and traffic policies it declares.
func ReadMesh(paths []string) (Evidence, error) {
	files, err := LoadFiles(paths)
	if err != nil {
		return Evidence{}, err
	}
	return ParseMesh(files)
}

// Error is returned when the input has problems: every diagnostic, sorted,
// rendered one per line as file:line:col: message.
type Error struct {
	Diagnostics []diag.Diagnostic
}

// Error renders the diagnostics one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// finish turns a diagnostic list into the reader's result: an *Error when
// there are errors, otherwise the evidence with its warnings attached.
func finish(ev Evidence, diags *diag.List) (Evidence, error) {
	if diags.HasErrors() {
		return Evidence{}, &Error{Diagnostics: diags.Errors()}
	}
	for _, d := range diags.Items() {
		ev.Warnings = append(ev.Warnings, d.String())
	}
	ev.sort()
	return ev, nil
}
