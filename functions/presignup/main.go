// Command presignup is the pre sign-up trigger: it admits a sign-up
// (PreSignUp_SignUp, PreSignUp_AdminCreateUser, PreSignUp_ExternalProvider)
// only for an email address in an allowed domain. See package presignup for
// the rules and README.md for the configuration.
package main

import (
	"log/slog"

	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/dynamo"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/presignup"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

func main() { invoke.Main[triggers.PreSignUp]("presignup", build) }

// build wires the decision. The DynamoDB client (and its AWS settings) is
// built only when CLAIMS_TABLE is set: an allowlist-only deployment needs
// neither region nor credentials.
func build(env *envconfig.Reader, log *slog.Logger, _ *invoke.Options) (invoke.DecideFunc[triggers.PreSignUp], error) {
	cfg := presignup.LoadConfig(env)
	var deps presignup.Deps
	if cfg.Table != "" {
		deps.Domains = trustedtable.New(dynamo.NewClient(awsconf.Load(env)), cfg.Table)
	}
	if err := env.Err(); err != nil {
		return nil, err // before New, so a broken configuration logs no misleading warning
	}
	d, err := presignup.New(cfg, deps)
	if err != nil {
		return nil, err
	}
	if d.AdmitsNothing() {
		log.Warn("cold start", "warning", "neither ALLOWED_EMAIL_DOMAINS nor CLAIMS_TABLE is configured: every sign-up will be refused")
	}
	return d.Decide, nil
}
