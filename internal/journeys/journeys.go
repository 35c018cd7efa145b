// Package journeys plays Cognito's part end to end: the sign-up and sign-in
// flows of a real user pool, in Cognito's order, with the events Cognito
// sends, through all five real binaries under the Lambda emulator against
// the seeded local world. `make demo` prints them; the package's test
// asserts every outcome.
package journeys

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/localenv"
)

// Step is one trigger invocation of a journey.
type Step struct {
	Journey  string
	Function string
	Source   string
	Decision string // what the function decided, in a few words
	Detail   string // claims or message summary
	Took     time.Duration
	Err      error // the step's outcome was not the expected one
}

// Runner runs journeys against a world, with one warm Lambda per function
// (as a busy user pool would have).
type Runner struct {
	world   *localenv.World
	lambdas map[string]*harness.Lambda
	out     io.Writer
	Steps   []Step
}

// NewRunner starts the five functions in world. out receives one line per
// step as it completes (nil: nothing printed).
func NewRunner(ctx context.Context, world *localenv.World, out io.Writer) (*Runner, error) {
	r := &Runner{world: world, lambdas: map[string]*harness.Lambda{}, out: out}
	for _, fn := range localenv.Functions {
		l, err := world.Lambda(ctx, fn, nil)
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", fn, err)
		}
		r.lambdas[fn] = l
	}
	return r, nil
}

// Lambdas returns the running functions, for process checks.
func (r *Runner) Lambdas() map[string]*harness.Lambda { return r.lambdas }

// event is a fixture with edits applied.
type event map[string]any

func load(fixture string) (event, error) {
	raw, err := localenv.Fixture(fixture)
	if err != nil {
		return nil, err
	}
	var ev event
	return ev, json.Unmarshal(raw, &ev)
}

func (e event) request() map[string]any { return e["request"].(map[string]any) }

func (e event) attrs(kv ...string) event {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	e.request()["userAttributes"] = m
	return e
}

// call invokes fn with ev and records a step; check turns the answer into a
// decision and detail, or an error when the outcome is not the expected one.
func (r *Runner) call(ctx context.Context, journey, fn string, ev event, check func(res harness.Result, body map[string]any) (decision, detail string, err error)) map[string]any {
	st := Step{Journey: journey, Function: fn, Source: fmt.Sprint(ev["triggerSource"])}
	var res harness.Result
	payload, err := json.Marshal(ev)
	if err == nil {
		res, err = r.lambdas[fn].Invoke(ctx, payload)
	} else {
		err = fmt.Errorf("encode the event: %w", err)
	}
	st.Took = res.Duration
	var body map[string]any
	if err == nil && !res.Failed() {
		if jerr := json.Unmarshal(res.Body, &body); jerr != nil {
			err = fmt.Errorf("answer is not JSON: %v", jerr)
		}
	}
	if err == nil {
		st.Decision, st.Detail, st.Err = check(res, body)
	} else {
		st.Err = err
	}
	r.Steps = append(r.Steps, st)
	if r.out != nil {
		mark := "ok "
		if st.Err != nil {
			mark = "FAIL"
		}
		fmt.Fprintf(r.out, "  %s %-13s %-38s %-26s %-60s %6.1f ms\n", mark, st.Function, st.Source, st.Decision, truncate(detailOrErr(st), 60), float64(st.Took.Microseconds())/1000)
	}
	return body
}

