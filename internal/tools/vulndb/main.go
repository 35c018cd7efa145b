// Command vulndb builds a local Go vulnerability database, in the v1 layout
// that `govulncheck -db file:///abs/dir` reads, from the OSV entries shipped
// in a pinned version of the golang.org/x/vulndb module (data/osv/*.json),
// which it fetches through the Go module proxy. No other host is contacted,
// so `make lint` gets a reproducible, pinned database without vuln.go.dev.
//
//	go run ./internal/tools/vulndb -version v0.0.0-20261105234957-e22db6528018 \
//		-sum h1:... -out .bin/vulndb
//
// The layout written (https://go.dev/security/vuln/database#api, the
// uncompressed ".json" endpoints, which is what a file:// source is read as):
//
//	index/db.json       {"modified": ...}
//	index/modules.json  [{"path": ..., "vulns": [{"id", "modified", "fixed"}]}]
//	index/vulns.json    [{"id", "modified", "aliases"}]
//	ID/<id>.json        each OSV entry, byte for byte as shipped
//
// The OSV files in the module carry a zero "modified" time (the canonical
// database fills it in from its git history when it deploys), so the
// database's own modified time is the later of the newest entry and the
// module version's commit time, the snapshot date of the data.
//
// With -src DIR the entries are read from DIR instead (no download); that is
// for tests and for building from an OSV directory already at hand.
//
// Why not golang.org/x/vulndb's own indexer: the module has one,
// cmd/indexdb (its internal/database package is not importable, the
// command can be run with `go run golang.org/x/vulndb/cmd/indexdb@<version>
// -vulns <dir>/data/osv -out <db>`). Built from the same pinned version, its
// database is not the same as this one, and the differences are ones we
// want to avoid:
//
//   - index/db.json says "modified": "0001-01-01T00:00:00Z" (the newest
//     entry's time, and every shipped entry's time is zero), so `govulncheck
//     -show version` reports the DB as updated in year 1; here it is the
//     data's snapshot date.
//   - index/modules.json lists an ID once per affected block: 21 modules,
//     stdlib among them, carry the same ID two to six times, each with its
//     block's own "fixed". govulncheck v1.9.0 then reports those findings
//     twice: on this repository with Go 1.26.8 the same 12 vulnerabilities,
//     but 710 findings in -format json against 396, and every example call
//     trace of five stdlib vulnerabilities printed twice. Here an ID appears
//     once per module, with a fix that covers all its blocks.
//   - Its "fixed" per block keeps the greatest fix of a range even when a
//     second range of the same block stays open; latestFix refuses then.
//   - Entries are re-marshalled (the same JSON values, not the bytes as
//     shipped) and each file is written twice, plain and .json.gz.
//   - Running it builds x/vulndb's dependency graph: 64 modules and 453
//     packages (go-git, Cloud Error Reporting, OpenTelemetry, ...) that
//     `make lint` would download and trust; about 70 s on a cold module
//     cache, against this tool's standard library and golang.org/x/mod.
//
// The verdicts agree (same vulnerabilities, same exit status), and the
// entries indexed are the same 4789 in 1457 modules: only the shape above
// differs, and that shape is the reason to keep these two files.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const defaultModule = "golang.org/x/vulndb"

// downloadTimeout bounds the module download (a few MB through the proxy).
const downloadTimeout = 5 * time.Minute

func main() {
	module := flag.String("module", defaultModule, "module whose data/osv directory holds the OSV entries")
	version := flag.String("version", "", "exact version of -module to use (required unless -src is given)")
	sum := flag.String("sum", "", "expected go.sum hash (h1:...) of the module zip; checked when set")
	src := flag.String("src", "", "read OSV entries from this directory instead of downloading -module")
	out := flag.String("out", "", "directory to write the database to (replaced as a whole)")
	goCmd := flag.String("go", "go", "go command used to download the module")
	flag.Parse()

	if err := run(*module, *version, *sum, *src, *out, *goCmd); err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
}

