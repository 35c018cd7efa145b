package samtemplate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing a check found wrong.
type Problem struct {
	Check    string // which check: "lambda-config", "permission", ...
	Resource string // logical id (or section) at fault
	Message  string
}

func (p Problem) String() string { return p.Check + ": " + p.Resource + ": " + p.Message }

type problems []Problem

func (ps *problems) add(check, resource, format string, args ...any) {
	*ps = append(*ps, Problem{Check: check, Resource: resource, Message: fmt.Sprintf(format, args...)})
}

// Check is one static check of a template.
type Check struct {
	Name string
	Run  func(*Template) []Problem
}

// StaticChecks are the checks that need nothing but the template. The
// environment check (CheckEnv) and the Makefile checks need more input.
var StaticChecks = []Check{
	{"lambda-config", CheckLambdaConfig},
	{"permission", CheckPermissions},
	{"function", CheckFunctions},
	{"logging", CheckLogging},
	{"policy", CheckPolicies},
}

// PreTokenVersions are the LambdaVersion values Cognito accepts for
// PreTokenGenerationConfig.
var PreTokenVersions = []string{"V1_0", "V2_0", "V3_0"}

// senderVersions are those of the custom sender triggers.
var senderVersions = []string{"V1_0"}

// CheckLambdaConfig checks every user pool's LambdaConfig: each trigger is
// !GetAtt <F>.Arn of an AWS::Serverless::Function in this template (also
// inside Fn::If, whose other branch may be AWS::NoValue), guarded by the
// function's own Condition when it has one; PreTokenGenerationConfig names
// a LambdaVersion Cognito knows, either literally or through a parameter
// whose AllowedValues are all known versions.
func CheckLambdaConfig(t *Template) []Problem {
	const check = "lambda-config"
	var ps problems
	for _, pool := range t.OfType(TypeUserPool) {
		lc, ok := t.Props(pool)["LambdaConfig"]
		if !ok {
			continue
		}
		branches(lc, nil, func(lc any, guards []string) {
			if isNoValue(lc) {
				return
			}
			cfg, ok := lc.(map[string]any)
			if !ok {
				ps.add(check, pool, "LambdaConfig is %s, want a mapping", describe(lc))
				return
			}
			for _, key := range sortedKeys(cfg) {
				where := pool + ".LambdaConfig." + key
				switch key {
				case "KMSKeyID":
					continue
				case "PreTokenGenerationConfig", "CustomEmailSender", "CustomSMSSender", "InboundFederation":
					branches(cfg[key], guards, func(v any, guards []string) {
						if isNoValue(v) {
							return
						}
						sub, ok := v.(map[string]any)
						if !ok {
							ps.add(check, where, "is %s, want {LambdaArn, LambdaVersion}", describe(v))
							return
						}
						checkTriggerArn(t, &ps, where+".LambdaArn", sub["LambdaArn"], guards)
						switch key {
						case "PreTokenGenerationConfig":
							checkVersion(t, &ps, where+".LambdaVersion", sub["LambdaVersion"], PreTokenVersions)
						case "CustomEmailSender", "CustomSMSSender":
							checkVersion(t, &ps, where+".LambdaVersion", sub["LambdaVersion"], senderVersions)
						}
					})
				default:
					checkTriggerArn(t, &ps, where, cfg[key], guards)
				}
			}
		})
	}
	return ps
}

func checkTriggerArn(t *Template, ps *problems, where string, v any, guards []string) {
	const check = "lambda-config"
	branches(v, guards, func(v any, guards []string) {
		if v == nil {
			ps.add(check, where, "is missing")
			return
		}
		if isNoValue(v) {
			if len(guards) == 0 {
				ps.add(check, where, "is AWS::NoValue outside Fn::If")
			}
			return
		}
		id, attr, ok := getAttOf(v)
		if !ok || attr != "Arn" {
			ps.add(check, where, "is %s; want !GetAtt <Function>.Arn (Cognito needs the function's ARN)", describe(v))
			return
		}
		if typ := t.Type(id); typ != TypeFunction {
			if typ == "" {
				typ = "no such resource"
			}
			ps.add(check, where, "is !GetAtt %s.Arn, and %s is not an %s (%s)", id, id, TypeFunction, typ)
			return
		}
		if cond := t.Condition(id); cond != "" && !slices.Contains(guards, cond) {
			ps.add(check, where, "names %s, which only exists under condition %s; guard it with !If [%s, ..., !Ref AWS::NoValue]", id, cond, cond)
		}
	})
}