func detailOrErr(st Step) string {
	if st.Err != nil {
		return st.Err.Error()
	}
	return st.Detail
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// get walks a decoded JSON value by keys.
func get(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any, path ...string) string { s, _ := get(v, path...).(string); return s }

// Checks.

func allowed(res harness.Result, body map[string]any) (string, string, error) {
	if res.Failed() {
		return "", "", fmt.Errorf("refused: %s", res.ErrorMessage)
	}
	return "allowed", "no auto-confirm, no auto-verify", nil
}

func refused(want string) func(harness.Result, map[string]any) (string, string, error) {
	return func(res harness.Result, body map[string]any) (string, string, error) {
		if !res.Failed() {
			return "", "", fmt.Errorf("allowed, want refused")
		}
		if res.ErrorMessage != want {
			return "", "", fmt.Errorf("user sees %q, want %q", res.ErrorMessage, want)
		}
		return "refused", fmt.Sprintf("user sees %q", res.ErrorMessage), nil
	}
}

func message(needUsername bool) func(harness.Result, map[string]any) (string, string, error) {
	return func(res harness.Result, body map[string]any) (string, string, error) {
		if res.Failed() {
			return "", "", fmt.Errorf("error: %s", res.ErrorMessage)
		}
		code := str(body, "request", "codeParameter")
		email, sms, subject := str(body, "response", "emailMessage"), str(body, "response", "smsMessage"), str(body, "response", "emailSubject")
		if email == "" || sms == "" || subject == "" {
			return "", "", fmt.Errorf("not rendered (default message): %v", body["response"])
		}
		if !strings.Contains(email, code) || !strings.Contains(sms, code) {
			return "", "", fmt.Errorf("code placeholder %q missing", code)
		}
		if needUsername {
			u := str(body, "request", "usernameParameter")
			if !strings.Contains(email, u) || !strings.Contains(sms, u) {
				return "", "", fmt.Errorf("username placeholder %q missing", u)
			}
		}
		return "rendered", fmt.Sprintf("%q, SMS %d chars", subject, len([]rune(sms))), nil
	}
}

func migrated(status string) func(harness.Result, map[string]any) (string, string, error) {
	return func(res harness.Result, body map[string]any) (string, string, error) {
		if res.Failed() {
			return "", "", fmt.Errorf("error: %s", res.ErrorMessage)
		}
		if got := str(body, "response", "finalUserStatus"); got != status {
			return "", "", fmt.Errorf("finalUserStatus %q, want %q (response %v)", got, status, body["response"])
		}
		if str(body, "response", "messageAction") != "SUPPRESS" || str(body, "response", "userAttributes", "email_verified") != "true" {
			return "", "", fmt.Errorf("profile not vouched: %v", body["response"])
		}
		return "migrated", fmt.Sprintf("%s, email verified by the legacy store", status), nil
	}
}

// claims checks a V2/V3 answer's tenant and role in the access token (and
// the ID token for users).
func claims(tenant, role string, user bool) func(harness.Result, map[string]any) (string, string, error) {
	return func(res harness.Result, body map[string]any) (string, string, error) {
		if res.Failed() {
			return "", "", fmt.Errorf("denied: %s", res.ErrorMessage)
		}
		details := get(body, "response", "claimsAndScopeOverrideDetails")
		tokens := []string{"accessTokenGeneration"}
		if user {
			tokens = append(tokens, "idTokenGeneration")
		}
		for _, tok := range tokens {
			add := get(details, tok, "claimsToAddOrOverride")
			if str(add, "tenant_id") != tenant || str(add, "app_role") != role {
				return "", "", fmt.Errorf("%s claims %v, want tenant_id=%s app_role=%s", tok, add, tenant, role)
			}
		}
		detail := fmt.Sprintf("tenant_id=%s app_role=%s", tenant, role)
		if scopes, _ := get(details, "accessTokenGeneration", "scopesToAdd").([]any); len(scopes) > 0 {
			detail += fmt.Sprintf(" +scopes %v", scopes)
		}
		if sup, _ := get(details, "idTokenGeneration", "claimsToSuppress").([]any); user && !contains(sup, "custom:tenant_id") {
			return "", "", fmt.Errorf("custom:tenant_id not suppressed: %v", sup)
		}
		return "claims added", detail, nil
	}
}

func contains(list []any, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// audited checks that post authentication answered and that the audit
// table holds the sign-in.
func (r *Runner) audited(ctx context.Context, sub string) func(harness.Result, map[string]any) (string, string, error) {
	return func(res harness.Result, body map[string]any) (string, string, error) {
		if res.Failed() {
			return "", "", fmt.Errorf("sign-in refused: %s", res.ErrorMessage)
		}
		out, err := r.world.Moto.DynamoDB().Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(localenv.AuditTable),
			KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :p)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "user#" + sub}, ":p": &types.AttributeValueMemberS{Value: "signin#"}},
		})
		if err != nil {
			return "", "", fmt.Errorf("query audit table: %v", err)
		}
		if out.Count == 0 {
			return "", "", fmt.Errorf("no audit item for user#%s", sub)
		}
		return "recorded", fmt.Sprintf("%d audit item(s) for this user", out.Count), nil
	}
}

// lastDecisionHas reports whether fn's last decision line contains s.
func (r *Runner) lastDecisionHas(fn, s string) bool {
	lines := r.lambdas[fn].FunctionLogLines()
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(string(lines[i]), `"message":"decision"`) {
			return strings.Contains(string(lines[i]), s)
		}
	}
	return false
}
