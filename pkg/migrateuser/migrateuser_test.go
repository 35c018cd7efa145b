package migrateuser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/presignup"
	"github.com/cognito-triggers/suite/pkg/triggers"
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

func TestDecide(t *testing.T) {
	const unchanged = "unchanged" // the answer is the event as received
	tests := []struct {
		name       string
		in         []byte
		user       legacy.User
		cfg        func(*Config)
		gate       *fakeGate
		storeErr   error
		legacyPW   string         // the password the legacy store accepts; default fixturePassword
		wantResp   map[string]any // the response member; nil with wantOut unchanged
		wantOut    string
		wantReason string
		wantErr    string // the user-visible error text
	}{
		{
			name: "right password migrates the allowlisted profile", in: authEvent(t, fixtureUser, fixturePassword), user: maria,
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true", "name": "Maria Rivera", "given_name": "Maria", "custom:plan": "gold"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
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
			cfg:  func(c *Config) { c.Attributes = []string{"phone_number"} },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true", "phone_number": "+15555550100", "phone_number_verified": "true"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
		},
		{
			name: "phone that is not E.164 is dropped", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.PhoneNumber = "(555) 555-0100"; u.Attributes = nil }),
			cfg:  func(c *Config) { c.Attributes = []string{"phone_number"} },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
		},
		{
			// The sign-up phone rules (ALLOWED_PHONE_COUNTRY_CODES) hold for
			// migrated users too: the fake gate refuses +882.
			name: "phone with a calling code sign-up refuses is dropped", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.PhoneNumber = "+88216123456"; u.Attributes = nil }),
			cfg:  func(c *Config) { c.Attributes = []string{"phone_number"} },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
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
		},
		{
			name: "incoming response fields are replaced, never echoed", user: maria,
			in: event(t, "migrateuser-authentication.json", func(ev map[string]any) {
				ev["response"] = map[string]any{"userAttributes": map[string]any{"custom:role": "admin"}, "forceAliasCreation": true, "finalUserStatus": "CONFIRMED", "enableSMSMFA": false}
			}),
			cfg: func(c *Config) { c.Attributes = nil },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
		},
		{
			name: "short but correct password must be reset", in: authEvent(t, fixtureUser, "abc1234"), user: maria, legacyPW: "abc1234",
			cfg: func(c *Config) { c.MinPasswordLength = 8; c.Attributes = nil },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "RESET_REQUIRED", "messageAction": "SUPPRESS",
			},
		},
		{
			name: "length counts characters, not bytes", in: authEvent(t, fixtureUser, "密码密码密码密"), user: maria, legacyPW: "密码密码密码密",
			cfg: func(c *Config) { c.MinPasswordLength = 8; c.Attributes = nil },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "RESET_REQUIRED", "messageAction": "SUPPRESS",
			},
		},
		{
			name: "long enough password stays confirmed", in: authEvent(t, fixtureUser, "abcd1234"), user: maria, legacyPW: "abcd1234",
			cfg: func(c *Config) { c.MinPasswordLength = 8; c.Attributes = nil },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "email_verified": "true"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			},
		},
		{name: "wrong password", in: authEvent(t, fixtureUser, fixturePassword+"!"), user: maria, wantOut: unchanged, wantReason: legacy.NoteInvalid},
		{name: "unknown user", in: authEvent(t, "nobody@example.com", fixturePassword), user: maria, wantOut: unchanged, wantReason: legacy.NoteInvalid},
		{name: "empty password", in: authEvent(t, fixtureUser, ""), user: maria, wantOut: unchanged, wantReason: ReasonNoPassword},
		{name: "no password member", user: maria, wantOut: unchanged, wantReason: ReasonNoPassword,
			in: event(t, "migrateuser-authentication.json", func(ev map[string]any) { delete(ev["request"].(map[string]any), "password") })},
		{name: "legacy email fails the strict checks", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.Email = "Maria <maria.rivera@example.com>" }), wantOut: unchanged, wantReason: ReasonInvalidEmail},
		{name: "legacy email with a trailing dot", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.Email = "maria.rivera@example.com." }), wantOut: unchanged, wantReason: ReasonInvalidEmail},
		{name: "gate refuses the legacy domain", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.Email = "maria@evil.io" }), wantOut: unchanged, wantReason: ReasonGateRefused},
		{name: "gate refuses a user without email", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.Email = "" }), wantOut: unchanged, wantReason: ReasonGateRefused},
		{name: "gate off migrates a user without email", in: authEvent(t, fixtureUser, fixturePassword),
			user: with(func(u *legacy.User) { u.Email = ""; u.Attributes = nil }),
			cfg:  func(c *Config) { c.DomainGate = false },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS",
			}},
		{name: "gate cannot decide: error, fail closed", in: authEvent(t, fixtureUser, fixturePassword), user: maria,
			gate: &fakeGate{reason: "table_timeout"}, wantReason: "table_timeout", wantErr: triggers.GenericMessage},
		{name: "legacy timeout", in: authEvent(t, fixtureUser, fixturePassword), user: maria,
			storeErr: &legacy.Error{Reason: legacy.ReasonTimeout, Err: errors.New("slow")}, wantReason: legacy.ReasonTimeout, wantErr: triggers.GenericMessage},
		{name: "legacy malformed on forgot password", in: forgotEvent(t, fixtureUser), user: maria,
			storeErr: &legacy.Error{Reason: legacy.ReasonMalformed, Err: errors.New("bad")}, wantReason: legacy.ReasonMalformed, wantErr: triggers.GenericMessage},
		{name: "an error of no known kind is a legacy error", in: authEvent(t, fixtureUser, fixturePassword), user: maria,
			storeErr: errors.New("surprise"), wantReason: legacy.ReasonError, wantErr: triggers.GenericMessage},
		{name: "password of the wrong type", user: maria, wantReason: "malformed_event", wantErr: invoke.MalformedMessage,
			in: event(t, "migrateuser-authentication.json", func(ev map[string]any) { ev["request"].(map[string]any)["password"] = 12345 })},
		{name: "duplicate password member", user: maria, wantReason: "malformed_event", wantErr: invoke.MalformedMessage,
			in: bytes.Replace(authEvent(t, fixtureUser, fixturePassword), []byte(`"password":`), []byte(`"password":"x","password":`), 1)},
		{name: "case variant of password", user: maria, wantReason: "malformed_event", wantErr: invoke.MalformedMessage,
			in: bytes.Replace(authEvent(t, fixtureUser, fixturePassword), []byte(`"password":`), []byte(`"PASSWORD":"x","password":`), 1)},
		{name: "no userName", user: maria, wantReason: "malformed_event", wantErr: invoke.MalformedMessage,
			in: event(t, "migrateuser-authentication.json", func(ev map[string]any) { delete(ev, "userName") })},

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
			cfg:  func(c *Config) { c.Attributes = []string{"phone_number"} },
			wantResp: map[string]any{
				"userAttributes":  map[string]any{"email": fixtureUser, "phone_number": "+15555550100", "phone_number_verified": "true"},
				"finalUserStatus": "RESET_REQUIRED", "messageAction": "SUPPRESS",
			},
		},
		{name: "forgot password, nothing vouched", in: forgotEvent(t, fixtureUser),
			user: with(func(u *legacy.User) { u.EmailVerified = false }), wantOut: unchanged, wantReason: ReasonNotVouched},
		{name: "forgot password, phone vouched but not allowlisted", in: forgotEvent(t, fixtureUser),
			user: with(func(u *legacy.User) { u.EmailVerified = false }), wantOut: unchanged, wantReason: ReasonNotVouched},
		{name: "forgot password, vouched phone that is not E.164", in: forgotEvent(t, fixtureUser),
			user: with(func(u *legacy.User) { u.EmailVerified = false; u.PhoneNumber = "5555550100" }),
			cfg:  func(c *Config) { c.Attributes = []string{"phone_number"} }, wantOut: unchanged, wantReason: ReasonNotVouched},
		{name: "forgot password, vouched phone with a refused calling code", in: forgotEvent(t, fixtureUser),
			user: with(func(u *legacy.User) { u.EmailVerified = false; u.PhoneNumber = "+88216123456" }),
			cfg:  func(c *Config) { c.Attributes = []string{"phone_number"} }, wantOut: unchanged, wantReason: ReasonNotVouched},
		{name: "forgot password, unknown user", in: forgotEvent(t, "nobody@example.com"), user: maria, wantOut: unchanged, wantReason: legacy.NoteNotFound},
		{name: "forgot password, gate refuses", in: forgotEvent(t, fixtureUser),
			user: with(func(u *legacy.User) { u.Email = "maria@evil.io" }), wantOut: unchanged, wantReason: ReasonGateRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			store := &fakeStore{users: map[string]legacy.User{tt.user.Username: tt.user}, password: fixturePassword, err: tt.storeErr}
			if tt.legacyPW != "" {
				store.password = tt.legacyPW
			}
			var gate Gate
			if tt.gate != nil {
				gate = tt.gate
			}
			var logs bytes.Buffer
			h := newHandler(t, cfg, store, gate, &logs)
			out, err := h.Invoke(context.Background(), tt.in)
			line := decisionLine(t, &logs)
			if tt.wantReason != "" && line["reason"] != tt.wantReason {
				t.Errorf("logged reason %v, want %s", line["reason"], tt.wantReason)
			}
			switch {
			case tt.wantErr != "":
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v (out %s), want %q", err, out, tt.wantErr)
				}
				if line["outcome"] != OutcomeError {
					t.Errorf("outcome %v, want error", line["outcome"])
				}
			case tt.wantOut == unchanged:
				if err != nil {
					t.Fatalf("err = %v, want the event unchanged", err)
				}
				if !bytes.Equal(out, tt.in) {
					t.Errorf("answer differs from the event:\n in  %s\n out %s", tt.in, out)
				}
				if line["outcome"] != OutcomeNotMigrated {
					t.Errorf("outcome %v, want not_migrated", line["outcome"])
				}
			default:
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				var got, want map[string]any
				if err := json.Unmarshal(out, &got); err != nil {
					t.Fatalf("answer is not JSON: %v", err)
				}
				if diff := cmp.Diff(tt.wantResp, got["response"]); diff != "" {
					t.Errorf("response (-want +got):\n%s", diff)
				}
				_ = json.Unmarshal(tt.in, &want)
				want["response"] = got["response"]
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("the rest of the event changed (-want +got):\n%s", diff)
				}
				if line["outcome"] != OutcomeMigrated {
					t.Errorf("outcome %v, want migrated", line["outcome"])
				}
				if len(store.marks) != 1 || store.marks[0] != tt.user.Username {
					t.Errorf("marked %v, want [%s]", store.marks, tt.user.Username)
				}
			}
			if tt.wantResp == nil && len(store.marks) != 0 {
				t.Errorf("marked %v migrated without migrating", store.marks)
			}
		})
	}
}

