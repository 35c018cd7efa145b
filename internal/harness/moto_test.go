package harness

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// avOpts compares DynamoDB attribute values, whose structs embed an
// unexported no-serde marker.
var avOpts = cmpopts.IgnoreUnexported(types.AttributeValueMemberS{}, types.AttributeValueMemberN{})

func TestMotoRoundTrip(t *testing.T) {
	m := MotoT(t)
	ctx := t.Context()

	tables := []struct {
		name, pk, sk string
		item         map[string]types.AttributeValue
	}{
		{"users", "pk", "", map[string]types.AttributeValue{
			"pk":     &types.AttributeValueMemberS{Value: "alice"},
			"logins": &types.AttributeValueMemberN{Value: "3"},
		}},
		{"sessions", "pk", "sk", map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "alice"},
			"sk": &types.AttributeValueMemberS{Value: "2026-11-25"},
		}},
	}
	for _, tc := range tables {
		if err := m.CreateTable(ctx, tc.name, tc.pk, tc.sk); err != nil {
			t.Fatal(err)
		}
		if err := m.PutItem(ctx, tc.name, tc.item); err != nil {
			t.Fatal(err)
		}
		key := map[string]types.AttributeValue{tc.pk: tc.item[tc.pk]}
		if tc.sk != "" {
			key[tc.sk] = tc.item[tc.sk]
		}
		out, err := m.DynamoDB().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tc.name), Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.item, out.Item, avOpts); diff != "" {
			t.Errorf("GetItem(%s) mismatch (-want +got):\n%s", tc.name, diff)
		}
	}

	if err := m.CreateSecret(ctx, "app/signing", "s3cr3t"); err != nil {
		t.Fatal(err)
	}
	sec, err := m.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/signing")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(sec.SecretString); got != "s3cr3t" {
		t.Errorf("SecretString = %q; want %q", got, "s3cr3t")
	}

	if err := m.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	lt, err := m.DynamoDB().ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lt.TableNames) != 0 {
		t.Errorf("tables after Reset = %v; want none", lt.TableNames)
	}
	_, err = m.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/signing")})
	if rnf := (*smtypes.ResourceNotFoundException)(nil); !errors.As(err, &rnf) {
		t.Errorf("GetSecretValue after Reset: err = %v; want ResourceNotFoundException", err)
	}
}

func TestMotoConfigAndEnv(t *testing.T) {
	m := &Moto{Endpoint: "http://127.0.0.1:4566"}
	want := map[string]string{
		"AWS_ENDPOINT_URL":      "http://127.0.0.1:4566",
		"AWS_REGION":            "us-east-1",
		"AWS_ACCESS_KEY_ID":     "testing",
		"AWS_SECRET_ACCESS_KEY": "testing",
	}
	if diff := cmp.Diff(want, m.Env()); diff != "" {
		t.Errorf("Env() mismatch (-want +got):\n%s", diff)
	}
	cfg := m.AWSConfig()
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := []string{cfg.Region, aws.ToString(cfg.BaseEndpoint), creds.AccessKeyID, creds.SecretAccessKey}
	if diff := cmp.Diff([]string{"us-east-1", "http://127.0.0.1:4566", "testing", "testing"}, got); diff != "" {
		t.Errorf("AWSConfig() mismatch (-want +got):\n%s", diff)
	}
}

// TestMotoStop starts a private server, so it can run beside the tests that
// share one.
func TestMotoStop(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	m, err := StartMoto(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pid, dir := m.proc.pid, m.dir
	if err := m.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := m.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	// Reaped by us, so not even a zombie is left.
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("/proc/%d after Stop: err = %v; want not exist", pid, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("log dir %s after Stop: err = %v; want removed", dir, err)
	}
	if err := m.Reset(ctx); err == nil {
		t.Error("Reset after Stop succeeded; want connection error")
	}
}
