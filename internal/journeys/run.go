package journeys

import (
	"context"
	"fmt"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/localenv"
)

// RefusalText is what a refused sign-up shows the end user.
const RefusalText = "Sign-up is not available for this email address."

// Identities Cognito would assign to users created during the journeys.
const (
	avaSub   = "3f9d2b71-6c4e-4a8b-9d1e-5c7a2b8e4f60"
	mariaSub = "9a6e4c2d-1b3f-4e5a-8c7d-6f0e1d2c3b4a"
	hireSub  = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
)

// Journey is one named flow.
type Journey struct {
	Name string
	Run  func(ctx context.Context, r *Runner) error
}

// All lists the journeys in the order the demo plays them.
var All = []Journey{
	{"1 self sign-up from an allowed domain", selfSignUp},
	{"2 sign-up from a refused domain", refusedSignUp},
	{"3 a legacy user's first sign-in", legacyFirstSignIn},
	{"4 the same user's later sign-in and a token refresh", laterSignIn},
	{"5 forgot-password for a legacy user who never signed in", legacyForgotPassword},
	{"6 a machine-to-machine token (V3 client credentials)", machineToken},
	{"7 an admin-created user", adminCreatedUser},
	{"8 a user who set custom:tenant_id to another tenant", hostileTenantAttribute},
}

// RunAll plays every journey and returns the number of failed steps.
func (r *Runner) RunAll(ctx context.Context) int {
	failed := 0
	for _, j := range All {
		if r.out != nil {
			fmt.Fprintf(r.out, "%s\n", j.Name)
		}
		before := len(r.Steps)
		if err := j.Run(ctx, r); err != nil {
			r.Steps = append(r.Steps, Step{Journey: j.Name, Err: err})
			if r.out != nil {
				fmt.Fprintf(r.out, "  FAIL %v\n", err)
			}
		}
		for i := range r.Steps[before:] {
			r.Steps[before+i].Journey = j.Name
			if r.Steps[before+i].Err != nil {
				failed++
			}
		}
	}
	return failed
}

func selfSignUp(ctx context.Context, r *Runner) error {
	ev, err := load("presignup-signup.json")
	if err != nil {
		return err
	}
	ev["userName"] = "ava.stone"
	r.call(ctx, "", "presignup", ev.attrs("email", "ava.stone@example.com", "name", "Ava Stone"), allowed)
	msg, err := load("custommessage-signup.json")
	if err != nil {
		return err
	}
	msg["userName"] = "ava.stone"
	msg.attrs("sub", avaSub, "email", "ava.stone@example.com", "email_verified", "false", "name", "Ava Stone", "cognito:user_status", "UNCONFIRMED", "locale", "en")
	r.call(ctx, "", "custommessage", msg, message(false))
	return nil
}

func refusedSignUp(ctx context.Context, r *Runner) error {
	ev, err := load("presignup-signup.json")
	if err != nil {
		return err
	}
	ev["userName"] = "mallory"
	r.call(ctx, "", "presignup", ev.attrs("email", "mallory@evil.example.net", "name", "Mallory"), refused(RefusalText))
	return nil
}

// mariaToken is the pre-token event Cognito sends once it has created the
// migrated user (with a sub of its own choosing).
func mariaToken(source string) (event, error) {
	ev, err := load("pretoken-v2-hosted-auth.json")
	if err != nil {
		return nil, err
	}
	ev["triggerSource"] = source
	ev["userName"] = mariaSub
	ev.attrs("sub", mariaSub, "cognito:user_status", "CONFIRMED", "email", localenv.LegacyUserName, "email_verified", "true", "name", "Maria Rivera")
	delete(ev.request(), "clientMetadata")
	return ev, nil
}

