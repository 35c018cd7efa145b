package custommessage

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

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

// readFixture returns events/<name>.
func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// event returns a fixture, edited through its decoded form when edit is set.
func event(tb testing.TB, name string, edit func(ev map[string]any)) []byte {
	tb.Helper()
	raw := readFixture(tb, name)
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

// request returns the event's request object.
func request(ev map[string]any) map[string]any { return ev["request"].(map[string]any) }

// setAttrs sets user attributes (a nil value deletes one).
func setAttrs(attrs map[string]any) func(map[string]any) {
	return func(ev map[string]any) {
		ua := request(ev)["userAttributes"].(map[string]any)
		for k, v := range attrs {
			if v == nil {
				delete(ua, k)
				continue
			}
			ua[k] = v
		}
	}
}

// handler is the function as Lambda runs it, minus the runtime.
func handler(tb testing.TB, cfg Config, r Renderer, logs io.Writer) *invoke.Handler {
	tb.Helper()
	if logs == nil {
		logs = io.Discard
	}
	if cfg.Message == (message.Config{}) {
		cfg.Message = brand
	}
	return invoke.New(invoke.Options{Function: "custommessage", Trigger: triggers.TriggerCustomMessage,
		Logger: telemetry.NewLogger(logs, slog.LevelInfo)}, New(cfg, r).Decide)
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

// wantInput is what the handler should have passed to the renderer for
// event in, worked out with the reference decoder rather than the
// handler's own reading.
func wantInput(tb testing.TB, in []byte, cfg Config) message.Input {
	tb.Helper()
	ev, err := triggers.DecodeCustomMessage(in)
	if err != nil {
		tb.Fatalf("reference decoder: %v", err)
	}
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

// fakeRenderer is a Renderer with injected behaviour.
type fakeRenderer struct {
	renderFn func(message.Input) (message.Output, error)
}

func (f fakeRenderer) Render(in message.Input) (message.Output, error) { return f.renderFn(in) }
func (f fakeRenderer) Locale(string) string                            { return "en" }

var _ Renderer = fakeRenderer{}
var _ Renderer = (*message.Renderer)(nil)

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

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
