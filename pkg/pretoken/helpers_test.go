package pretoken

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// The repository's trusted-table fake is a Store.
var _ Store = (*fakes.TrustedTable)(nil)

// table is a test's trusted table: the in-memory records and the fake
// over them, whose fields a test may replace to change one method.
type table struct {
	*fakes.Records
	*fakes.TrustedTable
}

func newTable() *table {
	r := fakes.NewRecords()
	return &table{Records: r, TrustedTable: r.Table()}
}

// rig is one Decider behind invoke.New with a table and a fake clock.
type rig struct {
	table *table
	clock *fakes.Clock
	dec   *Decider
	h     *invoke.Handler[triggers.PreToken, *triggers.PreToken]
	logs  *syncBuffer
}

func newRig(tb testing.TB, cfg Config, tbl *table) *rig {
	tb.Helper()
	if tbl == nil {
		tbl = newTable()
	}
	if cfg.Table == "" {
		cfg.Table = "claims"
	}
	if cfg.TableTimeout == 0 {
		cfg.TableTimeout = 200 * time.Millisecond
	}
	clock := fakes.NewClock()
	d, err := New(cfg, Deps{Store: tbl.TrustedTable, Now: clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	logs := new(syncBuffer)
	h := invoke.New[triggers.PreToken](invoke.Options{Function: "pretoken", Budget: 2 * time.Second,
		Logger: telemetry.NewLogger(logs, slog.LevelInfo), Now: clock.Now}, d.Decide)
	return &rig{table: tbl, clock: clock, dec: d, h: h, logs: logs}
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

// invoke runs one event and returns the answer (nil on refusal) and the
// refusal.
func (r *rig) invoke(tb testing.TB, in []byte) (out []byte, ue *decision.UserError) {
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
	return decodeLine(tb, string(lines[len(lines)-1]))
}

// decodeLine decodes one log line.
func decodeLine(tb testing.TB, line string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		tb.Fatalf("log line is not JSON: %v\n%s", err, line)
	}
	return m
}

// decoded decodes a JSON document into its generic form.
func decoded(tb testing.TB, raw []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatalf("not a JSON object: %v\n%s", err, raw)
	}
	return m
}

// response decodes the response member of an answered event.
func response(tb testing.TB, out []byte) map[string]any {
	tb.Helper()
	resp, ok := decoded(tb, out)["response"].(map[string]any)
	if !ok {
		tb.Fatalf("answer without a response object:\n%s", out)
	}
	return resp
}

// addedClaims returns the claims the answer adds to each token, by
// where they are.
func addedClaims(tb testing.TB, out []byte) map[string]any {
	tb.Helper()
	got := map[string]any{}
	resp := response(tb, out)
	if v1, ok := resp["claimsOverrideDetails"].(map[string]any); ok {
		got["claimsOverrideDetails"] = v1["claimsToAddOrOverride"]
	}
	if v2, ok := resp["claimsAndScopeOverrideDetails"].(map[string]any); ok {
		for _, tok := range []string{"idTokenGeneration", "accessTokenGeneration"} {
			if t, ok := v2[tok].(map[string]any); ok {
				got[tok] = t["claimsToAddOrOverride"]
			}
		}
	}
	return got
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

// requestGroups returns the request's groupConfiguration, decoded; nil
// when it is absent or null.
func requestGroups(tb testing.TB, in []byte) any {
	tb.Helper()
	req, _ := decoded(tb, in)["request"].(map[string]any)
	return req["groupConfiguration"]
}

// loseRace makes the next Bind find winner already written, as when a
// concurrent sign-in or a retry got there first.
func loseRace(winner trustedtable.UserRecord) func(*table) {
	return func(t *table) {
		bind := t.BindFn
		var once sync.Once
		t.BindFn = func(ctx context.Context, sub string, b trustedtable.Binding) (trustedtable.UserRecord, bool, error) {
			once.Do(func() { t.PutUser(sub, winner) })
			return bind(ctx, sub, b)
		}
	}
}

// failWith makes every call of the methods named (every method when
// none is named) fail with err.
func failWith(err error, methods ...string) func(*table) {
	return func(t *table) {
		t.Fail = func(_ context.Context, method string) error {
			if len(methods) == 0 || slices.Contains(methods, method) {
				return err
			}
			return nil
		}
	}
}

// stall makes every call of the methods named (every method when none is
// named) block until its context ends.
func stall(methods ...string) func(*table) {
	return func(t *table) {
		t.Fail = func(ctx context.Context, method string) error {
			if len(methods) == 0 || slices.Contains(methods, method) {
				return fakes.Stall(ctx, method)
			}
			return nil
		}
	}
}
