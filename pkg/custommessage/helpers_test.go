package custommessage_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/message"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// brand is the branding every test renders with.
var brand = message.Config{AppName: "Acme", AppURL: "https://app.example.com", SupportEmail: "support@example.com"}

// fixtures are the seven custom message events, one per source.
var fixtures = []string{
	"custommessage-signup.json",
	"custommessage-admin-create-user.json",
	"custommessage-resend-code.json",
	"custommessage-forgot-password.json",
	"custommessage-update-user-attribute.json",
	"custommessage-verify-user-attribute.json",
	"custommessage-authentication.json",
}

// sharedRenderer is built once per test binary: New parses and checks all
// templates, which is the cold start, not what the tests measure.
var sharedRenderer = sync.OnceValues(func() (*message.Renderer, error) { return message.New(brand) })

func testRenderer(tb testing.TB) *message.Renderer {
	tb.Helper()
	r, err := sharedRenderer()
	if err != nil {
		tb.Fatalf("message.New: %v", err)
	}
	return r
}

// Handler is the function as Lambda runs it, minus the runtime.
type Handler = invoke.Handler[triggers.CustomMessage, *triggers.CustomMessage]

// handler builds the function as main does: the Decider behind invoke,
// with MalformedRequest set.
func handler(tb testing.TB, cfg custommessage.Config, r custommessage.Renderer, logs io.Writer) *Handler {
	tb.Helper()
	if cfg.Message == (message.Config{}) {
		cfg.Message = brand
	}
	d, err := custommessage.New(cfg, custommessage.Deps{Renderer: r})
	if err != nil {
		tb.Fatal(err)
	}
	return handlerFor(d, logs)
}

// handlerFor puts invoke in front of d.
func handlerFor(d *custommessage.Decider, logs io.Writer) *Handler {
	if logs == nil {
		logs = io.Discard
	}
	return invoke.New[triggers.CustomMessage](invoke.Options{Function: "custommessage",
		Logger: telemetry.NewLogger(logs, slog.LevelInfo), MalformedRequest: custommessage.MalformedRequest}, d.Decide)
}

// fakeRenderer is a Renderer that renders with render and resolves every
// locale to "en".
func fakeRenderer(render func(message.Input) (message.Output, error)) *fakes.Renderer {
	return &fakes.Renderer{RenderFn: render, LocaleFn: func(string) string { return "en" }}
}

// decoded unmarshals a JSON object.
func decoded(tb testing.TB, b []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("not a JSON object: %v\n%s", err, b)
	}
	return m
}

// decisionLines parses the log, one JSON object per line.
func decisionLines(tb testing.TB, logs []byte) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(logs), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		out = append(out, decoded(tb, line))
	}
	return out
}

// lastDecision returns the only decision line in logs.
func lastDecision(tb testing.TB, logs *bytes.Buffer) map[string]any {
	tb.Helper()
	lines := decisionLines(tb, logs.Bytes())
	if len(lines) != 1 {
		tb.Fatalf("%d log lines, want exactly one decision line:\n%s", len(lines), logs)
	}
	logs.Reset()
	return lines[0]
}

// marshal encodes v for a test's assertions.
func marshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// wantInput is what the handler should have passed to the renderer for
// event in, worked out from the typed event rather than from the Decider.
func wantInput(tb testing.TB, in []byte, cfg custommessage.Config) message.Input {
	tb.Helper()
	ev := testevent.Decode[triggers.CustomMessage](tb, in)
	mi := message.Input{
		Source:        ev.TriggerSource,
		Locale:        ev.Request.UserAttributes.Get("locale"),
		CodeParameter: ev.Request.CodeParameter,
		UserName:      ev.UserName,
	}
	if ev.Request.UsernameParameter != nil {
		mi.UsernameParameter = *ev.Request.UsernameParameter
	}
	if cfg.LinkVerification {
		mi.LinkParameter = ev.Request.LinkParameter
	}
	for _, a := range []string{"given_name", "name", "nickname"} {
		if v := ev.Request.UserAttributes.Get(a); v != "" {
			if mi.Attributes == nil {
				mi.Attributes = map[string]string{}
			}
			mi.Attributes[a] = v
		}
	}
	return mi
}

// responseOutput reads the three response fields of a returned event;
// emailSet reports whether the email fields are strings (not null).
func responseOutput(tb testing.TB, out []byte) (o message.Output, emailSet bool) {
	tb.Helper()
	var ev struct {
		Response struct {
			SMSMessage   *string `json:"smsMessage"`
			EmailMessage *string `json:"emailMessage"`
			EmailSubject *string `json:"emailSubject"`
		} `json:"response"`
	}
	if err := json.Unmarshal(out, &ev); err != nil {
		tb.Fatalf("response is not JSON: %v", err)
	}
	r := ev.Response
	if r.SMSMessage == nil {
		tb.Fatalf("smsMessage is null in a rendered response")
	}
	if (r.EmailMessage == nil) != (r.EmailSubject == nil) {
		tb.Fatalf("emailMessage and emailSubject disagree on null: %v %v", r.EmailMessage, r.EmailSubject)
	}
	o.SMSMessage = *r.SMSMessage
	if r.EmailMessage != nil {
		o.EmailMessage, o.EmailSubject = *r.EmailMessage, *r.EmailSubject
		emailSet = true
	}
	return o, emailSet
}

// fields lists an output's three fields by name, for per-field assertions.
func fields(o message.Output) map[string]string {
	return map[string]string{"emailSubject": o.EmailSubject, "smsMessage": o.SMSMessage, "emailMessage": o.EmailMessage}
}

// containsFold reports whether s contains sub, ignoring case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// TestMain shortens the minimisation of new fuzz inputs unless the command
// line sets -fuzzminimizetime. An event is several hundred bytes, Go's
// minimiser is quadratic in the input length, and at its default of 60 s a
// short run (make test gives each target 3 s, a review run 20 s) would do
// nothing but minimise the first new input it finds.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.fuzzminimizetime" })
	if !set {
		if err := flag.Set("test.fuzzminimizetime", "2s"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
