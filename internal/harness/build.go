package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// buildCache remembers, per package, the last bootstrap built in this
// process, so twenty tests of one function link it once.
var buildCache = struct {
	sync.Mutex
	m map[string]*buildEntry
}{m: make(map[string]*buildEntry)}

type buildEntry struct {
	mu   sync.Mutex // held while building, so concurrent callers wait for one build
	path string
}

// BuildTags are the build tags of every shipped bootstrap: no legacy RPC
// runtime, and no bundled HTTP/2 (see the Makefile's LAMBDA_TAGS).
const BuildTags = "lambda.norpc,nethttpomithttp2"

// Build compiles the function package pkg (for example
// "./functions/presignup", relative to the repo root, or a full import path)
// into dir/<last element of pkg>/bootstrap and returns that path. The binary
// is built as for deployment (static, -tags lambda.norpc,nethttpomithttp2, -trimpath,
// -ldflags "-s -w") but for the host's architecture, so what the tests run is
// what ships, minus the cross-compilation.
//
// Builds are cached per package for the life of the process. A later call
// with another dir gets a hard link (or copy) of the cached binary rather
// than a rebuild; if the cached file has since been deleted, it rebuilds.
func Build(ctx context.Context, pkg, dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	key := pkg
	if strings.HasPrefix(pkg, ".") {
		key = filepath.Join(root, pkg)
	}
	out, err := filepath.Abs(filepath.Join(dir, path.Base(filepath.ToSlash(key)), "bootstrap"))
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}

	buildCache.Lock()
	e := buildCache.m[key]
	if e == nil {
		e = &buildEntry{}
		buildCache.m[key] = e
	}
	buildCache.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.path != "" {
		if _, err := os.Stat(e.path); err == nil {
			if e.path == out {
				return out, nil
			}
			if err := linkOrCopy(e.path, out); err != nil {
				return "", fmt.Errorf("build %s: reuse %s: %w", pkg, e.path, err)
			}
			return out, nil
		}
	}
	if err := goBuild(ctx, root, pkg, out); err != nil {
		return "", err
	}
	e.path = out
	return out, nil
}

func goBuild(ctx context.Context, root, pkg, out string) error {
	// go test puts its own GOROOT/bin first on PATH, so tests build with
	// the same toolchain that runs them.
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("build %s: %w", pkg, err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("build %s: %w", pkg, err)
	}
	cmd := exec.CommandContext(ctx, goBin, "build",
		"-tags", BuildTags, "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s: %w\n%s", pkg, err, buf.Bytes())
	}
	return nil
}

// linkOrCopy places a copy of src at dst. A hard link is instant and costs
// no space; a copy covers dst on another file system.
func linkOrCopy(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	outF, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(outF, in); err != nil {
		outF.Close()
		return err
	}
	return outF.Close()
}
