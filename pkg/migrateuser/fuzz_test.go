package migrateuser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/migrateuser"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// fuzzDoer answers every request with the fuzzed status and body, and
// remembers which path was asked.
type fuzzDoer struct {
	status int
	body   []byte
	paths  []string
}

func (d *fuzzDoer) fake() *fakes.HTTPDoer {
	return &fakes.HTTPDoer{DoFn: func(req *http.Request) (*http.Response, error) {
		if req.Body != nil {
			_, _ = io.Copy(io.Discard, req.Body)
			req.Body.Close()
		}
		d.paths = append(d.paths, req.URL.Path)
		return &http.Response{
			StatusCode: d.status, Header: http.Header{"Content-Type": []string{"application/json"}},
			Body: io.NopCloser(bytes.NewReader(d.body)), ContentLength: -1, Request: req,
		}, nil
	}}
}

// rotatingSecret hands out a new API key on every fetch, so a 401 is
// retried once with a "refreshed" key (and refused again: the body is the
// same).
func rotatingSecret() *fakes.SecretsManager {
	var mu sync.Mutex
	n := 0
	return &fakes.SecretsManager{GetSecretValueFn: func(context.Context, *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fakes.SecretString(fmt.Sprintf(`{"api_key":"%s-%d"}`, apiKeyCanary, n)), nil
	}}
}

// FuzzDecide drives the whole decision (event × legacy response body ×
// legacy HTTP status) through the invocation layer, which decodes the
// event into its type, and the real HTTP store, and checks the invariants:
//   - it never panics (the invocation layer would turn a panic into the
//     reason "panic", which is checked for);
//   - it never migrates unless the legacy endpoint answered 200 with a
//     well-formed "ok" for this very user (an independent encoding/json
//     reading of the body must agree), and then never sets
//     forceAliasCreation, sub or username, nor a verified flag the body
//     did not assert;
//   - every "no" leaves the typed event untouched: the answer is exactly
//     the re-encoding of the event as decoded;
//   - errors are one of the two user-safe texts;
//   - the password (a canary spliced into the event) and the API key never
//     appear in the decision line, the error or the answer.
func FuzzDecide(f *testing.F) {
	seedEvents := [][]byte{
		authEvent(f, fixtureUser, passwordCanary),
		authEvent(f, "maria", passwordCanary),
		forgotEvent(f, fixtureUser),
		forgotEvent(f, "maria"),
		testevent.Raw(f, "migrateuser-authentication.json"),
		testevent.Load(f, "migrateuser-authentication.json", testevent.Set("response", map[string]any{"userAttributes": map[string]any{"custom:role": "admin"}, "forceAliasCreation": true})),
		testevent.Load(f, "migrateuser-forgot-password.json", testevent.Set("futureField", map[string]any{"x": 1})),
	}
	bodies := [][]byte{
		[]byte(`{"result":"ok","user":{"username":"` + fixtureUser + `","email":"` + fixtureUser + `","email_verified":true,"attributes":{"name":"Maria","sub":"x"}}}`),
		[]byte(`{"result":"ok","user":{"username":"` + fixtureUser + `","email":"` + fixtureUser + `","email_verified":"true"}}`),
		[]byte(`{"result":"invalid"}`),
		[]byte(`{"result":"not_found"}`),
	}
	var cases []struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(testevent.Raw(f, "../legacy/testdata/responses.json"), &cases); err != nil {
		f.Fatal(err)
	}
	for _, c := range cases {
		bodies = append(bodies, []byte(c.Body))
	}
	for i, b := range bodies {
		ev := seedEvents[i%len(seedEvents)]
		for _, st := range []uint16{200, 401, 500} {
			if st != 200 && i > 3 {
				continue
			}
			f.Add(ev, b, st)
		}
	}
	for _, ev := range seedEvents {
		f.Add(ev, bodies[0], uint16(200))
	}

	doer := &fuzzDoer{}
	cfg := baseConfig()
	cfg.Source, cfg.AuthURL, cfg.SecretID, cfg.SecretTTL, cfg.LegacyTimeout = migrateuser.SourceHTTP, "https://legacy.example.com", "legacy/api", time.Hour, time.Second
	cfg.Attributes = []string{"name", "phone_number"}
	store, err := migrateuser.NewStore(cfg, migrateuser.Clients{Secrets: rotatingSecret(), HTTP: doer.fake()})
	if err != nil {
		f.Fatal(err)
	}
	d, err := migrateuser.New(cfg, migrateuser.Deps{Store: store, Gate: exampleGate(f)})
	if err != nil {
		f.Fatal(err)
	}
	var logs bytes.Buffer
	h := invoke.New[triggers.MigrateUser](invoke.Options{Function: "migrateuser", Budget: 2 * time.Second,
		Logger: telemetry.NewLogger(&logs, slog.LevelDebug)}, d.Decide)

	f.Fuzz(func(t *testing.T, ev []byte, body []byte, status uint16) {
		ev = plantPassword(ev)
		st := int(status) % 600
		if st < 100 {
			st = 200
		}
		doer.status, doer.body, doer.paths = st, body, doer.paths[:0]
		logs.Reset()

		out, err := h.Invoke(context.Background(), ev)
		line := logs.String()

		if strings.Contains(line, `"reason":"panic"`) {
			t.Fatalf("the decision panicked: %s", line)
		}
		if err != nil && err.Error() != decision.GenericMessage && err.Error() != decision.MalformedMessage {
			t.Fatalf("error text %q is not a user-safe message", err)
		}
		for _, where := range []string{line, string(out), fmt.Sprint(err)} {
			if strings.Contains(where, apiKeyCanary) {
				t.Fatalf("the API key leaked: %s", where)
			}
		}
		if bytes.Count(ev, []byte(passwordCanary)) == 1 && strings.Contains(line+fmt.Sprint(err), passwordCanary) {
			t.Fatalf("the password leaked into the decision line: %s", line)
		}
		if err != nil {
			return
		}
		if !strings.Contains(line, `"outcome":"migrated"`) {
			untouched, derr := triggers.Decode[triggers.MigrateUser](ev)
			if derr != nil {
				t.Fatalf("a %q answer to an event that does not decode: %v", outcomeOf(line), derr)
			}
			want, eerr := triggers.Encode(untouched)
			if eerr != nil {
				t.Fatalf("encode the untouched event: %v", eerr)
			}
			if !bytes.Equal(out, want) {
				t.Fatalf("a %q answer is not the event unchanged:\n want %q\n out  %q", outcomeOf(line), want, out)
			}
			return
		}
		checkMigration(t, ev, out, doer, body)
	})
}

