package migrateuser

import (
	"fmt"
	"strings"
	"time"

	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/passhash"
	"github.com/cognito-triggers/suite/pkg/secretcache"
	"github.com/cognito-triggers/suite/pkg/signupgate"
)

// The legacy sources (LEGACY_SOURCE).
const (
	SourceHTTP  = "http"
	SourceTable = "table"
)

// Config is the migration configuration. The sign-up gate's own settings
// (ALLOWED_EMAIL_DOMAINS, ALLOWED_PHONE_COUNTRY_CODES, CLAIMS_TABLE,
// TABLE_TIMEOUT_MS) are the ones pre sign-up reads, with
// signupgate.LoadConfig.
type Config struct {
	Source        string        // LEGACY_SOURCE: "http" or "table"
	AuthURL       string        // LEGACY_AUTH_URL (http), checked, without a trailing slash
	SecretID      string        // LEGACY_SECRET_ID: API key (http), Firebase parameters (table)
	SecretTTL     time.Duration // SECRET_CACHE_TTL
	LegacyTimeout time.Duration // LEGACY_TIMEOUT_MS: one legacy request or table call
	UsersTable    string        // LEGACY_USERS_TABLE (table)
	// Attributes is LEGACY_ATTRIBUTES: the profile attributes copied to
	// Cognito besides email (and phone_number, when listed).
	Attributes []string
	// DummyScheme is LEGACY_DUMMY_SCHEME (table): what an unknown user's
	// dummy verification imitates.
	DummyScheme passhash.Scheme
	// DummyHash is LEGACY_DUMMY_HASH (table, optional): a hash of a
	// throwaway password with the parameters most records use, so that the
	// dummy costs what a real verification costs (bcrypt cost 12, say).
	DummyHash string
	// MinPasswordLength is MIGRATION_MIN_PASSWORD_LENGTH; 0 disables it.
	MinPasswordLength int
	// DomainGate is MIGRATION_DOMAIN_GATE: "on" unless explicitly "off".
	DomainGate bool
}

// LoadConfig reads the configuration and checks it against the sign-up
// gate's (gate is signupgate.LoadConfig's result). Problems are recorded on
// r.
func LoadConfig(r *envconfig.Reader, gate signupgate.Config) Config {
	c := Config{
		SecretID:          r.String("LEGACY_SECRET_ID", ""),
		SecretTTL:         r.Duration("SECRET_CACHE_TTL", secretcache.DefaultTTL, 0, time.Hour),
		LegacyTimeout:     r.Millis("LEGACY_TIMEOUT_MS", legacy.DefaultTimeout, 100*time.Millisecond, 4*time.Second),
		MinPasswordLength: r.Int("MIGRATION_MIN_PASSWORD_LENGTH", 0, 0, 256),
		DummyHash:         r.String("LEGACY_DUMMY_HASH", ""),
	}
	switch c.Source = r.String("LEGACY_SOURCE", ""); c.Source {
	case SourceHTTP:
		raw := r.String("LEGACY_AUTH_URL", "")
		if raw == "" {
			r.Fail("LEGACY_AUTH_URL", "is required when LEGACY_SOURCE=http")
		} else if u, err := legacy.ParseBaseURL(raw); err != nil {
			r.Fail("LEGACY_AUTH_URL", "%v", err)
		} else {
			c.AuthURL = u
		}
		if c.SecretID == "" {
			r.Fail("LEGACY_SECRET_ID", "is required when LEGACY_SOURCE=http (it holds the endpoint's API key)")
		}
	case SourceTable:
		if c.UsersTable = r.String("LEGACY_USERS_TABLE", ""); c.UsersTable == "" {
			r.Fail("LEGACY_USERS_TABLE", "is required when LEGACY_SOURCE=table")
		}
	case "":
		r.Fail("LEGACY_SOURCE", "is required: http or table")
	default:
		r.Fail("LEGACY_SOURCE", "%q is not one of http, table", c.Source)
	}

	scheme := r.Enum("LEGACY_DUMMY_SCHEME", string(passhash.SchemeBcrypt),
		string(passhash.SchemeBcrypt), string(passhash.SchemeArgon2id), string(passhash.SchemePBKDF2SHA256), string(passhash.SchemeFirebaseScrypt))
	c.DummyScheme = passhash.Scheme(scheme)
	if c.DummyHash != "" {
		got, err := passhash.Detect(c.DummyHash)
		switch {
		case err != nil && got == "":
			r.Fail("LEGACY_DUMMY_HASH", "not a supported hash: %v", err)
		case err != nil:
			r.Fail("LEGACY_DUMMY_HASH", "%v", err)
		case got != c.DummyScheme:
			r.Fail("LEGACY_DUMMY_HASH", "is a %s hash but LEGACY_DUMMY_SCHEME is %s", got, c.DummyScheme)
		}
	}
	if c.Source == SourceTable && c.DummyScheme == passhash.SchemeFirebaseScrypt && c.SecretID == "" {
		r.Fail("LEGACY_DUMMY_SCHEME", "firebase_scrypt needs LEGACY_SECRET_ID (the project parameters)")
	}

	attrs, err := ParseAttributes(r.String("LEGACY_ATTRIBUTES", ""))
	if err != nil {
		r.Fail("LEGACY_ATTRIBUTES", "%v", err)
	}
	c.Attributes = attrs

	switch mode := r.Enum("MIGRATION_DOMAIN_GATE", "on", "on", "off"); {
	case mode == "off" && (!gate.Allowlist.Empty() || gate.Table != ""):
		r.Fail("MIGRATION_DOMAIN_GATE", "is off but ALLOWED_EMAIL_DOMAINS or CLAIMS_TABLE is set: remove one or the other")
	case mode == "off":
		c.DomainGate = false
	case gate.Allowlist.Empty() && gate.Table == "":
		c.DomainGate = true
		r.Fail("MIGRATION_DOMAIN_GATE", "migrated users pass the sign-up domain gate: set ALLOWED_EMAIL_DOMAINS and/or CLAIMS_TABLE, or MIGRATION_DOMAIN_GATE=off to migrate without one")
	default:
		c.DomainGate = true
	}
	return c
}

