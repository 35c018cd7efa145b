// Package dynamo builds the DynamoDB client the functions share, from
// awsconf settings, honouring AWS_ENDPOINT_URL(_DYNAMODB) for local tables.
package dynamo

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cognito-triggers/suite/pkg/awsconf"
)

// NewClient returns a DynamoDB client. It performs no I/O, so it is safe
// (and cheap) at cold start.
func NewClient(s awsconf.Settings) *dynamodb.Client {
	return dynamodb.NewFromConfig(s.Config(), func(o *dynamodb.Options) {
		if ep := s.EndpointFor("DYNAMODB"); ep != "" {
			o.BaseEndpoint = &ep
		}
	})
}
