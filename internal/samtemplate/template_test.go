package samtemplate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// repoRoot is the module root: go test runs in this package's directory.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

func loadTemplate(tb testing.TB) *Template {
	tb.Helper()
	tpl, err := Load(filepath.Join(repoRoot(tb), "template.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	return tpl
}

func makefileTargets(tb testing.TB) map[string]string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(tb), "Makefile"))
	if err != nil {
		tb.Fatal(err)
	}
	return ParseMakefile(data)
}

func TestParseShortForms(t *testing.T) {
	src, err := os.ReadFile("testdata/shortforms.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	// Compare through JSON so YAML ints and JSON numbers meet as float64.
	gotJSON, err := json.Marshal(tpl.Doc)
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal(gotJSON, &got); err != nil {
		t.Fatal(err)
	}
	wantJSON, err := os.ReadFile("testdata/shortforms.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(wantJSON, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("short forms (-want +got):\n%s", diff)
	}
}

func TestParseRejects(t *testing.T) {
	for name, src := range map[string]string{
		"unknown tag":         "A: !Transform {Name: x}\n",
		"Ref of a list":       "A: !Ref [a, b]\n",
		"GetAtt without attr": "A: !GetAtt Fn\n",
		"duplicate key":       "A: 1\nA: 2\n",
		"not a mapping":       "- a\n- b\n",
		"alias":               "A: &x [1, 2]\nB: *x\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(src)); err == nil {
				t.Errorf("Parse(%q) = nil error, want one", src)
			}
		})
	}
}

func TestRefs(t *testing.T) {
	v := map[string]any{
		"a": map[string]any{"Ref": "Table"},
		"b": map[string]any{"Fn::GetAtt": []any{"Secret", "Arn"}},
		"c": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:x:${Queue.Arn}/${!Literal}"},
		"d": map[string]any{"Fn::Sub": []any{"${Local}-${Bucket}", map[string]any{"Local": map[string]any{"Ref": "Key"}}}},
		"e": map[string]any{"Fn::If": []any{"Cond", map[string]any{"Ref": "Other"}, map[string]any{"Ref": "AWS::NoValue"}}},
	}
	want := []string{"AWS::NoValue", "AWS::Partition", "Bucket", "Key", "Other", "Queue", "Secret", "Table"}
	if diff := cmp.Diff(want, Refs(v)); diff != "" {
		t.Errorf("Refs (-want +got):\n%s", diff)
	}
}

// TestTemplate runs every static check on template.yaml.
func TestTemplate(t *testing.T) {
	tpl := loadTemplate(t)
	if got := len(tpl.Functions()); got != 5 {
		t.Errorf("template has %d functions, want 5: %v", got, tpl.Functions())
	}
	for _, c := range StaticChecks {
		t.Run(c.Name, func(t *testing.T) {
			for _, p := range c.Run(tpl) {
				t.Error(p)
			}
		})
	}
	t.Run("makefile", func(t *testing.T) {
		for _, p := range CheckMakefileTargets(tpl, makefileTargets(t)) {
			t.Error(p)
		}
	})
}

func TestParseMakefile(t *testing.T) {
	src := "FOO := bar\n" +
		".PHONY: build-A build-B\n" +
		"build-A:\n\t$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/alpha\n\n" +
		"build-B: ; $(LAMBDA_BUILD) ./functions/beta\n" +
		"build-C:\n\t@echo nothing\n" +
		"build:\n\tgo build ./...\n"
	want := map[string]string{"build-A": "./functions/alpha", "build-B": "./functions/beta", "build-C": ""}
	if diff := cmp.Diff(want, ParseMakefile([]byte(src))); diff != "" {
		t.Errorf("ParseMakefile (-want +got):\n%s", diff)
	}

	// The real Makefile maps every function of the template to a package.
	tpl, targets := loadTemplate(t), makefileTargets(t)
	for _, fn := range tpl.Functions() {
		if pkg := targets["build-"+fn]; pkg == "" {
			t.Errorf("Makefile: build-%s names no ./functions/<dir>", fn)
		}
	}
}

