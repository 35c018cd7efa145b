// Command floorlambda is the floor of the benchmark report: the smallest
// Go Lambda that holds what every trigger here holds, a DynamoDB client
// built the suite's way (package awsconf and dynamo, no network at init),
// and answers each event with itself. A trigger's cold start, first
// invoke and memory are read against it: what is above the floor is the
// trigger's own cost.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cognito-triggers/suite/pkg/awsconf"
	"github.com/cognito-triggers/suite/pkg/dynamo"
	"github.com/cognito-triggers/suite/pkg/envconfig"
)

func main() {
	env := envconfig.New(os.Getenv)
	client := dynamo.NewClient(awsconf.Load(env))
	if err := env.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(echo{client: client})
}

// echo answers each event with itself, holding the client as a trigger
// holds its clients.
type echo struct{ client any }

func (echo) Invoke(_ context.Context, event []byte) ([]byte, error) { return event, nil }