func outcomeOf(line string) string {
	var m map[string]any
	_ = json.Unmarshal([]byte(line), &m)
	o, _ := m["outcome"].(string)
	return o
}

// checkMigration is the oracle for a migrated answer: it re-derives, with
// encoding/json and nothing from the code under test, what the legacy
// endpoint said.
func checkMigration(t *testing.T, ev, out []byte, doer *fuzzDoer, body []byte) {
	t.Helper()
	var event struct {
		TriggerSource string `json:"triggerSource"`
		UserName      string `json:"userName"`
		Request       struct {
			Password *string `json:"password"`
		} `json:"request"`
	}
	if err := json.Unmarshal(ev, &event); err != nil {
		t.Fatalf("migrated an event encoding/json cannot read: %v", err)
	}
	if doer.status != 200 {
		t.Fatalf("migrated on HTTP %d", doer.status)
	}
	wantPath := "/verify"
	if event.TriggerSource == string(triggers.SourceMigrateForgotPassword) {
		wantPath = "/lookup"
	} else if event.Request.Password == nil || *event.Request.Password == "" {
		t.Fatalf("migrated without a password")
	}
	if len(doer.paths) != 1 || doer.paths[0] != wantPath {
		t.Fatalf("migrated after asking %v, want exactly %s", doer.paths, wantPath)
	}
	var said struct {
		Result string `json:"result"`
		User   *struct {
			Username            string `json:"username"`
			EmailVerified       bool   `json:"email_verified"`
			PhoneNumberVerified bool   `json:"phone_number_verified"`
		} `json:"user"`
	}
	if err := json.Unmarshal(body, &said); err != nil || said.Result != "ok" || said.User == nil || said.User.Username != event.UserName {
		t.Fatalf("migrated although the endpoint did not vouch for %q: %q (%v)", event.UserName, body, err)
	}
	var got struct {
		Response map[string]json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	var attrs map[string]string
	if err := json.Unmarshal(got.Response["userAttributes"], &attrs); err != nil {
		t.Fatalf("userAttributes: %v", err)
	}
	for _, k := range []string{"sub", "username", "cognito:username"} {
		if _, ok := attrs[k]; ok {
			t.Fatalf("response sets %s", k)
		}
	}
	if _, ok := got.Response["forceAliasCreation"]; ok {
		t.Fatal("response sets forceAliasCreation")
	}
	if attrs["email_verified"] == "true" && !said.User.EmailVerified {
		t.Fatal("email marked verified without the endpoint saying so")
	}
	if attrs["phone_number_verified"] == "true" && !said.User.PhoneNumberVerified {
		t.Fatal("phone marked verified without the endpoint saying so")
	}
	if event.TriggerSource == string(triggers.SourceMigrateForgotPassword) && attrs["email_verified"] != "true" && attrs["phone_number_verified"] != "true" {
		t.Fatal("forgot-password migration without a verified contact")
	}
}

// plantPassword sets the password of an authentication event that
// decodes to the canary, so that a leak is recognisable; anything else is
// kept as it is.
func plantPassword(ev []byte) []byte {
	typed, err := triggers.Decode[triggers.MigrateUser](ev)
	if err != nil || typed.Request.Password == "" {
		return ev
	}
	typed.Request.Password = passwordCanary
	out, err := triggers.Encode(typed)
	if err != nil {
		return ev
	}
	return out
}