func checkVersion(t *Template, ps *problems, where string, v any, allowed []string) {
	const check = "lambda-config"
	if v == nil {
		ps.add(check, where, "is missing (Cognito then sends V1_0 events); want one of %v", allowed)
		return
	}
	branches(v, nil, func(v any, _ []string) {
		if s, ok := v.(string); ok {
			if !slices.Contains(allowed, s) {
				ps.add(check, where, "is %q; want one of %v", s, allowed)
			}
			return
		}
		name, ok := refOf(v)
		if !ok {
			ps.add(check, where, "is %s; want a literal or !Ref to a parameter", describe(v))
			return
		}
		p := t.Parameter(name)
		if p == nil {
			ps.add(check, where, "refers to %s, which is not a parameter", name)
			return
		}
		values, _ := p["AllowedValues"].([]any)
		if len(values) == 0 {
			ps.add(check, "Parameters."+name, "has no AllowedValues; want a subset of %v (LambdaVersion has no enum in the schema)", allowed)
		}
		for _, a := range values {
			if s := fmt.Sprint(a); !slices.Contains(allowed, s) {
				ps.add(check, "Parameters."+name, "AllowedValues has %q; want a subset of %v", s, allowed)
			}
		}
		if d, ok := p["Default"]; ok && !slices.Contains(allowed, fmt.Sprint(d)) {
			ps.add(check, "Parameters."+name, "Default %q is not one of %v", fmt.Sprint(d), allowed)
		}
	})
}

// CognitoPrincipal is the service principal user pools invoke triggers as.
const CognitoPrincipal = "cognito-idp.amazonaws.com"

// CheckPermissions checks that every function has an AWS::Lambda::Permission
// letting cognito-idp.amazonaws.com invoke it, scoped with SourceArn = a
// user pool's Arn in this template and SourceAccount = AWS::AccountId
// (without them any pool in any account could invoke it; with a wrong
// SourceArn Cognito gets AccessDeniedException and the trigger fails).
func CheckPermissions(t *Template) []Problem {
	const check = "permission"
	var ps problems
	valid := map[string]bool{}
	for _, id := range t.OfType(TypePermission) {
		p := t.Props(id)
		if p["Principal"] != CognitoPrincipal {
			continue
		}
		ok := true
		if a := p["Action"]; a != "lambda:InvokeFunction" {
			ps.add(check, id, "Action is %s, want lambda:InvokeFunction", describe(a))
			ok = false
		}
		if pool, attr, isGetAtt := getAttOf(p["SourceArn"]); !isGetAtt || attr != "Arn" || t.Type(pool) != TypeUserPool {
			ps.add(check, id, "SourceArn is %s; want !GetAtt <UserPool>.Arn of a user pool in this template", describeOrMissing(p["SourceArn"]))
			ok = false
		}
		if acct, isRef := refOf(p["SourceAccount"]); !isRef || acct != "AWS::AccountId" {
			ps.add(check, id, "SourceAccount is %s; want !Ref AWS::AccountId", describeOrMissing(p["SourceAccount"]))
			ok = false
		}
		fn, isRef := refOf(p["FunctionName"])
		if !isRef {
			var attr string
			var isGetAtt bool
			fn, attr, isGetAtt = getAttOf(p["FunctionName"])
			if !isGetAtt || attr != "Arn" {
				fn = ""
			}
		}
		if t.Type(fn) != TypeFunction {
			ps.add(check, id, "FunctionName is %s; want !GetAtt <Function>.Arn of a function in this template", describeOrMissing(p["FunctionName"]))
			continue
		}
		if fc, pc := t.Condition(fn), t.Condition(id); fc != pc {
			ps.add(check, id, "has Condition %q but %s has Condition %q", pc, fn, fc)
			ok = false
		}
		if ok {
			valid[fn] = true
		}
	}
	for _, fn := range t.Functions() {
		if !valid[fn] {
			ps.add(check, fn, "no valid AWS::Lambda::Permission lets %s invoke it (want SourceArn = !GetAtt <UserPool>.Arn, SourceAccount = !Ref AWS::AccountId)", CognitoPrincipal)
		}
	}
	return ps
}

func describeOrMissing(v any) string {
	if v == nil {
		return "missing"
	}
	return describe(v)
}

// Limits on a trigger function.
const (
	MaxTimeoutSeconds = 5 // Cognito waits 5 s, fixed
	MinMemoryMB       = 128
	MaxMemoryMB       = 10240
)

