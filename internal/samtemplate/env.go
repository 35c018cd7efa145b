package samtemplate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// LambdaProvided are variables Lambda itself sets in every function; the
// template must not (and cannot usefully) set them.
var LambdaProvided = []string{
	"AWS_REGION",
	"AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_LAMBDA_LOG_LEVEL", // from LoggingConfig.ApplicationLogLevel
}

// LocalOnlyPrefix marks endpoint overrides for local runs (moto, DynamoDB
// Local); production never sets them.
const LocalOnlyPrefix = "AWS_ENDPOINT_URL"

// OptionalKnobs are variables the code reads but the template deliberately
// leaves unset, so the code's default applies, with the reason.
var OptionalKnobs = map[string]string{
	"ALLOWED_USER_POOL_IDS": "setting it to !Ref UserPool makes every function depend on the pool, " +
		"which already depends on every function (LambdaConfig): a circular dependency. " +
		"The Lambda permissions' SourceArn scopes invocation to the pool instead.",
	"MESSAGE_TEMPLATES_DIR": "the templates embedded in the binary are used; a directory is for teams that ship their own (a layer or a custom build).",
	"AWS_MAX_ATTEMPTS":      "the default (2 attempts) is sized to the trigger budget.",
	"AWS_ATTEMPT_TIMEOUT_MS": "the default (1000 ms per attempt) is sized to the trigger budget; " +
		"each call is capped by its own timeout variable anyway.",
}

// ignoredEnv reports whether the template need not set name.
func ignoredEnv(name string) bool {
	return slices.Contains(LambdaProvided, name) || strings.HasPrefix(name, LocalOnlyPrefix) || OptionalKnobs[name] != ""
}

// FunctionReads is what a function's code reads from the environment.
type FunctionReads struct {
	Package string   // e.g. ./functions/presignup
	Names   []string // sorted, unique
	Err     error    // the package could not be scanned (not written yet, does not compile)
}

// ErrNotWritten reports a function directory that does not exist yet or
// holds no Go files.
var ErrNotWritten = errors.New("function not written yet")

// CheckEnv checks, for every function, that each variable its code reads
// is set by the template (unless Lambda sets it, it is a local-only
// endpoint override, or it is one of OptionalKnobs), and that each variable
// the template sets is read by the code (a misspelt name is never read).
func CheckEnv(t *Template, reads map[string]FunctionReads) []Problem {
	const check = "env"
	var ps problems
	for _, fn := range t.Functions() {
		r, ok := reads[fn]
		switch {
		case !ok:
			ps.add(check, fn, "no package is known for it (no build-%s target naming ./functions/<dir> in the Makefile)", fn)
			continue
		case r.Err != nil:
			ps.add(check, fn, "cannot read the environment variables of %s: %v", r.Package, r.Err)
			continue
		}
		set := t.EnvVars(fn)
		for _, name := range r.Names {
			if _, ok := set[name]; !ok && !ignoredEnv(name) {
				ps.add(check, fn, "%s reads %s, which the template does not set", r.Package, name)
			}
		}
		for _, name := range sortedKeys(set) {
			if !slices.Contains(r.Names, name) {
				ps.add(check, fn, "the template sets %s, which %s never reads (misspelt?)", name, r.Package)
			}
		}
	}
	return ps
}

// envRead matches an envconfig reader call or an os.Getenv/LookupEnv whose
// first argument is a literal variable name: r.String("NAME", ...),
// env.Millis("NAME", ...). A computed name ("PREFIX_"+x) is not a read of
// one variable and is not matched.
var envRead = regexp.MustCompile(`(?:\.(?:String|Required|Int|Millis|Duration|Bool|Enum|List)|\bos\.(?:Getenv|LookupEnv))\(\s*"([A-Z][A-Z0-9_]*)"\s*[,)]`)

// ScanEnvReads returns the variable names read, by literal name, in Go
// source text.
func ScanEnvReads(src []byte) []string {
	var names []string
	for _, m := range envRead.FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	return names
}

// ReadEnv lists the environment variables the function package pkg (for
// example ./functions/presignup, relative to root) reads: it scans the
// non-test Go files of the package and of its dependencies inside this
// module (see PackageFiles) with ScanEnvReads.
func ReadEnv(ctx context.Context, root, pkg string) FunctionReads {
	out := FunctionReads{Package: pkg}
	files, err := PackageFiles(ctx, root, pkg)
	if err != nil {
		out.Err = err
		return out
	}
	set := map[string]bool{}
	for _, f := range files {
		for _, n := range ScanEnvReads(f.Source) {
			set[n] = true
		}
	}
	out.Names = sortedKeys(set)
	return out
}

// SourceFile is one Go file of a function's package graph.
type SourceFile struct {
	ImportPath string
	Path       string
	Source     []byte
}

// PackageFiles returns the non-test Go files of the function package pkg
// and of every package it depends on inside this module, as go list -deps
// selects them for the deployment target (linux/arm64, -tags lambda.norpc,nethttpomithttp2).
// A missing package, or one without Go files yet, gives ErrNotWritten.
func PackageFiles(ctx context.Context, root, pkg string) ([]SourceFile, error) {
	dir := filepath.Join(root, filepath.FromSlash(pkg))
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist", ErrNotWritten, pkg)
	}
	if goFiles, _ := filepath.Glob(filepath.Join(dir, "*.go")); len(goFiles) == 0 {
		return nil, fmt.Errorf("%w: %s has no Go files", ErrNotWritten, pkg)
	}
	module, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-tags", "lambda.norpc,nethttpomithttp2",
		"-f", `{{.ImportPath}}{{"\t"}}{{.Dir}}{{range .GoFiles}}{{"\t"}}{{.}}{{end}}`, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go list -deps %s: %w: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	var files []SourceFile
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 2 {
			continue
		}
		importPath, pkgDir := fields[0], fields[1]
		if importPath != module && !strings.HasPrefix(importPath, module+"/") {
			continue
		}
		for _, name := range fields[2:] {
			path := filepath.Join(pkgDir, name)
			src, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", path, err)
			}
			files = append(files, SourceFile{ImportPath: importPath, Path: path, Source: src})
		}
	}
	return files, sc.Err()
}

// modulePath reads the module path from root/go.mod.
func modulePath(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("read module path: %w", err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", errors.New("read module path: go.mod has no module line")
}

// makeTarget matches a rule line "build-X:" (optionally "build-X: ; recipe").
var makeTarget = regexp.MustCompile(`^(build-[A-Za-z0-9]+)\s*:([^=].*)?$`)

// functionPkg finds the package a recipe builds.
var functionPkg = regexp.MustCompile(`\./functions/[A-Za-z0-9_]+`)

// ParseMakefile returns the Makefile's build-<LogicalId> targets and the
// package each builds ("" when its recipe names no ./functions/<dir>).
func ParseMakefile(data []byte) map[string]string {
	targets := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		m := makeTarget.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		recipe := m[2]
		for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], "\t"); j++ {
			recipe += "\n" + lines[j]
		}
		targets[m[1]] = functionPkg.FindString(recipe)
	}
	return targets
}
