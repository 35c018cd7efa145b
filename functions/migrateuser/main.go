// Command migrateuser is the user migration trigger: it migrates a user
// from a legacy store the first time they sign in with a password
// (UserMigration_Authentication) or ask for a password reset
// (UserMigration_ForgotPassword). The legacy store is an HTTP endpoint or a
// DynamoDB export (LEGACY_SOURCE). See package migrateuser for the rules
// and docs/migrateuser.md for the configuration.
//
// Nothing here touches the network: the secret and the tables are read by
// the first invocation that needs them.
package main

import (
	"log/slog"

	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/dynamo"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/migrateuser"
	"github.com/cognito-triggers/suite/pkg/secretcache"
	"github.com/cognito-triggers/suite/pkg/signupgate"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

func main() { invoke.Main[triggers.MigrateUser]("migrateuser", build) }

// build wires the legacy store and, unless MIGRATION_DOMAIN_GATE=off, the
// sign-up gate that pre sign-up applies, reading its domain records from
// the claims table when CLAIMS_TABLE is set.
func build(env *envconfig.Reader, _ *slog.Logger, _ *invoke.Options) (invoke.DecideFunc[triggers.MigrateUser], error) {
	gateCfg := signupgate.LoadConfig(env)
	cfg := migrateuser.LoadConfig(env, gateCfg)
	aws := awsconf.Load(env)
	if err := env.Err(); err != nil {
		return nil, err
	}
	ddb := dynamo.NewClient(aws)
	store, err := migrateuser.NewStore(cfg, migrateuser.Clients{DynamoDB: ddb, Secrets: secretcache.NewClient(aws)})
	if err != nil {
		return nil, err
	}
	deps := migrateuser.Deps{Store: store}
	if cfg.DomainGate {
		var domains signupgate.DomainStore
		if gateCfg.Table != "" {
			domains = trustedtable.New(ddb, gateCfg.Table)
		}
		gate, err := signupgate.New(gateCfg, signupgate.Deps{Domains: domains})
		if err != nil {
			return nil, err
		}
		deps.Gate = gate
	}
	d, err := migrateuser.New(cfg, deps)
	if err != nil {
		return nil, err
	}
	return d.Decide, nil
}
