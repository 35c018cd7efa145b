// Command pretoken is the pre token generation trigger (V1_0, V2_0 and
// V3_0, client credentials included): it adds tenant_id and app_role from
// the trusted claims table to every token, binds a first-time user with a
// verified email to their domain's tenant, and denies the token when the
// table cannot say. See package pretoken for the rules and
// docs/pretoken.md for the configuration.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/dynamo"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/pretoken"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

func main() {
	log := telemetry.Install(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	env := envconfig.New(os.Getenv)
	opts := invoke.LoadOptions(env, "pretoken", triggers.TriggerPreTokenGeneration, log)
	cfg := pretoken.LoadConfig(env)
	table := trustedtable.NewReadWrite(dynamo.NewClient(awsconf.Load(env)), cfg.Table)
	if err := env.Err(); err != nil {
		log.Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
	decider, err := pretoken.New(cfg, table, nil)
	if err != nil {
		log.Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(invoke.New(opts, decider.Decide))
}
