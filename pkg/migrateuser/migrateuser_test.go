package migrateuser_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/migrateuser"
	"github.com/cognito-triggers/suite/pkg/signupgate"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

var maria = legacy.User{
	Username: fixtureUser, Email: fixtureUser, EmailVerified: true,
	PhoneNumber: "+15555550100", PhoneNumberVerified: true,
	Attributes: map[string]string{"name": "Maria Rivera", "given_name": "Maria", "custom:plan": "gold"},
}

// with returns maria changed by edit.
func with(edit func(u *legacy.User)) legacy.User {
	u := maria
	u.Attributes = map[string]string{}
	for k, v := range maria.Attributes {
		u.Attributes[k] = v
	}
	edit(&u)
	return u
}

// tableGate is the real sign-up gate with no allowlist and a claims table
// whose every lookup fails with err.
func tableGate(t testing.TB, err error) *signupgate.Gate {
	t.Helper()
	domains := &fakes.TrustedTable{DomainFn: func(context.Context, string) (trustedtable.DomainRecord, bool, error) {
		return trustedtable.DomainRecord{}, false, err
	}}
	g, gerr := signupgate.New(signupgate.Config{Table: "claims"}, signupgate.Deps{Domains: domains})
	if gerr != nil {
		t.Fatal(gerr)
	}
	return g
}

// codedError is an error with an AWS error code, as the SDK returns.
type codedError struct{ code string }

func (e *codedError) Error() string     { return e.code + ": test" }
func (e *codedError) ErrorCode() string { return e.code }