// CheckFunctions checks each function's effective settings (its own, else
// Globals.Function): Timeout at most 5 s (also Globals.Function.Timeout
// itself), MemorySize within Lambda's 128..10240 MB, and the build and
// runtime the Makefile provides: BuildMethod makefile, CodeUri ".",
// provided.al2023, arm64, Handler bootstrap.
func CheckFunctions(t *Template) []Problem {
	const check = "function"
	var ps problems
	if v, ok := t.globalFunction()["Timeout"]; ok {
		checkTimeout(t, &ps, "Globals.Function", v)
	}
	for _, fn := range t.Functions() {
		if v, from := t.FunctionProp(fn, "Timeout"); from == fn {
			checkTimeout(t, &ps, fn, v)
		}
		if v, from := t.FunctionProp(fn, "MemorySize"); from != "" {
			checkMemory(t, &ps, from, v)
		}
		if bm := asMap(t.Resource(fn)["Metadata"])["BuildMethod"]; bm != "makefile" {
			ps.add(check, fn, "Metadata.BuildMethod is %s; want makefile (the Makefile's build-%s target)", describeOrMissing(bm), fn)
		}
		want := map[string]any{"CodeUri": ".", "Runtime": "provided.al2023", "Handler": "bootstrap"}
		for _, name := range sortedKeys(want) {
			if v, _ := t.FunctionProp(fn, name); v != want[name] {
				ps.add(check, fn, "%s is %s; want %v", name, describeOrMissing(v), want[name])
			}
		}
		if v, _ := t.FunctionProp(fn, "Architectures"); !equalStrings(v, "arm64") {
			ps.add(check, fn, "Architectures is %s; want [arm64] (the Makefile builds GOARCH=arm64)", describeOrMissing(v))
		}
	}
	return ps
}

func checkTimeout(t *Template, ps *problems, where string, v any) {
	const check = "function"
	branches(v, nil, func(v any, _ []string) {
		if n, ok := number(v); ok {
			if n <= 0 || n > MaxTimeoutSeconds {
				ps.add(check, where, "Timeout is %v s; Cognito waits %d s, want 1..%d", n, MaxTimeoutSeconds, MaxTimeoutSeconds)
			}
			return
		}
		if name, ok := refOf(v); ok {
			if max, ok := number(t.Parameter(name)["MaxValue"]); ok && max <= MaxTimeoutSeconds {
				return
			}
			ps.add(check, where, "Timeout is !Ref %s, whose MaxValue does not keep it within %d s", name, MaxTimeoutSeconds)
			return
		}
		ps.add(check, where, "Timeout is %s; want a number of seconds up to %d", describe(v), MaxTimeoutSeconds)
	})
}

func checkMemory(t *Template, ps *problems, where string, v any) {
	const check = "function"
	branches(v, nil, func(v any, _ []string) {
		if n, ok := number(v); ok {
			if n < MinMemoryMB || n > MaxMemoryMB {
				ps.add(check, where, "MemorySize is %v MB; want %d..%d", n, MinMemoryMB, MaxMemoryMB)
			}
			return
		}
		if name, ok := refOf(v); ok {
			p := t.Parameter(name)
			lo, okLo := number(p["MinValue"])
			hi, okHi := number(p["MaxValue"])
			if !okLo || !okHi || lo < MinMemoryMB || hi > MaxMemoryMB {
				ps.add(check, "Parameters."+name, "MinValue/MaxValue must keep MemorySize within %d..%d MB", MinMemoryMB, MaxMemoryMB)
			}
			return
		}
		ps.add(check, where, "MemorySize is %s; want a number or a bounded parameter", describe(v))
	})
}

// CheckLogging checks that each function logs JSON (its decision lines are
// EMF records) into its own AWS::Logs::LogGroup named
// /aws/lambda/<FunctionName> with a retention.
func CheckLogging(t *Template) []Problem {
	const check = "logging"
	var ps problems
	for _, fn := range t.Functions() {
		lcv, _ := t.FunctionProp(fn, "LoggingConfig")
		lc := asMap(lcv)
		if lc["LogFormat"] != "JSON" {
			ps.add(check, fn, "LoggingConfig.LogFormat is %s; want JSON", describeOrMissing(lc["LogFormat"]))
		}
		lg, ok := refOf(lc["LogGroup"])
		if !ok || t.Type(lg) != TypeLogGroup {
			ps.add(check, fn, "LoggingConfig.LogGroup is %s; want !Ref of an %s", describeOrMissing(lc["LogGroup"]), TypeLogGroup)
			continue
		}
		if t.Condition(lg) != t.Condition(fn) {
			ps.add(check, lg, "has Condition %q, its function %s %q", t.Condition(lg), fn, t.Condition(fn))
		}
		name, okName := subText(t.Props(lg)["LogGroupName"])
		fname, okF := subText(t.Props(fn)["FunctionName"])
		if !okName || !okF || name != "/aws/lambda/"+fname {
			ps.add(check, lg, "LogGroupName is %s; want /aws/lambda/ + the function's FunctionName (%s)",
				describeOrMissing(t.Props(lg)["LogGroupName"]), describeOrMissing(t.Props(fn)["FunctionName"]))
		}
		if _, ok := t.Props(lg)["RetentionInDays"]; !ok {
			ps.add(check, lg, "has no RetentionInDays (logs would be kept forever)")
		}
	}
	return ps
}

