package samtemplate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEnvJSON checks env.json against the template. sam local invoke
// --env-vars only overrides variables the template declares for that
// function and silently drops the rest, so a variable missing from the
// template is as good as absent; and a template variable missing from
// env.json runs locally with whatever SAM makes of the !Ref.
func TestEnvJSON(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]map[string]string
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatalf("env.json: %v", err)
	}
	tpl := loadTemplate(t)
	if diff := cmp.Diff(tpl.Functions(), sortedKeys(env)); diff != "" {
		t.Errorf("env.json function logical ids (-template +env.json):\n%s", diff)
	}
	for _, fn := range tpl.Functions() {
		if diff := cmp.Diff(sortedKeys(tpl.EnvVars(fn)), sortedKeys(env[fn])); diff != "" {
			t.Errorf("env.json %s variables (-template +env.json):\n%s", fn, diff)
		}
	}
}

var (
	overridesLine = regexp.MustCompile(`(?m)^parameter_overrides\s*=\s*("(?:[^"\\]|\\.)*")\s*$`)
	override      = regexp.MustCompile(`(\w+)="([^"]*)"`)
	capabilities  = regexp.MustCompile(`(?m)^capabilities\s*=\s*"([^"]*)"`)
)

// TestSamconfig checks that samconfig.toml's parameter_overrides name only
// template parameters, give every parameter that has no default, and pass
// each parameter's AllowedValues/AllowedPattern/MinLength, so that the
// first `sam deploy` does not fail on them; and that it grants
// CAPABILITY_IAM (the template creates roles).
func TestSamconfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if m := capabilities.FindSubmatch(data); m == nil || string(m[1]) != "CAPABILITY_IAM" {
		t.Errorf("samconfig.toml: capabilities = %q, want CAPABILITY_IAM", m)
	}
	m := overridesLine.FindSubmatch(data)
	if m == nil {
		t.Fatal("samconfig.toml has no parameter_overrides line")
	}
	line, err := strconv.Unquote(string(m[1]))
	if err != nil {
		t.Fatalf("parameter_overrides: %v", err)
	}
	given := map[string]string{}
	for _, kv := range override.FindAllStringSubmatch(line, -1) {
		given[kv[1]] = kv[2]
	}
	if len(given) == 0 {
		t.Fatalf("parameter_overrides %q holds no Key=\"value\" pairs", line)
	}
	tpl := loadTemplate(t)
	params := asMap(tpl.Doc["Parameters"])
	for _, name := range sortedKeys(params) {
		if _, hasDefault := asMap(params[name])["Default"]; !hasDefault {
			if _, ok := given[name]; !ok {
				t.Errorf("samconfig.toml does not give %s, which has no default", name)
			}
		}
	}
	for _, name := range sortedKeys(given) {
		p := tpl.Parameter(name)
		if p == nil {
			t.Errorf("samconfig.toml gives %s, which is not a template parameter", name)
			continue
		}
		if err := validParameter(p, given[name]); err != nil {
			t.Errorf("samconfig.toml: %s=%q: %v", name, given[name], err)
		}
	}
}

// validParameter applies the constraints CloudFormation checks before a
// deploy. CloudFormation's patterns are Java regular expressions anchored
// on the whole value; the template's patterns are RE2-compatible.
func validParameter(p map[string]any, v string) error {
	if allowed, ok := p["AllowedValues"].([]any); ok {
		var s []string
		for _, a := range allowed {
			s = append(s, fmt.Sprint(a))
		}
		if !slices.Contains(s, v) {
			return fmt.Errorf("not one of %v", s)
		}
	}
	if pat, ok := p["AllowedPattern"].(string); ok {
		re, err := regexp.Compile(`^(?:` + pat + `)$`)
		if err != nil {
			return fmt.Errorf("AllowedPattern %q: %w", pat, err)
		}
		if !re.MatchString(v) {
			return fmt.Errorf("does not match AllowedPattern %q", pat)
		}
	}
	if n, ok := number(p["MinLength"]); ok && float64(len(v)) < n {
		return fmt.Errorf("shorter than MinLength %v", n)
	}
	return nil
}

func TestValidParameter(t *testing.T) {
	tpl := loadTemplate(t)
	for _, tt := range []struct {
		param, value string
		ok           bool
	}{
		{"DomainPrefix", "example-app-login", true},
		{"DomainPrefix", "Example_App", false},
		{"DomainPrefix", "-leading-hyphen", false},
		{"PreTokenLambdaVersion", "V3_0", true},
		{"PreTokenLambdaVersion", "V9_0", false},
		{"AppUrl", "https://app.example.com", true},
		{"AppUrl", "http://app.example.com", false},
		{"LegacyAuthUrl", "", true},
		{"LegacyAuthUrl", "http://legacy.example.com", false},
		{"SesSourceArn", "", true},
		{"SesSourceArn", "arn:aws:ses:eu-west-1:123456789012:identity/example.com", true},
		{"SesSourceArn", "arn:aws:s3:::bucket", false},
		{"AppName", "", false},
	} {
		err := validParameter(tpl.Parameter(tt.param), tt.value)
		if (err == nil) != tt.ok {
			t.Errorf("validParameter(%s, %q) = %v, want ok=%v", tt.param, tt.value, err, tt.ok)
		}
	}
}
