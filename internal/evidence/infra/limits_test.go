package infra

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/emac-dev/emac/internal/limits"
)

// TestFileLimit checks that every file is read up to the bound only: an
// endless device stops at it with a limit error naming the file and the
// flag, and a file of exactly the bound is read.
func TestFileLimit(t *testing.T) {
	dir := t.TempDir()
	manifest := []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
	exact := filepath.Join(dir, "exact.yaml")
	if err := os.WriteFile(exact, manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	n := int64(len(manifest))
	tests := []struct {
		path  string
		bound int64
		want  string // the limit error, "" for none
	}{
		{"/dev/zero", 4096, "file /dev/zero exceeds the limit of 4,096 bytes (raise it with --max-file-bytes)"},
		{exact, n, ""},
		{exact, n - 1, "file " + exact + " (" + limits.Count(n) + " bytes) exceeds the limit of " + limits.Count(n-1) + " bytes (raise it with --max-file-bytes)"},
	}
	for _, tc := range tests {
		_, kerr := ReadKubernetes([]string{tc.path}, KubeOptions{MaxFileBytes: tc.bound})
		_, merr := ReadMesh([]string{tc.path}, MeshOptions{MaxFileBytes: tc.bound})
		for _, err := range []error{kerr, merr} {
			var le *limits.Error
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s under %d bytes: %v", tc.path, tc.bound, err)
			case tc.want != "" && (!errors.As(err, &le) || err.Error() != tc.want):
				t.Errorf("%s under %d bytes: got %v, want %s", tc.path, tc.bound, err, tc.want)
			}
		}
	}
}

// TestSpecialFiles checks that a directory's pipes and links to devices
// are left out, and its links to regular files read.
func TestSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(t.TempDir(), "real.yaml")
	os.WriteFile(real, []byte("kind: Namespace\n"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Skipf("no named pipes: %v", err)
	}
	os.Symlink("/dev/zero", filepath.Join(dir, "zero.yaml"))
	os.Symlink(real, filepath.Join(dir, "link.yaml"))
	files, err := LoadFiles([]string{dir}, 1<<10)
	if err != nil || len(files) != 1 || !strings.HasSuffix(files[0].Name, "link.yaml") {
		t.Errorf("files %v, %v; want link.yaml alone", files, err)
	}
}

// fuzzLoad checks the file bound on data: under a bound of half its
// size it is refused with a limit error, having read at most one byte
// past the bound; under its size it is read whole. It returns the file.
func fuzzLoad(t *testing.T, data []byte) File {
	half := int64(len(data)) / 2
	r := bytes.NewReader(data)
	_, err := readFile(r, "in.yaml", max(half, 1))
	if read := r.Size() - int64(r.Len()); read > max(half, 1)+1 {
		t.Fatalf("read %d bytes under a bound of %d", read, half)
	}
	if int64(len(data)) > max(half, 1) && !limits.IsLimit(err) || int64(len(data)) <= max(half, 1) && err != nil {
		t.Fatalf("%d bytes under a bound of %d: %v", len(data), half, err)
	}
	f, err := readFile(bytes.NewReader(data), "in.yaml", int64(len(data)))
	if err != nil || !bytes.Equal(f.Data, data) {
		t.Fatalf("%d bytes under a bound of as many: %v", len(data), err)
	}
	return f
}