// subText returns the text of a literal string or of a plain Fn::Sub.
func subText(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	if k, a, ok := intrinsic(v); ok && k == "Fn::Sub" {
		s, ok := a.(string)
		return s, ok
	}
	return "", false
}

// DataTypes are resource types holding data or secrets that a function's
// policy may name only when the function is configured to use them.
var DataTypes = []string{
	"AWS::DynamoDB::Table",
	"AWS::DynamoDB::GlobalTable",
	"AWS::SecretsManager::Secret",
	"AWS::KMS::Key",
	"AWS::S3::Bucket",
	"AWS::SQS::Queue",
	"AWS::SNS::Topic",
	"AWS::SSM::Parameter",
}

// CheckPolicies checks least privilege: every function has its own role,
// defined in this template with inline policies only (no managed policies,
// no SAM-generated role, which carries AWSLambdaBasicExecutionRole's
// logs:* on every log group); no statement uses a wildcard action or
// resource; a policy names a data resource (table, secret, ...) only when
// the function's environment names it too ("uses" = configured to use), and
// a log group only when it is the function's own.
func CheckPolicies(t *Template) []Problem {
	const check = "policy"
	var ps problems
	roleUsers := map[string][]string{}
	for _, fn := range t.Functions() {
		used := map[string]bool{}
		for _, r := range Refs(t.EnvVars(fn)) {
			used[r] = true
		}
		lcv, _ := t.FunctionProp(fn, "LoggingConfig")
		ownLogGroup, _ := refOf(asMap(lcv)["LogGroup"])

		var docs []any
		if pol, ok := t.Props(fn)["Policies"]; ok {
			ds, bad := samPolicies(pol)
			docs = append(docs, ds...)
			for _, b := range bad {
				ps.add(check, fn, "Policies has managed policy %s; want inline statements naming the exact resources", b)
			}
		}
		roleV, _ := t.FunctionProp(fn, "Role")
		switch role, attr, ok := getAttOf(roleV); {
		case roleV == nil:
			ps.add(check, fn, "has no Role: SAM would generate one with AWSLambdaBasicExecutionRole (logs on every log group); define the role with inline policies")
		case !ok || attr != "Arn" || t.Type(role) != TypeRole:
			ps.add(check, fn, "Role is %s; want !GetAtt <Role>.Arn of an %s in this template, so its permissions can be checked", describe(roleV), TypeRole)
		default:
			roleUsers[role] = append(roleUsers[role], fn)
			rp := t.Props(role)
			if m, ok := rp["ManagedPolicyArns"]; ok {
				ps.add(check, role, "has ManagedPolicyArns %s; want inline policies naming the exact resources", describe(m))
			}
			if pol, ok := rp["Policies"]; ok {
				docs = append(docs, pol)
			}
			docs = append(docs, attachedPolicies(t, role)...)
		}

		for _, doc := range docs {
			forEachStatement(doc, func(st map[string]any) {
				checkStatement(t, &ps, fn, st, used, ownLogGroup)
			})
		}
	}
	for _, role := range sortedKeys(roleUsers) {
		if users := roleUsers[role]; len(users) > 1 {
			ps.add(check, role, "is shared by %s; each function needs its own role so that it gets only its own permissions", strings.Join(users, ", "))
		}
	}
	return ps
}

// samPolicies splits a SAM Policies value into policy documents (inline
// statements and SAM policy templates, both checked by their references)
// and managed policy names.
func samPolicies(v any) (docs []any, managed []string) {
	var items []any
	switch v := v.(type) {
	case []any:
		items = v
	default:
		items = []any{v}
	}
	for _, it := range items {
		branches(it, nil, func(it any, _ []string) {
			switch it := it.(type) {
			case string:
				managed = append(managed, it)
			case map[string]any:
				if _, ok := it["Statement"]; ok {
					docs = append(docs, it)
				} else if _, _, ok := intrinsic(it); ok && !isNoValue(it) {
					managed = append(managed, describe(it))
				} else {
					docs = append(docs, it) // a SAM policy template
				}
			}
		})
	}
	return docs, managed
}

