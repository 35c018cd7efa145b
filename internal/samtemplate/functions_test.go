package samtemplate

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/migrateuser"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/presignup"
	"github.com/cognito-triggers/suite/pkg/pretoken"
	"github.com/cognito-triggers/suite/pkg/signupgate"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// function is what the template tests know of one function's code: the
// name its main gives invoke.Main (the "function" metric dimension, which
// is also its directory under functions/), what its main reads from the
// environment, and the metrics it publishes.
type function struct {
	name string
	// configure reads the configuration exactly as the function's main
	// does: invoke.Main's shared options, then its build function's reads,
	// through the same LoadOptions, LoadConfig and awsconf.Load calls and
	// under the same conditions. Keep it in step with functions/<dir>/main.go.
	configure func(env *envconfig.Reader)
	metrics   []string
}

// functions is keyed by the package the Makefile builds.
var functions = map[string]function{
	"./functions/presignup": {name: "presignup", configure: func(env *envconfig.Reader) {
		invoke.LoadOptions(env, "presignup", nil)
		// Only a table needs AWS settings.
		if cfg := presignup.LoadConfig(env); cfg.Table != "" {
			awsconf.Load(env)
		}
	}},
	"./functions/pretoken": {name: "pretoken", configure: func(env *envconfig.Reader) {
		invoke.LoadOptions(env, "pretoken", nil)
		pretoken.LoadConfig(env)
		awsconf.Load(env)
	}, metrics: []string{pretoken.MetricBoundFromDomain, pretoken.MetricCacheHit, pretoken.MetricCacheMiss, pretoken.MetricTableLatency}},
	"./functions/postauth": {name: "postauth", configure: func(env *envconfig.Reader) {
		invoke.LoadOptions(env, "postauth", nil)
		postauth.LoadConfig(env)
		awsconf.Load(env)
	}, metrics: postauth.Metrics()},
	"./functions/migrateuser": {name: "migrateuser", configure: func(env *envconfig.Reader) {
		invoke.LoadOptions(env, "migrateuser", nil)
		migrateuser.LoadConfig(env, signupgate.LoadConfig(env))
		awsconf.Load(env)
	}, metrics: migrateuser.Metrics()},
	"./functions/custommessage": {name: "custommessage", configure: func(env *envconfig.Reader) {
		invoke.LoadOptions(env, "custommessage", nil)
		// main reads these through a Reader of their own (a mistake in
		// them is not a cold-start failure); the names are the same. The
		// error is a configuration problem, which functionReads does not
		// look at.
		_, _ = custommessage.Configure(env)
	}, metrics: []string{custommessage.MetricRendered, custommessage.MetricRenderFailures}},
}

// lambdaEnv is what Lambda sets in every function: the code may rely on it
// without the template setting it.
var lambdaEnv = map[string]string{
	"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example", "AWS_SESSION_TOKEN": "example",
}

// functionReads builds the function's configuration under every
// environment the template can give it (Template.Environments) with a
// Reader that records each name asked for, and returns their union. The
// Reader's problems are not looked at: the placeholder values stand in for
// what only a deployment knows and need not be valid, and it is the names
// that are compared with the template.
func functionReads(tb testing.TB, tpl *Template, id, pkg string) FunctionReads {
	tb.Helper()
	f, ok := functions[pkg]
	if !ok {
		return FunctionReads{Package: pkg, Err: errNoConfiguration(pkg)}
	}
	envs, err := tpl.Environments(id, lambdaEnv)
	if err != nil {
		return FunctionReads{Package: pkg, Err: err}
	}
	names := map[string]bool{}
	for _, env := range envs {
		r := envconfig.New(func(k string) string { return env[k] })
		f.configure(r)
		for _, n := range r.Names() {
			names[n] = true
		}
	}
	return FunctionReads{Package: pkg, Names: slices.Sorted(maps.Keys(names))}
}

type errNoConfiguration string

func (e errNoConfiguration) Error() string {
	return "no configuration is known for " + string(e) + " (add it to functions in functions_test.go)"
}

