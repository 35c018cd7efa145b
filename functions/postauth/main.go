// Command postauth is the post authentication trigger
// (PostAuthentication_Authentication): it records each sign-in in the audit
// table (AUDIT_TABLE), once per sign-in however often Cognito delivers it,
// and answers with the event and an empty response. See package postauth
// for the rules and docs/postauth.md for the configuration.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/dynamo"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

func main() {
	log := telemetry.Install(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	env := envconfig.New(os.Getenv)
	opts := invoke.LoadOptions(env, "postauth", triggers.TriggerPostAuthentication, log)
	cfg := postauth.LoadConfig(env)
	store := postauth.NewTable(dynamo.NewClient(awsconf.Load(env)), cfg.Table)
	if err := env.Err(); err != nil {
		log.Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(invoke.New(opts, postauth.New(cfg, store).Decide))
}
