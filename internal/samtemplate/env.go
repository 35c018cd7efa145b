package samtemplate

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// LambdaProvided are variables Lambda itself sets in every function; the
// template must not (and cannot usefully) set them.
var LambdaProvided = []string{
	"AWS_REGION",
	"AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_LAMBDA_LOG_LEVEL", // from LoggingConfig.ApplicationLogLevel
}

// LocalOnlyPrefix marks endpoint overrides for local runs (moto, DynamoDB
// Local); production never sets them.
const LocalOnlyPrefix = "AWS_ENDPOINT_URL"

// OptionalKnobs are variables the code reads but the template deliberately
// leaves unset, so the code's default applies, with the reason.
var OptionalKnobs = map[string]string{
	"ALLOWED_USER_POOL_IDS": "setting it to !Ref UserPool makes every function depend on the pool, " +
		"which already depends on every function (LambdaConfig): a circular dependency. " +
		"The Lambda permissions' SourceArn scopes invocation to the pool instead.",
	"MESSAGE_TEMPLATES_DIR": "the templates embedded in the binary are used; a directory is for teams that ship their own (a layer or a custom build).",
	"AWS_MAX_ATTEMPTS":      "the default (2 attempts) is sized to the trigger budget.",
	"AWS_ATTEMPT_TIMEOUT_MS": "the default (1000 ms per attempt) is sized to the trigger budget; " +
		"each call is capped by its own timeout variable anyway.",
}

// ignoredEnv reports whether the template need not set name.
func ignoredEnv(name string) bool {
	return slices.Contains(LambdaProvided, name) || strings.HasPrefix(name, LocalOnlyPrefix) || OptionalKnobs[name] != ""
}

// FunctionReads is what a function's code reads from the environment.
type FunctionReads struct {
	Package string   // e.g. ./functions/presignup
	Names   []string // sorted, unique
	Err     error    // the configuration could not be built (no configuration known for the package)
}

// CheckEnv checks, for every function, that each variable its code reads
// is set by the template (unless Lambda sets it, it is a local-only
// endpoint override, or it is one of OptionalKnobs), and that each variable
// the template sets is read by the code (a misspelt name is never read).
func CheckEnv(t *Template, reads map[string]FunctionReads) []Problem {
	const check = "env"
	var ps problems
	for _, fn := range t.Functions() {
		r, ok := reads[fn]
		switch {
		case !ok:
			ps.add(check, fn, "no package is known for it (no build-%s target naming ./functions/<dir> in the Makefile)", fn)
			continue
		case r.Err != nil:
			ps.add(check, fn, "cannot read the environment variables of %s: %v", r.Package, r.Err)
			continue
		}
		set := t.EnvVars(fn)
		for _, name := range r.Names {
			if _, ok := set[name]; !ok && !ignoredEnv(name) {
				ps.add(check, fn, "%s reads %s, which the template does not set", r.Package, name)
			}
		}
		for _, name := range sortedKeys(set) {
			if !slices.Contains(r.Names, name) {
				ps.add(check, fn, "the template sets %s, which %s never reads (misspelt?)", name, r.Package)
			}
		}
	}
	return ps
}

// MaxEnvironments bounds Environments: the combinations grow as the product
// of every parameter's and condition's choices.
const MaxEnvironments = 1 << 14

