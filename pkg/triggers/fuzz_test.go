package triggers

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode feeds every decoder the same bytes. None may panic, and an
// event a decoder accepts must survive encode → decode unchanged: that is
// what lets a handler return the event Cognito sent, and it catches
// omitempty choices that turn a value into a different one (an empty list
// into nil, null into "").
func FuzzDecode(f *testing.F) {
	for _, path := range fixtureFiles(f) {
		f.Add(readFixture(f, filepath.Base(path)))
	}
	f.Add([]byte(`null`))
	// Shapes where null, absent and empty differ, which omitempty would
	// conflate.
	for _, seed := range []string{
		`{"version":"2","triggerSource":"TokenGeneration_HostedAuth","userPoolId":"p","callerContext":{},"request":{"userAttributes":{"a":true,"b":1e3}},"response":{"claimsAndScopeOverrideDetails":[]}}`,
		`{"version":"3","triggerSource":"TokenGeneration_Authentication","userPoolId":"p","callerContext":{},"request":{"userAttributes":{},"scopes":[],"clientMetadata":{},"groupConfiguration":{"groupsToOverride":null,"iamRolesToOverride":[],"preferredRole":""}},"response":{"claimsAndScopeOverrideDetails":{"groupOverrideDetails":{},"idTokenGeneration":{"claimsToAddOrOverride":{},"claimsToSuppress":[]},"accessTokenGeneration":{"claimsToAddOrOverride":{"n":-0,"o":{"k":[1,null]}},"scopesToAdd":[]}}}}`,
		`{"version":"1","triggerSource":"TokenGeneration_RefreshTokens","userPoolId":"p","callerContext":{},"request":{"groupConfiguration":{}},"response":{"claimsOverrideDetails":{"claimsToAddOrOverride":{},"groupOverrideDetails":null}}}`,
		`{"version":"1","triggerSource":"UserMigration_ForgotPassword","userPoolId":"p","callerContext":{},"request":{"password":"","validationData":{}},"response":{"userAttributes":{},"finalUserStatus":null,"messageAction":"","desiredDeliveryMediums":[],"forceAliasCreation":null,"enableSMSMFA":false}}`,
		`{"version":"1","triggerSource":"CustomMessage_SignUp","userPoolId":"p","callerContext":{},"request":{"codeParameter":null,"linkParameter":null,"usernameParameter":""},"response":{"smsMessage":"","emailMessage":null}}`,
		`{"version":"1","triggerSource":"PostAuthentication_Authentication","userPoolId":"p","callerContext":{},"request":{"newDeviceUsed":null},"response":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range decoders {
			ev, err := d.decode(data)
			if err != nil {
				continue
			}
			enc, err := json.Marshal(ev)
			if err != nil {
				t.Fatalf("%s: marshal accepted event: %v", d.name, err)
			}
			again, err := d.decode(enc)
			if err != nil {
				t.Fatalf("%s: re-decode of %s: %v", d.name, enc, err)
			}
			if !cmp.Equal(ev, again) {
				t.Fatalf("%s: encode→decode is not a fixed point (-first +second):\n%s", d.name, cmp.Diff(ev, again))
			}
		}
	})
}
