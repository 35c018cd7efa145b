// Package localenv is the suite's local world: one moto server holding the
// trusted claims table, the audit table, the legacy users table and the
// legacy secret, seeded with the records the events/ fixtures refer to, and
// the environment each function needs to run against it under the emulator.
//
// `make invoke`, `make demo` and `make bench` all start the same world, so a
// fixture that works in one works in the others.
package localenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/crypto/bcrypt"

	"github.com/cognito-triggers/suite/internal/harness"
)

// Names of the local tables and secret.
const (
	ClaimsTable      = "cognito-triggers-claims"
	AuditTable       = "cognito-triggers-audit"
	LegacyUsersTable = "cognito-triggers-legacy-users"
	LegacySecret     = "cognito-triggers/legacy"
	LegacyAPIKey     = "local-demo-api-key"
)

// The identities the fixtures in events/ use.
const (
	M2MClientID    = "7m2mclient0example1"
	JaneSub        = "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b" // has a user# record
	Tenant         = "t-example"
	LegacyUserName = "maria.rivera@example.com" // exists only in the legacy store
	LegacyPassword = "correct horse battery staple"
	// ResetUserName exists only in the legacy store, with a verified email,
	// and never signs in: the forgot-password journey.
	ResetUserName = "li.wei@example.com"
)

// Functions lists the five functions by directory name.
var Functions = []string{"presignup", "pretoken", "postauth", "migrateuser", "custommessage"}

// World is a running local environment.
type World struct {
	Moto    *harness.Moto
	buildTo string
	lambdas []*harness.Lambda
}

// Start starts moto and seeds it. Stop must be called.
func Start(ctx context.Context) (*World, error) {
	moto, err := harness.StartMoto(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "localenv-")
	if err != nil {
		_ = moto.Stop()
		return nil, err
	}
	w := &World{Moto: moto, buildTo: dir}
	if err := w.seed(ctx); err != nil {
		w.Stop()
		return nil, fmt.Errorf("seed local tables: %w", err)
	}
	return w, nil
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func (w *World) seed(ctx context.Context) error {
	m := w.Moto
	for _, t := range []struct{ name, pk, sk string }{
		{ClaimsTable, "pk", ""}, {AuditTable, "pk", "sk"}, {LegacyUsersTable, "username", ""},
	} {
		if err := m.CreateTable(ctx, t.name, t.pk, t.sk); err != nil {
			return err
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(LegacyPassword), 10)
	if err != nil {
		return err
	}
	items := []struct {
		table string
		item  map[string]types.AttributeValue
	}{
		{ClaimsTable, map[string]types.AttributeValue{"pk": s("domain#example.com"), "tenant_id": s(Tenant), "default_role": s("member")}},
		{ClaimsTable, map[string]types.AttributeValue{"pk": s("domain#partner.example.org"), "tenant_id": s("t-partner"), "default_role": s("viewer")}},
		{ClaimsTable, map[string]types.AttributeValue{"pk": s("user#" + JaneSub), "tenant_id": s(Tenant), "app_role": s("admin")}},
		{ClaimsTable, map[string]types.AttributeValue{"pk": s("client#" + M2MClientID), "tenant_id": s(Tenant), "app_role": s("service"),
			"scopes": &types.AttributeValueMemberSS{Value: []string{"orders/read"}}}},
		{LegacyUsersTable, map[string]types.AttributeValue{
			"username": s(LegacyUserName), "password_hash": s(string(hash)), "email": s(LegacyUserName),
			"email_verified": &types.AttributeValueMemberBOOL{Value: true}, "name": s("Maria Rivera"),
			"given_name": s("Maria"), "family_name": s("Rivera"), "locale": s("en"),
		}},
		{LegacyUsersTable, map[string]types.AttributeValue{
			"username": s(ResetUserName), "password_hash": s(string(hash)), "email": s(ResetUserName),
			"email_verified": &types.AttributeValueMemberBOOL{Value: true}, "name": s("Li Wei"), "locale": s("zh-CN"),
		}},
	}
	for _, it := range items {
		if err := m.PutItem(ctx, it.table, it.item); err != nil {
			return err
		}
	}
	return m.CreateSecret(ctx, LegacySecret, `{"api_key":"`+LegacyAPIKey+`"}`)
}

// Env returns the environment of a function in this world: the endpoint and
// credentials of moto, and the function's own configuration.
func (w *World) Env(fn string) map[string]string {
	env := w.Moto.Env()
	for k, v := range FunctionEnv(fn) {
		env[k] = v
	}
	return env
}

// FunctionEnv is a function's own configuration in the local world, without
// any AWS endpoint (fault tests point it elsewhere).
func FunctionEnv(fn string) map[string]string {
	common := map[string]string{"METRICS_NAMESPACE": "CognitoTriggersLocal"}
	own := map[string]map[string]string{
		"presignup": {"ALLOWED_EMAIL_DOMAINS": "example.com", "CLAIMS_TABLE": ClaimsTable},
		"pretoken":  {"CLAIMS_TABLE": ClaimsTable, "CLAIMS_MISSING_POLICY": "deny", "CLAIMS_CACHE_TTL": "30s"},
		"postauth":  {"AUDIT_TABLE": AuditTable, "AUDIT_FAILURE_MODE": "open"},
		"migrateuser": {"LEGACY_SOURCE": "table", "LEGACY_USERS_TABLE": LegacyUsersTable, "LEGACY_SECRET_ID": LegacySecret,
			"LEGACY_ATTRIBUTES": "name,given_name,family_name,locale", "ALLOWED_EMAIL_DOMAINS": "example.com", "CLAIMS_TABLE": ClaimsTable},
		"custommessage": {"APP_NAME": "Example App", "APP_URL": "https://app.example.com", "SUPPORT_EMAIL": "support@example.com",
			"DEFAULT_LOCALE": "en", "CUSTOMIZE_EMAIL": "true"},
	}[fn]
	for k, v := range own {
		common[k] = v
	}
	return common
}

// Lambda builds fn and starts it under the emulator with env (nil: the
// world's environment for fn). The world stops it.
func (w *World) Lambda(ctx context.Context, fn string, env map[string]string) (*harness.Lambda, error) {
	if !slices.Contains(Functions, fn) {
		return nil, fmt.Errorf("unknown function %q (one of %s)", fn, strings.Join(Functions, ", "))
	}
	boot, err := harness.Build(ctx, "./functions/"+fn, w.buildTo)
	if err != nil {
		return nil, err
	}
	if env == nil {
		env = w.Env(fn)
	}
	l, err := harness.StartLambda(ctx, harness.LambdaOptions{Name: fn, Bootstrap: boot, Env: env})
	if err != nil {
		return nil, err
	}
	w.lambdas = append(w.lambdas, l)
	return l, nil
}

// Stop stops every process the world started, by PID, and removes its
// build directory.
func (w *World) Stop() error {
	var errs []error
	for _, l := range w.lambdas {
		errs = append(errs, l.Stop())
	}
	if w.Moto != nil {
		errs = append(errs, w.Moto.Stop())
	}
	errs = append(errs, os.RemoveAll(w.buildTo))
	return errors.Join(errs...)
}

// Fixture reads events/<name> from the repository.
func Fixture(name string) ([]byte, error) {
	root, err := harness.RepoRoot()
	if err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(root, "events", name))
}
