package pretoken

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// fixture reads an event from events/ (a bare name) or testdata/ (a name
// starting with "testdata/") and applies edit to its decoded form.
func fixture(tb testing.TB, name string, edit func(ev map[string]any)) []byte {
	tb.Helper()
	path := name
	if !strings.HasPrefix(name, "testdata/") {
		path = filepath.Join("..", "..", "events", name)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if edit == nil {
		return raw
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		tb.Fatal(err)
	}
	edit(ev)
	out, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// Event edits.
func setAttr(name string, value any) func(map[string]any) {
	return func(ev map[string]any) {
		ev["request"].(map[string]any)["userAttributes"].(map[string]any)[name] = value
	}
}

func delAttr(name string) func(map[string]any) {
	return func(ev map[string]any) {
		delete(ev["request"].(map[string]any)["userAttributes"].(map[string]any), name)
	}
}

func setRequest(name string, value any) func(map[string]any) {
	return func(ev map[string]any) { ev["request"].(map[string]any)[name] = value }
}

func delRequest(name string) func(map[string]any) {
	return func(ev map[string]any) { delete(ev["request"].(map[string]any), name) }
}

func setTop(name string, value any) func(map[string]any) {
	return func(ev map[string]any) { ev[name] = value }
}

func edits(es ...func(map[string]any)) func(map[string]any) {
	return func(ev map[string]any) {
		for _, e := range es {
			e(ev)
		}
	}
}

// rig is one Decider behind invoke.New with a fake store and clock.
type rig struct {
	store *fakeStore
	clock *fakeClock
	dec   *Decider
	h     *invoke.Handler
	logs  *syncBuffer
}

func newRig(tb testing.TB, cfg Config, store *fakeStore) *rig {
	tb.Helper()
	if store == nil {
		store = newFakeStore()
	}
	if cfg.Table == "" {
		cfg.Table = "claims"
	}
	if cfg.TableTimeout == 0 {
		cfg.TableTimeout = 200 * time.Millisecond
	}
	clock := newFakeClock()
	d, err := New(cfg, store, clock.Now)
	if err != nil {
		tb.Fatal(err)
	}
	logs := new(syncBuffer)
	h := invoke.New(invoke.Options{Function: "pretoken", Trigger: triggers.TriggerPreTokenGeneration,
		Budget: 2 * time.Second, Logger: telemetry.NewLogger(logs, slog.LevelInfo), Now: clock.Now}, d.Decide)
	return &rig{store: store, clock: clock, dec: d, h: h, logs: logs}
}

// syncBuffer is a log sink safe for concurrent invocations.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *syncBuffer) String() string { return string(b.Bytes()) }

// invoke runs one event and returns the decoded response member (nil on
// refusal) and the refusal.
func (r *rig) invoke(tb testing.TB, in []byte) (out []byte, ue *triggers.UserError) {
	tb.Helper()
	out, err := r.h.Invoke(context.Background(), in)
	if err != nil {
		if !errors.As(err, &ue) {
			tb.Fatalf("Invoke returned a non-UserError %T: %v", err, err)
		}
		return nil, ue
	}
	return out, nil
}

// lastLine returns the last decision line, decoded.
func (r *rig) lastLine(tb testing.TB) map[string]any {
	tb.Helper()
	lines := bytes.Split(bytes.TrimSpace(r.logs.Bytes()), []byte("\n"))
	var m map[string]any
	if err := json.Unmarshal(lines[len(lines)-1], &m); err != nil {
		tb.Fatalf("decision line is not JSON: %v\n%s", err, lines[len(lines)-1])
	}
	return m
}

// response decodes the response member of an answered event.
func response(tb testing.TB, out []byte) map[string]any {
	tb.Helper()
	var ev map[string]any
	if err := json.Unmarshal(out, &ev); err != nil {
		tb.Fatalf("answer is not JSON: %v\n%s", err, out)
	}
	resp, _ := ev["response"].(map[string]any)
	return resp
}

// Expected responses, in decoded form.
var defaultSuppress = []any{"custom:tenant_id", "custom:app_role"}

func claims(tenant, role string) map[string]any {
	return map[string]any{"tenant_id": tenant, "app_role": role}
}

func tokenWant(cl map[string]any, suppress []any, scopes []any) map[string]any {
	t := map[string]any{"claimsToSuppress": suppress}
	if cl != nil {
		t["claimsToAddOrOverride"] = cl
	}
	if scopes != nil {
		t["scopesToAdd"] = scopes
	}
	return t
}

func wantV1(cl map[string]any, group any) map[string]any {
	d := tokenWant(cl, defaultSuppress, nil)
	if group != nil {
		d["groupOverrideDetails"] = group
	}
	return map[string]any{"claimsOverrideDetails": d}
}

func wantV2(cl map[string]any, group any) map[string]any {
	d := map[string]any{
		"idTokenGeneration":     tokenWant(cl, defaultSuppress, nil),
		"accessTokenGeneration": tokenWant(cl, defaultSuppress, nil),
	}
	if group != nil {
		d["groupOverrideDetails"] = group
	}
	return map[string]any{"claimsAndScopeOverrideDetails": d}
}

func wantM2M(cl map[string]any, scopes []any) map[string]any {
	return map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
		"accessTokenGeneration": tokenWant(cl, defaultSuppress, scopes),
	}}
}

// requestGroups returns the request's groupConfiguration, decoded.
func requestGroups(tb testing.TB, in []byte) any {
	tb.Helper()
	var ev struct {
		Request struct {
			GroupConfiguration any `json:"groupConfiguration"`
		} `json:"request"`
	}
	if err := json.Unmarshal(in, &ev); err != nil {
		tb.Fatal(err)
	}
	return ev.Request.GroupConfiguration
}
