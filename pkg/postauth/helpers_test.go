package postauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// TestMain shares one moto_server between the integration tests; unit
// tests and benchmarks never start it.
func TestMain(m *testing.M) { harness.Main(m) }

// fixture is the post authentication event in events/.
const fixture = "postauth-authentication.json"

// fixtureSub is the sub of the fixture's user.
const fixtureSub = "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b"

// event returns the post authentication fixture after the edits.
func event(tb testing.TB, edits ...testevent.Edit) []byte {
	tb.Helper()
	return testevent.Load(tb, fixture, edits...)
}

// newDecider is postauth.New for a configuration the test expects to be
// valid.
func newDecider(tb testing.TB, cfg postauth.Config, deps postauth.Deps) *postauth.Decider {
	tb.Helper()
	d, err := postauth.New(cfg, deps)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// invocationBudget is the budget of the handlers the tests build.
const invocationBudget = 4 * time.Second

// handler returns the function's invoke.Handler over d, logging to logs
// when it is not nil.
func handler(d *postauth.Decider, logs *bytes.Buffer) *invoke.Handler[triggers.PostAuth, *triggers.PostAuth] {
	var log *slog.Logger
	if logs != nil {
		log = telemetry.NewLogger(logs, slog.LevelInfo)
	}
	return invoke.New[triggers.PostAuth](invoke.Options{Function: "postauth", Budget: invocationBudget, Logger: log}, d.Decide)
}

// withRequestID is the context Lambda gives an invocation.
func withRequestID(ctx context.Context, id string) context.Context {
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: id})
}

// decisionLines parses every log line; each must be one JSON object
// without repeated names (the strict decoder refuses them).
func decisionLines(tb testing.TB, logs []byte) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(logs), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := jsonv2.Unmarshal(line, &m); err != nil {
			tb.Fatalf("log line is not one JSON object with distinct names: %v\n%s", err, line)
		}
		out = append(out, m)
	}
	return out
}

// echoDiff compares the answer out with what the function must answer for
// in: the event as sent with "response" replaced by {}. The answer is the
// event re-encoded from its typed form, so both are compared as
// encoding/json decodes them, and the typed model's defaults are applied to
// in first: "region", "callerContext.awsSdkVersion" and ".clientId" read
// as "" when absent or null, an empty or null "userName" is omitted,
// "request.newDeviceUsed" reads as false when absent or null, a null
// "userAttributes" or "clientMetadata" is omitted, a null value in them
// reads as "", and a value of another type than string comes back as its
// JSON text (compared by meaning).
func echoDiff(tb testing.TB, in, out []byte) string {
	tb.Helper()
	want, ok := decodeNumbers(tb, in).(map[string]any)
	if !ok {
		tb.Fatalf("event is not an object: %s", in)
	}
	got, ok := decodeNumbers(tb, out).(map[string]any)
	if !ok {
		tb.Fatalf("answer is not an object: %s", out)
	}
	want["response"] = map[string]any{}
	defaultString(want, "region")
	if s, _ := want["userName"].(string); s == "" {
		delete(want, "userName")
	}
	cc, _ := want["callerContext"].(map[string]any)
	if cc == nil {
		cc = map[string]any{}
		want["callerContext"] = cc
	}
	defaultString(cc, "awsSdkVersion")
	defaultString(cc, "clientId")
	req, ok := want["request"].(map[string]any)
	if !ok {
		tb.Fatalf("accepted event has no request object: %s", in)
	}
	if _, ok := req["newDeviceUsed"].(bool); !ok {
		req["newDeviceUsed"] = false
	}
	gotReq, _ := got["request"].(map[string]any)
	for _, name := range []string{"userAttributes", "clientMetadata"} {
		attrs, ok := req[name].(map[string]any)
		if !ok {
			delete(req, name)
			continue
		}
		gotAttrs, _ := gotReq[name].(map[string]any)
		for k, v := range attrs {
			switch v.(type) {
			case string:
			case nil:
				attrs[k] = ""
			default:
				attrs[k] = jsonText{v}
				if s, ok := gotAttrs[k].(string); ok {
					gotAttrs[k] = jsonText{decodeNumbers(tb, []byte(s))}
				}
			}
		}
	}
	return cmp.Diff(want, got)
}

// jsonText is an attribute value that was not a string, by meaning.
type jsonText struct{ V any }

func defaultString(m map[string]any, name string) {
	if _, ok := m[name].(string); !ok {
		m[name] = ""
	}
}

// decodeNumbers decodes JSON with encoding/json, numbers as written.
func decodeNumbers(tb testing.TB, b []byte) any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("not JSON: %v\n%q", err, b)
	}
	return v
}
