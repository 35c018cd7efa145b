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
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/dynamo"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/migrateuser"
	"github.com/cognito-triggers/suite/pkg/presignup"
	"github.com/cognito-triggers/suite/pkg/secretcache"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

func main() {
	log := telemetry.Install(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	env := envconfig.New(os.Getenv)
	opts := invoke.LoadOptions(env, "migrateuser", triggers.TriggerUserMigration, log)
	gateCfg := presignup.LoadConfig(env)
	cfg := migrateuser.LoadConfig(env, gateCfg)
	aws := awsconf.Load(env)
	if err := env.Err(); err != nil {
		log.Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
	ddb := dynamo.NewClient(aws)
	store, err := migrateuser.NewStore(cfg, migrateuser.Deps{DynamoDB: ddb, Secrets: secretcache.NewClient(aws)})
	if err != nil {
		log.Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
	var gate migrateuser.Gate
	if cfg.DomainGate {
		var domains presignup.DomainStore
		if gateCfg.Table != "" {
			domains = trustedtable.New(ddb, gateCfg.Table)
		}
		gate, _ = presignup.New(gateCfg, domains)
	}
	decider, err := migrateuser.New(cfg, store, gate)
	if err != nil {
		log.Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(invoke.New(opts, decider.Decide))
}
