package samtemplate

import (
	"os"
	"strings"
	"testing"
)

// FuzzChecks feeds arbitrary YAML to the parser and every check: a
// malformed or hostile template must give an error or problems, never a
// panic (a check that panics hides every other check's findings).
func FuzzChecks(f *testing.F) {
	// Small seeds: a seed as large as template.yaml makes the fuzzer
	// spend its time minimising 45 KB inputs.
	for _, path := range []string{"testdata/mini-template.yaml", "testdata/shortforms.yaml"} {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("Resources: {F: {Type: AWS::Serverless::Function, Properties: {Timeout: !If [C, 9, !Ref P]}}}\n"))
	f.Add([]byte("Resources: {P: {Type: AWS::Cognito::UserPool, Properties: {LambdaConfig: !If [C, {PreSignUp: !Ref X}, !Ref AWS::NoValue]}}}\n"))
	f.Add([]byte("Globals: {Function: {Environment: {Variables: [1, 2]}}}\nResources: []\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		tpl, err := Parse(src)
		if err != nil {
			return
		}
		for _, c := range StaticChecks {
			c.Run(tpl)
		}
		CheckEnv(tpl, map[string]FunctionReads{})
		CheckAlarmMetrics(tpl, fakePublished)
		for _, fn := range tpl.Functions() {
			// The one error is the bound on the number of combinations.
			if _, err := tpl.Environments(fn, nil); err != nil && !strings.Contains(err.Error(), "environments") {
				t.Errorf("Environments(%s): %v", fn, err)
			}
		}
		CheckMakefileTargets(tpl, map[string]string{})
		_ = tpl.Clone()
	})
}
