package fakes

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/passhash"
	"github.com/cognito-triggers/suite/pkg/secretcache"
)

// SecretsManager fakes the one Secrets Manager call of package secretcache.
type SecretsManager struct {
	GetSecretValueFn func(ctx context.Context, in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error)
}

var _ secretcache.GetSecretValueAPI = (*SecretsManager)(nil)

// GetSecretValue calls GetSecretValueFn.
func (f *SecretsManager) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if f.GetSecretValueFn == nil {
		return nil, ErrUnexpectedCall
	}
	return f.GetSecretValueFn(ctx, in)
}

// SecretString is a GetSecretValue answer holding value.
func SecretString(value string) *secretsmanager.GetSecretValueOutput {
	return &secretsmanager.GetSecretValueOutput{SecretString: &value}
}

// PasswordVerifier fakes the hash verification of the legacy table source
// (legacy.Verifier, implemented by *passhash.Verifier). Its methods return
// no error, so a nil field panics with ErrUnexpectedCall; the table source
// recovers a panic of the hash and reports it as legacy_error.
type PasswordVerifier struct {
	VerifyFn      func(encoded string, password []byte) (bool, passhash.Scheme, error)
	VerifyDummyFn func(password []byte, like passhash.Scheme)
}

var _ legacy.Verifier = (*PasswordVerifier)(nil)

// Verify calls VerifyFn.
func (f *PasswordVerifier) Verify(encoded string, password []byte) (bool, passhash.Scheme, error) {
	if f.VerifyFn == nil {
		return false, "", ErrUnexpectedCall
	}
	return f.VerifyFn(encoded, password)
}

// VerifyDummy calls VerifyDummyFn.
func (f *PasswordVerifier) VerifyDummy(password []byte, like passhash.Scheme) {
	if f.VerifyDummyFn == nil {
		panic(ErrUnexpectedCall)
	}
	f.VerifyDummyFn(password, like)
}

// HTTPDoer fakes the HTTP client of the legacy endpoint source.
type HTTPDoer struct {
	DoFn func(req *http.Request) (*http.Response, error)
}

var _ legacy.Doer = (*HTTPDoer)(nil)

// Do calls DoFn.
func (f *HTTPDoer) Do(req *http.Request) (*http.Response, error) {
	if f.DoFn == nil {
		return nil, ErrUnexpectedCall
	}
	return f.DoFn(req)
}