// attachedPolicies returns the documents of AWS::IAM::Policy,
// AWS::IAM::ManagedPolicy and AWS::IAM::RolePolicy resources attached to
// role.
func attachedPolicies(t *Template, role string) []any {
	var docs []any
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"} {
		for _, id := range t.OfType(typ) {
			p := t.Props(id)
			attached := false
			if r, ok := refOf(p["RoleName"]); ok && r == role {
				attached = true
			}
			roles, _ := p["Roles"].([]any)
			for _, r := range roles {
				if name, ok := refOf(r); ok && name == role {
					attached = true
				}
			}
			if attached {
				docs = append(docs, p["PolicyDocument"])
			}
		}
	}
	return docs
}

// forEachStatement finds every policy statement under v (a role's Policies
// list, a document, a SAM policy template), through Fn::If.
func forEachStatement(v any, fn func(map[string]any)) {
	branches(v, nil, func(v any, _ []string) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				forEachStatement(e, fn)
			}
		case map[string]any:
			if _, _, ok := intrinsic(v); ok {
				return // NoValue or an unexpanded intrinsic: nothing to walk
			}
			if doc, ok := v["PolicyDocument"]; ok {
				forEachStatement(doc, fn)
				return
			}
			if sts, ok := v["Statement"]; ok {
				switch sts := sts.(type) {
				case []any:
					for _, s := range sts {
						branches(s, nil, func(s any, _ []string) {
							if m, ok := s.(map[string]any); ok && !isNoValue(s) {
								fn(m)
							}
						})
					}
				case map[string]any:
					fn(sts)
				}
				return
			}
			// A SAM policy template ({DynamoDBReadPolicy: {TableName: ...}}):
			// no statements to see, but its references still count.
			fn(map[string]any{"Effect": "Allow", "Resource": v})
		}
	})
}

func checkStatement(t *Template, ps *problems, fn string, st map[string]any, used map[string]bool, ownLogGroup string) {
	const check = "policy"
	if st["Effect"] != "Allow" {
		return
	}
	for _, k := range []string{"NotAction", "NotResource"} {
		if _, ok := st[k]; ok {
			ps.add(check, fn, "a statement uses %s, which grants everything else", k)
		}
	}
	for _, a := range stringsOf(st["Action"]) {
		if strings.Contains(a, "*") {
			ps.add(check, fn, "a statement allows the wildcard action %q; name each action", a)
		}
	}
	for _, r := range stringsOf(st["Resource"]) {
		if strings.Contains(r, "*") {
			ps.add(check, fn, "a statement allows the wildcard resource %q; name the resource", r)
		}
	}
	for _, ref := range Refs(st["Resource"]) {
		typ := t.Type(ref)
		switch {
		case typ == TypeLogGroup:
			if ref != ownLogGroup {
				ps.add(check, fn, "its policy reaches log group %s, which is not its own (%s)", ref, ownLogGroup)
			}
		case slices.Contains(DataTypes, typ):
			if !used[ref] {
				ps.add(check, fn, "its policy reaches %s (%s), which its environment does not name: a function may only reach what it is configured to use", ref, typ)
			}
		}
	}
	for _, ref := range Refs(st["Condition"]) {
		if slices.Contains(DataTypes, t.Type(ref)) && !used[ref] {
			ps.add(check, fn, "its policy condition names %s, which its environment does not name", ref)
		}
	}
}

// stringsOf returns the literal strings of a string or list value.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// CheckMakefileTargets checks that every function built by the makefile
// method has its build-<LogicalId> target (SAM runs exactly that name).
func CheckMakefileTargets(t *Template, targets map[string]string) []Problem {
	var ps problems
	for _, fn := range t.Functions() {
		if asMap(t.Resource(fn)["Metadata"])["BuildMethod"] != "makefile" {
			continue
		}
		if _, ok := targets["build-"+fn]; !ok {
			ps.add("makefile", fn, "the Makefile has no build-%s target, which sam build runs for BuildMethod makefile", fn)
		}
	}
	return ps
}

func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

func equalStrings(v any, want ...string) bool {
	s, ok := v.([]any)
	if !ok || len(s) != len(want) {
		return false
	}
	for i := range s {
		if s[i] != want[i] {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
