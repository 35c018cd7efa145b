package migrateuser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/presignup"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// fixturePassword is the password in events/migrateuser-authentication.json.
const (
	fixturePassword = "correct horse battery staple"
	fixtureUser     = "maria.rivera@example.com"
)

// fakeStore is a Store with canned answers that records what it was asked.
type fakeStore struct {
	mu sync.Mutex
	// users maps a username to its profile; password is the one that
	// verifies.
	users    map[string]legacy.User
	password string
	err      error
	panicMsg string // panic with this text (plus the password) when set
	marks    []string
	markErr  error
	auths    int
	lookups  int
}

func (f *fakeStore) Authenticate(_ context.Context, username string, pw []byte) (legacy.Answer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auths++
	if f.panicMsg != "" {
		panic(f.panicMsg + " " + string(pw))
	}
	if f.err != nil {
		return legacy.Answer{}, f.err
	}
	u, ok := f.users[username]
	if !ok || string(pw) != f.password {
		return legacy.Answer{Note: legacy.NoteInvalid}, nil
	}
	return legacy.Answer{OK: true, User: u}, nil
}

func (f *fakeStore) Lookup(_ context.Context, username string) (legacy.Answer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	if f.err != nil {
		return legacy.Answer{}, f.err
	}
	u, ok := f.users[username]
	if !ok {
		return legacy.Answer{Note: legacy.NoteNotFound}, nil
	}
	return legacy.Answer{OK: true, User: u}, nil
}

func (f *fakeStore) MarkMigrated(_ context.Context, username string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.marks = append(f.marks, username)
	return f.markErr
}

// fakeGate admits addresses in one domain, or fails like a broken table.
type fakeGate struct {
	allow  emailgate.Allowlist
	reason string // forced refusal reason, e.g. "table_error"
	calls  int
}

// PhoneAllowed admits every number except the +882 international
// premium range, standing in for ALLOWED_PHONE_COUNTRY_CODES.
func (g *fakeGate) PhoneAllowed(phone string) bool { return !strings.HasPrefix(phone, "+882") }

func (g *fakeGate) Admit(_ context.Context, email string) presignup.Verdict {
	g.calls++
	if g.reason != "" {
		return presignup.Verdict{Reason: g.reason, Cause: errors.New("forced"), TableLatency: time.Millisecond}
	}
	addr, err := emailgate.Parse(email)
	if err != nil {
		return presignup.Verdict{Reason: "email_invalid", Cause: err}
	}
	if !g.allow.Match(addr.Domain) {
		return presignup.Verdict{Reason: "domain_not_allowed", Cause: errors.New("not allowed")}
	}
	return presignup.Verdict{Rule: "allowlist"}
}

func allowGate(t testing.TB, list string) *fakeGate {
	t.Helper()
	al, err := emailgate.ParseAllowlist(list)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeGate{allow: al}
}

// event returns a fixture, optionally edited as a generic map.
func event(t testing.TB, fixture string, edit func(map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../events/" + fixture)
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return raw
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	edit(ev)
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func authEvent(t testing.TB, user, password string) []byte {
	return event(t, "migrateuser-authentication.json", func(ev map[string]any) {
		ev["userName"] = user
		ev["request"].(map[string]any)["password"] = password
	})
}

func forgotEvent(t testing.TB, user string) []byte {
	return event(t, "migrateuser-forgot-password.json", func(ev map[string]any) { ev["userName"] = user })
}

func baseConfig() Config {
	return Config{Source: SourceHTTP, Attributes: []string{"name", "given_name", "custom:plan"}, DomainGate: true}
}

// newHandler wires a Decider into the invocation layer, logging JSON into
// logs when it is not nil.
func newHandler(t testing.TB, cfg Config, store Store, gate Gate, logs *bytes.Buffer) *invoke.Handler {
	t.Helper()
	if gate == nil && cfg.DomainGate {
		gate = allowGate(t, "example.com")
	}
	d, err := New(cfg, store, gate)
	if err != nil {
		t.Fatal(err)
	}
	var log *slog.Logger
	if logs != nil {
		log = telemetry.NewLogger(logs, slog.LevelDebug)
	}
	return invoke.New(invoke.Options{Function: "migrateuser", Trigger: triggers.TriggerUserMigration, Budget: 2 * time.Second, Logger: log}, d.Decide)
}

// decisionLine parses the one JSON line the invocation wrote.
func decisionLine(t testing.TB, logs *bytes.Buffer) map[string]any {
	t.Helper()
	lines := bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n"))
	var m map[string]any
	if err := json.Unmarshal(lines[len(lines)-1], &m); err != nil {
		t.Fatalf("decision line is not JSON: %v\n%s", err, logs)
	}
	return m
}
