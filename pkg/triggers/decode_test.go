package triggers_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

const (
	signup = "presignup-signup.json"
	v1     = "pretoken-v1-authentication.json"
	v2     = "pretoken-v2-hosted-auth.json"
	v3     = "pretoken-v3-authenticate-device.json"
	m2m    = "pretoken-v3-client-credentials.json"
	mig    = "migrateuser-authentication.json"
	msg    = "custommessage-signup.json"
	post   = "postauth-authentication.json"
)

// dec finds a codec's decoder by name.
func dec(name string) func([]byte) (triggers.Event, error) {
	for _, c := range codecs {
		if c.name == name {
			return c.decode
		}
	}
	panic("no codec " + name)
}

// TestDecodeErrors pins what the strict decoder refuses and how it says
// so. Every error wraps ErrMalformedEvent; the ones whose header is fine
// while the request or response is not also wrap ErrMalformedRequest, so
// that the custom message trigger can fall back on the pool's own message
// instead of failing the user's flow, while everything else about the
// event (its source, its pool, the members every reader relies on) stays
// a hard refusal.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		decode  func([]byte) (triggers.Event, error)
		data    []byte
		wantIs  error // besides ErrMalformedEvent, which every error wraps
		request bool  // the error wraps ErrMalformedRequest
		wantMsg string
	}{
		// Not an event at all.
		{"empty", dec("PreSignUp"), nil, nil, false, "empty input"},
		{"whitespace", dec("PreSignUp"), []byte(" \n\t"), nil, false, "empty input"},
		{"null", dec("PreSignUp"), []byte("null"), nil, false, `"version" is missing`},
		{"null with spaces", dec("CustomMessage"), []byte(" null\n"), nil, false, `"version" is missing`},
		{"truncated", dec("PreSignUp"), testevent.Raw(t, signup)[:200], nil, false, "unexpected EOF"},
		{"trailing garbage", dec("PostAuth"), append(testevent.Raw(t, post), " x"...), nil, false, "data after the event"},
		{"two events", dec("PostAuth"), append(testevent.Raw(t, post), testevent.Raw(t, post)...), nil, false, "data after the event"},
		{"array", dec("PreSignUp"), []byte("[]"), nil, false, "not a JSON object"},
		{"string", dec("PreSignUp"), []byte(`"PreSignUp_SignUp"`), nil, false, "not a JSON object"},
		{"empty object", dec("PreSignUp"), []byte("{}"), nil, false, `"version" is missing`},

		// The header.
		{"numeric version", dec("PreSignUp"), mutate(t, signup, `"version": "1"`, `"version": 1`), nil, false, "/version"},
		{"null version", dec("PreSignUp"), mutate(t, signup, `"version": "1"`, `"version": null`), nil, false, `"version" is missing, null or empty`},
		{"empty pool", dec("PreSignUp"), mutate(t, signup, `"userPoolId": "us-east-1_EXAMPLE"`, `"userPoolId": ""`), nil, false, `"userPoolId" is missing`},
		{"missing source", dec("PostAuth"), mutate(t, post, `"triggerSource": "PostAuthentication_Authentication",`, ``), nil, false, `"triggerSource" is missing`},
		{"callerContext not an object", dec("PreSignUp"), mutate(t, signup, `"callerContext": {`, `"callerContext": "c", "x": {`), nil, false, "/callerContext"},
		{"clientId a number", dec("PreSignUp"), mutate(t, signup, `"clientId": "1example23456789"`, `"clientId": 5`), nil, false, "/callerContext/clientId"},
		{"unknown source", dec("PreSignUp"), mutate(t, signup, `"PreSignUp_SignUp"`, `"PreSignUp_Invite"`), triggers.ErrUnknownSource, false, "PreSignUp_Invite"},
		{"source in other case", dec("PreSignUp"), mutate(t, signup, `"PreSignUp_SignUp"`, `"presignup_signup"`), triggers.ErrUnknownSource, false, "presignup_signup"},
		{"source with NUL", dec("PreSignUp"), mutate(t, signup, `"PreSignUp_SignUp"`, `"PreSignUp_SignUp\u0000"`), triggers.ErrUnknownSource, false, "unknown triggerSource"},
		{"source of another trigger", dec("CustomMessage"), testevent.Raw(t, signup), triggers.ErrWrongTrigger, false, "PreSignUp_SignUp is a PreSignUp source"},
		{"source of another trigger, broken request", dec("CustomMessage"), mutate(t, signup, `"userAttributes": {`, `"userAttributes": [], "x": {`), triggers.ErrWrongTrigger, false, "is a PreSignUp source"},

		// Duplicates and case variants of the header, at the top level and in
		// callerContext: each would make encoding/json (last duplicate wins,
		// names fold) read another event than this decoder.
		{"duplicate triggerSource", dec("PreSignUp"), mutate(t, signup, `"region"`, `"triggerSource": "PreSignUp_AdminCreateUser", "region"`), nil, false, `duplicate object member name "triggerSource"`},
		{"escaped duplicate triggerSource", dec("PreSignUp"), mutate(t, signup, `"region"`, `"trigger\u0053ource": "PreSignUp_AdminCreateUser", "region"`), nil, false, `duplicate object member name "triggerSource"`},
		{"duplicate userPoolId", dec("PreSignUp"), mutate(t, signup, `"region"`, `"userPoolId": "us-east-1_ATTACKER", "region"`), nil, false, `duplicate object member name "userPoolId"`},
		{"duplicate response", dec("CustomMessage"), mutate(t, msg, `"response": {`, `"response": {}, "response": {`), nil, false, `duplicate object member name "response"`},
		{"duplicate request", dec("PreSignUp"), mutate(t, signup, `"response": {`, `"request": {}, "response": {`), nil, false, `duplicate object member name "request"`},
		{"duplicate unknown member", dec("PreSignUp"), mutate(t, signup, `"region"`, `"x": 1, "x": 2, "region"`), nil, false, `duplicate object member name "x"`},
		{"case variant triggerSource", dec("PreSignUp"), mutate(t, signup, `"region"`, `"TRIGGERSOURCE": "PreSignUp_AdminCreateUser", "region"`), nil, false, `"TRIGGERSOURCE" in the event is a case variant of "triggerSource"`},
		{"long s variant triggerSource", dec("PreSignUp"), mutate(t, signup, `"region"`, `"trigger\u017fource": "PreSignUp_AdminCreateUser", "region"`), nil, false, `"trigger` + "\u017f" + `ource" in the event is a case variant of "triggerSource"`},
		{"long s variant response", dec("PreSignUp"), mutate(t, signup, `"region"`, `"re\u017fponse": {}, "region"`), nil, false, `in the event is a case variant of "response"`},
		{"case variant request", dec("PreSignUp"), mutate(t, signup, `"region"`, `"Request": {}, "region"`), nil, false, `"Request" in the event is a case variant of "request"`},
		{"case variant userName", dec("PreSignUp"), mutate(t, signup, `"region"`, `"username": "admin", "region"`), nil, false, `is a case variant of "userName"`},
		{"kelvin variant in callerContext", dec("PreSignUp"), mutate(t, signup, `"awsSdkVersion"`, `"awsSd\u212aVersion"`), nil, false, `in callerContext is a case variant of "awsSdkVersion"`},
		{"case variant clientId", dec("PreSignUp"), mutate(t, signup, `"clientId": "1example23456789"`, `"clientId": "1example23456789", "ClientID": "evil"`), nil, false, `"ClientID" in callerContext is a case variant of "clientId"`},
		{"duplicate clientId", dec("PreSignUp"), mutate(t, signup, `"clientId": "1example23456789"`, `"clientId": "1example23456789", "clientId": "evil"`), nil, false, `duplicate object member name "clientId" within "/callerContext"`},
		{"broken header and request", dec("PreSignUp"), []byte(strings.Replace(string(mutate(t, signup, `"region"`, `"TriggerSource": "x", "region"`)),
			`"validationData": null`, `"validationData": 5`, 1)), nil, false, `"TriggerSource" in the event is a case variant`},

		// The request and the response: the header is fine.
		{"attributes not an object", dec("PreSignUp"), mutate(t, signup, `"userAttributes": {`, `"userAttributes": "x", "x": {`), nil, true, "/request/userAttributes"},
		{"request an array", dec("PostAuth"), mutate(t, post, `"request": {`, `"request": [], "x": {`), nil, true, "/request"},
		{"bool as string", dec("PostAuth"), mutate(t, post, `"newDeviceUsed": false`, `"newDeviceUsed": "false"`), nil, true, "/request/newDeviceUsed"},
		{"flag as string", dec("PreSignUp"), mutate(t, signup, `"autoConfirmUser": false`, `"autoConfirmUser": "no"`), nil, true, "/response/autoConfirmUser"},
		{"scopes as string", dec("PreToken"), mutate(t, v2, `"scopes": [`, `"scopes": "openid", "x": [`), nil, true, "/request/scopes"},
		{"preferredRole as array (doc sample)", dec("PreToken"), mutate(t, v2, `"preferredRole": null`, `"preferredRole": ["arn"]`), nil, true, "preferredRole"},
		{"details as non-empty array", dec("PreToken"), mutate(t, v2, `"claimsAndScopeOverrideDetails": null`, `"claimsAndScopeOverrideDetails": [1]`), nil, true, "array"},
		{"password as number", dec("MigrateUser"), mutate(t, mig, `"password": "correct horse battery staple"`, `"password": 42`), nil, true, "/request/password"},
		{"duplicate password", dec("MigrateUser"), mutate(t, mig, `"password": "correct horse battery staple"`, `"password": "correct horse battery staple", "password": "x"`), nil, true, `duplicate object member name "password"`},
		{"duplicate attribute", dec("PreToken"), mutate(t, "pretoken-v2-new-password-challenge.json", `"name": "John Roe",`, `"name": "John Roe", "custom:tenant_id": "acme",`), nil, true, `duplicate object member name "custom:tenant_id" within "/request/userAttributes"`},
		{"duplicate client metadata", dec("PreToken"), mutate(t, m2m, `"tenant_id": "acme"`, `"tenant_id": "acme", "tenant_id": "globex"`), nil, true, `duplicate object member name "tenant_id" within "/request/clientMetadata"`},
		{"duplicate request member", dec("CustomMessage"), mutate(t, msg, `"linkParameter"`, `"codeParameter": "{<b>}", "linkParameter"`), nil, true, `duplicate object member name "codeParameter" within "/request"`},
		{"duplicate response member", dec("PreSignUp"), mutate(t, signup, `"autoConfirmUser": false`, `"autoConfirmUser": false, "autoConfirmUser": true`), nil, true, `duplicate object member name "autoConfirmUser" within "/response"`},
		{"duplicate nested member", dec("PreToken"), mutate(t, v2, `"preferredRole": null`, `"preferredRole": null, "preferredRole": "arn"`), nil, true, `within "/request/groupConfiguration"`},
		{"case variant request member", dec("PreSignUp"), mutate(t, signup, `"validationData"`, `"ValidationData"`), nil, true, `"ValidationData" in request is a case variant of "validationData"`},
		{"long s variant request member", dec("PreSignUp"), mutate(t, signup, `"validationData"`, `"userAttribute\u017f": {}, "validationData"`), nil, true, `in request is a case variant of "userAttributes"`},
		{"kelvin variant request member", dec("CustomMessage"), mutate(t, msg, `"linkParameter"`, `"lin\u212aParameter": "{<b>}", "linkParameter"`), nil, true, `in request is a case variant of "linkParameter"`},
		{"case variant nested member", dec("PreToken"), mutate(t, v2, `"preferredRole"`, `"PreferredRole": "arn", "preferredRole"`), nil, true, `in request.groupConfiguration is a case variant of "preferredRole"`},
		{"long s variant nested member", dec("PreToken"), mutate(t, v2, `"preferredRole"`, `"group\u017fToOverride": [], "preferredRole"`), nil, true, `in request.groupConfiguration is a case variant of "groupsToOverride"`},
		{"case variant response member", dec("PreSignUp"), mutate(t, signup, `"autoConfirmUser": false`, `"autoConfirmUser": false, "AutoConfirmUser": true`), nil, true, `in response is a case variant of "autoConfirmUser"`},

		// Pre token generation: the version chooses the shape, and a
		// version that does not fit the event is refused rather than
		// answered in a shape Cognito would ignore.
		{"client credentials as version 1", dec("PreToken"), mutate(t, m2m, `"version": "3"`, `"version": "1"`), triggers.ErrWrongVersion, false, "only sent to V3_0"},
		{"unknown version", dec("PreToken"), mutate(t, v2, `"version": "2"`, `"version": "4"`), triggers.ErrWrongVersion, false, `unknown version "4"`},
		{"dotted version", dec("PreToken"), mutate(t, v3, `"version": "3"`, `"version": "3.0"`), triggers.ErrWrongVersion, false, `unknown version "3.0"`},
		{"numeric pre token version", dec("PreToken"), mutate(t, v1, `"version": "1"`, `"version": 1`), nil, false, "/version"},
		{"pre token of another trigger", dec("PreToken"), testevent.Raw(t, post), triggers.ErrWrongTrigger, false, "is a PostAuthentication source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decode(tt.data)
			if err == nil {
				t.Fatalf("decoded %+v, want an error", got)
			}
			if !errors.Is(err, triggers.ErrMalformedEvent) {
				t.Errorf("error %q does not wrap ErrMalformedEvent", err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q does not wrap %q", err, tt.wantIs)
			}
			if got := errors.Is(err, triggers.ErrMalformedRequest); got != tt.request {
				t.Errorf("error %q: errors.Is(ErrMalformedRequest) = %v, want %v", err, got, tt.request)
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

// TestDecodeWrongTrigger feeds every fixture to every decoder of another
// trigger: a function attached to the wrong LambdaConfig slot must refuse
// every event, not only the ones someone thought of.
func TestDecodeWrongTrigger(t *testing.T) {
	for _, name := range fixtureFiles(t) {
		data := testevent.Raw(t, name)
		src := headerOf(t, data).TriggerSource
		refused := 0
		for _, c := range codecs {
			if c.trigger == src.Trigger() {
				continue
			}
			_, err := c.decode(data)
			if !errors.Is(err, triggers.ErrWrongTrigger) || !errors.Is(err, triggers.ErrMalformedEvent) {
				t.Errorf("%s via %s: err = %v, want ErrWrongTrigger", name, c.name, err)
			}
			refused++
		}
		if refused != len(codecs)-1 {
			t.Errorf("%s: tried %d other decoders, want %d", name, refused, len(codecs)-1)
		}
	}
}

// TestDecodeTolerates covers what Cognito may send that the strictness
// must not refuse.
func TestDecodeTolerates(t *testing.T) {
	t.Run("unknown members", func(t *testing.T) {
		data := mutate(t, post, `"newDeviceUsed": false`,
			`"newDeviceUsed": false, "userContextData": {"ipAddress": "192.0.2.1"}, "newField": [1, {"a": null}]`)
		data = []byte(strings.Replace(string(data), `"region"`, `"eventId": "x", "region"`, 1))
		ev := decode[triggers.PostAuth](t, data)
		if ev.Request.NewDeviceUsed || ev.Request.UserAttributes.Get("sub") == "" {
			t.Errorf("known members lost next to unknown ones: %+v", ev.Request)
		}
	})
	t.Run("empty array details", func(t *testing.T) {
		for _, tc := range []struct{ file, old string }{
			{v2, `"claimsAndScopeOverrideDetails": null`},
			{v1, `"claimsOverrideDetails": null`},
		} {
			key, _, _ := strings.Cut(tc.old, ":")
			ev := decode[triggers.PreToken](t, mutate(t, tc.file, tc.old, key+": [ ]"))
			if want := key + ":null"; !strings.Contains(string(encode(t, ev)), want) {
				t.Errorf("%s with []: re-encoded %s, want %s", tc.file, encode(t, ev), want)
			}
		}
	})
	t.Run("missing response and null maps", func(t *testing.T) {
		data := []byte(`{"version":"1","triggerSource":"CustomMessage_ResendCode","userPoolId":"us-east-1_EXAMPLE",
			"callerContext":{"clientId":"1example23456789"},"request":{"userAttributes":null,"clientMetadata":null}}`)
		ev := decode[triggers.CustomMessage](t, data)
		if ev.Request.UserAttributes.Get("email") != "" || ev.Request.ClientMetadata != nil {
			t.Errorf("request = %+v, want empty maps", ev.Request)
		}
		// The answer carries a response all the same: null messages, the
		// pool's own.
		if !strings.Contains(string(encode(t, ev)), `"response":{"smsMessage":null,"emailMessage":null,"emailSubject":null}`) {
			t.Errorf("encoded %s, want a null response", encode(t, ev))
		}
	})
	t.Run("null optional header members", func(t *testing.T) {
		data := mutate(t, signup, `"region": "us-east-1"`, `"region": null`)
		data = []byte(strings.Replace(string(data), `"userName": "jane.doe"`, `"userName": null`, 1))
		ev := decode[triggers.PreSignUp](t, data)
		if ev.Region != "" || ev.UserName != "" || ev.UserPoolID != "us-east-1_EXAMPLE" {
			t.Errorf("header = %+v", ev.Header)
		}
	})
	t.Run("invalid UTF-8 reads as U+FFFD", func(t *testing.T) {
		// encoding/json replaces invalid UTF-8 too, so both read the same
		// string; refusing it instead would fail the user on bytes
		// Cognito passed through from a client.
		data := mutate(t, signup, `"name": "Jane Doe"`, "\"name\": \"Jane \xff Doe\"")
		ev := decode[triggers.PreSignUp](t, data)
		if got := ev.Request.UserAttributes.Get("name"); got != "Jane \uFFFD Doe" {
			t.Errorf("name = %q, want the replacement character", got)
		}
	})
	t.Run("client credentials without user", func(t *testing.T) {
		ev := decode[triggers.PreToken](t, testevent.Raw(t, m2m))
		if ev.V2 == nil || ev.V1 != nil {
			t.Fatalf("shape V1 %v V2 %v, want V2", ev.V1 != nil, ev.V2 != nil)
		}
		want := triggers.PreTokenV2Request{
			Scopes:         []string{"https://api.example.com/orders.read", "https://api.example.com/orders.write"},
			ClientMetadata: triggers.Attributes{"tenant_id": "acme"},
		}
		if diff := cmp.Diff(want, ev.V2.Request); diff != "" {
			t.Errorf("request (-want +got):\n%s", diff)
		}
		if ev.V2.UserName != "" {
			t.Errorf("UserName = %q, want empty", ev.V2.UserName)
		}
	})
}

// TestPreTokenShapeFollowsVersion: "1" is the V1_0 shape, "2" and "3" the
// shared V2_0/V3_0 shape, and the header read through the union is the
// event's own.
func TestPreTokenShapeFollowsVersion(t *testing.T) {
	for _, tc := range []struct {
		file   string
		wantV1 bool
	}{
		{v1, true}, {"pretoken-v1-refresh-tokens.json", true},
		{v2, false}, {"pretoken-v2-new-password-challenge.json", false}, {v3, false}, {m2m, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := testevent.Raw(t, tc.file)
			ev := decode[triggers.PreToken](t, data)
			if (ev.V1 != nil) != tc.wantV1 || (ev.V2 != nil) == tc.wantV1 {
				t.Fatalf("V1 set %v, V2 set %v; want V1 %v", ev.V1 != nil, ev.V2 != nil, tc.wantV1)
			}
			if got, want := ev.EventHeader().Version, headerOf(t, data).Version; got != want {
				t.Errorf("EventHeader().Version = %q, want %q", got, want)
			}
		})
	}
	var empty triggers.PreToken
	if h := empty.EventHeader(); h == nil || !cmp.Equal(*h, triggers.Header{}) {
		t.Errorf("header of an empty union = %+v, want a zero header", h)
	}
	if _, err := triggers.Encode(&empty); err == nil {
		t.Error("encoded a pre token event with neither shape")
	}
}

// TestDecodeHeader reads the header whatever the request holds: it is how
// the invocation layer logs and answers an event whose request is broken.
func TestDecodeHeader(t *testing.T) {
	for _, name := range fixtureFiles(t) {
		data := testevent.Raw(t, name)
		h, err := triggers.DecodeHeader(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ev, err := codecFor(t, headerOf(t, data).TriggerSource.Trigger()).decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(ev.EventHeader(), h); diff != "" {
			t.Errorf("%s: DecodeHeader differs from the full decode (-Decode +DecodeHeader):\n%s", name, diff)
		}
	}
	broken := map[string][]byte{
		"request type error":             mutate(t, msg, `"codeParameter": "{####}"`, `"codeParameter": 5`),
		"duplicate in request":           mutate(t, msg, `"linkParameter"`, `"codeParameter": "{<b>}", "linkParameter"`),
		"duplicate attribute":            mutate(t, msg, `"name": "Jane Doe"`, `"name": "Jane Doe", "name": "<b>"`),
		"case variant in request":        mutate(t, msg, `"linkParameter"`, `"CodeParameter": "{<b>}", "linkParameter"`),
		"response not an object":         mutate(t, msg, `"response": {`, `"response": 7, "x": {`),
		"username placeholder an object": mutate(t, msg, `"usernameParameter": null`, `"usernameParameter": {"a": -0.5e3}`),
	}
	for name, data := range broken {
		t.Run(name, func(t *testing.T) {
			if _, err := triggers.Decode[triggers.CustomMessage](data); !errors.Is(err, triggers.ErrMalformedRequest) {
				t.Errorf("Decode: %v, want ErrMalformedRequest", err)
			}
			h, err := triggers.DecodeHeader(data)
			if err != nil {
				t.Fatalf("DecodeHeader: %v", err)
			}
			if h.TriggerSource != triggers.SourceMessageSignUp || h.UserPoolID != "us-east-1_EXAMPLE" || h.CallerContext.ClientID != "1example23456789" {
				t.Errorf("header = %+v", h)
			}
		})
	}
	refused := map[string]struct {
		data []byte
		is   error
	}{
		"unknown source":          {mutate(t, msg, `"CustomMessage_SignUp"`, `"CustomMessage_Invite"`), triggers.ErrUnknownSource},
		"missing pool":            {mutate(t, msg, `"userPoolId": "us-east-1_EXAMPLE",`, ``), triggers.ErrMalformedEvent},
		"duplicate source":        {mutate(t, msg, `"region"`, `"triggerSource": "CustomMessage_SignUp", "region"`), triggers.ErrMalformedEvent},
		"case variant pool":       {mutate(t, msg, `"region"`, `"USERPOOLID": "us-east-1_ATTACKER", "region"`), triggers.ErrMalformedEvent},
		"duplicate clientId":      {mutate(t, msg, `"clientId": "1example23456789"`, `"clientId": "1example23456789", "clientId": "x"`), triggers.ErrMalformedEvent},
		"duplicate request":       {mutate(t, msg, `"response": {`, `"request": {}, "response": {`), triggers.ErrMalformedEvent},
		"truncated in request":    {testevent.Raw(t, msg)[:400], triggers.ErrMalformedEvent},
		"trailing data":           {append(testevent.Raw(t, msg), "{}"...), triggers.ErrMalformedEvent},
		"not an object":           {[]byte(`["CustomMessage_SignUp"]`), triggers.ErrMalformedEvent},
		"empty":                   {nil, triggers.ErrMalformedEvent},
		"case variant of request": {mutate(t, msg, `"response": {`, `"REQUEST": {}, "response": {`), triggers.ErrMalformedEvent},
	}
	for name, tc := range refused {
		t.Run("refused/"+name, func(t *testing.T) {
			h, err := triggers.DecodeHeader(tc.data)
			if !errors.Is(err, tc.is) || !errors.Is(err, triggers.ErrMalformedEvent) {
				t.Errorf("DecodeHeader = %+v, %v; want %v", h, err, tc.is)
			}
		})
	}
}

// TestUnknownMembersPassThrough: Cognito adds members over time, and the
// answer is the whole event; members the types do not know, at the top
// level, in callerContext, in the request and in the response, must reach
// the encoded event unchanged, also after the decision edited the
// response.
func TestUnknownMembersPassThrough(t *testing.T) {
	add := func(tb testing.TB, name string) []byte {
		tb.Helper()
		data := mutate(tb, name, `"region"`, `"eventId": "e-1", "future": {"a": [1, null, "x"]}, "region"`)
		data = []byte(strings.Replace(string(data), `"clientId"`, `"sdkFlavour": "x", "clientId"`, 1))
		data = []byte(strings.Replace(string(data), `"request": {`, `"request": {"userContextData": {"ipAddress": "192.0.2.1", "n": 1.5e3}, `, 1))
		if strings.Contains(string(data), `"response": {}`) {
			return []byte(strings.Replace(string(data), `"response": {}`, `"response": {"futureFlag": true}`, 1))
		}
		return []byte(strings.Replace(string(data), `"response": {`, `"response": {"futureFlag": true, `, 1))
	}
	for _, name := range fixtureFiles(t) {
		t.Run(name, func(t *testing.T) {
			data := add(t, name)
			if strings.Count(string(data), `"futureFlag"`) != 1 || strings.Count(string(data), `"userContextData"`) != 1 ||
				strings.Count(string(data), `"sdkFlavour"`) != 1 {
				t.Fatalf("test bug: members not added:\n%s", data)
			}
			ev, err := codecFor(t, headerOf(t, data).TriggerSource.Trigger()).decode(data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if diff := semanticDiff(t, data, encode(t, ev)); diff != "" {
				t.Errorf("unknown members changed on the way back (-in +out):\n%s", diff)
			}
		})
	}
	t.Run("after a response edit", func(t *testing.T) {
		ev := decode[triggers.PreSignUp](t, add(t, signup))
		ev.Response.AutoConfirmUser = true
		var got map[string]any
		if err := json.Unmarshal(encode(t, ev), &got); err != nil {
			t.Fatal(err)
		}
		resp, ok := got["response"].(map[string]any)
		if !ok || resp["futureFlag"] != true || resp["autoConfirmUser"] != true {
			t.Errorf("response = %v, want the edit and the unknown member", got["response"])
		}
		if got["eventId"] != "e-1" {
			t.Errorf("top-level unknown member = %v", got["eventId"])
		}
	})
	t.Run("nested groupConfiguration", func(t *testing.T) {
		data := mutate(t, v2, `"preferredRole": null`, `"preferredRole": null, "future": ["x"]`)
		if diff := semanticDiff(t, data, encode(t, decode[triggers.PreToken](t, data))); diff != "" {
			t.Errorf("(-in +out):\n%s", diff)
		}
	})
}

// TestTypedDecoderAgreesWithEncodingJSON: whatever the typed decoder
// admits, encoding/json (what a log reader, a backend or a tool would use
// on the same bytes) reads the same header from. Folding and duplicates
// are where the two would part, and both are refused above; this holds
// them to it on every real event shape.
func TestTypedDecoderAgreesWithEncodingJSON(t *testing.T) {
	for _, name := range fixtureFiles(t) {
		t.Run(name, func(t *testing.T) {
			data := testevent.Raw(t, name)
			ev, err := codecFor(t, headerOf(t, data).TriggerSource.Trigger()).decode(data)
			if err != nil {
				t.Fatal(err)
			}
			assertSameHeader(t, data, ev.EventHeader())
		})
	}
}

// assertSameHeader fails when encoding/json reads another header from data
// than h.
func assertSameHeader(tb testing.TB, data []byte, h *triggers.Header) {
	tb.Helper()
	diff, err := testevent.HeaderDiff(data, h)
	if err != nil {
		tb.Fatalf("encoding/json refuses what the typed decoder accepted: %v\n%q", err, data)
	}
	if diff != "" {
		tb.Errorf("parsers read different headers (-encoding/json +typed):\n%s\n%q", diff, data)
	}
}