func run(module, version, sum, src, out, goCmd string) error {
	if out == "" {
		return errors.New("-out is required")
	}
	var (
		dir      string
		snapshot time.Time
		origin   string
	)
	if src != "" {
		dir, origin = src, src
	} else {
		if version == "" {
			return errors.New("-version is required (pin an exact version; @latest is not reproducible)")
		}
		m, err := download(goCmd, module, version)
		if err != nil {
			return err
		}
		if sum != "" && m.Sum != sum {
			return fmt.Errorf("%s@%s: module sum is %s, want %s", module, version, m.Sum, sum)
		}
		dir = filepath.Join(m.Dir, "data", "osv")
		snapshot = m.Time
		origin = fmt.Sprintf("%s@%s (%s)", module, m.Version, m.Sum)
	}

	db, err := load(dir)
	if err != nil {
		return err
	}
	if snapshot.After(db.modified) {
		db.modified = snapshot
	}
	if err := db.writeAtomic(out); err != nil {
		return err
	}
	fmt.Printf("vulndb: %d entries for %d modules from %s, modified %s, in %s\n",
		len(db.entries), len(db.modules), origin, db.modified.Format(time.RFC3339), out)
	return nil
}

// downloaded is what `go mod download -json` reports about one module, plus
// the commit time from its .info file.
type downloaded struct {
	Path, Version, Error, Info, Dir, Sum string
	Time                                 time.Time `json:"-"`
}

// download fetches module@version into the module cache through the go
// command, so GOPROXY, GOSUMDB and GOFLAGS apply as for any other module.
// It runs in an empty directory so no go.mod or go.sum is read or written.
func download(goCmd, module, version string) (*downloaded, error) {
	tmp, err := os.MkdirTemp("", "vulndb-download-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	// A stuck proxy must fail `make lint`, not hang it.
	ctx, cancel := context.WithTimeout(context.Background(), downloadTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, "mod", "download", "-json", module+"@"+version)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, runErr := cmd.Output()

	var m downloaded
	if err := json.Unmarshal(stdout, &m); err != nil {
		if runErr != nil {
			return nil, fmt.Errorf("go mod download %s@%s: %v: %s", module, version, runErr, stderr.Bytes())
		}
		return nil, fmt.Errorf("go mod download %s@%s: decoding its output: %v", module, version, err)
	}
	if m.Error != "" {
		return nil, fmt.Errorf("go mod download %s@%s: %s", module, version, m.Error)
	}
	if runErr != nil {
		return nil, fmt.Errorf("go mod download %s@%s: %v: %s", module, version, runErr, stderr.Bytes())
	}
	if m.Version != version {
		return nil, fmt.Errorf("go mod download %s@%s resolved to %s; pin an exact version", module, version, m.Version)
	}
	if m.Dir == "" || m.Info == "" {
		return nil, fmt.Errorf("go mod download %s@%s: no Dir or Info in its output", module, version)
	}
	info, err := os.ReadFile(m.Info)
	if err != nil {
		return nil, err
	}
	var meta struct{ Time time.Time }
	if err := json.Unmarshal(info, &meta); err != nil {
		return nil, fmt.Errorf("%s: %v", m.Info, err)
	}
	m.Time = meta.Time.UTC()
	return &m, nil
}

// writeAtomic writes the database next to out and then puts it in out's
// place, so an interrupted build never leaves a half-written database that a
// later run would take for a complete one.
func (db *database) writeAtomic(out string) error {
	out = filepath.Clean(out)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".new-")
	if err != nil {
		return err
	}
	if err := db.write(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.RemoveAll(out); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	return os.Rename(tmp, out)
}

func (db *database) write(dir string) error {
	for _, sub := range []string{"index", "ID"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	files := map[string]any{
		"index/db.json":      dbMeta{Modified: utc(db.modified)},
		"index/modules.json": db.modules,
		"index/vulns.json":   db.vulns(),
	}
	for name, v := range files {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	for _, e := range db.entries {
		if err := os.WriteFile(filepath.Join(dir, "ID", e.ID+".json"), e.raw, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// utc renders a time as the API wants it: RFC 3339, UTC, ending in "Z".
type utc time.Time

func (t utc) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format(time.RFC3339))
}

func isJSON(name string) bool { return strings.HasSuffix(name, ".json") }