// TestForgotPasswordIgnoresAPassword: a forgot-password event never
// verifies anything, even if it carries a password.
func TestForgotPasswordIgnoresAPassword(t *testing.T) {
	store := &fakeStore{users: map[string]legacy.User{fixtureUser: maria}, password: fixturePassword}
	h := newHandler(t, baseConfig(), store, nil, nil)
	in := event(t, "migrateuser-forgot-password.json", func(ev map[string]any) { ev["request"].(map[string]any)["password"] = fixturePassword })
	if _, err := h.Invoke(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if store.auths != 0 || store.lookups != 1 {
		t.Errorf("%d authentications and %d lookups, want 0 and 1", store.auths, store.lookups)
	}
}

// TestMarkFailureDoesNotFailTheMigration: the user is verified; failing
// the sign-in because the bookkeeping write failed would punish them for
// our outage. It is logged and counted instead.
func TestMarkFailureDoesNotFailTheMigration(t *testing.T) {
	store := &fakeStore{users: map[string]legacy.User{fixtureUser: maria}, password: fixturePassword,
		markErr: &legacy.Error{Reason: legacy.ReasonTable, Err: errors.New("ProvisionedThroughputExceeded")}}
	var logs bytes.Buffer
	h := newHandler(t, baseConfig(), store, nil, &logs)
	out, err := h.Invoke(context.Background(), authEvent(t, fixtureUser, fixturePassword))
	if err != nil || !bytes.Contains(out, []byte(`"finalUserStatus":"CONFIRMED"`)) {
		t.Fatalf("out %s, err %v; want a migration", out, err)
	}
	line := decisionLine(t, &logs)
	if line[MetricMarkErrors] != 1.0 || line["markError"] == nil || line["outcome"] != OutcomeMigrated {
		t.Errorf("decision line does not record the failed mark: %v", line)
	}
}

// TestMetrics: the decision line carries the alarmed metrics with exact
// names, one counter for every "no".
func TestMetrics(t *testing.T) {
	store := &fakeStore{users: map[string]legacy.User{fixtureUser: maria, "plain@example.com": with(func(u *legacy.User) { u.Username = "plain@example.com"; u.EmailVerified = false })}, password: fixturePassword}
	tests := []struct {
		name string
		in   []byte
		err  error
		want map[string]float64
	}{
		{"migrated", authEvent(t, fixtureUser, fixturePassword), nil, map[string]float64{"Migrated": 1, "NotMigrated": 0, "LegacyErrors": 0}},
		{"wrong password", authEvent(t, fixtureUser, "nope"), nil, map[string]float64{"Migrated": 0, "NotMigrated": 1, "LegacyErrors": 0}},
		{"unknown user", authEvent(t, "x@example.com", "nope"), nil, map[string]float64{"Migrated": 0, "NotMigrated": 1, "LegacyErrors": 0}},
		{"not vouched", forgotEvent(t, "plain@example.com"), nil, map[string]float64{"Migrated": 0, "NotMigrated": 1, "LegacyErrors": 0}},
		{"legacy failure", authEvent(t, fixtureUser, fixturePassword), &legacy.Error{Reason: legacy.ReasonUnauthorized, Err: errors.New("401")}, map[string]float64{"Migrated": 0, "NotMigrated": 0, "LegacyErrors": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store.err = tt.err
			var logs bytes.Buffer
			h := newHandler(t, baseConfig(), store, nil, &logs)
			_, _ = h.Invoke(context.Background(), tt.in)
			line := decisionLine(t, &logs)
			for name, v := range tt.want {
				if line[name] != v {
					t.Errorf("%s = %v, want %v", name, line[name], v)
				}
			}
			if _, ok := line[MetricLegacyLatency].(float64); !ok {
				t.Errorf("no %s in %v", MetricLegacyLatency, line)
			}
			emf, _ := json.Marshal(line["_aws"])
			for _, name := range []string{"Migrated", "NotMigrated", "LegacyErrors", "LegacyLatencyMs"} {
				if !bytes.Contains(emf, []byte(`"Name":"`+name+`"`)) {
					t.Errorf("EMF directive lacks %s: %s", name, emf)
				}
			}
		})
	}
}

// TestNewRefusesReservedAttributes: even a Config built by hand cannot make
// the response carry a reserved name.
// TestGateTableFailureIsNotALegacyError: a claims-table failure in the
// domain gate fails closed but must not count as a legacy-store error (the
// LegacyErrors alarm says the legacy store is down), although its reasons
// look like the legacy table's.
func TestGateTableFailureIsNotALegacyError(t *testing.T) {
	for _, reason := range []string{"table_error", "table_timeout"} {
		var logs bytes.Buffer
		store := &fakeStore{users: map[string]legacy.User{fixtureUser: maria}, password: fixturePassword}
		h := newHandler(t, baseConfig(), store, &fakeGate{reason: reason}, &logs)
		if _, err := h.Invoke(context.Background(), authEvent(t, fixtureUser, fixturePassword)); err == nil || err.Error() != triggers.GenericMessage {
			t.Fatalf("%s: err = %v, want the generic message", reason, err)
		}
		if line := decisionLine(t, &logs); line["LegacyErrors"] != 0.0 || line["reason"] != reason {
			t.Errorf("%s: LegacyErrors %v reason %v, want 0 and %s", reason, line["LegacyErrors"], line["reason"], reason)
		}
	}
}

func TestNewRefusesReservedAttributes(t *testing.T) {
	for _, a := range []string{"sub", "email_verified", "cognito:groups", "custom:tenant_id", "whatever"} {
		cfg := baseConfig()
		cfg.Attributes = []string{a}
		if _, err := New(cfg, &fakeStore{}, allowGate(t, "example.com")); err == nil {
			t.Errorf("New accepted attribute %q", a)
		}
	}
	cfg := baseConfig()
	if _, err := New(cfg, &fakeStore{}, nil); err == nil {
		t.Error("New accepted a gate-on config without a gate")
	}
}

func TestValidE164(t *testing.T) {
	for s, want := range map[string]bool{"+15555550100": true, "+4420794600": true, "+1555555": true, "+0555555010": false,
		"15555550100": false, "+1 555 555 0100": false, "+1234567890123456": false, "+": false, "": false} {
		if got := presignup.ValidE164(s); got != want {
			t.Errorf("presignup.ValidE164(%q) = %v, want %v", s, got, want)
		}
	}
}