// mutation breaks a parsed template in one way a check must report.
type mutation struct {
	name   string
	mutate func(doc map[string]any)
	check  func(*Template) []Problem
	want   string // substring of one reported problem
}

// at walks nested mappings.
func at(doc map[string]any, path ...string) map[string]any {
	m := doc
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

func props(doc map[string]any, id string) map[string]any {
	return at(doc, "Resources", id, "Properties")
}

func ref(name string) map[string]any { return map[string]any{"Ref": name} }

func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

func lambdaConfig(doc map[string]any) map[string]any {
	return at(doc, "Resources", "UserPool", "Properties", "LambdaConfig")
}

func roleStatements(doc map[string]any, role string) []any {
	pols := props(doc, role)["Policies"].([]any)
	return pols[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
}

func addStatement(doc map[string]any, role string, st map[string]any) {
	pol := props(doc, role)["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)
	pol["Statement"] = append(roleStatements(doc, role), st)
}

var mutations = []mutation{
	// LambdaConfig
	{"LambdaVersion V9_0", func(doc map[string]any) {
		at(lambdaConfig(doc), "PreTokenGenerationConfig")["LambdaVersion"] = "V9_0"
	}, CheckLambdaConfig, `LambdaVersion: is "V9_0"`},
	{"LambdaVersion parameter allows V9_0", func(doc map[string]any) {
		p := at(doc, "Parameters", "PreTokenLambdaVersion")
		p["AllowedValues"] = append(p["AllowedValues"].([]any), "V9_0")
	}, CheckLambdaConfig, `AllowedValues has "V9_0"`},
	{"LambdaVersion parameter without AllowedValues", func(doc map[string]any) {
		delete(at(doc, "Parameters", "PreTokenLambdaVersion"), "AllowedValues")
	}, CheckLambdaConfig, "has no AllowedValues"},
	{"LambdaVersion missing", func(doc map[string]any) {
		delete(at(lambdaConfig(doc), "PreTokenGenerationConfig"), "LambdaVersion")
	}, CheckLambdaConfig, "LambdaVersion: is missing"},
	{"trigger as !Ref Function", func(doc map[string]any) {
		lambdaConfig(doc)["PreSignUp"] = ref("PreSignUpFunction")
	}, CheckLambdaConfig, "PreSignUp: is !Ref PreSignUpFunction"},
	{"pre token LambdaArn as !Ref Function", func(doc map[string]any) {
		at(lambdaConfig(doc), "PreTokenGenerationConfig")["LambdaArn"] = ref("PreTokenFunction")
	}, CheckLambdaConfig, "LambdaArn: is !Ref PreTokenFunction"},
	{"trigger inside Fn::If as !Ref Function", func(doc map[string]any) {
		lambdaConfig(doc)["UserMigration"] = map[string]any{"Fn::If": []any{"MigrationEnabled", ref("MigrateUserFunction"), ref("AWS::NoValue")}}
	}, CheckLambdaConfig, "UserMigration: is !Ref MigrateUserFunction"},
	{"conditional function without Fn::If", func(doc map[string]any) {
		lambdaConfig(doc)["UserMigration"] = getAtt("MigrateUserFunction", "Arn")
	}, CheckLambdaConfig, "only exists under condition MigrationEnabled"},
	{"trigger pointing at a table", func(doc map[string]any) {
		lambdaConfig(doc)["PostAuthentication"] = getAtt("AuditTable", "Arn")
	}, CheckLambdaConfig, "AuditTable is not an AWS::Serverless::Function"},

	// Permissions
	{"permission SourceArn is a table", func(doc map[string]any) {
		props(doc, "PreSignUpInvokePermission")["SourceArn"] = getAtt("ClaimsTable", "Arn")
	}, CheckPermissions, "SourceArn is !GetAtt ClaimsTable.Arn"},
	{"permission without SourceArn", func(doc map[string]any) {
		delete(props(doc, "PreTokenInvokePermission"), "SourceArn")
	}, CheckPermissions, "PreTokenInvokePermission: SourceArn is missing"},
	{"permission without SourceAccount", func(doc map[string]any) {
		delete(props(doc, "PostAuthInvokePermission"), "SourceAccount")
	}, CheckPermissions, "SourceAccount is missing"},
	{"permission missing", func(doc map[string]any) {
		delete(at(doc, "Resources"), "CustomMessageInvokePermission")
	}, CheckPermissions, "CustomMessageFunction: no valid AWS::Lambda::Permission"},
	{"permission for another principal", func(doc map[string]any) {
		props(doc, "PreSignUpInvokePermission")["Principal"] = "events.amazonaws.com"
	}, CheckPermissions, "PreSignUpFunction: no valid AWS::Lambda::Permission"},
	{"permission without the function's condition", func(doc map[string]any) {
		delete(at(doc, "Resources", "MigrateUserInvokePermission"), "Condition")
	}, CheckPermissions, `has Condition "" but MigrateUserFunction has Condition "MigrationEnabled"`},

	// Functions
	{"function Timeout 6", func(doc map[string]any) {
		props(doc, "PreTokenFunction")["Timeout"] = 6
	}, CheckFunctions, "PreTokenFunction: Timeout is 6 s"},
	{"Globals Timeout 6", func(doc map[string]any) {
		at(doc, "Globals", "Function")["Timeout"] = 6
	}, CheckFunctions, "Globals.Function: Timeout is 6 s"},
	{"Timeout from an unbounded parameter", func(doc map[string]any) {
		at(doc, "Parameters")["FunctionTimeout"] = map[string]any{"Type": "Number", "Default": 5, "MaxValue": 30}
		props(doc, "PostAuthFunction")["Timeout"] = ref("FunctionTimeout")
	}, CheckFunctions, "Timeout is !Ref FunctionTimeout"},
	{"MemorySize parameter above Lambda's maximum", func(doc map[string]any) {
		at(doc, "Parameters", "MemorySize")["MaxValue"] = 20480
	}, CheckFunctions, "MinValue/MaxValue must keep MemorySize"},
	{"MemorySize literal above Lambda's maximum", func(doc map[string]any) {
		props(doc, "CustomMessageFunction")["MemorySize"] = 20480
	}, CheckFunctions, "MemorySize is 20480 MB"},
	{"BuildMethod go2.x", func(doc map[string]any) {
		at(doc, "Resources", "PreSignUpFunction", "Metadata")["BuildMethod"] = "go2.x"
	}, CheckFunctions, "Metadata.BuildMethod is"},
	{"x86_64 architecture", func(doc map[string]any) {
		props(doc, "PostAuthFunction")["Architectures"] = []any{"x86_64"}
	}, CheckFunctions, "PostAuthFunction: Architectures is"},

	// Logging
	{"text log format", func(doc map[string]any) {
		at(props(doc, "PreSignUpFunction"), "LoggingConfig")["LogFormat"] = "Text"
	}, CheckLogging, "LogFormat is"},
	{"log group of another function", func(doc map[string]any) {
		at(props(doc, "PreSignUpFunction"), "LoggingConfig")["LogGroup"] = ref("PreTokenLogGroup")
	}, CheckLogging, "LogGroupName is"},

	// Policies
	{"policy reaches a table the function does not use", func(doc map[string]any) {
		addStatement(doc, "PreSignUpRole", map[string]any{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": getAtt("AuditTable", "Arn")})
	}, CheckPolicies, "PreSignUpFunction: its policy reaches AuditTable"},
	{"policy reaches another function's secret", func(doc map[string]any) {
		addStatement(doc, "CustomMessageRole", map[string]any{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": ref("LegacySecret")})
	}, CheckPolicies, "CustomMessageFunction: its policy reaches LegacySecret"},
	{"policy reaches a table through Fn::Sub", func(doc map[string]any) {
		addStatement(doc, "PostAuthRole", map[string]any{"Effect": "Allow", "Action": "dynamodb:GetItem",
			"Resource": map[string]any{"Fn::Sub": "${ClaimsTable.Arn}/index/*"}})
	}, CheckPolicies, "PostAuthFunction: its policy reaches ClaimsTable"},
	{"environment no longer names the table", func(doc map[string]any) {
		delete(at(props(doc, "PreSignUpFunction"), "Environment", "Variables"), "CLAIMS_TABLE")
	}, CheckPolicies, "PreSignUpFunction: its policy reaches ClaimsTable"},
	{"wildcard resource", func(doc map[string]any) {
		addStatement(doc, "PreTokenRole", map[string]any{"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "*"})
	}, CheckPolicies, `wildcard resource "*"`},
	{"wildcard action", func(doc map[string]any) {
		addStatement(doc, "PreTokenRole", map[string]any{"Effect": "Allow", "Action": []any{"dynamodb:*"}, "Resource": getAtt("ClaimsTable", "Arn")})
	}, CheckPolicies, `wildcard action "dynamodb:*"`},
	{"managed policy on a role", func(doc map[string]any) {
		props(doc, "CustomMessageRole")["ManagedPolicyArns"] = []any{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
	}, CheckPolicies, "CustomMessageRole: has ManagedPolicyArns"},
	{"SAM managed policy", func(doc map[string]any) {
		props(doc, "CustomMessageFunction")["Policies"] = []any{"AmazonDynamoDBFullAccess"}
	}, CheckPolicies, "Policies has managed policy AmazonDynamoDBFullAccess"},
	{"SAM policy template on an unused table", func(doc map[string]any) {
		fn := props(doc, "CustomMessageFunction")
		delete(fn, "Role")
		fn["Policies"] = []any{map[string]any{"DynamoDBReadPolicy": map[string]any{"TableName": ref("ClaimsTable")}}}
	}, CheckPolicies, "CustomMessageFunction: its policy reaches ClaimsTable"},
	{"no role", func(doc map[string]any) {
		delete(props(doc, "CustomMessageFunction"), "Role")
	}, CheckPolicies, "CustomMessageFunction: has no Role"},
	{"shared role", func(doc map[string]any) {
		props(doc, "PostAuthFunction")["Role"] = getAtt("PreSignUpRole", "Arn")
	}, CheckPolicies, "PreSignUpRole: is shared by"},
	{"policy on another function's log group", func(doc map[string]any) {
		addStatement(doc, "PreSignUpRole", map[string]any{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": getAtt("PreTokenLogGroup", "Arn")})
	}, CheckPolicies, "reaches log group PreTokenLogGroup"},
	{"policy attached through AWS::IAM::Policy", func(doc map[string]any) {
		at(doc, "Resources")["ExtraPolicy"] = map[string]any{"Type": "AWS::IAM::Policy", "Properties": map[string]any{
			"PolicyName": "extra", "Roles": []any{ref("CustomMessageRole")},
			"PolicyDocument": map[string]any{"Statement": []any{map[string]any{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": getAtt("AuditTable", "Arn")}}},
		}}
	}, CheckPolicies, "CustomMessageFunction: its policy reaches AuditTable"},

	// Alarms
	{"alarm on a misspelt metric", func(doc map[string]any) {
		props(doc, "AuditWriteFailuresAlarm")["MetricName"] = "AuditWriteFailure"
	}, checkAlarmsWithFakeCode, `metric "AuditWriteFailure" is not one postauth publishes`},
	{"alarm on a misspelt reason", func(doc map[string]any) {
		dims := props(doc, "PreTokenTableTimeoutAlarm")["Dimensions"].([]any)
		dims[2].(map[string]any)["Value"] = "table_timeouts"
	}, checkAlarmsWithFakeCode, `reason "table_timeouts" is not one the functions give`},
	{"metric-math alarm on a misspelt reason", func(doc map[string]any) {
		metrics := props(doc, "PreTokenTableErrorAlarm")["Metrics"].([]any)
		stat := at(metrics[1].(map[string]any), "MetricStat", "Metric")
		stat["Dimensions"].([]any)[2].(map[string]any)["Value"] = "throttled"
	}, checkAlarmsWithFakeCode, `PreTokenTableErrorAlarm: reason "throttled" is not one the functions give`},
	{"alarm on another function's metric", func(doc map[string]any) {
		props(doc, "RenderFailuresAlarm")["MetricName"] = "AuditWriteFailures"
	}, checkAlarmsWithFakeCode, `metric "AuditWriteFailures" is not one custommessage publishes`},
	{"alarm on a misspelt function", func(doc map[string]any) {
		dims := props(doc, "RenderFailuresAlarm")["Dimensions"].([]any)
		dims[0].(map[string]any)["Value"] = "custom_message"
	}, checkAlarmsWithFakeCode, `function dimension "custom_message" is no function's name`},
	{"alarm on an unpublished dimension set", func(doc map[string]any) {
		p := props(doc, "PreTokenTableTimeoutAlarm")
		dims := p["Dimensions"].([]any)
		p["Dimensions"] = []any{dims[0], dims[2]} // function + reason, no outcome
	}, checkAlarmsWithFakeCode, "are not a set the functions publish"},
	{"metric-math alarm on a misspelt outcome", func(doc map[string]any) {
		metrics := props(doc, "PreSignUpErrorsAlarm")["Metrics"].([]any)
		stat := at(metrics[1].(map[string]any), "MetricStat", "Metric")
		stat["Dimensions"].([]any)[1].(map[string]any)["Value"] = "refuse"
	}, checkAlarmsWithFakeCode, `PreSignUpErrorsAlarm: outcome "refuse" is not one the functions give`},
	{"Lambda alarm on a table", func(doc map[string]any) {
		dims := props(doc, "PostAuthThrottlesAlarm")["Dimensions"].([]any)
		dims[0].(map[string]any)["Value"] = ref("AuditTable")
	}, checkAlarmsWithFakeCode, "PostAuthThrottlesAlarm: AWS/Lambda FunctionName is !Ref AuditTable"},
	{"alarm without its function's condition", func(doc map[string]any) {
		delete(at(doc, "Resources", "MigrateUserDurationAlarm"), "Condition")
	}, checkAlarmsWithFakeCode, `MigrateUserDurationAlarm: has Condition "", its function MigrateUserFunction "MigrationEnabled"`},

	// Makefile
	{"Makefile target missing", func(doc map[string]any) {
		r := at(doc, "Resources")
		r["PreTokenFunctionV2"] = r["PreTokenFunction"]
	}, func(t *Template) []Problem {
		return CheckMakefileTargets(t, map[string]string{
			"build-PreSignUpFunction": "./functions/presignup", "build-PreTokenFunction": "./functions/pretoken",
			"build-PostAuthFunction": "./functions/postauth", "build-MigrateUserFunction": "./functions/migrateuser",
			"build-CustomMessageFunction": "./functions/custommessage",
		})
	}, "no build-PreTokenFunctionV2 target"},
}

// fakePublished is what the functions publish, as far as the alarms in
// template.yaml need it, so that the mutation tests do not depend on the
// trigger packages; TestAlarmMetrics checks the template against the real
// data, and that this stays a subset of it.
var fakePublished = Published{
	DimensionSets: [][]string{{"function"}, {"function", "outcome"}, {"function", "outcome", "reason"}},
	Always:        []string{"Invocations", "DurationMs"},
	Metrics: map[string][]string{
		"presignup":     nil,
		"pretoken":      nil,
		"postauth":      {"AuditWriteFailures"},
		"migrateuser":   {"LegacyErrors"},
		"custommessage": {"RenderFailures"},
	},
	Outcomes: []string{"refused", "denied"},
	Reasons:  []string{"table_error", "table_throttled", "table_missing", "table_refused", "table_timeout"},
}

func checkAlarmsWithFakeCode(t *Template) []Problem { return CheckAlarmMetrics(t, fakePublished) }

// TestChecksCatchBreaks mutates the parsed template in memory and asserts
// that the check responsible reports each break, and that the unbroken
// template passes the same check.
func TestChecksCatchBreaks(t *testing.T) {
	base := loadTemplate(t)
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			if ps := m.check(base); containsProblem(ps, m.want) {
				t.Fatalf("the unbroken template already reports %q: %v", m.want, ps)
			}
			broken := base.Clone()
			m.mutate(broken.Doc)
			ps := m.check(broken)
			if !containsProblem(ps, m.want) {
				t.Errorf("no problem containing %q; got:\n%s", m.want, problemList(ps))
			}
		})
	}
}

func containsProblem(ps []Problem, want string) bool {
	for _, p := range ps {
		if strings.Contains(p.String(), want) {
			return true
		}
	}
	return false
}

func problemList(ps []Problem) string {
	if len(ps) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

func TestCheckEnvCatchesBreaks(t *testing.T) {
	tpl := loadTemplate(t)
	// reads as the code would report them, built from the template itself
	// so that the unbroken case is clean.
	clean := func() map[string]FunctionReads {
		reads := map[string]FunctionReads{}
		for _, fn := range tpl.Functions() {
			names := append(sortedKeys(tpl.EnvVars(fn)), "AWS_REGION", "AWS_ENDPOINT_URL_DYNAMODB", "ALLOWED_USER_POOL_IDS")
			reads[fn] = FunctionReads{Package: "./functions/" + strings.ToLower(fn), Names: names}
		}
		return reads
	}
	if ps := CheckEnv(tpl, clean()); len(ps) > 0 {
		t.Fatalf("clean reads report problems:\n%s", problemList(ps))
	}
	tests := []struct {
		name   string
		mutate func(doc map[string]any, reads map[string]FunctionReads)
		want   []string
	}{
		{"variable read but not set", func(_ map[string]any, reads map[string]FunctionReads) {
			r := reads["PreTokenFunction"]
			r.Names = append(r.Names, "CLAIMS_NEW_KNOB")
			reads["PreTokenFunction"] = r
		}, []string{"PreTokenFunction: ./functions/pretokenfunction reads CLAIMS_NEW_KNOB, which the template does not set"}},
		{"variable removed from the template", func(doc map[string]any, _ map[string]FunctionReads) {
			delete(at(props(doc, "PostAuthFunction"), "Environment", "Variables"), "AUDIT_TABLE")
		}, []string{"reads AUDIT_TABLE, which the template does not set"}},
		{"misspelt variable", func(doc map[string]any, _ map[string]FunctionReads) {
			vars := at(props(doc, "PreSignUpFunction"), "Environment", "Variables")
			vars["CLAIMS_TABEL"] = vars["CLAIMS_TABLE"]
			delete(vars, "CLAIMS_TABLE")
		}, []string{"reads CLAIMS_TABLE, which the template does not set", "sets CLAIMS_TABEL, which ./functions/presignupfunction never reads"}},
		{"global variable removed", func(doc map[string]any, _ map[string]FunctionReads) {
			delete(at(doc, "Globals", "Function", "Environment", "Variables"), "TRIGGER_BUDGET_MS")
		}, []string{"CustomMessageFunction: ./functions/custommessagefunction reads TRIGGER_BUDGET_MS"}},
		{"function whose configuration cannot be built", func(_ map[string]any, reads map[string]FunctionReads) {
			reads["MigrateUserFunction"] = FunctionReads{Package: "./functions/migrateuser", Err: errors.New("no configuration is known for ./functions/migrateuser")}
		}, []string{"MigrateUserFunction: cannot read the environment variables of ./functions/migrateuser: no configuration is known"}},
		{"function with no package", func(_ map[string]any, reads map[string]FunctionReads) {
			delete(reads, "CustomMessageFunction")
		}, []string{"CustomMessageFunction: no package is known"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken, reads := tpl.Clone(), clean()
			tt.mutate(broken.Doc, reads)
			ps := CheckEnv(broken, reads)
			for _, w := range tt.want {
				if !containsProblem(ps, w) {
					t.Errorf("no problem containing %q; got:\n%s", w, problemList(ps))
				}
			}
		})
	}
}
