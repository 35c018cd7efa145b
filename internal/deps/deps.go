// Package deps pins the suite's direct dependencies while the packages that
// use them are being written; delete it once every import has a real user.
package deps

import (
	_ "github.com/aws/aws-lambda-go/events"
	_ "github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-lambda-go/lambdacontext"
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/credentials"
	_ "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	_ "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	_ "github.com/aws/smithy-go"
	_ "github.com/google/go-cmp/cmp"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/crypto/bcrypt"
	_ "golang.org/x/crypto/pbkdf2"
	_ "golang.org/x/crypto/scrypt"
	_ "gopkg.in/yaml.v3"
)
