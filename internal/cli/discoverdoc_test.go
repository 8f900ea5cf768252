package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestComponentName(t *testing.T) {
	for in, want := range map[string]string{
		"cart":                        "cart",
		"pay-a.v2":                    "pay-a.v2",
		"postgresql@db.internal:5432": "postgresql_db.internal_5432",
		"3rd party/pay":               "c_3rd_party_pay",
		"skip":                        "skip_",
		"":                            "_",
	} {
		if got := componentName(in); got != want {
			t.Errorf("componentName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDiffModelUnderPath: a proposed model saved under PATH must not be
// read as the accepted one.
func TestDiffModelUnderPath(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"intent.yaml", "accepted.yaml", "new-tree.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata/paper-diff", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, stderr, code := run(t, "diff", dir, "--model", filepath.Join(dir, "new-tree.yaml"))
	if code != 0 || !strings.Contains(out, "accepted: "+filepath.Join(dir, "accepted.yaml")) || !strings.Contains(out, "[high] edge journey → pricing") {
		t.Errorf("exit %d\n%s\n%s", code, out, stderr)
	}
}
