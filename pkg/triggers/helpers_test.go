package triggers_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// codec is the decoder and encoder of one event type with the event boxed,
// so that tests can loop over all five triggers.
type codec struct {
	name    string
	trigger triggers.Trigger
	decode  func([]byte) (triggers.Event, error)
}

func newCodec[E any, P interface {
	*E
	triggers.Event
}](name string) codec {
	return codec{name, P(new(E)).Trigger(), func(b []byte) (triggers.Event, error) {
		ev, err := triggers.Decode[E, P](b)
		if err != nil {
			return nil, err
		}
		return P(ev), nil
	}}
}

// codecs are the event types a function decodes: one per trigger, pre
// token generation as the union of its two shapes.
var codecs = []codec{
	newCodec[triggers.PreSignUp]("PreSignUp"),
	newCodec[triggers.PreToken]("PreToken"),
	newCodec[triggers.PostAuth]("PostAuth"),
	newCodec[triggers.MigrateUser]("MigrateUser"),
	newCodec[triggers.CustomMessage]("CustomMessage"),
}

// codecFor is the codec a function serving the trigger would use.
func codecFor(tb testing.TB, t triggers.Trigger) codec {
	tb.Helper()
	for _, c := range codecs {
		if c.trigger == t {
			return c
		}
	}
	tb.Fatalf("no codec for trigger %q", t)
	return codec{}
}

// fixtureFiles lists the names of events/*.json.
func fixtureFiles(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(testevent.Dir(), "*.json"))
	if err != nil {
		tb.Fatalf("glob fixtures: %v", err)
	}
	if len(paths) == 0 {
		tb.Fatalf("no fixtures under %s", testevent.Dir())
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return names
}

// mutate returns the fixture with old replaced by new exactly once, and
// fails the test when old does not occur exactly once, so that a changed
// fixture cannot silently turn a negative test into a no-op. It edits
// bytes, not the decoded form, because the point is often a document that
// a decoded form cannot hold (a duplicate member, a case variant).
func mutate(tb testing.TB, name, old, new string) []byte {
	tb.Helper()
	data := string(testevent.Raw(tb, name))
	if n := strings.Count(data, old); n != 1 {
		tb.Fatalf("%s: %q occurs %d times, want 1", name, old, n)
	}
	return []byte(strings.Replace(data, old, new, 1))
}

// semantic decodes JSON into generic values with encoding/json, so that
// member order and whitespace do not count while null, absent and empty
// stay distinct.
func semantic(tb testing.TB, data []byte) any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("decode JSON: %v\n%s", err, data)
	}
	if dec.More() {
		tb.Fatalf("more than one JSON value:\n%s", data)
	}
	return v
}

// semanticDiff is the difference between two JSON documents as values.
func semanticDiff(tb testing.TB, want, got []byte) string {
	tb.Helper()
	return cmp.Diff(semantic(tb, want), semantic(tb, got))
}

// encode is triggers.Encode, failing the test on an error.
func encode(tb testing.TB, ev triggers.Event) []byte {
	tb.Helper()
	out, err := triggers.Encode(ev)
	if err != nil {
		tb.Fatalf("Encode %T: %v", ev, err)
	}
	return out
}

// decode decodes an event of type E, failing the test on an error.
func decode[E any, P interface {
	*E
	triggers.Event
}](tb testing.TB, data []byte) *E {
	tb.Helper()
	return testevent.Decode[E, P](tb, data)
}

// allSources lists every Source constant, via the trigger they belong to.
func allSources() []triggers.Source {
	var out []triggers.Source
	for _, t := range allTriggers {
		out = append(out, triggers.Sources(t)...)
	}
	return out
}

var allTriggers = []triggers.Trigger{
	triggers.TriggerPreSignUp, triggers.TriggerPreTokenGeneration, triggers.TriggerPostAuthentication,
	triggers.TriggerUserMigration, triggers.TriggerCustomMessage,
}

// headerOf reads a fixture's header the way any other JSON reader would,
// to pick the codec a test needs.
func headerOf(tb testing.TB, data []byte) triggers.Header {
	tb.Helper()
	var h struct {
		Version       string          `json:"version"`
		TriggerSource triggers.Source `json:"triggerSource"`
	}
	if err := json.Unmarshal(data, &h); err != nil {
		tb.Fatalf("read header: %v", err)
	}
	return triggers.Header{Version: h.Version, TriggerSource: h.TriggerSource}
}

// mustJSON is encoding/json's encoding of v, failing the test on an error.
func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal %T: %v", v, err)
	}
	return b
}
