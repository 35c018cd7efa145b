package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// RepoRoot returns the module root: the nearest directory at or above the
// working directory that holds go.mod. go test runs each package in its own
// directory and the CLI runs from the root, so walking up lets both find .bin
// and events/ without configuration.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("find repo root: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repo root: no go.mod at or above the working directory")
		}
		dir = parent
	}
}
