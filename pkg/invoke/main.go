package invoke

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cognito-triggers/suite/pkg/envconfig"
	"github.com/cognito-triggers/suite/pkg/telemetry"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// Build reads a function's own configuration from env, builds its clients
// (without touching the network) and returns its decision and, for the
// custom message trigger, the MalformedRequest policy in opts. Problems
// with variables are recorded on env; any other failure is the error.
type Build[E any] func(env *envconfig.Reader, log *slog.Logger, opts *Options) (DecideFunc[E], error)

// Main is the whole cold start of a trigger function: the JSON logger at
// AWS_LAMBDA_LOG_LEVEL, the shared settings, the function's own (build),
// then lambda.Start. A configuration error is logged with every bad
// variable named and the process exits: Lambda reports the failed init
// and Cognito the failed trigger, which is the deliberate answer for a
// trigger that cannot decide (the template refuses what it can at deploy
// time, so this is the last line of defence).
func Main[E any, P Event[E]](function string, build Build[E]) {
	log := telemetry.Install(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	env := envconfig.New(os.Getenv)
	opts := LoadOptions(env, function, log)
	decide, err := build(env, log, &opts)
	if verr := env.Err(); verr != nil {
		err = verr
	}
	if err != nil {
		log.Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
	warm[E, P]()
	lambda.Start(New[E, P](opts, decide))
}

// warm decodes and encodes a minimal event of E once per shape (pre token
// generation has two, chosen by the version), so that the JSON codec
// builds its per-type decoders and encoders during init instead of during
// the first sign-in. The codec is per type, not per source: one source
// serves.
func warm[E any, P Event[E]]() {
	src := triggers.Sources(P(new(E)).Trigger())[0]
	for _, version := range []string{"1", "3"} {
		ev, err := triggers.Decode[E, P]([]byte(`{"version":"` + version + `","triggerSource":"` + string(src) +
			`","userPoolId":"warm","callerContext":{},"request":{},"response":{}}`))
		if err == nil {
			_, _ = triggers.Encode(P(ev))
		}
	}
}
