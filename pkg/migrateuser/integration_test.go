package migrateuser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"golang.org/x/crypto/bcrypt"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/legacyserver"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/migrateuser"
	"github.com/cognito-triggers/suite/pkg/passhash"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Canaries: if either string shows up in any output, a secret leaked.
const (
	passwordCanary = "pw-CANARY-7d31e9"
	apiKeyCanary   = "sk-CANARY-a91f04"
)

// secretValue is a secret a test can change or break; its fake is the
// Secrets Manager the store reads it from.
type secretValue struct {
	mu    sync.Mutex
	value string
	err   error
}

func (f *secretValue) fail(err error) { f.mu.Lock(); f.err = err; f.mu.Unlock() }

func (f *secretValue) fake() *fakes.SecretsManager {
	return &fakes.SecretsManager{GetSecretValueFn: func(context.Context, *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.err != nil {
			return nil, f.err
		}
		return fakes.SecretString(f.value), nil
	}}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func b(v bool) types.AttributeValue   { return &types.AttributeValueMemberBOOL{Value: v} }

// httpFixture is a fake legacy endpoint holding maria, and a Decider using
// it through the real HTTP store.
type httpFixture struct {
	srv *legacyserver.Server
	sm  *secretValue
	cfg migrateuser.Config
}

func newHTTPFixture(t testing.TB, password string) *httpFixture {
	t.Helper()
	srv, err := legacyserver.Start(apiKeyCanary, legacyserver.Account{Password: password, User: legacyserver.User{
		Username: fixtureUser, Email: fixtureUser, EmailVerified: true, Attributes: map[string]string{"name": "Maria Rivera"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cfg := baseConfig()
	cfg.Source, cfg.AuthURL, cfg.SecretID, cfg.SecretTTL, cfg.LegacyTimeout = migrateuser.SourceHTTP, srv.URL, "legacy/api", time.Hour, 300*time.Millisecond
	return &httpFixture{srv: srv, sm: &secretValue{value: `{"api_key":"` + apiKeyCanary + `"}`}, cfg: cfg}
}

func (f *httpFixture) store(t testing.TB) migrateuser.Store {
	t.Helper()
	st, err := migrateuser.NewStore(f.cfg, migrateuser.Clients{Secrets: f.sm.fake()})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// tableFixture is an in-memory legacy table holding maria with a bcrypt
// hash of password, and a Decider using it through the real table store.
type tableFixture struct {
	mem *legacyserver.Table
	cfg migrateuser.Config
}

func newTableFixture(t testing.TB, password string, cost int) *tableFixture {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		t.Fatal(err)
	}
	mem := legacyserver.NewTable()
	mem.Put(map[string]types.AttributeValue{"username": s(fixtureUser), "password_hash": s(string(hash)),
		"email": s(fixtureUser), "email_verified": b(true), "name": s("Maria Rivera")})
	cfg := baseConfig()
	cfg.Source, cfg.UsersTable, cfg.DummyScheme, cfg.LegacyTimeout = migrateuser.SourceTable, "legacy-users", passhash.SchemeBcrypt, time.Second
	// The dummy imitates the records' cost, as LEGACY_DUMMY_HASH does.
	cfg.DummyHash = string(hash)
	return &tableFixture{mem: mem, cfg: cfg}
}

func (f *tableFixture) store(t testing.TB) migrateuser.Store {
	t.Helper()
	st, err := migrateuser.NewStore(f.cfg, migrateuser.Clients{DynamoDB: f.mem})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestUnknownAndWrongAreByteIdentical: the same event sent for a user the
// legacy store does not have and for one whose password it does not match
// comes back as it was sent, from both sources, and the four answers are
// byte for byte the same, so Cognito (and whoever calls InitiateAuth)
// sees one answer.
func TestUnknownAndWrongAreByteIdentical(t *testing.T) {
	in := authEvent(t, fixtureUser, "a wrong password")
	withMaria := newHTTPFixture(t, "the right password")
	withoutMaria := newHTTPFixture(t, "the right password")
	withoutMaria.srv.Delete(fixtureUser)
	tableWith := newTableFixture(t, "the right password", bcrypt.MinCost)
	tableWithout := newTableFixture(t, "the right password", bcrypt.MinCost)
	tableWithout.mem = legacyserver.NewTable()

	var outs [][]byte
	for _, tc := range []struct {
		name  string
		cfg   migrateuser.Config
		store migrateuser.Store
	}{
		{"http wrong password", withMaria.cfg, withMaria.store(t)},
		{"http unknown user", withoutMaria.cfg, withoutMaria.store(t)},
		{"table wrong password", tableWith.cfg, tableWith.store(t)},
		{"table unknown user", tableWithout.cfg, tableWithout.store(t)},
	} {
		var logs bytes.Buffer
		out, err := newHandler(t, tc.cfg, tc.store, nil, &logs).Invoke(context.Background(), in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		sameEvent(t, in, out)
		if line := decisionLine(t, &logs); line["outcome"] != string(decision.OutcomeNotMigrated) || line["reason"] != string(decision.ReasonInvalidCredentials) {
			t.Errorf("%s: logged %v/%v", tc.name, line["outcome"], line["reason"])
		}
		outs = append(outs, out)
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Errorf("answer %d differs from answer 0:\n %s\n %s", i, outs[0], outs[i])
		}
	}
}

// captureLogs routes slog's default logger and the standard log package
// into buf for the test, as telemetry.Install does in main, so a stray
// log call anywhere is caught too.
func captureLogs(t *testing.T, buf *syncBuffer) {
	t.Helper()
	prev := slog.Default()
	slog.SetDefault(telemetry.NewLogger(buf, slog.LevelDebug))
	t.Cleanup(func() { slog.SetDefault(prev); log.SetOutput(discard{}) })
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// TestNoSecretsInLogs plants the password canary (as the user's password
// and inside a malformed legacy body) and the secret canary (as the API key
// in the secret), drives every path the function has, including every
// failure and a panic, and finds neither canary in any log line, error or
// metric.
func TestNoSecretsInLogs(t *testing.T) {
	var buf syncBuffer
	captureLogs(t, &buf)
	logger := telemetry.NewLogger(&buf, slog.LevelDebug)
	runs := 0
	run := func(name string, cfg migrateuser.Config, store migrateuser.Store, in []byte) {
		t.Helper()
		runs++
		d, err := migrateuser.New(cfg, migrateuser.Deps{Store: store, Gate: exampleGate(t)})
		if err != nil {
			t.Fatal(err)
		}
		h := invoke.New[triggers.MigrateUser](invoke.Options{Function: "migrateuser", Budget: time.Second, Logger: logger}, d.Decide)
		before := len(buf.Bytes())
		out, err := h.Invoke(context.Background(), in)
		if err != nil {
			for _, c := range []string{passwordCanary, apiKeyCanary} {
				if strings.Contains(err.Error(), c) {
					t.Errorf("%s: the error returned to Cognito carries a canary: %q", name, err)
				}
			}
			var ue *decision.UserError
			if errors.As(err, &ue) && ue.Cause != nil && strings.Contains(ue.Cause.Error(), passwordCanary) {
				t.Errorf("%s: the cause carries the password", name)
			}
		} else if bytes.Contains(out, []byte(apiKeyCanary)) {
			t.Errorf("%s: the answer carries the API key", name)
		}
		if len(buf.Bytes()) == before {
			t.Errorf("%s: no decision line", name)
		}
	}
	auth := authEvent(t, fixtureUser, passwordCanary)

	// HTTP source.
	hf := newHTTPFixture(t, passwordCanary)
	run("http migrated", hf.cfg, hf.store(t), auth)
	run("http wrong password", hf.cfg, hf.store(t), authEvent(t, fixtureUser, passwordCanary+"-wrong"))
	run("http unknown user", hf.cfg, hf.store(t), authEvent(t, "nobody@example.com", passwordCanary))
	run("http forgot password", hf.cfg, hf.store(t), forgotEvent(t, fixtureUser))
	for _, f := range []struct {
		name  string
		fault *legacyserver.Fault
	}{
		{"http 500", &legacyserver.Fault{Status: 500, Body: []byte(passwordCanary)}},
		{"http hang", &legacyserver.Fault{Hang: true}},
		{"http body echoing the password", &legacyserver.Fault{Body: []byte(`{"result":"ok","user":{"username":"` + fixtureUser + `","email":"` + passwordCanary + `","email_verified":"` + passwordCanary + `"}}`)}},
		{"http member named like the password", &legacyserver.Fault{Body: []byte(`{"result":"ok","` + passwordCanary + `":1}`)}},
		{"http oversized", &legacyserver.Fault{Body: bytes.Repeat([]byte(passwordCanary), 10000)}},
		{"http not json", &legacyserver.Fault{Body: []byte(passwordCanary), ContentType: "text/plain"}},
	} {
		hf.srv.SetFault(legacyserver.PathVerify, f.fault)
		run(f.name, hf.cfg, hf.store(t), auth)
	}
	hf.srv.SetFault(legacyserver.PathVerify, nil)
	hf.srv.SetAPIKey("another-key")
	run("http unauthorized", hf.cfg, hf.store(t), auth)
	hf.sm.fail(errors.New("ThrottlingException: rate exceeded"))
	run("http secret unavailable", hf.cfg, hf.store(t), auth)

	// Table source.
	tf := newTableFixture(t, passwordCanary, bcrypt.MinCost)
	run("table migrated", tf.cfg, tf.store(t), auth)
	run("table wrong password", tf.cfg, tf.store(t), authEvent(t, fixtureUser, passwordCanary+"-wrong"))
	run("table unknown user", tf.cfg, tf.store(t), authEvent(t, "nobody@example.com", passwordCanary))
	tf.mem.Put(map[string]types.AttributeValue{"username": s("broken@example.com"), "password_hash": s("$2b$04$" + passwordCanary)})
	run("table corrupt hash", tf.cfg, tf.store(t), authEvent(t, "broken@example.com", passwordCanary))
	tf.mem.Err = errors.New("InternalServerError")
	run("table failure", tf.cfg, tf.store(t), auth)

	// Malformed events and a panic.
	run("password of the wrong type", hf.cfg, hf.store(t), bytes.Replace(auth, []byte(`"`+passwordCanary+`"`), []byte(`["`+passwordCanary+`"]`), 1))
	run("duplicate password", hf.cfg, hf.store(t), bytes.Replace(auth, []byte(`"password":`), []byte(`"password":"x","password":`), 1))
	run("truncated event", hf.cfg, hf.store(t), auth[:len(auth)/2+10])
	panicking := newUsers(passwordCanary, maria)
	panicking.panicMsg = "boom"
	run("forced panic", hf.cfg, panicking.fake(), auth)

	logs := buf.Bytes()
	for _, c := range []string{passwordCanary, apiKeyCanary} {
		if i := bytes.Index(logs, []byte(c)); i >= 0 {
			t.Errorf("canary %q in the logs: …%s…", c, logs[max(0, i-200):min(len(logs), i+50)])
		}
	}
	lines := bytes.Split(bytes.TrimSpace(logs), []byte("\n"))
	if len(lines) != runs {
		t.Errorf("%d log lines for %d invocations, want one each", len(lines), runs)
	}
	reasons := map[string]bool{}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Errorf("log line is not JSON: %s", l)
			continue
		}
		if r, ok := m["reason"].(string); ok {
			reasons[r] = true
		}
	}
	for _, r := range []decision.Reason{decision.ReasonLegacyError, decision.ReasonLegacyTimeout, decision.ReasonLegacyMalformed, decision.ReasonLegacyRefused,
		decision.ReasonSecretError, decision.ReasonHashMalformed, decision.ReasonPanic, decision.ReasonMalformedEvent, decision.ReasonInvalidCredentials} {
		if !reasons[string(r)] {
			t.Errorf("no path ended with reason %s (the test does not cover it)", r)
		}
	}
}