func legacyFirstSignIn(ctx context.Context, r *Runner) error {
	mig, err := load("migrateuser-authentication.json")
	if err != nil {
		return err
	}
	mig["userName"] = localenv.LegacyUserName
	mig.request()["password"] = localenv.LegacyPassword
	r.call(ctx, "", "migrateuser", mig, migrated("CONFIRMED"))

	tok, err := mariaToken("TokenGeneration_Authentication")
	if err != nil {
		return err
	}
	r.call(ctx, "", "pretoken", tok, func(res harness.Result, body map[string]any) (string, string, error) {
		d, detail, err := claims(localenv.Tenant, "member", true)(res, body)
		if err == nil && !r.lastDecisionHas("pretoken", `"bound":true`) {
			err = fmt.Errorf("claims right but no binding written from domain#example.com")
		}
		return d, detail + " (bound from domain#example.com)", err
	})

	post, err := load("postauth-authentication.json")
	if err != nil {
		return err
	}
	post["userName"] = mariaSub
	post.attrs("sub", mariaSub, "email", localenv.LegacyUserName, "email_verified", "true", "cognito:user_status", "CONFIRMED")
	r.call(ctx, "", "postauth", post, r.audited(ctx, mariaSub))
	return nil
}

func laterSignIn(ctx context.Context, r *Runner) error {
	for _, source := range []string{"TokenGeneration_Authentication", "TokenGeneration_RefreshTokens"} {
		tok, err := mariaToken(source)
		if err != nil {
			return err
		}
		// A changed email must not move the user: the tenant is bound to the sub.
		tok.request()["userAttributes"].(map[string]any)["email"] = "maria@partner.example.org"
		r.call(ctx, "", "pretoken", tok, func(res harness.Result, body map[string]any) (string, string, error) {
			d, detail, err := claims(localenv.Tenant, "member", true)(res, body)
			if err == nil && !r.lastDecisionHas("pretoken", `"cache":"hit"`) {
				err = fmt.Errorf("claims right but the warm container read the table (want a cache hit)")
			}
			return d, detail + " (cache hit)", err
		})
	}
	return nil
}

func legacyForgotPassword(ctx context.Context, r *Runner) error {
	mig, err := load("migrateuser-forgot-password.json")
	if err != nil {
		return err
	}
	mig["userName"] = localenv.ResetUserName
	r.call(ctx, "", "migrateuser", mig, migrated("RESET_REQUIRED"))
	msg, err := load("custommessage-forgot-password.json")
	if err != nil {
		return err
	}
	msg["userName"] = localenv.ResetUserName
	msg.attrs("sub", "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "email", localenv.ResetUserName, "email_verified", "true", "name", "Li Wei", "locale", "zh-CN", "cognito:user_status", "RESET_REQUIRED")
	r.call(ctx, "", "custommessage", msg, message(false))
	return nil
}

func machineToken(ctx context.Context, r *Runner) error {
	ev, err := load("pretoken-v3-client-credentials.json")
	if err != nil {
		return err
	}
	r.call(ctx, "", "pretoken", ev, claims(localenv.Tenant, "service", false))
	return nil
}

func adminCreatedUser(ctx context.Context, r *Runner) error {
	ev, err := load("presignup-admin-create-user.json")
	if err != nil {
		return err
	}
	ev["userName"] = "new.hire"
	r.call(ctx, "", "presignup", ev.attrs("email", "new.hire@example.com", "name", "New Hire"), allowed)
	msg, err := load("custommessage-admin-create-user.json")
	if err != nil {
		return err
	}
	msg["userName"] = "new.hire"
	msg.attrs("sub", hireSub, "email", "new.hire@example.com", "email_verified", "true", "name", "New Hire", "cognito:user_status", "FORCE_CHANGE_PASSWORD")
	r.call(ctx, "", "custommessage", msg, message(true))
	return nil
}

func hostileTenantAttribute(ctx context.Context, r *Runner) error {
	ev, err := load("pretoken-v2-hosted-auth.json")
	if err != nil {
		return err
	}
	ev["triggerSource"] = "TokenGeneration_Authentication"
	ev["userName"] = "jane.doe"
	ev.attrs("sub", localenv.JaneSub, "email", "jane.doe@example.com", "email_verified", "true", "cognito:user_status", "CONFIRMED",
		"custom:tenant_id", "t-rival", "custom:app_role", "owner")
	ev.request()["clientMetadata"] = map[string]any{"tenant_id": "t-rival", "app_role": "owner"}
	r.call(ctx, "", "pretoken", ev, claims(localenv.Tenant, "admin", true))
	return nil
}
