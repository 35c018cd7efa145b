// Command postauth is the post authentication trigger
// (PostAuthentication_Authentication): it records each sign-in in the audit
// table (AUDIT_TABLE), once per sign-in however often Cognito delivers it,
// and answers with the event and an empty response. See package postauth
// for the rules and docs/postauth.md for the configuration.
package main

import (
	"log/slog"

	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/dynamo"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

func main() { invoke.Main[triggers.PostAuth]("postauth", build) }

// build wires the decision to the DynamoDB audit table.
func build(env *envconfig.Reader, _ *slog.Logger, _ *invoke.Options) (invoke.DecideFunc[triggers.PostAuth], error) {
	cfg := postauth.LoadConfig(env)
	store := postauth.NewTable(dynamo.NewClient(awsconf.Load(env)), cfg.Table)
	if err := env.Err(); err != nil {
		return nil, err // every bad variable, named at once
	}
	d, err := postauth.New(cfg, postauth.Deps{Store: store})
	if err != nil {
		return nil, err
	}
	return d.Decide, nil
}
