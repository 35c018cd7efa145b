package triggers

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeErrors(t *testing.T) {
	const (
		signup = "presignup-signup.json"
		v1     = "pretoken-v1-authentication.json"
		v2     = "pretoken-v2-hosted-auth.json"
		m2m    = "pretoken-v3-client-credentials.json"
		mig    = "migrateuser-authentication.json"
		msg    = "custommessage-signup.json"
		post   = "postauth-authentication.json"
	)
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	tests := []struct {
		name    string
		decode  func([]byte) (any, error)
		data    []byte
		wantIs  error // besides ErrMalformedEvent, which every error wraps
		wantAs  any   // pointer to an error type errors.As must find
		wantMsg string
	}{
		{"empty", dec("PreSignUp"), nil, nil, nil, "empty input"},
		{"whitespace", dec("PreSignUp"), []byte(" \n\t"), nil, nil, "empty input"},
		{"null", dec("PreSignUp"), []byte("null"), nil, nil, "event is null"},
		{"null with spaces", dec("CustomMessage"), []byte(" null\n"), nil, nil, "event is null"},
		{"truncated", dec("PreSignUp"), readFixture(t, signup)[:200], nil, &syntaxErr, "unexpected end of JSON input"},
		{"trailing garbage", dec("PostAuth"), append(readFixture(t, post), " x"...), nil, &syntaxErr, "after top-level value"},
		{"array", dec("PreSignUp"), []byte("[]"), nil, &typeErr, "cannot unmarshal array"},
		{"string", dec("PreSignUp"), []byte(`"PreSignUp_SignUp"`), nil, &typeErr, "cannot unmarshal string"},
		{"empty object", dec("PreSignUp"), []byte("{}"), nil, nil, `"version" is missing`},
		{"numeric version", dec("PreSignUp"), mutate(t, signup, `"version": "1"`, `"version": 1`), nil, &typeErr, "cannot unmarshal number"},
		{"null version", dec("PreSignUp"), mutate(t, signup, `"version": "1"`, `"version": null`), nil, nil, `"version" is missing or null`},
		{"missing request", dec("PostAuth"), []byte(`{"version":"1","triggerSource":"PostAuthentication_Authentication","userPoolId":"us-east-1_EXAMPLE","callerContext":{}}`), nil, nil, `"request" is missing`},
		{"null callerContext", dec("PreSignUp"), mutate(t, signup, `"callerContext": {`, `"callerContext": null, "x": {`), nil, nil, `"callerContext" is missing or null`},
		{"attributes not an object", dec("PreSignUp"), mutate(t, signup, `"userAttributes": {`, `"userAttributes": "x", "x": {`), nil, &typeErr, "cannot unmarshal string"},
		{"bool as string", dec("PostAuth"), mutate(t, post, `"newDeviceUsed": false`, `"newDeviceUsed": "false"`), nil, &typeErr, "newDeviceUsed"},
		{"flag as string", dec("PreSignUp"), mutate(t, signup, `"autoConfirmUser": false`, `"autoConfirmUser": "no"`), nil, &typeErr, "autoConfirmUser"},
		{"scopes as string", dec("PreTokenV2"), mutate(t, v2, `"scopes": [`, `"scopes": "openid", "x": [`), nil, &typeErr, "scopes"},
		{"preferredRole as array (doc sample)", dec("PreTokenV2"), mutate(t, v2, `"preferredRole": null`, `"preferredRole": ["arn"]`), nil, &typeErr, "preferredRole"},
		{"details as non-empty array", dec("PreTokenV2"), mutate(t, v2, `"claimsAndScopeOverrideDetails": null`, `"claimsAndScopeOverrideDetails": [1]`), nil, &typeErr, "cannot unmarshal array"},
		{"password as number", dec("MigrateUser"), mutate(t, mig, `"password": "correct horse battery staple"`, `"password": 42`), nil, &typeErr, "password"},
		{"unknown source", dec("PreSignUp"), mutate(t, signup, `"PreSignUp_SignUp"`, `"PreSignUp_Invite"`), ErrUnknownSource, nil, "PreSignUp_Invite"},
		{"source in other case", dec("PreSignUp"), mutate(t, signup, `"PreSignUp_SignUp"`, `"presignup_signup"`), ErrUnknownSource, nil, "presignup_signup"},
		{"source of another trigger", dec("CustomMessage"), readFixture(t, signup), ErrWrongTrigger, nil, "PreSignUp_SignUp is a PreSignUp source"},
		{"V2 event to V1", dec("PreTokenV1"), readFixture(t, v2), ErrWrongVersion, nil, `version "2"`},
		{"V3 event to V1", dec("PreTokenV1"), readFixture(t, "pretoken-v3-authenticate-device.json"), ErrWrongVersion, nil, `version "3"`},
		{"client credentials to V1", dec("PreTokenV1"), readFixture(t, m2m), ErrWrongVersion, nil, "only sent to V3_0"},
		{"V1 event to V2", dec("PreTokenV2"), readFixture(t, v1), ErrWrongVersion, nil, `version "1"`},
		{"duplicate triggerSource", dec("PreSignUp"), mutate(t, signup, `"region"`, `"triggerSource": "PreSignUp_AdminCreateUser", "region"`), nil, nil, `duplicate key "triggerSource"`},
		{"case variant triggerSource", dec("PreSignUp"), mutate(t, signup, `"region"`, `"TRIGGERSOURCE": "PreSignUp_AdminCreateUser", "region"`), nil, nil, `"TRIGGERSOURCE" in the event is a case variant of "triggerSource"`},
		{"long s variant triggerSource", dec("PreSignUp"), mutate(t, signup, `"region"`, `"trigger\u017fource": "PreSignUp_AdminCreateUser", "region"`), nil, nil, `is a case variant of "triggerSource"`},
		{"kelvin variant callerContext key", dec("PreSignUp"), mutate(t, signup, `"awsSdkVersion"`, `"awsSd\u212aVersion"`), nil, nil, `in callerContext is a case variant of "awsSdkVersion"`},
		{"case variant request key", dec("PreSignUp"), mutate(t, signup, `"validationData"`, `"ValidationData"`), nil, nil, `in request is a case variant of "validationData"`},
		{"duplicate attribute", dec("PreTokenV2"), mutate(t, "pretoken-v2-new-password-challenge.json", `"name": "John Roe",`, `"name": "John Roe", "custom:tenant_id": "acme",`), nil, nil, `duplicate key "custom:tenant_id" in request.userAttributes`},
		{"duplicate client metadata", dec("PreTokenV2"), mutate(t, m2m, `"tenant_id": "acme"`, `"tenant_id": "acme", "tenant_id": "globex"`), nil, nil, `duplicate key "tenant_id" in request.clientMetadata`},
		{"duplicate response", dec("CustomMessage"), mutate(t, msg, `"response": {`, `"response": {}, "response": {`), nil, nil, `duplicate key "response"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decode(tt.data)
			if err == nil {
				t.Fatalf("decoded %+v, want an error", got)
			}
			if !errors.Is(err, ErrMalformedEvent) {
				t.Errorf("error %q does not wrap ErrMalformedEvent", err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q does not wrap %q", err, tt.wantIs)
			}
			if tt.wantAs != nil && !errors.As(err, tt.wantAs) {
				t.Errorf("error %q: errors.As(%T) = false", err, tt.wantAs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "correct horse") {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}

// dec finds a decoder by name.
func dec(name string) func([]byte) (any, error) {
	for _, d := range decoders {
		if d.name == name {
			return d.decode
		}
	}
	panic("no decoder " + name)
}

// TestDecodeWrongTrigger feeds every fixture to every decoder of another
// trigger: a function attached to the wrong LambdaConfig slot must refuse
// every event, not only the ones someone thought of.
func TestDecodeWrongTrigger(t *testing.T) {
	for _, path := range fixtureFiles(t) {
		name := filepath.Base(path)
		data := readFixture(t, name)
		var h Header
		if err := json.Unmarshal(data, &h); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, d := range decoders {
			if d.trigger == h.TriggerSource.Trigger() {
				continue
			}
			_, err := d.decode(data)
			if !errors.Is(err, ErrWrongTrigger) || !errors.Is(err, ErrMalformedEvent) {
				t.Errorf("%s via %s: err = %v, want ErrWrongTrigger", name, d.name, err)
			}
		}
	}
}

// TestDecodeTolerates covers what Cognito may send that the strictness
// must not refuse.
func TestDecodeTolerates(t *testing.T) {
	t.Run("unknown fields", func(t *testing.T) {
		data := mutate(t, "postauth-authentication.json", `"newDeviceUsed": false`,
			`"newDeviceUsed": false, "userContextData": {"ipAddress": "192.0.2.1"}, "newField": [1, {"a": null}]`)
		data = []byte(strings.Replace(string(data), `"region"`, `"eventId": "x", "region"`, 1))
		if _, err := DecodePostAuth(data); err != nil {
			t.Fatalf("DecodePostAuth: %v", err)
		}
	})
	t.Run("empty array details", func(t *testing.T) {
		for _, tc := range []struct {
			file, old string
			decode    func([]byte) (any, error)
		}{
			{"pretoken-v2-hosted-auth.json", `"claimsAndScopeOverrideDetails": null`, dec("PreTokenV2")},
			{"pretoken-v1-authentication.json", `"claimsOverrideDetails": null`, dec("PreTokenV1")},
		} {
			key, _, _ := strings.Cut(tc.old, ":")
			got, err := tc.decode(mutate(t, tc.file, tc.old, key+": [ ]"))
			if err != nil {
				t.Fatalf("%s with []: %v", tc.file, err)
			}
			if want := key + ":null"; !strings.Contains(string(mustMarshal(t, got)), want) {
				t.Errorf("%s with []: re-encoded %s, want %s", tc.file, mustMarshal(t, got), want)
			}
		}
	})
	t.Run("missing response and null maps", func(t *testing.T) {
		data := []byte(`{"version":"1","triggerSource":"CustomMessage_ResendCode","userPoolId":"us-east-1_EXAMPLE",
			"callerContext":{"clientId":"1example23456789"},"request":{"userAttributes":null,"clientMetadata":null}}`)
		got, err := DecodeCustomMessage(data)
		if err != nil {
			t.Fatalf("DecodeCustomMessage: %v", err)
		}
		if got.Request.UserAttributes.Get("email") != "" || got.Request.ClientMetadata != nil {
			t.Errorf("request = %+v, want empty maps", got.Request)
		}
	})
	t.Run("client credentials without user", func(t *testing.T) {
		got, err := DecodePreTokenV2(readFixture(t, "pretoken-v3-client-credentials.json"))
		if err != nil {
			t.Fatalf("DecodePreTokenV2: %v", err)
		}
		want := PreTokenV2Request{
			Scopes:         []string{"https://api.example.com/orders.read", "https://api.example.com/orders.write"},
			ClientMetadata: Attributes{"tenant_id": "acme"},
		}
		if diff := cmp.Diff(want, got.Request); diff != "" {
			t.Errorf("request (-want +got):\n%s", diff)
		}
		if got.UserName != "" {
			t.Errorf("UserName = %q, want empty", got.UserName)
		}
	})
}
