package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes through document splitting, strict
// decoding and resolution: no input may panic, and every error must carry a
// position in the input file.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("../../examples/checkout/*.yaml")
	for _, p := range append(seeds, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, diags := load(File{Name: "fuzz.yaml", Data: data})
		for _, d := range diags.Items() {
			if d.Pos.File != "fuzz.yaml" {
				t.Fatalf("diagnostic without the file: %v", d)
			}
		}
		_ = diags.Format(map[string][]byte{"fuzz.yaml": data})
	})
}
