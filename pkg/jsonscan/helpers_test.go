package jsonscan

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fixtures returns every testdata/*.json file by base name.
func fixtures(tb testing.TB) map[string][]byte {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		tb.Fatalf("glob fixtures: %v", err)
	}
	if len(paths) == 0 {
		tb.Fatal("no fixtures in testdata")
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatalf("read fixture: %v", err)
		}
		out[filepath.Base(p)] = data
	}
	return out
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatalf("read fixture: %v", err)
	}
	return data
}

func compact(tb testing.TB, data []byte) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		tb.Fatalf("compact %q: %v", data, err)
	}
	return buf.String()
}

// nesting is the maximum container depth of valid JSON, which is where
// Valid deliberately disagrees with encoding/json (1000 vs 10000).
func nesting(data []byte) int {
	depth, max := 0, 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case escaped:
			escaped = false
		case inString:
			switch c {
			case '\\':
				escaped = true
			case '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > max {
				max = depth
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return max
}
