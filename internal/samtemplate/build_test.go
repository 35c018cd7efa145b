package samtemplate

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildTargets runs each function's build-<LogicalId> target the way
// sam build does (make build-X ARTIFACTS_DIR=dir) and checks that it
// writes a static arm64 bootstrap.
func TestBuildTargets(t *testing.T) {
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Fatalf("make is not on PATH: sam build (BuildMethod makefile) needs it too: %v", err)
	}
	root := repoRoot(t)
	tpl, targets := loadTemplate(t), makefileTargets(t)
	for _, fn := range tpl.Functions() {
		t.Run(fn, func(t *testing.T) {
			target := "build-" + fn
			pkg, ok := targets[target]
			if !ok {
				t.Fatalf("the Makefile has no %s target", target)
			}
			if pkg != "" {
				if _, err := os.Stat(filepath.Join(root, pkg)); err != nil {
					t.Fatalf("%s builds %s, which does not exist yet (function not written?)", target, pkg)
				}
			}
			dir := t.TempDir()
			cmd := exec.CommandContext(t.Context(), makeBin, "--no-print-directory", "-C", root, target, "ARTIFACTS_DIR="+dir)
			// go test puts its own toolchain first on PATH, so make's
			// `go build` uses the Go that runs this test. A make that runs
			// this test (make test) must not hand its job server and flags
			// to this one: it is a separate build, as sam build's is.
			cmd.Env = withoutMake(os.Environ())
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Fatalf("make %s: %v\n%s", target, err, strings.TrimSpace(out.String()))
			}
			if err := CheckBootstrap(filepath.Join(dir, "bootstrap")); err != nil {
				t.Error(err)
			}
		})
	}
}

func withoutMake(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "ARTIFACTS_DIR":
			continue
		}
		out = append(out, kv)
	}
	return out
}

func TestCheckBootstrapRejects(t *testing.T) {
	// A host tool: x86-64 (on this machine) and dynamically linked.
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	sh, err = filepath.EvalSymlinks(sh)
	if err != nil {
		t.Fatal(err)
	}
	err = CheckBootstrap(sh)
	if err == nil {
		t.Fatalf("CheckBootstrap(%s) = nil, want an error", sh)
	}
	for _, want := range []string{"dynamically linked"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("CheckBootstrap(%s) = %v; want it to say %q", sh, err, want)
		}
	}

	notELF := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckBootstrap(notELF); err == nil {
		t.Error("CheckBootstrap(a shell script) = nil, want an error")
	}
}

// TestCheckBootstrapWrongArch builds a tiny static program for amd64: the
// machine check must reject it even though it is static.
func TestCheckBootstrapWrongArch(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/tiny\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	err := CheckBootstrap(bin)
	if err == nil || !strings.Contains(err.Error(), "want EM_AARCH64") {
		t.Errorf("CheckBootstrap(amd64 binary) = %v; want a machine error", err)
	}
}
