// Command custommessage is the custom message trigger (CustomMessage_SignUp,
// _AdminCreateUser, _ResendCode, _ForgotPassword, _UpdateUserAttribute,
// _VerifyUserAttribute, _Authentication): it writes Cognito's code and
// invitation messages as branded, localised SMS and (for SES pools) email,
// and falls back to the pool's own message whenever it cannot. See package
// custommessage for the rules and docs/custommessage.md for the
// configuration.
package main

import (
	"log/slog"
	"os"

	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

func main() { invoke.Main[triggers.CustomMessage]("custommessage", build) }

func build(_ *envconfig.Reader, log *slog.Logger, opts *invoke.Options) (invoke.DecideFunc[triggers.CustomMessage], error) {
	opts.MalformedRequest = custommessage.MalformedRequest
	// The function's own variables are read apart from the shared ones,
	// because a mistake in them must not fail the cold start: the Decider
	// then sends every message as the pool's own (see package
	// custommessage, "A broken configuration").
	d, err := custommessage.Configure(envconfig.New(os.Getenv))
	if err != nil {
		log.Error("invalid configuration: every message falls back to the pool's own", "error", err.Error())
	}
	return d.Decide, nil
}
