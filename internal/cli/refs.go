package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// refRoots are the directories under which a spec may name other files
// (samplesFile, discoveredModelRef): the working directory and every
// input PATH (a directory, or a file's directory). A spec that arrives in
// a pull request must not make emac read /etc/shadow or ~/.kube/config
// and echo it in an error message.
type refRoots []string

func newRefRoots(paths []string, modelFile string) refRoots {
	var roots refRoots
	add := func(p string) {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			if abs, err := filepath.Abs(real); err == nil {
				roots = append(roots, abs)
			}
		}
	}
	add(".")
	for _, p := range append(paths, modelFile) {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			p = filepath.Dir(p)
		}
		add(p)
	}
	return roots
}

// contains reports whether name, after resolving symbolic links, lies
// under one of the roots.
func (r refRoots) contains(name string) bool {
	real, err := filepath.EvalSymlinks(name)
	if err != nil {
		return false
	}
	abs, err := filepath.Abs(real)
	if err != nil {
		return false
	}
	for _, root := range r {
		if rel, err := filepath.Rel(root, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// readRef reads a file a spec refers to: it must exist under the
// reference roots and fit the file-size limit.
func (l *loaded) readRef(name string) ([]byte, error) {
	if _, err := os.Stat(name); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, unwrapPathError(err))
	}
	if !l.refs.contains(name) {
		return nil, fmt.Errorf("%s lies outside the inputs: a spec may refer only to files under the working directory or under a PATH given to emac", name)
	}
	data, err := l.readFile(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, unwrapPathError(err))
	}
	return data, nil
}
