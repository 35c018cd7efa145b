package triggers_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

func TestCustomMessageResponseEncoding(t *testing.T) {
	email := "Your code is {####}"
	tests := []struct {
		name string
		resp triggers.CustomMessageResponse
		want string
	}{
		// null, not "", keeps the templates configured on the pool.
		{"untouched", triggers.CustomMessageResponse{}, `{"smsMessage":null,"emailMessage":null,"emailSubject":null}`},
		{"email only", triggers.CustomMessageResponse{EmailMessage: &email}, `{"smsMessage":null,"emailMessage":"Your code is {####}","emailSubject":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, encodePart(t, tt.resp)); diff != "" {
				t.Errorf("encoding (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCustomMessageRequest(t *testing.T) {
	username := "{username}"
	tests := []struct {
		file string
		data []byte
		want triggers.CustomMessageRequest
	}{
		{
			file: "custommessage-admin-create-user.json",
			want: triggers.CustomMessageRequest{
				UserAttributes: triggers.Attributes{
					"sub": "0d8f6b3a-9e2c-4d71-b5a4-6f1e2d3c4b5a", "cognito:user_status": "FORCE_CHANGE_PASSWORD",
					"email_verified": "true", "email": "john.roe@example.com", "name": "John Roe",
				},
				CodeParameter: "{####}", LinkParameter: "{##Click Here##}", UsernameParameter: &username,
			},
		},
		{
			file: "custommessage-forgot-password.json",
			want: triggers.CustomMessageRequest{
				UserAttributes: triggers.Attributes{
					"sub": "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b", "cognito:user_status": "CONFIRMED",
					"email_verified": "true", "email": "jane.doe@example.com", "name": "Jane Doe",
				},
				CodeParameter:  "{####}",
				ClientMetadata: triggers.Attributes{"locale": "de-DE"},
			},
		},
		{
			// Booleans where Cognito documents strings must not fail the
			// message; they read as their JSON text.
			file: "custommessage-authentication.json (booleans)",
			data: mutate(t, "custommessage-authentication.json", `"phone_number_verified": "true"`, `"phone_number_verified": true, "mfa_enabled": false`),
			want: triggers.CustomMessageRequest{
				UserAttributes: triggers.Attributes{
					"sub": "7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b", "cognito:user_status": "CONFIRMED",
					"email_verified": "true", "email": "jane.doe@example.com", "name": "Jane Doe",
					"phone_number": "+15555550123", "phone_number_verified": "true", "mfa_enabled": "false",
				},
				CodeParameter: "{####}",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := tt.data
			if data == nil {
				data = testevent.Raw(t, tt.file)
			}
			ev := decode[triggers.CustomMessage](t, data)
			if diff := cmp.Diff(tt.want, ev.Request); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLinkParameterSurvives guards the field aws-lambda-go drops.
func TestLinkParameterSurvives(t *testing.T) {
	ev := decode[triggers.CustomMessage](t, testevent.Raw(t, msg))
	again := decode[triggers.CustomMessage](t, encode(t, ev))
	if got, want := again.Request.LinkParameter, "{##Click Here##}"; got != want {
		t.Errorf("linkParameter after a round trip = %q, want %q", got, want)
	}
}
