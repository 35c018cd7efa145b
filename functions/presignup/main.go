// Command presignup is the pre sign-up trigger: it admits a sign-up
// (PreSignUp_SignUp, PreSignUp_AdminCreateUser, PreSignUp_ExternalProvider)
// only for an email address in an allowed domain. See package presignup for
// the rules and README.md for the configuration.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/dynamo"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/presignup"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

func main() {
	log := telemetry.Install(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	env := envconfig.New(os.Getenv)
	opts := invoke.LoadOptions(env, "presignup", triggers.TriggerPreSignUp, log)
	cfg := presignup.LoadConfig(env)
	var domains presignup.DomainStore
	if cfg.Table != "" {
		domains = trustedtable.New(dynamo.NewClient(awsconf.Load(env)), cfg.Table)
	}
	if err := env.Err(); err != nil {
		log.Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
	decider, warning := presignup.New(cfg, domains)
	if warning != "" {
		log.Warn("cold start", "warning", warning)
	}
	lambda.Start(invoke.New(opts, decider.Decide))
}