func TestDecide(t *testing.T) {
	const unchanged = "unchanged" // the answer is the event as received
	tests := []struct {
		name       string
		in         []byte
		user       legacy.User
		cfg        func(*migrateuser.Config)
		gate       migrateuser.Gate // nil: exampleGate
		storeErr   error
		legacyPW   string         // the password the legacy store accepts; default fixturePassword
		wantResp   map[string]any // the response member; nil with wantOut unchanged
		wantOut    string
		echo       []byte // with wantOut unchanged: the event the answer must equal, when not in
		wantReason decision.Reason
		wantErr    string // the user-visible error text
		wantFacts  map[string]any
	}{
		{
			name: "right password migrates the allowlisted profile", in: authEvent(t, fixtureUser, fixturePassword), user: maria,
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true", "name": "Maria Rivera", "given_name": "Maria", "custom:plan": "gold"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
			wantFacts: map[string]any{"gateRule": "allowlist", "finalUserStatus": "CONFIRMED", "attributes": 5.0, "legacySource": "http"},
		},
		{
			name: "unverified legacy email is not marked verified", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.EmailVerified = false; u.Attributes = nil }),
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
		},
		{
			name: "phone copied only when allowlisted, with its verified flag", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.Attributes = nil }),
			cfg:  func(c *migrateuser.Config) { c.Attributes = []string{"phone_number"} },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true", "phone_number": "+15555550100", "phone_number_verified": "true"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
		},
		{
			name: "phone that is not E.164 is dropped", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.PhoneNumber = "(555) 555-0100"; u.Attributes = nil }),
			cfg:  func(c *migrateuser.Config) { c.Attributes = []string{"phone_number"} },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
			wantFacts: map[string]any{"phoneDropped": true},
		},
		{
			// Cognito refuses a phone_number that is not E.164, gate or not.
			name: "gate off: a phone that is not E.164 is still dropped", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.PhoneNumber = "5555550100"; u.Attributes = nil }),
			cfg:  func(c *migrateuser.Config) { c.Attributes = []string{"phone_number"}; c.DomainGate = false },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
			wantFacts: map[string]any{"phoneDropped": true},
		},
		{
			// The sign-up phone rules (ALLOWED_PHONE_COUNTRY_CODES) hold for
			// migrated users too: exampleGate admits +1 and +44 only.
			name: "phone with a calling code sign-up refuses is dropped", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.PhoneNumber = "+88216123456"; u.Attributes = nil }),
			cfg:  func(c *migrateuser.Config) { c.Attributes = []string{"phone_number"} },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
			wantFacts: map[string]any{"phoneDropped": true},
		},
		{
			name: "mass assignment: nothing off the allowlist reaches Cognito", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) {
				u.Attributes = map[string]string{
					"sub": "attacker-sub", "username": "admin", "email_verified": "true", "phone_number_verified": "true",
					"custom:role": "admin", "custom:tenant_id": "t-evil", "cognito:groups": "admins", "email": "other@example.com",
					"name": "Maria Rivera", "nickname": "not listed",
				}
			}),
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true", "name": "Maria Rivera"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
		},
		{
			name: "an attribute value over Cognito's 2048 bytes is dropped", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) {
				u.Attributes = map[string]string{"name": string(bytes.Repeat([]byte("x"), 2049)), "given_name": "Maria"}
			}),
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true", "given_name": "Maria"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
			wantFacts: map[string]any{"attributesDropped": 1.0},
		},
		{
			name: "incoming response fields are replaced, never echoed", user: maria,
			in: testevent.Load(t, "migrateuser-authentication.json", testevent.Set("response",
				map[string]any{"userAttributes": map[string]any{"custom:role": "admin"}, "forceAliasCreation": true, "finalUserStatus": "CONFIRMED", "enableSMSMFA": false, "somethingNew": 1})),
			cfg: func(c *migrateuser.Config) { c.Attributes = nil },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
		},
		{
			name: "short but correct password must be reset", in: authEvent(t, fixtureUser, "abc1234"), user: maria, legacyPW: "abc1234",
			cfg: func(c *migrateuser.Config) { c.MinPasswordLength = 8; c.Attributes = nil },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "RESET_REQUIRED", "messageAction": "SUPPRESS",
			},
			wantFacts: map[string]any{"belowMinimumLength": true, "finalUserStatus": "RESET_REQUIRED"},
		},
		{
			name: "length counts characters, not bytes", in: authEvent(t, fixtureUser, "密码密码密码密"), user: maria, legacyPW: "密码密码密码密",
			cfg: func(c *migrateuser.Config) { c.MinPasswordLength = 8; c.Attributes = nil },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "RESET_REQUIRED", "messageAction": "SUPPRESS",
			},
		},
		{
			name: "long enough password stays confirmed", in: authEvent(t, fixtureUser, "abcd1234"), user: maria, legacyPW: "abcd1234",
			cfg: func(c *migrateuser.Config) { c.MinPasswordLength = 8; c.Attributes = nil },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
		},
		{name: "wrong password", in: authEvent(t, fixtureUser, fixturePassword+"!"), user: maria, wantOut: unchanged, wantReason: decision.ReasonInvalidCredentials},
		{name: "unknown user", in: authEvent(t, "nobody@example.com", fixturePassword), user: maria, wantOut: unchanged, wantReason: decision.ReasonInvalidCredentials},
		{name: "username far beyond Cognito's limit is not asked about", in: authEvent(t, strings.Repeat("m", 513), fixturePassword), user: maria,
			wantOut: unchanged, wantReason: decision.ReasonInvalidCredentials},
		{
			// The typed event omits an empty password on the way back
			// (Cognito never sends one): the answer is the event without it.
			name: "empty password", in: authEvent(t, fixtureUser, ""), user: maria, wantOut: unchanged, wantReason: decision.ReasonNoPassword,
			echo: testevent.Load(t, "migrateuser-authentication.json", testevent.SetRequest("password", nil)),
		},
		{name: "no password member", user: maria, wantOut: unchanged, wantReason: decision.ReasonNoPassword,
			in: testevent.Load(t, "migrateuser-authentication.json", testevent.SetRequest("password", nil))},
		{name: "legacy email fails the strict checks", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.Email = "Maria <maria.rivera@example.com>" }), wantOut: unchanged, wantReason: decision.ReasonInvalidLegacyEmail,
			wantFacts: map[string]any{"emailReason": "display_name"}},
		{name: "legacy email with a trailing dot", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.Email = "maria.rivera@example.com." }), wantOut: unchanged, wantReason: decision.ReasonInvalidLegacyEmail},
		{name: "gate refuses the legacy domain", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.Email = "maria@evil.io" }), wantOut: unchanged, wantReason: decision.ReasonGateRefused,
			wantFacts: map[string]any{"gateReason": "domain_not_allowed"}},
		{name: "gate refuses a user without email", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.Email = "" }), wantOut: unchanged, wantReason: decision.ReasonGateRefused,
			wantFacts: map[string]any{"gateReason": "missing_email"}},
		{name: "gate off migrates a user without email", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.Email = ""; u.Attributes = nil }),
			cfg:  func(c *migrateuser.Config) { c.DomainGate = false },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			}},
		{name: "gate cannot decide: error, fail closed", in: authEvent(t, fixtureUser, fixturePassword), user: maria,
			gate: tableGate(t, context.DeadlineExceeded), wantReason: decision.ReasonTableTimeout, wantErr: decision.GenericMessage,
			wantFacts: map[string]any{"dependency": "claims_table"}},
		{name: "legacy timeout", in: authEvent(t, fixtureUser, fixturePassword), user: maria,
			storeErr: &legacy.Error{Reason: decision.ReasonLegacyTimeout, Err: errors.New("slow")}, wantReason: decision.ReasonLegacyTimeout, wantErr: decision.GenericMessage,
			wantFacts: map[string]any{"dependency": "legacy_store"}},
		{name: "legacy malformed on forgot password", in: forgotEvent(t, fixtureUser), user: maria,
			storeErr: &legacy.Error{Reason: decision.ReasonLegacyMalformed, Err: errors.New("bad")}, wantReason: decision.ReasonLegacyMalformed, wantErr: decision.GenericMessage},
		{name: "an error of no known kind is a legacy error", in: authEvent(t, fixtureUser, fixturePassword), user: maria,
			storeErr: errors.New("surprise"), wantReason: decision.ReasonLegacyError, wantErr: decision.GenericMessage},
		{name: "password of the wrong type", user: maria, wantReason: decision.ReasonMalformedEvent, wantErr: decision.MalformedMessage,
			in: testevent.Load(t, "migrateuser-authentication.json", testevent.SetRequest("password", 12345))},
		{name: "duplicate password member", user: maria, wantReason: decision.ReasonMalformedEvent, wantErr: decision.MalformedMessage,
			in: bytes.Replace(authEvent(t, fixtureUser, fixturePassword), []byte(`"password":`), []byte(`"password":"x","password":`), 1)},
		{name: "case variant of password", user: maria, wantReason: decision.ReasonMalformedEvent, wantErr: decision.MalformedMessage,
			in: bytes.Replace(authEvent(t, fixtureUser, fixturePassword), []byte(`"password":`), []byte(`"PASSWORD":"x","password":`), 1)},
		{name: "Unicode fold of password", user: maria, wantReason: decision.ReasonMalformedEvent, wantErr: decision.MalformedMessage,
			in: bytes.Replace(authEvent(t, fixtureUser, fixturePassword), []byte(`"password":`), []byte(`"pa\u017fsword":"x","password":`), 1)},
		{name: "no userName", user: maria, wantReason: decision.ReasonMalformedEvent, wantErr: decision.MalformedMessage,
			in: testevent.Load(t, "migrateuser-authentication.json", testevent.Set("userName", nil))},
		{name: "an event of another trigger", user: maria, wantReason: decision.ReasonWrongTrigger, wantErr: decision.MalformedMessage,
			in: testevent.Load(t, "migrateuser-authentication.json", testevent.Set("triggerSource", "PreSignUp_SignUp"))},

		// Forgot password.
		{
			name: "forgot password with a vouched email", in: forgotEvent(t, fixtureUser), user: maria,
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true", "name": "Maria Rivera", "given_name": "Maria", "custom:plan": "gold"},
				"finalUserStatus": "RESET_REQUIRED", "messageAction": "SUPPRESS",
			},
		},
		{
			name: "forgot password with only a vouched phone", in: forgotEvent(t, fixtureUser),
			user: with(func(u *legacy.User) { u.EmailVerified = false; u.Attributes = nil }),
			cfg:  func(c *migrateuser.Config) { c.Attributes = []string{"phone_number"} },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "phone_number": "+15555550100", "phone_number_verified": "true"},
				"finalUserStatus": "RESET_REQUIRED", "messageAction": "SUPPRESS",
			},
		},
		{name: "forgot password, nothing vouched", in: forgotEvent(t, fixtureUser),
			user: with(func(u *legacy.User) { u.EmailVerified = false }), wantOut: unchanged, wantReason: decision.ReasonNotVouched},
		{name: "forgot password, phone vouched but not allowlisted", in: forgotEvent(t, fixtureUser),
			user: with(func(u *legacy.User) { u.EmailVerified = false }), wantOut: unchanged, wantReason: decision.ReasonNotVouched},
		{name: "forgot password, vouched phone that is not E.164", in: forgotEvent(t, fixtureUser),
			user: with(func(u *legacy.User) { u.EmailVerified = false; u.PhoneNumber = "5555550100" }),
			cfg:  func(c *migrateuser.Config) { c.Attributes = []string{"phone_number"} }, wantOut: unchanged, wantReason: decision.ReasonNotVouched},
		{name: "forgot password, vouched phone with a refused calling code", in: forgotEvent(t, fixtureUser),
			user: with(func(u *legacy.User) { u.EmailVerified = false; u.PhoneNumber = "+88216123456" }),
			cfg:  func(c *migrateuser.Config) { c.Attributes = []string{"phone_number"} }, wantOut: unchanged, wantReason: decision.ReasonNotVouched},
		{name: "forgot password, unknown user", in: forgotEvent(t, "nobody@example.com"), user: maria, wantOut: unchanged, wantReason: decision.ReasonNotFound},
		{name: "forgot password, gate refuses", in: forgotEvent(t, fixtureUser),
			user: with(func(u *legacy.User) { u.Email = "maria@evil.io" }), wantOut: unchanged, wantReason: decision.ReasonGateRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			users := newUsers(fixturePassword, tt.user)
			if tt.legacyPW != "" {
				users.password = tt.legacyPW
			}
			users.err = tt.storeErr
			var logs bytes.Buffer
			h := newHandler(t, cfg, users.fake(), tt.gate, &logs)
			out, err := h.Invoke(context.Background(), tt.in)
			line := decisionLine(t, &logs)
			if tt.wantReason != "" && line["reason"] != string(tt.wantReason) {
				t.Errorf("logged reason %v, want %s", line["reason"], tt.wantReason)
			}
			for k, v := range tt.wantFacts {
				if diff := cmp.Diff(v, line[k]); diff != "" {
					t.Errorf("decision line %s (-want +got):\n%s", k, diff)
				}
			}
			switch {
			case tt.wantErr != "":
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v (out %s), want %q", err, out, tt.wantErr)
				}
				if line["outcome"] != string(decision.OutcomeError) {
					t.Errorf("outcome %v, want error", line["outcome"])
				}
			case tt.wantOut == unchanged:
				if err != nil {
					t.Fatalf("err = %v, want the event unchanged", err)
				}
				echo := tt.in
				if tt.echo != nil {
					echo = tt.echo
				}
				sameEvent(t, echo, out)
				if resp := decodeJSON(t, out)["response"]; !cmp.Equal(resp, map[string]any{"userAttributes": nil}) {
					t.Errorf("response %v, want userAttributes null and nothing else", resp)
				}
				if line["outcome"] != string(decision.OutcomeNotMigrated) {
					t.Errorf("outcome %v, want not_migrated", line["outcome"])
				}
			default:
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				got := decodeJSON(t, out)
				if diff := cmp.Diff(tt.wantResp, got["response"]); diff != "" {
					t.Errorf("response (-want +got):\n%s", diff)
				}
				want := decodeJSON(t, tt.in)
				want["response"] = got["response"]
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("the rest of the event changed (-want +got):\n%s", diff)
				}
				if line["outcome"] != string(decision.OutcomeMigrated) {
					t.Errorf("outcome %v, want migrated", line["outcome"])
				}
				if len(users.marks) != 1 || users.marks[0] != tt.user.Username {
					t.Errorf("marked %v, want [%s]", users.marks, tt.user.Username)
				}
			}
			if tt.wantResp == nil && len(users.marks) != 0 {
				t.Errorf("marked %v migrated without migrating", users.marks)
			}
		})
	}
}

