package limits

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReaderStopsAtTheLimit(t *testing.T) {
	for _, c := range []struct {
		size, limit int
		over        bool
	}{{10, 10, false}, {11, 10, true}, {0, 1, false}, {1 << 20, 100, true}} {
		src := &countingReader{r: bytes.NewReader(make([]byte, c.size))}
		got, err := io.ReadAll(NewReader(src, int64(c.limit), "input", FlagFileBytes))
		var le *Error
		if over := errors.As(err, &le); over != c.over {
			t.Errorf("size %d limit %d: err %v", c.size, c.limit, err)
		}
		if len(got) > c.limit || src.n > c.limit+1 {
			t.Errorf("size %d limit %d: returned %d bytes, read %d", c.size, c.limit, len(got), src.n)
		}
	}
}

// TestReaderEndless: an endless source stops at the limit, and reading on
// after the error consumes nothing more.
func TestReaderEndless(t *testing.T) {
	src := &countingReader{r: zeros{}}
	r := NewReader(src, 1000, "stream", FlagTraceBytes)
	if _, err := io.ReadAll(r); !IsLimit(err) {
		t.Fatalf("err = %v", err)
	}
	before := src.n
	for range 3 {
		r.Read(make([]byte, 10))
	}
	if src.n != before || before != 1001 {
		t.Errorf("read %d then %d bytes, want 1001 and no more", before, src.n)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("hello"), 0o644)
	if data, err := ReadFile(small, 5, FlagFileBytes); err != nil || string(data) != "hello" {
		t.Errorf("exact size: %q, %v", data, err)
	}
	_, err := ReadFile(small, 4, FlagFileBytes)
	if !IsLimit(err) || !strings.Contains(err.Error(), "(5 bytes) exceeds the limit of 4 bytes (raise it with --max-file-bytes)") {
		t.Errorf("regular file over the limit: %v", err)
	}
	if _, err := ReadFile("/dev/zero", 1<<16, FlagFileBytes); !IsLimit(err) {
		t.Errorf("/dev/zero: %v", err)
	}
}

func TestCountAndValidate(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 16777216: "16,777,216", -1234: "-1,234"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	l := Default()
	l.SpansPerTrace = 0
	if err := l.Validate(); err == nil || !strings.Contains(err.Error(), "--max-spans-per-trace") {
		t.Errorf("zero limit: %v", err)
	}
	if got := (Limits{}).Or(); got != Default() {
		t.Errorf("zero Limits.Or() = %+v", got)
	}
}