// standardAttributes are Cognito's standard attributes (OIDC standard
// claims) that a migration may set. sub, email_verified and
// phone_number_verified are standard too but are refused: see reserved.
var standardAttributes = map[string]bool{
	"address": true, "birthdate": true, "email": true, "family_name": true, "gender": true,
	"given_name": true, "locale": true, "middle_name": true, "name": true, "nickname": true,
	"phone_number": true, "picture": true, "preferred_username": true, "profile": true,
	"updated_at": true, "website": true, "zoneinfo": true,
}

// reserved are names a legacy store must never set, because whoever
// controls the legacy data would otherwise assign them: Cognito's own
// identifiers, the verification flags (decided here from the legacy
// store's typed booleans, never copied), and the custom attributes this
// suite treats as authorization data, whose only source is the trusted
// claims table.
var reserved = map[string]string{
	"sub":                   "Cognito assigns it",
	"username":              "Cognito takes it from the sign-in",
	"identities":            "Cognito manages it for federated users",
	"email_verified":        "it is set only from the legacy store's verified flag",
	"phone_number_verified": "it is set only from the legacy store's verified flag",
	"custom:tenant_id":      "tenant and role come only from the trusted claims table",
	"custom:role":           "tenant and role come only from the trusted claims table",
	"custom:app_role":       "tenant and role come only from the trusted claims table",
}

// ParseAttributes parses LEGACY_ATTRIBUTES: comma-separated Cognito
// attribute names, each a standard attribute or custom:<1-20 of
// [A-Za-z0-9_-]>. Reserved and cognito:/dev: names, anything else, and
// duplicates are refused, all reported together.
func ParseAttributes(list string) ([]string, error) {
	var out, problems []string
	seen := map[string]bool{}
	for _, part := range strings.Split(list, ",") {
		name := strings.TrimSpace(part)
		if name == "" {
			continue
		}
		if why := checkAttribute(name); why != "" {
			problems = append(problems, fmt.Sprintf("%q %s", name, why))
			continue
		}
		if seen[name] {
			problems = append(problems, fmt.Sprintf("%q is listed twice", name))
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return out, nil
}

func checkAttribute(name string) string {
	if why, ok := reserved[name]; ok {
		return "is reserved: " + why
	}
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lower, "cognito:"):
		return "is reserved: cognito: attributes belong to Cognito"
	case strings.HasPrefix(lower, "dev:"):
		return "is reserved: developer-only attributes cannot be set by a migration"
	case standardAttributes[name]:
		return ""
	}
	if custom, ok := strings.CutPrefix(name, "custom:"); ok {
		if len(custom) < 1 || len(custom) > 20 {
			return "is not a valid custom attribute name (custom: and 1-20 characters)"
		}
		for i := 0; i < len(custom); i++ {
			c := custom[i]
			if !(c == '_' || c == '-' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')) {
				return "is not a valid custom attribute name (letters, digits, _ and - only)"
			}
		}
		if why, ok := reserved[strings.ToLower(name)]; ok {
			return "is reserved (in another case): " + why
		}
		return ""
	}
	return "is not a Cognito attribute name (a standard attribute or custom:<name>)"
}