// TestEnvironment compares, for every function, the variables its code
// reads (recorded by envconfig.Reader while its configuration is built)
// with the variables the template sets.
func TestEnvironment(t *testing.T) {
	tpl, targets := loadTemplate(t), makefileTargets(t)
	reads := map[string]FunctionReads{}
	for _, fn := range tpl.Functions() {
		pkg := targets["build-"+fn]
		if pkg == "" {
			continue // CheckEnv reports it
		}
		r := functionReads(t, tpl, fn, pkg)
		reads[fn] = r
		t.Logf("%s (%s) reads %v", fn, pkg, r.Names)
	}
	for _, p := range CheckEnv(tpl, reads) {
		t.Error(p)
	}
}

// TestFunctionsMatchMakefile: every package the Makefile builds has a
// configuration here and none is left over, so that no function escapes
// TestEnvironment; and each name is the package's directory, the name the
// journeys see on the real binaries' decision lines.
func TestFunctionsMatchMakefile(t *testing.T) {
	built := map[string]bool{}
	for _, pkg := range makefileTargets(t) {
		if pkg != "" {
			built[pkg] = true
		}
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(built)), slices.Sorted(maps.Keys(functions))); diff != "" {
		t.Errorf("packages (-Makefile +functions_test.go):\n%s", diff)
	}
	for pkg, f := range functions {
		if dir := filepath.Base(pkg); f.name != dir {
			t.Errorf("%s: function name %q, want its directory %q", pkg, f.name, dir)
		}
	}
}

// TestPresignupReads pins what pre sign-up reads, computed names included:
// the endpoint overrides are read as "AWS_ENDPOINT_URL_"+service, which
// no scan of the source for literal names can find.
func TestPresignupReads(t *testing.T) {
	tpl := loadTemplate(t)
	r := functionReads(t, tpl, "PreSignUpFunction", "./functions/presignup")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	for _, want := range []string{"ALLOWED_EMAIL_DOMAINS", "ALLOWED_PHONE_COUNTRY_CODES", "CLAIMS_TABLE", "TABLE_TIMEOUT_MS",
		"TRIGGER_BUDGET_MS", "METRICS_NAMESPACE", "ALLOWED_USER_POOL_IDS",
		"AWS_REGION", "AWS_MAX_ATTEMPTS", "AWS_ATTEMPT_TIMEOUT_MS", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SECRETS_MANAGER"} {
		if !slices.Contains(r.Names, want) {
			t.Errorf("presignup reads %v; want it to include %s", r.Names, want)
		}
	}
}

// TestMigrateUserReadsEverySource: the HTTP-only and table-only variables
// are read only under their LEGACY_SOURCE, so they are found only because
// Environments tries each of the parameter's AllowedValues.
func TestMigrateUserReadsEverySource(t *testing.T) {
	tpl := loadTemplate(t)
	r := functionReads(t, tpl, "MigrateUserFunction", "./functions/migrateuser")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	for _, want := range []string{"LEGACY_AUTH_URL", "LEGACY_USERS_TABLE"} {
		if !slices.Contains(r.Names, want) {
			t.Errorf("migrateuser reads %v; want it to include %s", r.Names, want)
		}
	}
}

