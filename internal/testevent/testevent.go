// Package testevent loads the repository's event fixtures for tests and
// edits them through their decoded form, so that a test says only what it
// changes ("the email is unverified") and the rest of the event stays the
// realistic one in events/.
package testevent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Edit changes an event in its decoded form: a JSON object as
// encoding/json decodes it into map[string]any.
type Edit func(ev map[string]any)

// Dir is the absolute path of the repository's events/ directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "events")
}

// Raw returns the bytes of a fixture: a bare name is read from events/, a
// path with a directory (such as "testdata/x.json") relative to the
// test's own package.
func Raw(tb testing.TB, name string) []byte {
	tb.Helper()
	path := name
	if !strings.Contains(name, "/") {
		path = filepath.Join(Dir(), name)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// Load returns a fixture after the edits, re-encoded; with no edits, the
// file's bytes as they are.
func Load(tb testing.TB, name string, edits ...Edit) []byte {
	tb.Helper()
	return Apply(tb, Raw(tb, name), edits...)
}

// Apply edits a JSON event; with no edits it returns raw unchanged.
func Apply(tb testing.TB, raw []byte, edits ...Edit) []byte {
	tb.Helper()
	if len(edits) == 0 {
		return raw
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		tb.Fatalf("decode event to edit it: %v", err)
	}
	for _, e := range edits {
		e(ev)
	}
	out, err := json.Marshal(ev)
	if err != nil {
		tb.Fatalf("encode edited event: %v", err)
	}
	return out
}

// Decode decodes event bytes into their typed event, failing the test on
// an error.
func Decode[E any, P interface {
	*E
	triggers.Event
}](tb testing.TB, raw []byte) *E {
	tb.Helper()
	ev, err := triggers.Decode[E, P](raw)
	if err != nil {
		tb.Fatalf("decode event: %v", err)
	}
	return ev
}

// Object returns ev[key] as an object, creating it when absent or null, so
// that edits can reach into "request" and "userAttributes".
func Object(ev map[string]any, key string) map[string]any {
	if m, ok := ev[key].(map[string]any); ok {
		return m
	}
	m := map[string]any{}
	ev[key] = m
	return m
}

// Set sets a top-level member; a nil value deletes it.
func Set(name string, value any) Edit {
	return func(ev map[string]any) { set(ev, name, value) }
}

// SetRequest sets a member of request; a nil value deletes it.
func SetRequest(name string, value any) Edit {
	return func(ev map[string]any) { set(Object(ev, "request"), name, value) }
}

// SetAttr sets a user attribute; a nil value deletes it.
func SetAttr(name string, value any) Edit {
	return func(ev map[string]any) { set(Object(Object(ev, "request"), "userAttributes"), name, value) }
}

// SetCaller sets a member of callerContext; a nil value deletes it.
func SetCaller(name string, value any) Edit {
	return func(ev map[string]any) { set(Object(ev, "callerContext"), name, value) }
}

// Null is the value that sets a member to JSON null (nil deletes it).
var Null = struct{ null bool }{true}

func set(m map[string]any, name string, value any) {
	switch {
	case value == nil:
		delete(m, name)
	case value == any(Null):
		m[name] = nil
	default:
		m[name] = value
	}
}

// HeaderDiff compares the header the typed decoder read (h) with the one
// encoding/json reads from data, the parser a backend or tool would use,
// and returns their difference ("" when they agree, -encoding/json
// +typed). An error means encoding/json refuses data.
func HeaderDiff(data []byte, h *triggers.Header) (string, error) {
	var ref struct {
		Version       string `json:"version"`
		TriggerSource string `json:"triggerSource"`
		Region        string `json:"region"`
		UserPoolID    string `json:"userPoolId"`
		UserName      string `json:"userName"`
		CallerContext struct {
			AWSSDKVersion string `json:"awsSdkVersion"`
			ClientID      string `json:"clientId"`
		} `json:"callerContext"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		return "", err
	}
	got := []string{h.Version, string(h.TriggerSource), h.Region, h.UserPoolID, h.UserName, h.CallerContext.AWSSDKVersion, h.CallerContext.ClientID}
	want := []string{ref.Version, ref.TriggerSource, ref.Region, ref.UserPoolID, ref.UserName, ref.CallerContext.AWSSDKVersion, ref.CallerContext.ClientID}
	return cmp.Diff(want, got), nil
}
