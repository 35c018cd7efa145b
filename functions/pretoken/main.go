// Command pretoken is the pre token generation trigger (V1_0, V2_0 and
// V3_0, client credentials included): it adds tenant_id and app_role from
// the trusted claims table to every token, binds a first-time user with a
// verified email to their domain's tenant, and denies the token when the
// table cannot say. See package pretoken for the rules and
// docs/pretoken.md for the configuration.
package main

import (
	"log/slog"

	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/dynamo"
	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/pretoken"
	"github.com/cognito-triggers/suite/pkg/triggers"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

func main() { invoke.Main[triggers.PreToken]("pretoken", build) }

// build wires the decision to the trusted claims table, which it reads and
// (for first-sign-in bindings) writes.
func build(env *envconfig.Reader, _ *slog.Logger, _ *invoke.Options) (invoke.DecideFunc[triggers.PreToken], error) {
	cfg := pretoken.LoadConfig(env)
	table := trustedtable.NewReadWrite(dynamo.NewClient(awsconf.Load(env)), cfg.Table)
	if err := env.Err(); err != nil {
		return nil, err // every bad variable, before New reports only the first it meets
	}
	d, err := pretoken.New(cfg, pretoken.Deps{Store: table})
	if err != nil {
		return nil, err
	}
	return d.Decide, nil
}
