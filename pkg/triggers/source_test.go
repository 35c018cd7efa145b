package triggers

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSource(t *testing.T) {
	for _, s := range allSources() {
		got, err := ParseSource(string(s))
		if err != nil || got != s {
			t.Errorf("ParseSource(%q) = %q, %v", s, got, err)
		}
	}
	long := strings.Repeat("x", 200)
	for _, in := range []string{"", "PreSignUp_signUp", "PRESIGNUP_SIGNUP", " PreSignUp_SignUp", "PreAuthentication_Authentication", long} {
		got, err := ParseSource(in)
		if !errors.Is(err, ErrUnknownSource) || got != "" {
			t.Errorf("ParseSource(%q) = %q, %v; want ErrUnknownSource", in, got, err)
		}
		if len(err.Error()) > 120 {
			t.Errorf("error for a %d-byte source is %d bytes long", len(in), len(err.Error()))
		}
	}
}

func TestSources(t *testing.T) {
	got := map[Trigger]int{}
	for _, tr := range []Trigger{TriggerPreSignUp, TriggerPreTokenGeneration, TriggerPostAuthentication, TriggerUserMigration, TriggerCustomMessage} {
		for _, s := range Sources(tr) {
			if s.Trigger() != tr {
				t.Errorf("%s.Trigger() = %s, listed under %s", s, s.Trigger(), tr)
			}
			got[tr]++
		}
	}
	want := map[Trigger]int{TriggerPreSignUp: 3, TriggerPreTokenGeneration: 6, TriggerPostAuthentication: 1, TriggerUserMigration: 2, TriggerCustomMessage: 7}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sources per trigger (-want +got):\n%s", diff)
	}
	if tr := Source("Nope").Trigger(); tr != "" {
		t.Errorf("unknown source's trigger = %q, want empty", tr)
	}
}

func TestUserError(t *testing.T) {
	cause := errors.New("dynamodb: throttled")
	ue := Refuse("Sign-up is not allowed.", "domain_blocked", cause)
	if ue.Error() != "Sign-up is not allowed." || !errors.Is(ue, cause) {
		t.Errorf("Refuse: Error() = %q, Is(cause) = %v", ue.Error(), errors.Is(ue, cause))
	}
	tests := []struct {
		name string
		err  error
		want *UserError
	}{
		{"user error", ue, ue},
		{"wrapped user error", errorsJoin(ue), ue},
		{"internal error", cause, &UserError{Message: GenericMessage, Reason: "internal_error", Cause: cause}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AsUserError(tt.err)
			if got.Message != tt.want.Message || got.Reason != tt.want.Reason || !errors.Is(got, cause) {
				t.Errorf("AsUserError = %+v, want %+v", got, tt.want)
			}
			if strings.Contains(got.Error(), "dynamodb") {
				t.Errorf("user-facing text %q contains the internal cause", got.Error())
			}
		})
	}
}

func errorsJoin(err error) error { return errors.Join(errors.New("handler"), err) }
