package triggers

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureDir holds the events shared with sam local invoke.
const fixtureDir = "../../events"

// decoder is one typed decoder with its result boxed, so that tests can
// loop over all of them.
type decoder struct {
	name    string
	trigger Trigger
	decode  func([]byte) (any, error)
}

func newDecoder[E any](name string, t Trigger, f func([]byte) (E, error)) decoder {
	return decoder{name, t, func(b []byte) (any, error) {
		e, err := f(b)
		if err != nil {
			return nil, err
		}
		return e, nil
	}}
}

var decoders = []decoder{
	newDecoder("PreSignUp", TriggerPreSignUp, DecodePreSignUp),
	newDecoder("PreTokenV1", TriggerPreTokenGeneration, DecodePreTokenV1),
	newDecoder("PreTokenV2", TriggerPreTokenGeneration, DecodePreTokenV2),
	newDecoder("PostAuth", TriggerPostAuthentication, DecodePostAuth),
	newDecoder("MigrateUser", TriggerUserMigration, DecodeMigrateUser),
	newDecoder("CustomMessage", TriggerCustomMessage, DecodeCustomMessage),
}

// decoderFor picks the decoder a function serving this event would use:
// by trigger, and for pre token by the event version.
func decoderFor(tb testing.TB, src Source, version string) decoder {
	tb.Helper()
	name := ""
	switch src.Trigger() {
	case TriggerPreSignUp:
		name = "PreSignUp"
	case TriggerPreTokenGeneration:
		name = "PreTokenV2"
		if version == "1" {
			name = "PreTokenV1"
		}
	case TriggerPostAuthentication:
		name = "PostAuth"
	case TriggerUserMigration:
		name = "MigrateUser"
	case TriggerCustomMessage:
		name = "CustomMessage"
	}
	for _, d := range decoders {
		if d.name == name {
			return d
		}
	}
	tb.Fatalf("no decoder for source %q version %q", src, version)
	return decoder{}
}

// fixtureFiles lists events/*.json.
func fixtureFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil {
		tb.Fatalf("glob fixtures: %v", err)
	}
	return files
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		tb.Fatalf("read fixture: %v", err)
	}
	return data
}

// mutate returns the fixture with old replaced by new exactly once, and
// fails the test when old does not occur exactly once, so that a changed
// fixture cannot silently turn a negative test into a no-op.
func mutate(tb testing.TB, name, old, new string) []byte {
	tb.Helper()
	data := string(readFixture(tb, name))
	if n := strings.Count(data, old); n != 1 {
		tb.Fatalf("%s: %q occurs %d times, want 1", name, old, n)
	}
	return []byte(strings.Replace(data, old, new, 1))
}

// semantic decodes JSON into generic values, so that key order and
// whitespace do not count and null, absent and empty stay distinct.
func semantic(tb testing.TB, data []byte) any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("decode JSON: %v\n%s", err, data)
	}
	return v
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal %T: %v", v, err)
	}
	return b
}

// allSources lists every Source constant, via the trigger they belong to.
func allSources() []Source {
	var out []Source
	for _, t := range []Trigger{TriggerPreSignUp, TriggerPreTokenGeneration, TriggerPostAuthentication, TriggerUserMigration, TriggerCustomMessage} {
		out = append(out, Sources(t)...)
	}
	return out
}
