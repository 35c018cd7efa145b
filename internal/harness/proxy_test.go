package harness

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

func TestCountingProxy(t *testing.T) {
	m := MotoT(t)
	ctx := t.Context()
	if err := m.CreateTable(ctx, "users", "pk", ""); err != nil {
		t.Fatal(err)
	}
	p, err := StartCountingProxy(ctx, m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()

	cfg := m.AWSConfig()
	cfg.BaseEndpoint = aws.String(p.Endpoint)
	client := dynamodb.NewFromConfig(cfg)
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "alice"}}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("users"), Item: key}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("users"), Key: key})
		if err != nil {
			t.Fatal(err)
		}
		if out.Item == nil {
			t.Fatal("GetItem through the proxy found nothing")
		}
	}
	want := map[string]int{"DynamoDB_20120810.PutItem": 1, "DynamoDB_20120810.GetItem": 2}
	if diff := cmp.Diff(want, p.Counts()); diff != "" {
		t.Errorf("Counts() mismatch (-want +got):\n%s", diff)
	}
	if got := p.Count("DynamoDB_20120810.GetItem"); got != 2 {
		t.Errorf("Count(GetItem) = %d; want 2", got)
	}
	p.Reset()
	if got := p.Count("DynamoDB_20120810.GetItem"); got != 0 {
		t.Errorf("Count(GetItem) after Reset = %d; want 0", got)
	}
}
