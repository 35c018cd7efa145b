// Command custommessage is the custom message trigger (CustomMessage_SignUp,
// _AdminCreateUser, _ResendCode, _ForgotPassword, _UpdateUserAttribute,
// _VerifyUserAttribute, _Authentication): it writes Cognito's code and
// invitation messages as branded, localised SMS and (for SES pools) email,
// and falls back to the pool's own message whenever it cannot. See package
// custommessage for the rules and docs/custommessage.md for the
// configuration.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

func main() {
	log := telemetry.Install(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	env := envconfig.New(os.Getenv)
	opts := invoke.LoadOptions(env, "custommessage", triggers.TriggerCustomMessage, log)
	// Load parses and checks every template: a broken set fails the init.
	cfg, renderer := custommessage.Load(env)
	if err := env.Err(); err != nil {
		log.Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(invoke.New(opts, custommessage.New(cfg, renderer).Decide))
}
