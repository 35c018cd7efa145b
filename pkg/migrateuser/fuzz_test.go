package migrateuser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/jsonscan"
	"github.com/cognito-triggers/suite/pkg/presignup"
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

func (d *fuzzDoer) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	d.paths = append(d.paths, req.URL.Path)
	return &http.Response{
		StatusCode: d.status, Header: http.Header{"Content-Type": []string{"application/json"}},
		Body: io.NopCloser(bytes.NewReader(d.body)), ContentLength: -1, Request: req,
	}, nil
}

// rotatingSM hands out a new API key on every fetch, so a 401 is retried
// once with a "refreshed" key (and refused again: the body is the same).
type rotatingSM struct {
	mu sync.Mutex
	n  int
}

func (r *rotatingSM) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	v := fmt.Sprintf(`{"api_key":"%s-%d"}`, apiKeyCanary, r.n)
	return &secretsmanager.GetSecretValueOutput{SecretString: &v}, nil
}

// FuzzDecide drives the whole decision (event bytes × legacy response
// body × legacy HTTP status) through the invocation layer and the real HTTP
// store, and checks the invariants:
//   - it never panics (the invocation layer would turn a panic into the
//     reason "panic", which is checked for);
//   - it never migrates unless the legacy endpoint answered 200 with a
//     well-formed "ok" for this very user (an independent encoding/json
//     reading of the body must agree), and then never sets
//     forceAliasCreation, sub or username, nor a verified flag the body
//     did not assert;
//   - every "no" is the event byte for byte;
//   - errors are one of the two user-safe texts;
//   - the password (a canary spliced into the event) and the API key never
//     appear in the decision line, the error or the answer.
func FuzzDecide(f *testing.F) {
	seedEvents := [][]byte{
		authEvent(f, fixtureUser, passwordCanary),
		authEvent(f, "maria", passwordCanary),
		forgotEvent(f, fixtureUser),
		forgotEvent(f, "maria"),
		event(f, "migrateuser-authentication.json", nil),
	}
	bodies := [][]byte{
		[]byte(`{"result":"ok","user":{"username":"` + fixtureUser + `","email":"` + fixtureUser + `","email_verified":true,"attributes":{"name":"Maria","sub":"x"}}}`),
		[]byte(`{"result":"ok","user":{"username":"` + fixtureUser + `","email":"` + fixtureUser + `","email_verified":"true"}}`),
		[]byte(`{"result":"invalid"}`),
		[]byte(`{"result":"not_found"}`),
	}
	if raw, err := os.ReadFile("../legacy/testdata/responses.json"); err == nil {
		var cases []struct {
			Body string `json:"body"`
		}
		_ = json.Unmarshal(raw, &cases)
		for _, c := range cases {
			bodies = append(bodies, []byte(c.Body))
		}
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
	cfg.Source, cfg.AuthURL, cfg.SecretID, cfg.SecretTTL, cfg.LegacyTimeout = SourceHTTP, "https://legacy.example.com", "legacy/api", time.Hour, time.Second
	cfg.Attributes = []string{"name", "phone_number"}
	store, err := NewStore(cfg, Deps{Secrets: &rotatingSM{}, HTTP: doer})
	if err != nil {
		f.Fatal(err)
	}
	al, _ := emailgate.ParseAllowlist("example.com")
	gate, _ := presignup.New(presignup.Config{Allowlist: al}, nil)
	d, err := New(cfg, store, gate)
	if err != nil {
		f.Fatal(err)
	}
	var logs bytes.Buffer
	h := invoke.New(invoke.Options{Function: "migrateuser", Trigger: triggers.TriggerUserMigration, Budget: 2 * time.Second,
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
		if err != nil && err.Error() != triggers.GenericMessage && err.Error() != invoke.MalformedMessage {
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
			if !bytes.Equal(out, ev) {
				t.Fatalf("a %q answer is not the event unchanged:\n in  %q\n out %q", outcomeOf(line), ev, out)
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

// plantPassword replaces the value of request.password, when it is a
// plain JSON string, with the canary, in place: the rest of the fuzzed
// event is kept byte for byte.
func plantPassword(ev []byte) []byte {
	env, err := triggers.ParseEnvelope(ev)
	if err != nil || len(env.Request) == 0 {
		return ev
	}
	off := cap(ev) - cap(env.Request) // env.Request is a subslice of ev
	if off < 0 || off > len(ev) {
		return ev
	}
	var start, end = -1, -1
	_ = jsonscan.Object(env.Request, func(m jsonscan.Member) error {
		if string(m.Key) == "password" && jsonscan.KindOf(m.Value) == jsonscan.KindString {
			start, end = m.Start, m.End
		}
		return nil
	})
	if start < 0 {
		return ev
	}
	out := make([]byte, 0, len(ev)+len(passwordCanary))
	out = append(out, ev[:off+start]...)
	out = append(out, '"')
	out = append(out, passwordCanary...)
	out = append(out, '"')
	return append(out, ev[off+end:]...)
}
