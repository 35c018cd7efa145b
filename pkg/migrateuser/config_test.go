package migrateuser_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/migrateuser"
	"github.com/cognito-triggers/suite/pkg/passhash"
	"github.com/cognito-triggers/suite/pkg/signupgate"
)

func load(env map[string]string) (migrateuser.Config, error) {
	r := envconfig.New(func(k string) string { return env[k] })
	gate := signupgate.LoadConfig(r)
	c := migrateuser.LoadConfig(r, gate)
	return c, r.Err()
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    *migrateuser.Config
		wantErr []string // substrings, each must appear
	}{
		{
			name: "http source",
			env: map[string]string{"LEGACY_SOURCE": "http", "LEGACY_AUTH_URL": "https://legacy.example.com/auth/", "LEGACY_SECRET_ID": "legacy/api",
				"LEGACY_ATTRIBUTES": "name, given_name,custom:plan", "ALLOWED_EMAIL_DOMAINS": "example.com"},
			want: &migrateuser.Config{Source: "http", AuthURL: "https://legacy.example.com/auth", SecretID: "legacy/api", SecretTTL: 5 * time.Minute,
				LegacyTimeout: 2500 * time.Millisecond, Attributes: []string{"name", "given_name", "custom:plan"},
				DummyScheme: passhash.SchemeBcrypt, DomainGate: true},
		},
		{
			name: "table source with every knob",
			env: map[string]string{"LEGACY_SOURCE": "table", "LEGACY_USERS_TABLE": "legacy-users", "LEGACY_DUMMY_SCHEME": "argon2id",
				"LEGACY_DUMMY_HASH":             "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
				"MIGRATION_MIN_PASSWORD_LENGTH": "12", "SECRET_CACHE_TTL": "30s", "LEGACY_TIMEOUT_MS": "800",
				"MIGRATION_DOMAIN_GATE": "off", "LEGACY_ATTRIBUTES": "phone_number"},
			want: &migrateuser.Config{Source: "table", UsersTable: "legacy-users", DummyScheme: passhash.SchemeArgon2id,
				DummyHash:         "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
				MinPasswordLength: 12, SecretTTL: 30 * time.Second, LegacyTimeout: 800 * time.Millisecond, Attributes: []string{"phone_number"}},
		},
		{name: "no source", env: map[string]string{"ALLOWED_EMAIL_DOMAINS": "example.com"}, wantErr: []string{"LEGACY_SOURCE: is required"}},
		{name: "unknown source", env: map[string]string{"LEGACY_SOURCE": "ldap", "ALLOWED_EMAIL_DOMAINS": "example.com"}, wantErr: []string{`LEGACY_SOURCE: "ldap"`}},
		{name: "http needs URL and secret", env: map[string]string{"LEGACY_SOURCE": "http", "ALLOWED_EMAIL_DOMAINS": "example.com"},
			wantErr: []string{"LEGACY_AUTH_URL: is required", "LEGACY_SECRET_ID: is required"}},
		{name: "plain http to a remote host", env: map[string]string{"LEGACY_SOURCE": "http", "LEGACY_AUTH_URL": "http://legacy.example.com", "LEGACY_SECRET_ID": "s", "ALLOWED_EMAIL_DOMAINS": "example.com"},
			wantErr: []string{"LEGACY_AUTH_URL: must be https://"}},
		{name: "credentials in the URL", env: map[string]string{"LEGACY_SOURCE": "http", "LEGACY_AUTH_URL": "https://u:p@legacy.example.com", "LEGACY_SECRET_ID": "s", "ALLOWED_EMAIL_DOMAINS": "example.com"},
			wantErr: []string{"LEGACY_AUTH_URL: must not carry user info"}},
		{name: "plain http to loopback is allowed", env: map[string]string{"LEGACY_SOURCE": "http", "LEGACY_AUTH_URL": "http://127.0.0.1:9999", "LEGACY_SECRET_ID": "s", "ALLOWED_EMAIL_DOMAINS": "example.com"}},
		{name: "table needs a table", env: map[string]string{"LEGACY_SOURCE": "table", "ALLOWED_EMAIL_DOMAINS": "example.com"}, wantErr: []string{"LEGACY_USERS_TABLE: is required"}},
		{name: "gate unconfigured and not switched off", env: map[string]string{"LEGACY_SOURCE": "table", "LEGACY_USERS_TABLE": "t"},
			wantErr: []string{"MIGRATION_DOMAIN_GATE: migrated users pass the sign-up domain gate"}},
		{name: "gate off contradicts an allowlist", env: map[string]string{"LEGACY_SOURCE": "table", "LEGACY_USERS_TABLE": "t", "MIGRATION_DOMAIN_GATE": "off", "CLAIMS_TABLE": "claims"},
			wantErr: []string{"MIGRATION_DOMAIN_GATE: is off but"}},
		{name: "gate by claims table only", env: map[string]string{"LEGACY_SOURCE": "table", "LEGACY_USERS_TABLE": "t", "CLAIMS_TABLE": "claims"}},
		{name: "reserved and invalid attributes, all reported", env: map[string]string{"LEGACY_SOURCE": "table", "LEGACY_USERS_TABLE": "t", "ALLOWED_EMAIL_DOMAINS": "example.com",
			"LEGACY_ATTRIBUTES": "name,sub,email_verified,phone_number_verified,cognito:groups,Cognito:user_status,custom:role,custom:ROLE,dev:custom:x,Email,custom:this_name_is_far_too_long,custom:a b,name,identities,username"},
			wantErr: []string{`"sub" is reserved`, `"email_verified" is reserved`, `"phone_number_verified" is reserved`, `"cognito:groups" is reserved`,
				`"Cognito:user_status" is reserved`, `"custom:role" is reserved`, `"custom:ROLE" is reserved`, `"dev:custom:x" is reserved`, `"Email" is not a Cognito attribute name`,
				`"custom:this_name_is_far_too_long" is not a valid custom attribute name`, `"custom:a b" is not a valid custom attribute name`,
				`"name" is listed twice`, `"identities" is reserved`, `"username" is reserved`}},
		{name: "dummy hash of another scheme", env: map[string]string{"LEGACY_SOURCE": "table", "LEGACY_USERS_TABLE": "t", "ALLOWED_EMAIL_DOMAINS": "example.com", "LEGACY_DUMMY_SCHEME": "argon2id",
			"LEGACY_DUMMY_HASH": "$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"},
			wantErr: []string{"LEGACY_DUMMY_HASH: is a bcrypt hash but LEGACY_DUMMY_SCHEME is"}},
		{name: "dummy hash that is not a hash", env: map[string]string{"LEGACY_SOURCE": "table", "LEGACY_USERS_TABLE": "t", "ALLOWED_EMAIL_DOMAINS": "example.com", "LEGACY_DUMMY_HASH": "hunter2"},
			wantErr: []string{"LEGACY_DUMMY_HASH: not a supported hash"}},
		{name: "firebase dummy needs the secret", env: map[string]string{"LEGACY_SOURCE": "table", "LEGACY_USERS_TABLE": "t", "ALLOWED_EMAIL_DOMAINS": "example.com", "LEGACY_DUMMY_SCHEME": "firebase_scrypt"},
			wantErr: []string{"LEGACY_DUMMY_SCHEME: firebase_scrypt needs LEGACY_SECRET_ID"}},
		{name: "bounds", env: map[string]string{"LEGACY_SOURCE": "table", "LEGACY_USERS_TABLE": "t", "ALLOWED_EMAIL_DOMAINS": "example.com",
			"LEGACY_TIMEOUT_MS": "9000", "SECRET_CACHE_TTL": "2h", "MIGRATION_MIN_PASSWORD_LENGTH": "-1", "LEGACY_DUMMY_SCHEME": "md5", "MIGRATION_DOMAIN_GATE": "maybe"},
			wantErr: []string{"LEGACY_TIMEOUT_MS", "SECRET_CACHE_TTL", "MIGRATION_MIN_PASSWORD_LENGTH", "LEGACY_DUMMY_SCHEME", "MIGRATION_DOMAIN_GATE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := load(tt.env)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error does not mention %q:\n%v", w, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil {
				if diff := cmp.Diff(*tt.want, got); diff != "" {
					t.Errorf("config (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestNewStore: the wiring builds each source without I/O, and refuses a
// dummy hash passhash cannot use.
func TestNewStore(t *testing.T) {
	for _, cfg := range []migrateuser.Config{
		{Source: migrateuser.SourceHTTP, AuthURL: "https://legacy.example.com", SecretID: "s"},
		{Source: migrateuser.SourceTable, UsersTable: "t", DummyScheme: passhash.SchemeBcrypt},
		{Source: migrateuser.SourceTable, UsersTable: "t", SecretID: "s", DummyScheme: passhash.SchemeFirebaseScrypt, DummyHash: "$firebase-scrypt$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="},
		{Source: migrateuser.SourceTable, UsersTable: "t", DummyScheme: passhash.SchemeBcrypt, DummyHash: "$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"},
	} {
		if _, err := migrateuser.NewStore(cfg, migrateuser.Clients{}); err != nil {
			t.Errorf("NewStore(%+v): %v", cfg, err)
		}
	}
	if _, err := migrateuser.NewStore(migrateuser.Config{Source: "ldap"}, migrateuser.Clients{}); err == nil {
		t.Error("NewStore accepted an unknown source")
	}
}
