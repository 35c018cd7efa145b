package triggers_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// TestRoundTrip decodes every fixture with the decoder its function would
// use, encodes it again and compares the two as JSON values. A field the
// types drop, rename, or turn from null into "" or absent shows up as a
// difference: this is what holds the types to "give Cognito back what it
// sent". The comparison is semantic (member order and whitespace do not
// count), because the answer is re-encoded, not spliced into the input.
func TestRoundTrip(t *testing.T) {
	files := fixtureFiles(t)
	if len(files) != 19 {
		t.Fatalf("found %d fixtures in %s, want 19 (one per trigger source)", len(files), testevent.Dir())
	}
	covered := make(map[triggers.Source]string)
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			data := testevent.Raw(t, name)
			src := headerOf(t, data).TriggerSource
			if prev, dup := covered[src]; dup {
				t.Fatalf("source %s also in %s", src, prev)
			}
			covered[src] = name
			c := codecFor(t, src.Trigger())
			ev, err := c.decode(data)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if diff := semanticDiff(t, data, encode(t, ev)); diff != "" {
				t.Errorf("round trip through %s changed the event (-fixture +encoded):\n%s", c.name, diff)
			}
		})
	}
	var missing []triggers.Source
	for _, s := range allSources() {
		if _, ok := covered[s]; !ok {
			missing = append(missing, s)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("no fixture for sources %v", missing)
	}
	if n := len(allSources()); n != 19 {
		t.Errorf("%d known sources, want 19", n)
	}
}

// TestFixtureConventions keeps the fixtures to the values the handler
// tests rely on.
func TestFixtureConventions(t *testing.T) {
	for _, name := range fixtureFiles(t) {
		data := testevent.Raw(t, name)
		ev, err := codecFor(t, headerOf(t, data).TriggerSource.Trigger()).decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		h := ev.EventHeader()
		wantVersion, wantClient, wantUser := "1", "1example23456789", true
		switch {
		case h.TriggerSource == triggers.SourceTokenClientCredentials:
			wantVersion, wantClient, wantUser = "3", "7m2mclient0example1", false
		case strings.HasPrefix(name, "pretoken-v2"):
			wantVersion = "2"
		case strings.HasPrefix(name, "pretoken-v3"):
			wantVersion = "3"
		}
		got := []any{h.Version, h.Region, h.UserPoolID, h.CallerContext.ClientID, h.CallerContext.AWSSDKVersion, h.UserName != ""}
		want := []any{wantVersion, "us-east-1", "us-east-1_EXAMPLE", wantClient, "aws-sdk-unknown-unknown", wantUser}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s header (-want +got):\n%s", name, diff)
		}
	}
}

// TestEncodeAfterEdit: the answer is the event as received with only the
// response as the decision left it, for every trigger.
func TestEncodeAfterEdit(t *testing.T) {
	msgText := "Your code is {####}"
	tests := []struct {
		file     string
		edit     func(triggers.Event)
		response any
	}{
		{signup, func(e triggers.Event) { e.(*triggers.PreSignUp).Response.AutoConfirmUser = true },
			map[string]any{"autoConfirmUser": true, "autoVerifyEmail": false, "autoVerifyPhone": false}},
		{v2, func(e triggers.Event) {
			e.(*triggers.PreToken).V2.Response.Overrides().AccessToken().ClaimsToAddOrOverride.Set("tenant_id", "acme")
		}, map[string]any{"claimsAndScopeOverrideDetails": map[string]any{"accessTokenGeneration": map[string]any{"claimsToAddOrOverride": map[string]any{"tenant_id": "acme"}}}}},
		{v1, func(e triggers.Event) {
			e.(*triggers.PreToken).V1.Response.Overrides().ClaimsToSuppress = []string{"email"}
		},
			map[string]any{"claimsOverrideDetails": map[string]any{"claimsToSuppress": []any{"email"}}}},
		{post, func(triggers.Event) {}, map[string]any{}},
		{mig, func(e triggers.Event) {
			r := &e.(*triggers.MigrateUser).Response
			r.UserAttributes.Set("email", "maria.rivera@example.com")
			r.FinalUserStatus = triggers.StatusConfirmed
		}, map[string]any{"userAttributes": map[string]any{"email": "maria.rivera@example.com"}, "finalUserStatus": "CONFIRMED"}},
		{msg, func(e triggers.Event) { e.(*triggers.CustomMessage).Response.SMSMessage = &msgText },
			map[string]any{"smsMessage": msgText, "emailMessage": nil, "emailSubject": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := testevent.Raw(t, tt.file)
			ev, err := codecFor(t, headerOf(t, data).TriggerSource.Trigger()).decode(data)
			if err != nil {
				t.Fatal(err)
			}
			tt.edit(ev)
			want := semantic(t, data).(map[string]any)
			want["response"] = semantic(t, mustJSON(t, tt.response))
			if diff := cmp.Diff(want, semantic(t, encode(t, ev))); diff != "" {
				t.Errorf("encoded event (-want +got):\n%s", diff)
			}
		})
	}
}