// Environments returns every environment a deployment of the template can
// give function id, so that a test can build the function's configuration
// under each and learn every variable its code reads, including those it
// reads only under some settings (LEGACY_AUTH_URL only when
// LEGACY_SOURCE=http). Each environment holds base (what Lambda itself
// sets) and the function's variables, resolved:
//
//   - a literal is itself;
//   - !Ref of a parameter takes each of its AllowedValues, else its
//     Default, and also a non-empty value (the parameter's name) when the
//     Default is empty or missing, since code often reads further only
//     when a variable is set;
//   - !Ref of a resource is its logical id (a table or secret name);
//   - !If takes both branches, and !Ref AWS::NoValue leaves the variable
//     unset;
//   - any other intrinsic (!Sub, !GetAtt) is a non-empty placeholder.
//
// A parameter or condition used by several variables takes the same value
// in all of them. The result is the product of every choice, ordered; it is
// an error when it would exceed MaxEnvironments.
func (t *Template) Environments(id string, base map[string]string) ([]map[string]string, error) {
	vars := t.EnvVars(id)
	choices := map[string][]string{} // "param:X" or "cond:X" → its values
	for _, name := range sortedKeys(vars) {
		t.collectChoices(vars[name], choices)
	}
	dims := sortedKeys(choices)
	total := 1
	for _, d := range dims {
		total *= len(choices[d])
		if total > MaxEnvironments {
			return nil, fmt.Errorf("%s: more than %d environments", id, MaxEnvironments)
		}
	}
	envs := make([]map[string]string, 0, total)
	pick := make(map[string]string, len(dims))
	var walk func(i int)
	walk = func(i int) {
		if i < len(dims) {
			for _, v := range choices[dims[i]] {
				pick[dims[i]] = v
				walk(i + 1)
			}
			return
		}
		env := maps.Clone(base)
		if env == nil {
			env = map[string]string{}
		}
		for name, v := range vars {
			if s, ok := t.resolve(v, pick); ok {
				env[name] = s
			}
		}
		envs = append(envs, env)
	}
	walk(0)
	return envs, nil
}

// placeholder stands for a value only AWS knows at deploy time.
const placeholder = "placeholder"

func (t *Template) collectChoices(v any, choices map[string][]string) {
	key, arg, ok := intrinsic(v)
	if !ok {
		return
	}
	switch key {
	case "Fn::If":
		args, _ := arg.([]any)
		if len(args) != 3 {
			return
		}
		if cond, ok := args[0].(string); ok {
			choices["cond:"+cond] = []string{"true", "false"}
		}
		t.collectChoices(args[1], choices)
		t.collectChoices(args[2], choices)
	case "Ref":
		name, _ := arg.(string)
		if p := t.Parameter(name); p != nil {
			choices["param:"+name] = parameterChoices(name, p)
		}
	}
}

func parameterChoices(name string, p map[string]any) []string {
	if allowed, ok := p["AllowedValues"].([]any); ok && len(allowed) > 0 {
		out := make([]string, len(allowed))
		for i, a := range allowed {
			out[i] = fmt.Sprint(a)
		}
		return out
	}
	def, ok := p["Default"]
	if !ok {
		return []string{name}
	}
	if s := fmt.Sprint(def); s != "" {
		return []string{s}
	}
	return []string{"", name}
}

// resolve is v's value under the chosen parameter values and conditions;
// ok=false for AWS::NoValue.
func (t *Template) resolve(v any, pick map[string]string) (string, bool) {
	key, arg, ok := intrinsic(v)
	if !ok {
		switch v := v.(type) {
		case nil:
			return "", true
		case string:
			return v, true
		case map[string]any, []any:
			return placeholder, true
		default:
			return fmt.Sprint(v), true
		}
	}
	switch key {
	case "Fn::If":
		args, _ := arg.([]any)
		if len(args) != 3 {
			return placeholder, true
		}
		cond, _ := args[0].(string)
		if pick["cond:"+cond] == "true" {
			return t.resolve(args[1], pick)
		}
		return t.resolve(args[2], pick)
	case "Ref":
		name, _ := arg.(string)
		switch {
		case name == "AWS::NoValue":
			return "", false
		case t.Parameter(name) != nil:
			return pick["param:"+name], true
		case name != "":
			return name, true // a resource's name, or a pseudo parameter
		}
	}
	return placeholder, true
}

// makeTarget matches a rule line "build-X:" (optionally "build-X: ; recipe").
var makeTarget = regexp.MustCompile(`^(build-[A-Za-z0-9]+)\s*:([^=].*)?$`)

// functionPkg finds the package a recipe builds.
var functionPkg = regexp.MustCompile(`\./functions/[A-Za-z0-9_]+`)

// ParseMakefile returns the Makefile's build-<LogicalId> targets and the
// package each builds ("" when its recipe names no ./functions/<dir>).
func ParseMakefile(data []byte) map[string]string {
	targets := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		m := makeTarget.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		recipe := m[2]
		for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], "\t"); j++ {
			recipe += "\n" + lines[j]
		}
		targets[m[1]] = functionPkg.FindString(recipe)
	}
	return targets
}
