package triggers_test

import (
	"fmt"
	"log"

	"github.com/cognito-triggers/suite/pkg/triggers"
)

// A V2 pre token handler adds a claim to the access token. The answer is
// the whole event, re-encoded: the request as it came, members the types
// do not know (here "eventId") included, and a response holding only what
// the handler set; the untouched ID token part and a group override it
// did not ask for are not sent.
func ExampleDecode() {
	event := []byte(`{
		"version": "2",
		"triggerSource": "TokenGeneration_Authentication",
		"region": "us-east-1",
		"userPoolId": "us-east-1_EXAMPLE",
		"userName": "jane.doe",
		"callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789"},
		"eventId": "e-1",
		"request": {
			"userAttributes": {"sub": "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b"},
			"scopes": ["aws.cognito.signin.user.admin"],
			"groupConfiguration": {"groupsToOverride": ["acme-users"], "iamRolesToOverride": [], "preferredRole": null}
		},
		"response": {"claimsAndScopeOverrideDetails": null}
	}`)
	ev, err := triggers.Decode[triggers.PreToken](event)
	if err != nil {
		log.Fatal(err)
	}
	v2 := ev.V2
	fmt.Println(v2.TriggerSource, v2.Request.UserAttributes.Get("sub"))

	access := v2.Response.Overrides().AccessToken()
	access.ClaimsToAddOrOverride.Set("tenant_id", "acme")
	access.ClaimsToSuppress = []string{"custom:tenant_id"}

	out, err := triggers.Encode(ev)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))
	// Output:
	// TokenGeneration_Authentication 7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b
	// {"version":"2","triggerSource":"TokenGeneration_Authentication","region":"us-east-1","userPoolId":"us-east-1_EXAMPLE","callerContext":{"awsSdkVersion":"aws-sdk-unknown-unknown","clientId":"1example23456789"},"userName":"jane.doe","request":{"userAttributes":{"sub":"7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b"},"scopes":["aws.cognito.signin.user.admin"],"groupConfiguration":{"groupsToOverride":["acme-users"],"iamRolesToOverride":[],"preferredRole":null}},"response":{"claimsAndScopeOverrideDetails":{"accessTokenGeneration":{"claimsToAddOrOverride":{"tenant_id":"acme"},"claimsToSuppress":["custom:tenant_id"]}}},"eventId":"e-1"}
}

// The migrate-user event logs as its safe header fields, and the password
// prints redacted, while the JSON sent back to Cognito keeps it.
func ExamplePassword() {
	ev, err := triggers.Decode[triggers.MigrateUser]([]byte(`{
		"version": "1", "triggerSource": "UserMigration_Authentication", "region": "us-east-1",
		"userPoolId": "us-east-1_EXAMPLE", "userName": "maria.rivera@example.com",
		"callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789"},
		"request": {"password": "correct horse battery staple", "validationData": null},
		"response": {"userAttributes": null}
	}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v\n", ev.Request.Password)
	fmt.Println(ev.LogValue())
	// Output:
	// REDACTED
	// [triggerSource=UserMigration_Authentication userPoolId=us-east-1_EXAMPLE clientId=1example23456789]
}
