package presignup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/presignup"
)

// FuzzDecide: any address under any trigger source, bytes in and bytes
// out as the function runs, is either refused with a user-safe text, or
// allowed with a pure-ASCII address whose domain is the allowlisted one,
// the event echoed back and an all-false response.
func FuzzDecide(f *testing.F) {
	for _, e := range []string{"a@example.com", "a@EXAMPLE.COM", "a@example.com.", "a@\u212A.example.com", `"a"@example.com`, "a@sub.example.com", "a@b.c", ""} {
		f.Add(e, "PreSignUp_SignUp")
	}
	f.Add("a@example.com", "PreSignUp_AdminCreateUser")
	f.Add("a@example.com", "PreSignUp_ExternalProvider")
	f.Add("a@example.com", "TokenGeneration_HostedAuth")
	f.Add("a@example.com", "presignup_signup")
	h := handler(decider(f, "example.com", nil), nil)
	f.Fuzz(func(t *testing.T, email, source string) {
		in := testevent.Load(t, "presignup-signup.json", testevent.SetAttr("email", email), testevent.Set("triggerSource", source))
		out, err := h.Invoke(context.Background(), in)
		if err != nil {
			var ue *decision.UserError
			if !errors.As(err, &ue) || (ue.Message != presignup.RefusalMessage && ue.Message != decision.MalformedMessage) {
				t.Fatalf("refusal is not user-safe: %v", err)
			}
			return
		}
		if !strings.HasPrefix(source, "PreSignUp_") {
			t.Fatalf("answered an event of source %q", source)
		}
		at := strings.LastIndexByte(email, '@')
		if at < 0 || strings.ToLower(email[at+1:]) != "example.com" {
			t.Fatalf("allowed %q", email)
		}
		for i := 0; i < len(email); i++ {
			if email[i] >= 0x80 {
				t.Fatalf("allowed non-ASCII %q", email)
			}
		}
		var got, want map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("answer is not JSON: %v", err)
		}
		if err := json.Unmarshal(in, &want); err != nil {
			t.Fatal(err)
		}
		want["response"] = map[string]any{"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("answer is not the event with an all-false response (-want +got):\n%s", diff)
		}
		if !bytes.Contains(out, []byte(`"response":{"autoConfirmUser":false,"autoVerifyEmail":false,"autoVerifyPhone":false}`)) {
			t.Fatalf("response not exactly the three false flags: %s", out)
		}
	})
}
