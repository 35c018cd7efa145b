package triggers

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRoundTrip decodes every fixture with the decoder its function would
// use, encodes it again and compares the two as JSON values. A field the
// types drop, rename, or turn from null into "" or absent shows up as a
// difference: this is what holds the types to "give Cognito back what it
// sent".
func TestRoundTrip(t *testing.T) {
	files := fixtureFiles(t)
	if len(files) != 19 {
		t.Fatalf("found %d fixtures in %s, want 19 (one per trigger source)", len(files), fixtureDir)
	}
	covered := make(map[Source]string)
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, name)
			var h Header
			if err := json.Unmarshal(data, &h); err != nil {
				t.Fatalf("read header: %v", err)
			}
			if prev, dup := covered[h.TriggerSource]; dup {
				t.Fatalf("source %s also in %s", h.TriggerSource, prev)
			}
			covered[h.TriggerSource] = name
			d := decoderFor(t, h.TriggerSource, h.Version)
			ev, err := d.decode(data)
			if err != nil {
				t.Fatalf("%s: %v", d.name, err)
			}
			got := mustMarshal(t, ev)
			if diff := cmp.Diff(semantic(t, data), semantic(t, got)); diff != "" {
				t.Errorf("round trip through %s changed the event (-fixture +encoded):\n%s", d.name, diff)
			}
		})
	}
	var missing []Source
	for _, s := range allSources() {
		if _, ok := covered[s]; !ok {
			missing = append(missing, s)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("no fixture for sources %v", missing)
	}
	if n := len(allSources()); n != 19 {
		t.Errorf("%d known sources, want 19", n)
	}
}

// TestFixtureConventions keeps the fixtures to the values the brief and
// the later handler tests rely on.
func TestFixtureConventions(t *testing.T) {
	for _, path := range fixtureFiles(t) {
		name := filepath.Base(path)
		var h Header
		if err := json.Unmarshal(readFixture(t, name), &h); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wantVersion, wantClient, wantUser := "1", "1example23456789", true
		switch {
		case h.TriggerSource == SourceTokenClientCredentials:
			wantVersion, wantClient, wantUser = "3", "7m2mclient0example1", false
		case filepath.Base(path)[:11] == "pretoken-v2":
			wantVersion = "2"
		case filepath.Base(path)[:11] == "pretoken-v3":
			wantVersion = "3"
		}
		got := []any{h.Version, h.Region, h.UserPoolID, h.CallerContext.ClientID, h.CallerContext.AWSSDKVersion, h.UserName != ""}
		want := []any{wantVersion, "us-east-1", "us-east-1_EXAMPLE", wantClient, "aws-sdk-unknown-unknown", wantUser}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s header (-want +got):\n%s", name, diff)
		}
	}
}
