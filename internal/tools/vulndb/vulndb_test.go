package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/semver"
)

// TestVersionOrder: OSV versions are compared in SemVer 2.0.0 precedence,
// Go pseudo-versions and build metadata included, and anything that is not
// a complete SemVer version is refused (so its range yields no fix).
func TestVersionOrder(t *testing.T) {
	// Each version is lower than the next (the SemVer 2.0.0 spec's example
	// plus Go pseudo-versions and build metadata).
	ordered := []string{
		"0.0.0-20190101000000-abcdefabcdef",
		"0.0.0-20210101000000-abcdefabcdef",
		"0.1.0",
		"1.0.0-alpha",
		"1.0.0-alpha.1",
		"1.0.0-alpha.beta",
		"1.0.0-beta",
		"1.0.0-beta.2",
		"1.0.0-beta.11",
		"1.0.0-rc.1",
		"1.0.0",
		"1.0.1",
		"1.2.0",
		"1.10.0",
		"2.0.0+incompatible",
		"10.0.0",
	}
	for i, a := range ordered {
		va, ok := osvVersion(a)
		if !ok {
			t.Fatalf("osvVersion(%q) refused it", a)
		}
		for j, b := range ordered {
			vb, ok := osvVersion(b)
			if !ok {
				t.Fatalf("osvVersion(%q) refused it", b)
			}
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := semver.Compare(va, vb); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	for _, bad := range []string{"", "0", "1", "1.2", "v1.2.3", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3-01", "1.2.3-a..b", "1.2.3+", "1.2.x"} {
		if v, ok := osvVersion(bad); ok {
			t.Errorf("osvVersion(%q) accepted it as %q", bad, v)
		}
	}
}

func rng(events ...[2]string) osvRange {
	r := osvRange{Type: "SEMVER"}
	for _, e := range events {
		r.Events = append(r.Events, map[string]any{e[0]: e[1]})
	}
	return r
}

func TestLatestFix(t *testing.T) {
	in := func(v string) [2]string { return [2]string{"introduced", v} }
	fx := func(v string) [2]string { return [2]string{"fixed", v} }
	for _, tc := range []struct {
		name   string
		ranges []osvRange
		want   string
	}{
		{"simple", []osvRange{rng(in("0"), fx("0.3.3"))}, "0.3.3"},
		{"never fixed", []osvRange{rng(in("0"))}, ""},
		{"two fixes", []osvRange{rng(in("0"), fx("1.2.5"), in("1.3.0"), fx("1.3.2"))}, "1.3.2"},
		{"reintroduced", []osvRange{rng(in("0"), fx("1.0.0"), in("1.5.0"))}, ""},
		{"events out of order", []osvRange{rng(in("1.3.0"), fx("1.3.2"), in("0"), fx("1.2.5"))}, "1.3.2"},
		{"open second range", []osvRange{rng(in("0"), fx("1.0.0")), rng(in("0.5.0"))}, ""},
		{"max over ranges", []osvRange{rng(in("0"), fx("1.0.0")), rng(in("2.0.0"), fx("2.1.0"))}, "2.1.0"},
		{"reintroduced at the fix", []osvRange{rng(in("0"), fx("1.0.0"), in("1.0.0"))}, ""},
		{"pre-release fix", []osvRange{rng(in("0"), fx("1.21.0-rc.2"))}, "1.21.0-rc.2"},
		{"pseudo-version fix", []osvRange{rng(in("0"), fx("0.0.0-20220314234659-1baeb1ce4c0b"))}, "0.0.0-20220314234659-1baeb1ce4c0b"},
		{"no ranges", nil, ""},
		{"no events", []osvRange{{Type: "SEMVER"}}, ""},
		{"not semver", []osvRange{{Type: "GIT", Events: rng(in("0"), fx("abc")).Events}}, ""},
		{"last_affected", []osvRange{rng(in("0"), [2]string{"last_affected", "1.0.0"})}, ""},
		{"invalid version", []osvRange{rng(in("0"), fx("1.0"))}, ""},
		{"incompatible fix", []osvRange{rng(in("0"), fx("2.0.1+incompatible"))}, "2.0.1+incompatible"},
		{"fix at 0", []osvRange{rng(in("0"), fx("0"))}, ""},
	} {
		if got := latestFix(tc.ranges); got != tc.want {
			t.Errorf("%s: latestFix = %q, want %q", tc.name, got, tc.want)
		}
	}
}

const entryText = `{
  "schema_version": "1.3.1",
  "id": "%ID%",
  "modified": "%MOD%",
  "published": "2021-04-14T20:04:52Z",
  "aliases": %ALIASES%,
  "affected": %AFFECTED%
}
`

func writeEntry(t *testing.T, dir, file, id, modified, aliases, affected string) string {
	t.Helper()
	text := strings.NewReplacer("%ID%", id, "%MOD%", modified, "%ALIASES%", aliases, "%AFFECTED%", affected).Replace(entryText)
	if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return text
}

func affected(module string, events string) string {
	return `{"package": {"name": "` + module + `", "ecosystem": "Go"}, "ranges": [{"type": "SEMVER", "events": ` + events + `}]}`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestBuild(t *testing.T) {
	src := t.TempDir()
	e1 := writeEntry(t, src, "GO-2020-0015.json", "GO-2020-0015", "0001-01-01T00:00:00Z", `["CVE-2020-14040"]`,
		"["+affected("golang.org/x/text", `[{"introduced": "0"}, {"fixed": "0.3.3"}]`)+"]")
	writeEntry(t, src, "GO-2024-0001.json", "GO-2024-0001", "2024-05-06T07:08:09Z", `null`,
		"["+affected("golang.org/x/text", `[{"introduced": "0.4.0"}]`)+", "+
			affected("example.com/a", `[{"introduced": "0"}, {"fixed": "1.0.0"}]`)+", "+
			affected("example.com/a", `[{"introduced": "2.0.0"}, {"fixed": "2.0.1"}]`)+"]")
	if err := os.WriteFile(filepath.Join(src, "README.md"), []byte("not an entry"), 0o644); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "vulndb")
	// A stale file from an earlier build must not survive.
	if err := os.MkdirAll(filepath.Join(out, "ID"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "ID", "GO-1999-0001.json"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run("", "", "", src, out, "go"); err != nil {
		t.Fatal(err)
	}

	var dbm map[string]string
	readJSON(t, filepath.Join(out, "index", "db.json"), &dbm)
	if diff := cmp.Diff(map[string]string{"modified": "2024-05-06T07:08:09Z"}, dbm); diff != "" {
		t.Errorf("index/db.json (-want +got):\n%s", diff)
	}

	type vuln struct{ ID, Modified, Fixed string }
	type module struct {
		Path  string
		Vulns []vuln
	}
	var mods []module
	readJSON(t, filepath.Join(out, "index", "modules.json"), &mods)
	wantMods := []module{
		{"example.com/a", []vuln{{"GO-2024-0001", "2024-05-06T07:08:09Z", "2.0.1"}}},
		{"golang.org/x/text", []vuln{
			{"GO-2020-0015", "0001-01-01T00:00:00Z", "0.3.3"},
			{"GO-2024-0001", "2024-05-06T07:08:09Z", ""},
		}},
	}
	if diff := cmp.Diff(wantMods, mods); diff != "" {
		t.Errorf("index/modules.json (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(filepath.Join(out, "index", "modules.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"fixed":""`) {
		t.Errorf("index/modules.json writes an empty fixed; it must be omitted: %s", b)
	}

	var vulns []struct {
		ID, Modified string
		Aliases      []string
	}
	readJSON(t, filepath.Join(out, "index", "vulns.json"), &vulns)
	if len(vulns) != 2 || vulns[0].ID != "GO-2020-0015" || len(vulns[0].Aliases) != 1 || vulns[1].Aliases != nil {
		t.Errorf("index/vulns.json = %+v", vulns)
	}

	got, err := os.ReadFile(filepath.Join(out, "ID", "GO-2020-0015.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != e1 {
		t.Errorf("ID/GO-2020-0015.json is not the entry as shipped:\n%s", got)
	}
	ids, err := os.ReadDir(filepath.Join(out, "ID"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 {
		t.Errorf("ID/ has %d files, want 2", len(ids))
	}
	left, err := filepath.Glob(filepath.Join(filepath.Dir(out), ".vulndb.new-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("temporary directories left behind: %v", left)
	}
}

func TestBuildRejects(t *testing.T) {
	for _, tc := range []struct {
		name, file, id, affected, want string
	}{
		{"name mismatch", "GO-2020-0001.json", "GO-2020-0002", "[" + affected("m", `[]`) + "]", "does not match"},
		{"bad id", "x.json", "x", "[" + affected("m", `[]`) + "]", "does not match"},
		{"path in id", "GO-2020-0001.json", "../GO-2020-0001", "[" + affected("m", `[]`) + "]", "does not match"},
		{"no affected", "GO-2020-0001.json", "GO-2020-0001", "[]", "no affected"},
		{"other ecosystem", "GO-2020-0001.json", "GO-2020-0001", `[{"package": {"name": "m", "ecosystem": "npm"}}]`, "want a Go module"},
	} {
		src := t.TempDir()
		writeEntry(t, src, tc.file, tc.id, "2020-01-01T00:00:00Z", "[]", tc.affected)
		out := filepath.Join(t.TempDir(), "db")
		err := run("", "", "", src, out, "go")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
		if _, statErr := os.Stat(out); statErr == nil {
			t.Errorf("%s: output written despite the error", tc.name)
		}
	}
	if err := run("", "", "", t.TempDir(), filepath.Join(t.TempDir(), "db"), "go"); err == nil {
		t.Error("an empty source directory was accepted")
	}
	if err := run(defaultModule, "", "", "", filepath.Join(t.TempDir(), "db"), "go"); err == nil {
		t.Error("no -version was accepted")
	}
}

func TestUTC(t *testing.T) {
	loc := time.FixedZone("x", 3600)
	b, err := json.Marshal(utc(time.Date(2026, 11, 5, 23, 49, 57, 0, loc)))
	if err != nil || string(b) != `"2026-11-05T22:49:57Z"` {
		t.Errorf("utc JSON = %s, %v", b, err)
	}
}