// TestDecideEditsOnlyTheResponse: called directly, the decision reports
// its outcome, reason and facts in the Result, sets ev.Response on a
// migration, and leaves the whole event as it was on a "no".
func TestDecideEditsOnlyTheResponse(t *testing.T) {
	users := newUsers(fixturePassword, maria)
	d, err := migrateuser.New(baseConfig(), migrateuser.Deps{Store: users.fake(), Gate: exampleGate(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	no := testevent.Decode[triggers.MigrateUser](t, authEvent(t, fixtureUser, "wrong"))
	before := *no
	res := d.Decide(ctx, no)
	if res.Outcome != decision.OutcomeNotMigrated || res.Reason != decision.ReasonInvalidCredentials || res.Err != nil {
		t.Errorf("result %+v, want not_migrated/invalid_credentials without an error", res)
	}
	if diff := cmp.Diff(before, *no); diff != "" {
		t.Errorf("a \"no\" edited the event (-before +after):\n%s", diff)
	}

	yes := testevent.Decode[triggers.MigrateUser](t, authEvent(t, fixtureUser, fixturePassword))
	request := yes.Request
	res = d.Decide(ctx, yes)
	if res.Outcome != decision.OutcomeMigrated || res.Reason != "" || res.Err != nil {
		t.Errorf("result %+v, want migrated", res)
	}
	want := triggers.MigrateUserResponse{
		UserAttributes:  triggers.Attributes{"email": fixtureUser, "email_verified": "true", "name": "Maria Rivera", "given_name": "Maria", "custom:plan": "gold"},
		FinalUserStatus: triggers.StatusConfirmed, MessageAction: triggers.MessageSuppress,
	}
	if diff := cmp.Diff(want, yes.Response); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(request, yes.Request); diff != "" {
		t.Errorf("the request changed (-before +after):\n%s", diff)
	}
	facts := map[string]any{}
	for _, f := range res.Facts {
		facts[f.Key] = f.Value
	}
	for k, v := range map[string]any{"legacySource": "http", "gateRule": "allowlist", "finalUserStatus": "CONFIRMED", "attributes": 5} {
		if facts[k] != v {
			t.Errorf("fact %s = %v, want %v", k, facts[k], v)
		}
	}
}

// TestForgotPasswordIgnoresAPassword: a forgot-password event never
// verifies anything, even if it carries a password.
func TestForgotPasswordIgnoresAPassword(t *testing.T) {
	users := newUsers(fixturePassword, maria)
	h := newHandler(t, baseConfig(), users.fake(), nil, nil)
	in := testevent.Load(t, "migrateuser-forgot-password.json", testevent.SetRequest("password", fixturePassword))
	if _, err := h.Invoke(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if users.auths != 0 || users.lookups != 1 {
		t.Errorf("%d authentications and %d lookups, want 0 and 1", users.auths, users.lookups)
	}
}

// TestGateOffNeverAsksTheGate: with MIGRATION_DOMAIN_GATE=off a gate that
// was handed in anyway is not consulted (the fake panics on any call).
func TestGateOffNeverAsksTheGate(t *testing.T) {
	cfg := baseConfig()
	cfg.DomainGate = false
	cfg.Attributes = []string{"phone_number"}
	users := newUsers(fixturePassword, maria)
	var logs bytes.Buffer
	h := newHandler(t, cfg, users.fake(), &fakes.SignUpGate{}, &logs)
	out, err := h.Invoke(context.Background(), authEvent(t, fixtureUser, fixturePassword))
	if err != nil {
		t.Fatal(err)
	}
	if line := decisionLine(t, &logs); line["outcome"] != string(decision.OutcomeMigrated) {
		t.Errorf("outcome %v reason %v, want migrated", line["outcome"], line["reason"])
	}
	attrs, _ := decodeJSON(t, out)["response"].(map[string]any)["userAttributes"].(map[string]any)
	if attrs["phone_number"] != "+15555550100" {
		t.Errorf("userAttributes %v, want the E.164 phone kept", attrs)
	}
}

// TestMarkFailureDoesNotFailTheMigration: the user is verified; failing
// the sign-in because the bookkeeping write failed would punish them for
// our outage. It is logged and counted instead.
func TestMarkFailureDoesNotFailTheMigration(t *testing.T) {
	users := newUsers(fixturePassword, maria)
	users.markErr = &legacy.Error{Reason: decision.ReasonLegacyThrottled, Err: errors.New("ProvisionedThroughputExceeded")}
	var logs bytes.Buffer
	h := newHandler(t, baseConfig(), users.fake(), nil, &logs)
	out, err := h.Invoke(context.Background(), authEvent(t, fixtureUser, fixturePassword))
	if err != nil || !bytes.Contains(out, []byte(`"finalUserStatus":"CONFIRMED"`)) {
		t.Fatalf("out %s, err %v; want a migration", out, err)
	}
	line := decisionLine(t, &logs)
	if line[migrateuser.MetricMarkErrors] != 1.0 || line["markError"] == nil || line["outcome"] != string(decision.OutcomeMigrated) {
		t.Errorf("decision line does not record the failed mark: %v", line)
	}
	if line[migrateuser.MetricLegacyErrors] != 0.0 {
		t.Errorf("LegacyErrors %v for a migration", line[migrateuser.MetricLegacyErrors])
	}
}

// TestMetrics: the decision line carries the alarmed metrics with exact
// names, one counter for every "no", and LegacyErrors for exactly the
// failures of the legacy store and its secret.
func TestMetrics(t *testing.T) {
	users := newUsers(fixturePassword, maria, with(func(u *legacy.User) { u.Username = "plain@example.com"; u.EmailVerified = false }))
	tests := []struct {
		name       string
		in         []byte
		err        error
		want       map[string]float64
		wantNoCall bool // the legacy store is not asked, so no latency
	}{
		{"migrated", authEvent(t, fixtureUser, fixturePassword), nil, map[string]float64{"Migrated": 1, "NotMigrated": 0, "LegacyErrors": 0}, false},
		{"wrong password", authEvent(t, fixtureUser, "nope"), nil, map[string]float64{"Migrated": 0, "NotMigrated": 1, "LegacyErrors": 0}, false},
		{"unknown user", authEvent(t, "x@example.com", "nope"), nil, map[string]float64{"Migrated": 0, "NotMigrated": 1, "LegacyErrors": 0}, false},
		{"not vouched", forgotEvent(t, "plain@example.com"), nil, map[string]float64{"Migrated": 0, "NotMigrated": 1, "LegacyErrors": 0}, false},
		{"legacy refused our key", authEvent(t, fixtureUser, fixturePassword), &legacy.Error{Reason: decision.ReasonLegacyRefused, Err: errors.New("401")},
			map[string]float64{"Migrated": 0, "NotMigrated": 0, "LegacyErrors": 1}, false},
		{"legacy users table throttled", authEvent(t, fixtureUser, fixturePassword), &codedError{"ProvisionedThroughputExceededException"},
			map[string]float64{"Migrated": 0, "NotMigrated": 0, "LegacyErrors": 1}, false},
		{"secret unavailable", forgotEvent(t, fixtureUser), &legacy.Error{Reason: decision.ReasonSecretTimeout, Err: context.DeadlineExceeded},
			map[string]float64{"Migrated": 0, "NotMigrated": 0, "LegacyErrors": 1}, false},
		{"malformed event", testevent.Load(t, "migrateuser-authentication.json", testevent.Set("userName", nil)), nil,
			map[string]float64{"Migrated": 0, "NotMigrated": 0, "LegacyErrors": 0}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users.err = tt.err
			var logs bytes.Buffer
			h := newHandler(t, baseConfig(), users.fake(), nil, &logs)
			_, _ = h.Invoke(context.Background(), tt.in) // the answer is TestDecide's subject
			line := decisionLine(t, &logs)
			for name, v := range tt.want {
				if line[name] != v {
					t.Errorf("%s = %v, want %v", name, line[name], v)
				}
			}
			if _, ok := line[migrateuser.MetricLegacyLatency].(float64); ok == tt.wantNoCall {
				t.Errorf("%s present %v, want %v in %v", migrateuser.MetricLegacyLatency, ok, !tt.wantNoCall, line)
			}
			emf := decodeEMF(t, line)
			for _, name := range []string{"Migrated", "NotMigrated", "LegacyErrors"} {
				if !emf[name] {
					t.Errorf("EMF directive lacks %s: %v", name, line["_aws"])
				}
			}
		})
	}
}

// decodeEMF returns the metric names the EMF directive of a decision line
// declares.
func decodeEMF(t *testing.T, line map[string]any) map[string]bool {
	t.Helper()
	aws, ok := line["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws in %v", line)
	}
	names := map[string]bool{}
	dirs, _ := aws["CloudWatchMetrics"].([]any)
	for _, d := range dirs {
		ms, _ := d.(map[string]any)["Metrics"].([]any)
		for _, m := range ms {
			if n, ok := m.(map[string]any)["Name"].(string); ok {
				names[n] = true
			}
		}
	}
	return names
}

// TestGateTableFailureIsNotALegacyError: a claims-table failure in the
// sign-up gate fails closed with its own table_* reason but must not count
// as a legacy-store error (the LegacyErrors alarm says the legacy store is
// down).
func TestGateTableFailureIsNotALegacyError(t *testing.T) {
	for _, tc := range []struct {
		err    error
		reason decision.Reason
	}{
		{errors.New("InternalServerError"), decision.ReasonTableError},
		{context.DeadlineExceeded, decision.ReasonTableTimeout},
		{&codedError{"ProvisionedThroughputExceededException"}, decision.ReasonTableThrottled},
		{&codedError{"ResourceNotFoundException"}, decision.ReasonTableMissing},
		{&codedError{"AccessDeniedException"}, decision.ReasonTableRefused},
	} {
		var logs bytes.Buffer
		users := newUsers(fixturePassword, maria)
		h := newHandler(t, baseConfig(), users.fake(), tableGate(t, tc.err), &logs)
		if _, err := h.Invoke(context.Background(), authEvent(t, fixtureUser, fixturePassword)); err == nil || err.Error() != decision.GenericMessage {
			t.Fatalf("%s: err = %v, want the generic message", tc.reason, err)
		}
		line := decisionLine(t, &logs)
		if line["LegacyErrors"] != 0.0 || line["reason"] != string(tc.reason) {
			t.Errorf("%s: LegacyErrors %v reason %v, want 0 and %s", tc.reason, line["LegacyErrors"], line["reason"], tc.reason)
		}
		if _, ok := line[migrateuser.MetricGateLatency].(float64); !ok {
			t.Errorf("%s: no %s in %v", tc.reason, migrateuser.MetricGateLatency, line)
		}
	}
}

// TestNewRefusesReservedAttributes: even a Config built by hand cannot make
// the response carry a reserved name.
func TestNewRefusesReservedAttributes(t *testing.T) {
	store := newUsers(fixturePassword).fake()
	for _, a := range []string{"sub", "email_verified", "cognito:groups", "custom:tenant_id", "whatever"} {
		cfg := baseConfig()
		cfg.Attributes = []string{a}
		if _, err := migrateuser.New(cfg, migrateuser.Deps{Store: store, Gate: exampleGate(t)}); err == nil {
			t.Errorf("New accepted attribute %q", a)
		}
	}
	if _, err := migrateuser.New(baseConfig(), migrateuser.Deps{Store: store}); err == nil {
		t.Error("New accepted a gate-on config without a gate")
	}
	if _, err := migrateuser.New(baseConfig(), migrateuser.Deps{Gate: exampleGate(t)}); err == nil {
		t.Error("New accepted a Decider without a store")
	}
}

// TestDecodeErrorsNeverQuoteThePassword: an event that breaks the model in
// or around the password is refused with an error that names what is
// wrong, never the password, and the decision line the invocation writes
// carries it neither.
func TestDecodeErrorsNeverQuoteThePassword(t *testing.T) {
	const pw = passwordCanary
	good := authEvent(t, fixtureUser, pw)
	quoted := []byte(`"` + pw + `"`)
	broken := map[string][]byte{
		"password in an array":      bytes.Replace(good, quoted, []byte(`["`+pw+`"]`), 1),
		"password in an object":     bytes.Replace(good, quoted, []byte(`{"`+pw+`":"`+pw+`"}`), 1),
		"invalid escape after it":   bytes.Replace(good, quoted, []byte(`"`+pw+`\q"`), 1),
		"control character in it":   bytes.Replace(good, quoted, []byte(`"`+pw+"\x01"+`"`), 1),
		"unterminated":              bytes.Replace(good, quoted, []byte(`"`+pw), 1),
		"cut inside it":             good[:bytes.Index(good, quoted)+len(quoted)-3],
		"cut right after it":        good[:bytes.Index(good, quoted)+len(quoted)],
		"duplicate password":        bytes.Replace(good, quoted, append(append([]byte{}, quoted...), []byte(`,"password":`+string(quoted))...), 1),
		"case variant holding it":   bytes.Replace(good, []byte(`"password":`), []byte(`"Password":"`+pw+`","password":`), 1),
		"password as a member name": bytes.Replace(good, []byte(`"request":`), []byte(`"request":{"`+pw+`":1},"request":`), 1),
		"not an object around it":   append([]byte(`[`), append(good, ']')...),
	}
	for name, in := range broken {
		t.Run(name, func(t *testing.T) {
			if !bytes.Contains(in, []byte(pw[:12])) {
				t.Fatalf("the event does not carry the password: %s", in)
			}
			_, err := triggers.Decode[triggers.MigrateUser](in)
			if err == nil {
				t.Fatalf("decoded: %s", in)
			}
			if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), pw[3:12]) {
				t.Errorf("the decode error quotes the password: %v", err)
			}
			var logs bytes.Buffer
			h := newHandler(t, baseConfig(), newUsers(pw, maria).fake(), nil, &logs)
			out, err := h.Invoke(context.Background(), in)
			if err == nil || err.Error() != decision.MalformedMessage || out != nil {
				t.Errorf("answer %s, err %v; want the malformed-event refusal", out, err)
			}
			if bytes.Contains(logs.Bytes(), []byte(pw[3:12])) {
				t.Errorf("the decision line carries the password: %s", logs.Bytes())
			}
		})
	}
}
