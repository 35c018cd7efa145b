package triggers_test

import (
	"encoding/json"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// FuzzDecode feeds every decoder the same bytes. None may panic; an event
// a decoder accepts must be JSON that encoding/json reads the same header
// from; and it must survive encode → decode unchanged: that is what lets a
// handler return the event Cognito sent, and it catches encoding choices
// that turn a value into a different one (an empty list into nil, null
// into "", an unknown member dropped).
func FuzzDecode(f *testing.F) {
	for _, name := range fixtureFiles(f) {
		f.Add(testevent.Raw(f, name))
	}
	f.Add([]byte(`null`))
	// Shapes where null, absent and empty differ, and where parsers tend
	// to part: folds, escapes, duplicates, unknown members.
	for _, seed := range []string{
		`{"version":"2","triggerSource":"TokenGeneration_HostedAuth","userPoolId":"p","callerContext":{},"request":{"userAttributes":{"a":true,"b":1e3}},"response":{"claimsAndScopeOverrideDetails":[]}}`,
		`{"version":"3","triggerSource":"TokenGeneration_Authentication","userPoolId":"p","callerContext":{},"request":{"userAttributes":{},"scopes":[],"clientMetadata":{},"groupConfiguration":{"groupsToOverride":null,"iamRolesToOverride":[],"preferredRole":""}},"response":{"claimsAndScopeOverrideDetails":{"groupOverrideDetails":{},"idTokenGeneration":{"claimsToAddOrOverride":{},"claimsToSuppress":[]},"accessTokenGeneration":{"claimsToAddOrOverride":{"n":-0,"o":{"k":[1,null]}},"scopesToAdd":[]}}}}`,
		`{"version":"1","triggerSource":"TokenGeneration_RefreshTokens","userPoolId":"p","callerContext":{},"request":{"groupConfiguration":{}},"response":{"claimsOverrideDetails":{"claimsToAddOrOverride":{},"groupOverrideDetails":null}}}`,
		`{"version":"1","triggerSource":"UserMigration_ForgotPassword","userPoolId":"p","callerContext":{},"request":{"password":"","validationData":{}},"response":{"userAttributes":{},"finalUserStatus":null,"messageAction":"","desiredDeliveryMediums":[],"forceAliasCreation":null,"enableSMSMFA":false}}`,
		`{"version":"1","triggerSource":"CustomMessage_SignUp","userPoolId":"p","callerContext":{},"request":{"codeParameter":null,"linkParameter":null,"usernameParameter":""},"response":{"smsMessage":"","emailMessage":null}}`,
		`{"version":"1","triggerSource":"PostAuthentication_Authentication","userPoolId":"p","callerContext":{},"request":{"newDeviceUsed":null},"response":null}`,
		`{"version":"1","triggerSource":"PreSignUp_SignUp","userPoolId":"p","callerContext":{"clientId":"c","x":{}},"request":{"userAttributes":{"email":"a@b.co"},"validationData":null,"y":[1]},"z":"\u017f","TriggerSource":"x"}`,
		`{"version":"1","trigger\u0053ource":"PreSignUp_SignUp","userPoolId":"p","callerContext":{"awsSd\u212aVersion":""},"request":{}}`,
		"{\"version\":\"1\",\"triggerSource\":\"PreSignUp_SignUp\",\"userPoolId\":\"p\",\"callerContext\":{},\"request\":{\"userAttributes\":{\"email\":\"a\xff@b.co\"}}}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range codecs {
			ev, err := c.decode(data)
			if err != nil {
				continue
			}
			assertSameHeader(t, data, ev.EventHeader())
			enc, err := triggers.Encode(ev)
			if err != nil {
				t.Fatalf("%s: encode an accepted event: %v", c.name, err)
			}
			if !json.Valid(enc) {
				t.Fatalf("%s: encoded event is not JSON: %q", c.name, enc)
			}
			again, err := c.decode(enc)
			if err != nil {
				t.Fatalf("%s: re-decode of %s: %v", c.name, enc, err)
			}
			if diff := cmp.Diff(ev, again, sameJSON); diff != "" {
				t.Fatalf("%s: encode→decode is not a fixed point (-first +second):\n%s", c.name, diff)
			}
		}
	})
}

// sameJSON compares the raw unknown members as JSON values: the encoder
// writes them compact, whatever whitespace they arrived with.
var sameJSON = cmp.Comparer(func(a, b jsontext.Value) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return string(a) == string(b)
	}
	return cmp.Equal(va, vb)
})
