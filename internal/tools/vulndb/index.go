package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

// entry is the part of an OSV entry (https://ossf.github.io/osv-schema/)
// that the indexes need; raw is the file as read, written out unchanged.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases"`
	Affected []struct {
		Package struct {
			Name      string `json:"name"`
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
		Ranges []osvRange `json:"ranges"`
	} `json:"affected"`

	raw []byte
}

type osvRange struct {
	Type   string           `json:"type"`
	Events []map[string]any `json:"events"`
}

type database struct {
	entries  []*entry // sorted by ID
	modules  []*moduleMeta
	modified time.Time
}

type dbMeta struct {
	Modified utc `json:"modified"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type moduleVuln struct {
	ID       string `json:"id"`
	Modified utc    `json:"modified"`
	// Fixed is the version after which no version of the module is
	// affected, or "" when there is none or it can't be told safely; the
	// client then always fetches the entry and checks its ranges itself.
	Fixed string `json:"fixed,omitempty"`
}

type vulnMeta struct {
	ID       string   `json:"id"`
	Modified utc      `json:"modified"`
	Aliases  []string `json:"aliases,omitempty"`
}

// goID is the Go vulnerability database's ID form, GO-<YEAR>-<ENTRYID>; the
// ID names a file, so nothing else is accepted.
var goID = regexp.MustCompile(`^GO-[0-9]{4}-[0-9]{4,}$`)

// load reads every <ID>.json OSV entry in dir and indexes it.
func load(dir string) (*database, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	db := &database{}
	for _, de := range des {
		if de.IsDir() || !isJSON(de.Name()) {
			continue
		}
		path := filepath.Join(dir, de.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		e := &entry{raw: b}
		if err := json.Unmarshal(b, e); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if !goID.MatchString(e.ID) || de.Name() != e.ID+".json" {
			return nil, fmt.Errorf("%s: entry ID %q does not match its file name", path, e.ID)
		}
		if len(e.Affected) == 0 {
			return nil, fmt.Errorf("%s: no affected modules", path)
		}
		for _, a := range e.Affected {
			if a.Package.Name == "" || a.Package.Ecosystem != "Go" {
				return nil, fmt.Errorf("%s: affected package %q in ecosystem %q, want a Go module", path, a.Package.Name, a.Package.Ecosystem)
			}
		}
		db.entries = append(db.entries, e)
	}
	if len(db.entries) == 0 {
		return nil, fmt.Errorf("%s: no OSV entries", dir)
	}
	sort.Slice(db.entries, func(i, j int) bool { return db.entries[i].ID < db.entries[j].ID })

	byPath := map[string]*moduleMeta{}
	for _, e := range db.entries {
		if e.Modified.After(db.modified) {
			db.modified = e.Modified
		}
		// An entry may name one module in several affected blocks: index it
		// once per module, with a fix that covers all of them.
		var order []string
		ranges := map[string][]osvRange{}
		for _, a := range e.Affected {
			p := a.Package.Name
			if _, ok := ranges[p]; !ok {
				order = append(order, p)
				ranges[p] = nil
			}
			ranges[p] = append(ranges[p], a.Ranges...)
		}
		for _, p := range order {
			m := byPath[p]
			if m == nil {
				m = &moduleMeta{Path: p}
				byPath[p] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: utc(e.Modified), Fixed: latestFix(ranges[p])})
		}
	}
	for _, m := range byPath {
		db.modules = append(db.modules, m)
	}
	sort.Slice(db.modules, func(i, j int) bool { return db.modules[i].Path < db.modules[j].Path })
	return db, nil
}

func (db *database) vulns() []vulnMeta {
	vs := make([]vulnMeta, 0, len(db.entries))
	for _, e := range db.entries {
		vs = append(vs, vulnMeta{ID: e.ID, Modified: utc(e.Modified), Aliases: e.Aliases})
	}
	return vs
}

// latestFix returns the version from which on no version is affected by any
// of the ranges, or "" if some range stays open (its last event is an
// introduction) or anything in them is not plain SEMVER with introduced and
// fixed events. "" is always safe: it only makes the client read the entry.
//
// Within one OSV range the affected versions are the intervals
// [introduced, next fixed); so a range whose greatest event is a fix affects
// nothing at or above it, and the union of ranges nothing at or above the
// greatest of those fixes.
func latestFix(ranges []osvRange) string {
	latest, latestV := "", ""
	for _, r := range ranges {
		if r.Type != "SEMVER" || len(r.Events) == 0 {
			return ""
		}
		var (
			last      string // as semver.Compare reads it
			lastFixed bool
			lastRaw   string
		)
		for i, ev := range r.Events {
			if len(ev) != 1 {
				return ""
			}
			for kind, val := range ev {
				s, ok := val.(string)
				if !ok || (kind != "introduced" && kind != "fixed") {
					return ""
				}
				// OSV's introduced "0" is below every version, even the
				// 0.0.0 pre-releases of Go pseudo-versions; semver.Compare
				// ranks "" (not a version) below every version.
				v := ""
				if kind != "introduced" || s != "0" {
					if v, ok = osvVersion(s); !ok {
						return ""
					}
				}
				// On a tie an introduction counts as later: the safe side.
				c := 1
				if i > 0 {
					c = semver.Compare(v, last)
				}
				if c > 0 || (c == 0 && kind == "introduced") {
					last, lastFixed, lastRaw = v, kind == "fixed", s
				}
			}
		}
		if !lastFixed {
			return ""
		}
		if latest == "" || semver.Compare(last, latestV) > 0 {
			latest, latestV = lastRaw, last
		}
	}
	return latest
}

// osvVersion turns an OSV SEMVER version (SemVer 2.0.0 without the "v")
// into the form golang.org/x/mod/semver reads, or reports false when it is
// not a complete SemVer version. semver also takes the shorthands "v1" and
// "v1.2" (for v1.0.0, v1.2.0); OSV never writes them, and a fix that is not
// read exactly must not be indexed, so they are refused. Build metadata
// ("+incompatible") is kept and, as SemVer says, ignored for ordering.
func osvVersion(s string) (string, bool) {
	v := "v" + s
	if !semver.IsValid(v) {
		return "", false
	}
	core, _, _ := strings.Cut(v, "+")
	if semver.Canonical(v) != core {
		return "", false
	}
	return v, true
}
