package migrateuser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/migrateuser"
	"github.com/cognito-triggers/suite/pkg/signupgate"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// fixturePassword is the password in events/migrateuser-authentication.json.
const (
	fixturePassword = "correct horse battery staple"
	fixtureUser     = "maria.rivera@example.com"
)

// handler is the invocation layer around a migration Decider.
type handler = invoke.Handler[triggers.MigrateUser, *triggers.MigrateUser]

// legacyUsers is a legacy store in memory: users by name, the one password
// that verifies, and a record of what was asked. Its fake is the store a
// Decider gets.
type legacyUsers struct {
	mu       sync.Mutex
	users    map[string]legacy.User
	password string
	err      error  // every call fails with it when set
	panicMsg string // Authenticate panics with this text and the password when set
	markErr  error

	marks   []string
	auths   int
	lookups int
}

func newUsers(password string, users ...legacy.User) *legacyUsers {
	l := &legacyUsers{users: map[string]legacy.User{}, password: password}
	for _, u := range users {
		l.users[u.Username] = u
	}
	return l
}

func (l *legacyUsers) fake() *fakes.LegacyStore {
	return &fakes.LegacyStore{
		AuthenticateFn: func(_ context.Context, username string, pw triggers.Password) (legacy.Answer, error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.auths++
			if l.panicMsg != "" {
				panic(l.panicMsg + " " + string(pw))
			}
			if l.err != nil {
				return legacy.Answer{}, l.err
			}
			u, ok := l.users[username]
			if !ok || string(pw) != l.password {
				return legacy.Answer{Note: decision.ReasonInvalidCredentials}, nil
			}
			return legacy.Answer{OK: true, User: u}, nil
		},
		LookupFn: func(_ context.Context, username string) (legacy.Answer, error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.lookups++
			if l.err != nil {
				return legacy.Answer{}, l.err
			}
			u, ok := l.users[username]
			if !ok {
				return legacy.Answer{Note: decision.ReasonNotFound}, nil
			}
			return legacy.Answer{OK: true, User: u}, nil
		},
		MarkMigratedFn: func(_ context.Context, username string) error {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.marks = append(l.marks, username)
			return l.markErr
		},
	}
}

// exampleGate is the real sign-up gate admitting example.com, with the
// phone rule that sign-up applies: +1 and +44 only, which refuses the
// +882 international premium range.
func exampleGate(t testing.TB) *signupgate.Gate {
	t.Helper()
	al, err := emailgate.ParseAllowlist("example.com")
	if err != nil {
		t.Fatal(err)
	}
	g, err := signupgate.New(signupgate.Config{Allowlist: al, PhoneCountryCodes: []string{"+1", "+44"}}, signupgate.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func authEvent(t testing.TB, user, password string) []byte {
	t.Helper()
	return testevent.Load(t, "migrateuser-authentication.json", testevent.Set("userName", user), testevent.SetRequest("password", password))
}

func forgotEvent(t testing.TB, user string) []byte {
	t.Helper()
	return testevent.Load(t, "migrateuser-forgot-password.json", testevent.Set("userName", user))
}

func baseConfig() migrateuser.Config {
	return migrateuser.Config{Source: migrateuser.SourceHTTP, Attributes: []string{"name", "given_name", "custom:plan"}, DomainGate: true}
}

// newHandler wires a Decider into the invocation layer, logging JSON into
// logs when it is not nil. A nil gate with the gate on is exampleGate.
func newHandler(t testing.TB, cfg migrateuser.Config, store migrateuser.Store, gate migrateuser.Gate, logs *bytes.Buffer) *handler {
	t.Helper()
	if gate == nil && cfg.DomainGate {
		gate = exampleGate(t)
	}
	d, err := migrateuser.New(cfg, migrateuser.Deps{Store: store, Gate: gate})
	if err != nil {
		t.Fatal(err)
	}
	var log *slog.Logger
	if logs != nil {
		log = telemetry.NewLogger(logs, slog.LevelDebug)
	}
	return invoke.New[triggers.MigrateUser](invoke.Options{Function: "migrateuser", Budget: 2 * time.Second, Logger: log}, d.Decide)
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

// decodeJSON reads JSON with encoding/json, independently of the decoder
// under test.
func decodeJSON(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	return m
}

// sameEvent fails unless out is the event in, member for member: the
// answer of every "no". The answer is re-encoded from the typed event, so
// it is compared as JSON values, not as bytes.
func sameEvent(t testing.TB, in, out []byte) {
	t.Helper()
	if diff := cmp.Diff(decodeJSON(t, in), decodeJSON(t, out)); diff != "" {
		t.Errorf("the answer is not the event as received (-in +out):\n%s", diff)
	}
}
