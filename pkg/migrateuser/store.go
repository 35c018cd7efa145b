package migrateuser

import (
	"fmt"

	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/passhash"
	"github.com/cognito-triggers/suite/pkg/secretcache"
)

// Clients are the clients NewStore wires a legacy source from. Only the
// ones the configured source needs are used; none is called before the
// first invocation.
type Clients struct {
	DynamoDB legacy.TableAPI               // LEGACY_SOURCE=table
	Secrets  secretcache.GetSecretValueAPI // when LEGACY_SECRET_ID is set
	HTTP     legacy.Doer                   // nil: legacy.NewHTTPClient
}

// NewStore builds the configured legacy source. It performs no I/O.
func NewStore(cfg Config, deps Clients) (Store, error) {
	cacheOpts := secretcache.Options{TTL: cfg.SecretTTL}
	switch cfg.Source {
	case SourceHTTP:
		keys := secretcache.New(deps.Secrets, cfg.SecretID, cacheOpts, legacy.ParseAPIKeySecret)
		return legacy.NewHTTP(legacy.HTTPOptions{BaseURL: cfg.AuthURL, Timeout: cfg.LegacyTimeout, Client: deps.HTTP}, keys), nil
	case SourceTable:
		base := passhash.Options{}
		if cfg.DummyHash != "" && cfg.DummyScheme != passhash.SchemeFirebaseScrypt {
			base.TypicalHashes = map[passhash.Scheme]string{cfg.DummyScheme: cfg.DummyHash}
		}
		v, err := passhash.New(base)
		if err != nil {
			return nil, fmt.Errorf("LEGACY_DUMMY_HASH: %w", err)
		}
		var firebase legacy.VerifierSource
		if cfg.SecretID != "" {
			fbOpts := base
			if cfg.DummyHash != "" && cfg.DummyScheme == passhash.SchemeFirebaseScrypt {
				// Usable only with the project parameters, so checked when
				// the secret is first read.
				fbOpts.TypicalHashes = map[passhash.Scheme]string{cfg.DummyScheme: cfg.DummyHash}
			}
			firebase = secretcache.New(deps.Secrets, cfg.SecretID, cacheOpts, legacy.FirebaseVerifierParser(fbOpts))
		}
		return legacy.NewTable(deps.DynamoDB, legacy.TableOptions{
			Name:        cfg.UsersTable,
			Timeout:     cfg.LegacyTimeout,
			Attributes:  cfg.Attributes,
			DummyScheme: cfg.DummyScheme,
		}, v, firebase), nil
	default:
		return nil, fmt.Errorf("unknown legacy source %q", cfg.Source)
	}
}
