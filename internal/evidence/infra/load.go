package infra

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/limits"
)

// File is one input file: its name (as shown in diagnostics and signals)
// and its contents.
type File struct {
	Name string
	Data []byte
}

// LoadFiles reads the files named by paths. A directory is read
// recursively, like `kubectl apply -R -f DIR`: its *.yaml, *.yml and *.json
// regular files (symbolic links to them included; pipes, sockets and
// devices left out) in lexical path order. A path naming a file is read
// whatever its extension and kind. Files reached twice are read once.
// Each file is read up to maxBytes bytes (0: limits.Default().FileBytes);
// a longer one, or an endless one such as /dev/zero, fails with a
// *limits.Error naming limits.FlagFileBytes.
func LoadFiles(paths []string, maxBytes int64) ([]File, error) {
	if maxBytes <= 0 {
		maxBytes = limits.Default().FileBytes
	}
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
			f, err := os.Open(name)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, unwrapPathError(err))
			}
			file, err := readFile(f, name, maxBytes)
			f.Close()
			if err != nil {
				return nil, err
			}
			files = append(files, file)
		}
	}
	return files, nil
}

// readFile reads one input named name, up to maxBytes bytes.
func readFile(r io.Reader, name string, maxBytes int64) (File, error) {
	data, err := limits.ReadAll(r, maxBytes, "file "+name, limits.FlagFileBytes)
	if err != nil {
		if limits.IsLimit(err) {
			return File{}, err
		}
		return File{}, fmt.Errorf("%s: %w", name, unwrapPathError(err))
	}
	return File{Name: name, Data: data}, nil
}

// expand lists the manifest files under p (p itself when it is not a
// directory).
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
		if !d.IsDir() && isManifest(path) && isRegular(path, d) {
			names = append(names, path)
		}
		return nil
	})
	slices.Sort(names)
	return names, err
}

// isRegular reports whether the directory entry at path is a regular
// file or a symbolic link to one: reading a named pipe would wait for a
// writer, and a device may never end.
func isRegular(path string, d fs.DirEntry) bool {
	if d.Type().IsRegular() {
		return true
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return false
	}
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
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
// LoadFiles, bounded by opts.MaxFileBytes) and returns the workloads and
// failure-domain hypotheses they support.
func ReadKubernetes(paths []string, opts KubeOptions) (Evidence, error) {
	files, err := LoadFiles(paths, opts.MaxFileBytes)
	if err != nil {
		return Evidence{}, err
	}
	return ParseKubernetes(files, opts)
}

// MeshOptions configure ReadMesh.
type MeshOptions struct {
	// MaxFileBytes bounds each file read (see LoadFiles); 0 means
	// limits.Default().FileBytes.
	MaxFileBytes int64
}

// ReadMesh reads Istio configuration from files and directories (see
// LoadFiles) and returns the routes and traffic policies it declares.
func ReadMesh(paths []string, opts MeshOptions) (Evidence, error) {
	files, err := LoadFiles(paths, opts.MaxFileBytes)
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
