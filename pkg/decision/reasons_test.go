package decision_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/cognito-triggers/suite/pkg/decision"
)

// declared reads reasons.go and returns the value of every constant
// declared there with the given type: the source of truth that Outcomes
// and Reasons must list, so that a constant added to its block and
// forgotten in the list fails here rather than in the template's alarms.
func declared(t *testing.T, typ string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "reasons.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typ {
				continue
			}
			for i, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("constant %s is not a string literal", vs.Names[i].Name)
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s constants found in reasons.go", typ)
	}
	return out
}

var snake = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

func TestOutcomesAreTheDeclaredSet(t *testing.T) {
	var listed []string
	for _, o := range decision.Outcomes() {
		listed = append(listed, string(o))
	}
	checkSet(t, "Outcomes()", listed, declared(t, "Outcome"))
}

func TestReasonsAreTheDeclaredSet(t *testing.T) {
	var listed []string
	for _, r := range decision.Reasons() {
		listed = append(listed, string(r))
	}
	checkSet(t, "Reasons()", listed, declared(t, "Reason"))
	// Every dependency failure reason is a listed one.
	for _, d := range []decision.Dependency{decision.Table, decision.Legacy, decision.Secret} {
		for _, f := range []decision.Failure{decision.Timeout, decision.Throttled, decision.Missing, decision.Refused, decision.Other} {
			if r := d.Reason(f); !slices.Contains(decision.Reasons(), r) {
				t.Errorf("%s.Reason(%s) = %q is not in Reasons()", d, f, r)
			}
		}
	}
}

// checkSet: no duplicates, every word snake_case, and exactly the
// declared constants.
func checkSet(t *testing.T, name string, listed, declared []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range listed {
		if seen[s] {
			t.Errorf("%s lists %q twice", name, s)
		}
		seen[s] = true
		if !snake.MatchString(s) {
			t.Errorf("%s: %q is not snake_case", name, s)
		}
	}
	decl := map[string]bool{}
	for _, s := range declared {
		if decl[s] {
			t.Errorf("reasons.go declares the value %q twice", s)
		}
		decl[s] = true
		if !seen[s] {
			t.Errorf("%q is declared in reasons.go but missing from %s", s, name)
		}
	}
	for s := range seen {
		if !decl[s] {
			t.Errorf("%s lists %q, which reasons.go does not declare", name, s)
		}
	}
}
