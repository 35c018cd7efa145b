package triggers_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

func TestParseSource(t *testing.T) {
	for _, s := range allSources() {
		got, err := triggers.ParseSource(string(s))
		if err != nil || got != s {
			t.Errorf("ParseSource(%q) = %q, %v", s, got, err)
		}
	}
	long := strings.Repeat("x", 200)
	for _, in := range []string{"", "PreSignUp_signUp", "PRESIGNUP_SIGNUP", " PreSignUp_SignUp", "PreAuthentication_Authentication", long} {
		got, err := triggers.ParseSource(in)
		if !errors.Is(err, triggers.ErrUnknownSource) || got != "" {
			t.Errorf("ParseSource(%q) = %q, %v; want ErrUnknownSource", in, got, err)
		}
		if len(err.Error()) > 120 {
			t.Errorf("error for a %d-byte source is %d bytes long", len(in), len(err.Error()))
		}
	}
}

func TestSources(t *testing.T) {
	got := map[triggers.Trigger]int{}
	for _, tr := range allTriggers {
		for _, s := range triggers.Sources(tr) {
			if s.Trigger() != tr {
				t.Errorf("%s.Trigger() = %s, listed under %s", s, s.Trigger(), tr)
			}
			got[tr]++
		}
	}
	want := map[triggers.Trigger]int{triggers.TriggerPreSignUp: 3, triggers.TriggerPreTokenGeneration: 6, triggers.TriggerPostAuthentication: 1, triggers.TriggerUserMigration: 2, triggers.TriggerCustomMessage: 7}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sources per trigger (-want +got):\n%s", diff)
	}
	if tr := triggers.Source("Nope").Trigger(); tr != "" {
		t.Errorf("unknown source's trigger = %q, want empty", tr)
	}
}
