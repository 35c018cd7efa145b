package custommessage

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/message"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// FuzzDecide: for any event bytes, and for any display name and locale put
// into an event, the function either refuses an event the invocation layer
// cannot read (with the generic text), or returns the event unchanged, or
// returns the event with only its response replaced by three fields that
// pass message.Check (and so contain the event's codeParameter). The
// SMS-only configuration sends the same SMS and null email fields. A name
// changes no field's number of '<' or placeholders: nothing of it is markup.
func FuzzDecide(f *testing.F) {
	locales := []string{"en", "zh-CN", "zh_tw", "fr", "", "en-GB.UTF-8"}
	for i, fx := range fixtures {
		f.Add(readFixture(f, fx), attacks[i%len(attacks)], locales[i%len(locales)])
		f.Add(readFixture(f, fx), "Zoë O'Brien-Smith", "zh-CN")
	}
	f.Add([]byte(`{}`), "", "")
	f.Add([]byte(`{"version":"1","triggerSource":"CustomMessage_SignUp","userPoolId":"p","callerContext":{},"request":{"codeParameter":"{####}"}}`), "<b>", "en")
	f.Add([]byte(`{"version":"1","triggerSource":"CustomMessage_AdminCreateUser","userPoolId":"p","callerContext":{},"request":{"codeParameter":"{#}","usernameParameter":"{u}","userAttributes":{"name":"{u}"}},"response":null}`), "{u}", "zh")

	r := testRenderer(f)
	full := handler(f, Config{Message: brand, CustomizeEmail: true, LinkVerification: true}, r, nil)
	smsOnly := handler(f, Config{Message: brand, CustomizeEmail: false, LinkVerification: true}, r, nil)

	f.Fuzz(func(t *testing.T, raw []byte, name, locale string) {
		checkBoth(t, full, smsOnly, raw)

		// The same event (or a fixture, when raw is no event) with the name
		// in every greeting attribute and the locale set.
		var ev map[string]any
		if json.Unmarshal(raw, &ev) != nil || ev == nil {
			ev = nil
		} else if _, ok := ev["request"].(map[string]any); !ok {
			ev = nil
		}
		if ev == nil {
			_ = json.Unmarshal(readFixture(t, fixtures[len(name)%len(fixtures)]), &ev)
		}
		req := ev["request"].(map[string]any)
		attrs, ok := req["userAttributes"].(map[string]any)
		if !ok {
			attrs = map[string]any{}
			req["userAttributes"] = attrs
		}
		attrs["locale"] = locale
		for _, a := range []string{"given_name", "name", "nickname"} {
			delete(attrs, a)
		}
		plainEvent, _ := json.Marshal(ev)
		for _, a := range []string{"given_name", "name", "nickname"} {
			attrs[a] = name
		}
		namedEvent, _ := json.Marshal(ev)
		named, okNamed := checkOne(t, full, namedEvent, true)
		plain, okPlain := checkOne(t, full, plainEvent, true)
		if okNamed && okPlain {
			for field, s := range fields(named) {
				want := fields(plain)[field]
				for _, sub := range []string{"<", "{", "}"} {
					if g, w := strings.Count(s, sub), strings.Count(want, sub); g != w {
						t.Fatalf("name %q changed the number of %q in %s from %d to %d:\n%s", name, sub, field, w, g, s)
					}
				}
			}
		}
	})
}

// checkBoth invokes both configurations on in and checks the properties
// above; it returns the full configuration's output when it rendered one.
func checkBoth(t *testing.T, full, smsOnly *invoke.Handler, in []byte) (message.Output, bool) {
	t.Helper()
	out, rendered := checkOne(t, full, in, true)
	sms, smsRendered := checkOne(t, smsOnly, in, false)
	if rendered != smsRendered {
		t.Fatalf("the two configurations disagree on rendering: full %v, SMS only %v", rendered, smsRendered)
	}
	if rendered && sms.SMSMessage != out.SMSMessage {
		t.Fatalf("SMS differs between configurations: %q vs %q", out.SMSMessage, sms.SMSMessage)
	}
	return out, rendered
}

func checkOne(t *testing.T, h *invoke.Handler, in []byte, customize bool) (message.Output, bool) {
	t.Helper()
	out, err := h.Invoke(context.Background(), in)
	if err != nil {
		ue := triggers.AsUserError(err)
		if ue == nil || ue.Message != invoke.MalformedMessage || (ue.Reason != "malformed_event" && ue.Reason != "wrong_trigger") {
			t.Fatalf("refused with %v (%+v): only unreadable events may be refused", err, ue)
		}
		if ev, perr := triggers.ParseEnvelope(in); perr == nil && ev.TriggerSource.Trigger() == triggers.TriggerCustomMessage {
			t.Fatalf("refused a readable custom message event: %v", err)
		}
		return message.Output{}, false
	}
	if bytes.Equal(out, in) {
		return message.Output{}, false // the pool's default message
	}
	var inEv, outEv map[string]any
	if err := json.Unmarshal(in, &inEv); err != nil {
		t.Fatalf("rendered for an event encoding/json cannot read: %v", err)
	}
	if err := json.Unmarshal(out, &outEv); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, out)
	}
	delete(inEv, "response")
	resp, _ := outEv["response"].(map[string]any)
	delete(outEv, "response")
	if !reflect.DeepEqual(inEv, outEv) { // cmp.Diff only on failure: it is slow
		t.Fatalf("more than the response changed (-in +out):\n%s", cmp.Diff(inEv, outEv))
	}
	if len(resp) != 3 {
		t.Fatalf("response has %d members, want 3: %v", len(resp), resp)
	}
	var got message.Output
	var ok [3]bool
	got.SMSMessage, ok[0] = resp["smsMessage"].(string)
	got.EmailMessage, ok[1] = resp["emailMessage"].(string)
	got.EmailSubject, ok[2] = resp["emailSubject"].(string)
	if want := [3]bool{true, customize, customize}; ok != want || (!customize && (resp["emailMessage"] != nil || resp["emailSubject"] != nil)) {
		t.Fatalf("response fields set %v, want %v (CUSTOMIZE_EMAIL=%v, others null): %v", ok, want, customize, resp)
	}
	if !customize {
		return got, true // Check ran on the same SMS in the full configuration
	}
	req := inEv["request"].(map[string]any)
	str := func(k string) string { s, _ := req[k].(string); return s }
	src, _ := inEv["triggerSource"].(string)
	mi := message.Input{Source: triggers.Source(src), CodeParameter: str("codeParameter"),
		UsernameParameter: str("usernameParameter"), LinkParameter: str("linkParameter")}
	if err := message.Check(mi, got); err != nil {
		t.Fatalf("rendered output fails message.Check: %v", err)
	}
	return got, true
}