func TestEnvironments(t *testing.T) {
	tpl, err := Parse([]byte(`
Parameters:
  Source: {Type: String, AllowedValues: [http, table]}
  Url: {Type: String, Default: ""}
  Ttl: {Type: String, Default: 5m}
  Name: {Type: String}
Conditions:
  UseTable: !Equals [!Ref Source, table]
Globals:
  Function:
    Environment:
      Variables: {BUDGET: "1200"}
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          SOURCE: !Ref Source
          SOURCE_AGAIN: !Ref Source
          URL: !Ref Url
          TTL: !Ref Ttl
          NAME: !Ref Name
          TABLE: !If [UseTable, !Ref Table, !Ref AWS::NoValue]
          ARN: !GetAtt Table.Arn
          COUNT: 3
`))
	if err != nil {
		t.Fatal(err)
	}
	envs, err := tpl.Environments("F", map[string]string{"AWS_REGION": "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	// Source (2 values) × Url ("" and a non-empty value) × UseTable (2).
	if len(envs) != 8 {
		t.Fatalf("%d environments, want 8: %v", len(envs), envs)
	}
	seen := map[string]bool{}
	for _, env := range envs {
		if env["SOURCE"] != env["SOURCE_AGAIN"] {
			t.Errorf("one parameter, two values: %v", env)
		}
		if env["AWS_REGION"] != "eu-west-1" || env["BUDGET"] != "1200" || env["TTL"] != "5m" || env["NAME"] != "Name" ||
			env["ARN"] != placeholder || env["COUNT"] != "3" {
			t.Errorf("environment %v", env)
		}
		table, hasTable := env["TABLE"]
		if hasTable && table != "Table" {
			t.Errorf("TABLE = %q, want the resource's logical id", table)
		}
		key := env["SOURCE"] + "|" + env["URL"] + "|" + map[bool]string{true: "table", false: "no table"}[hasTable]
		seen[key] = true
	}
	if len(seen) != 8 {
		t.Errorf("environments repeat: %v", seen)
	}
}

// TestAlarmMetrics checks every alarm against what the code publishes: the
// dimension sets and the per-invocation metrics as the invocation layer
// writes them on a real decision line, each function's own metric names
// as its package exports them, and decision's outcomes and reasons.
func TestAlarmMetrics(t *testing.T) {
	tpl := loadTemplate(t)
	pub := Published{Metrics: map[string][]string{}}
	pub.DimensionSets, pub.Always = invokePublishes(t)
	for _, f := range functions {
		pub.Metrics[f.name] = f.metrics
	}
	for _, o := range decision.Outcomes() {
		pub.Outcomes = append(pub.Outcomes, string(o))
	}
	for _, r := range decision.Reasons() {
		pub.Reasons = append(pub.Reasons, string(r))
	}
	for _, p := range CheckAlarmMetrics(tpl, pub) {
		t.Error(p)
	}
	// The mutation tests run on fakePublished; it must claim nothing the
	// code does not publish.
	subset := func(what string, fake, real []string) {
		for _, v := range fake {
			if !slices.Contains(real, v) {
				t.Errorf("fakePublished %s %q is not published by the code (%v)", what, v, real)
			}
		}
	}
	subset("always-published metric", fakePublished.Always, pub.Always)
	subset("outcome", fakePublished.Outcomes, pub.Outcomes)
	subset("reason", fakePublished.Reasons, pub.Reasons)
	for fn, metrics := range fakePublished.Metrics {
		real, ok := pub.Metrics[fn]
		if !ok {
			t.Errorf("fakePublished has function %q, which is no function's name", fn)
		}
		subset(fn+" metric", metrics, real)
	}
	if diff := cmp.Diff(pub.DimensionSets, fakePublished.DimensionSets); diff != "" {
		t.Errorf("fakePublished dimension sets (-code +fake):\n%s", diff)
	}
}

// invokePublishes runs one invocation through package invoke, with a
// decision that gives a reason and no metrics of its own, and reads the
// EMF directive of its decision line: the dimension sets the metrics go
// under, and the metrics every invocation publishes.
func invokePublishes(t *testing.T) (dimensionSets [][]string, always []string) {
	t.Helper()
	event, err := os.ReadFile(filepath.Join(repoRoot(t), "events", "presignup-signup.json"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := invoke.New[triggers.PreSignUp](invoke.Options{
		Function: "probe",
		Logger:   telemetry.NewLogger(&logs, slog.LevelInfo),
		EMF:      telemetry.NewEMF("Probe"),
		Now:      func() time.Time { return time.Unix(1e9, 0) },
	}, func(context.Context, *triggers.PreSignUp) decision.Result {
		return decision.Result{Outcome: decision.OutcomeRefused, Reason: decision.ReasonDomainNotAllowed}
	})
	if _, err := h.Invoke(context.Background(), event); err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var line struct {
		Message string `json:"message"`
		AWS     struct {
			CloudWatchMetrics []struct {
				Dimensions [][]string `json:"Dimensions"`
				Metrics    []struct {
					Name string `json:"Name"`
				} `json:"Metrics"`
			} `json:"CloudWatchMetrics"`
		} `json:"_aws"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(logs.Bytes()), &line); err != nil {
		t.Fatalf("decision line %q: %v", logs.String(), err)
	}
	if line.Message != "decision" || len(line.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("no EMF directive on the decision line: %s", logs.String())
	}
	d := line.AWS.CloudWatchMetrics[0]
	for _, m := range d.Metrics {
		always = append(always, m.Name)
	}
	if len(d.Dimensions) == 0 || len(always) == 0 {
		t.Fatalf("EMF directive without dimensions or metrics: %s", logs.String())
	}
	if !strings.Contains(logs.String(), `"reason":"domain_not_allowed"`) {
		t.Fatalf("the decision line lacks its reason: %s", logs.String())
	}
	return d.Dimensions, always
}
