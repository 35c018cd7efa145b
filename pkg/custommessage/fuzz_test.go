package custommessage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/message"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// FuzzDecide: for any event bytes, and for any display name and locale put
// into an event, the function either refuses an event whose header is
// unusable (with the generic text), or returns the event as received, or
// returns the event with only its response's three fields replaced by ones
// that pass message.Check (and so contain the event's codeParameter). The
// SMS-only configuration sends the same SMS and null email fields. A name
// changes no field's number of '<' or placeholders: nothing of it is markup.
func FuzzDecide(f *testing.F) {
	locales := []string{"en", "zh-CN", "zh_tw", "fr", "", "en-GB.UTF-8"}
	for i, fx := range fixtures {
		f.Add(testevent.Raw(f, fx), attacks[i%len(attacks)], locales[i%len(locales)])
		f.Add(testevent.Raw(f, fx), "Zoë O'Brien-Smith", "zh-CN")
	}
	f.Add([]byte(`{}`), "", "")
	f.Add([]byte(`{"version":"1","triggerSource":"CustomMessage_SignUp","userPoolId":"p","callerContext":{},"request":{"codeParameter":"{####}"}}`), "<b>", "en")
	f.Add([]byte(`{"version":"1","triggerSource":"CustomMessage_AdminCreateUser","userPoolId":"p","callerContext":{},"request":{"codeParameter":"{#}","usernameParameter":"{u}","userAttributes":{"name":"{u}"}},"response":null}`), "{u}", "zh")
	f.Add([]byte(`{"version":"1","triggerSource":"CustomMessage_SignUp","userPoolId":"p","callerContext":{},"request":{"codeParameter":"{####}","CodeParameter":"x"},"response":{"smsMessage":"kept"}}`), "", "")

	r := testRenderer(f)
	full := newFuzzHandler(f, custommessage.Config{Message: brand, CustomizeEmail: true, LinkVerification: true}, r)
	smsOnly := newFuzzHandler(f, custommessage.Config{Message: brand, CustomizeEmail: false, LinkVerification: true}, r)

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
			ev = decoded(t, testevent.Raw(t, fixtures[len(name)%len(fixtures)]))
		}
		attrs := testevent.Object(testevent.Object(ev, "request"), "userAttributes")
		attrs["locale"] = locale
		for _, a := range []string{"given_name", "name", "nickname"} {
			delete(attrs, a)
		}
		plainEvent := marshal(t, ev)
		for _, a := range []string{"given_name", "name", "nickname"} {
			attrs[a] = name
		}
		namedEvent := marshal(t, ev)
		named, okNamed := full.check(t, namedEvent)
		plain, okPlain := full.check(t, plainEvent)
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

// fuzzHandler is a handler with its log, so that a check can read what the
// decision line says happened.
type fuzzHandler struct {
	h         *Handler
	logs      *bytes.Buffer
	customize bool
}

func newFuzzHandler(tb testing.TB, cfg custommessage.Config, r custommessage.Renderer) *fuzzHandler {
	var logs bytes.Buffer
	return &fuzzHandler{h: handler(tb, cfg, r, &logs), logs: &logs, customize: cfg.CustomizeEmail}
}

// checkBoth invokes both configurations on in and checks the properties
// above.
func checkBoth(t *testing.T, full, smsOnly *fuzzHandler, in []byte) {
	t.Helper()
	out, rendered := full.check(t, in)
	sms, smsRendered := smsOnly.check(t, in)
	if rendered != smsRendered {
		t.Fatalf("the two configurations disagree on rendering: full %v, SMS only %v", rendered, smsRendered)
	}
	if rendered && sms.SMSMessage != out.SMSMessage {
		t.Fatalf("SMS differs between configurations: %q vs %q", out.SMSMessage, sms.SMSMessage)
	}
}

// check invokes the handler on in and checks the answer against the typed
// event; it returns the output when the message was rendered.
func (fh *fuzzHandler) check(t *testing.T, in []byte) (message.Output, bool) {
	t.Helper()
	fh.logs.Reset()
	out, err := fh.h.Invoke(context.Background(), in)
	ev, derr := triggers.Decode[triggers.CustomMessage](in)
	if err != nil {
		var ue *decision.UserError
		if !errors.As(err, &ue) || ue.Message != decision.MalformedMessage ||
			(ue.Reason != decision.ReasonMalformedEvent && ue.Reason != decision.ReasonWrongTrigger) {
			t.Fatalf("refused with %v (%+v): only events with an unusable header may be refused", err, ue)
		}
		if derr == nil || errors.Is(derr, triggers.ErrMalformedRequest) {
			t.Fatalf("refused an event whose header is usable (decode: %v): %v", derr, err)
		}
		return message.Output{}, false
	}
	line := lastDecision(t, fh.logs)
	if derr != nil {
		// The pool's default message, for a request that does not decode.
		if !errors.Is(derr, triggers.ErrMalformedRequest) || !bytes.Equal(out, in) ||
			line["reason"] != string(decision.ReasonMalformedRequest) {
			t.Fatalf("an event that does not decode (%v) was answered with %s (%v)", derr, out, line)
		}
		return message.Output{}, false
	}
	got, gerr := triggers.Decode[triggers.CustomMessage](out)
	if gerr != nil {
		t.Fatalf("the answer does not decode: %v\n%s", gerr, out)
	}
	// Nothing but the response's three fields may change: the input event
	// with the answer's three fields is the answer.
	want := *ev
	want.Response.SMSMessage, want.Response.EmailMessage, want.Response.EmailSubject =
		got.Response.SMSMessage, got.Response.EmailMessage, got.Response.EmailSubject
	wantOut, err := triggers.Encode(&want)
	if err != nil {
		t.Fatal(err)
	}
	// Compared as JSON values: maps are encoded in no fixed order.
	if !reflect.DeepEqual(decoded(t, wantOut), decoded(t, out)) {
		t.Fatalf("more than the response's fields changed:\n in %s\nout %s", in, out)
	}
	if line["outcome"] != string(decision.OutcomeRendered) {
		if line["outcome"] != string(decision.OutcomeDefaultMessage) {
			t.Fatalf("decision line %v", line)
		}
		if !sameString(got.Response.SMSMessage, ev.Response.SMSMessage) ||
			!sameString(got.Response.EmailMessage, ev.Response.EmailMessage) ||
			!sameString(got.Response.EmailSubject, ev.Response.EmailSubject) {
			t.Fatalf("a default message changed the response:\n in %s\nout %s", in, out)
		}
		return message.Output{}, false
	}
	resp := got.Response
	if resp.SMSMessage == nil || (resp.EmailMessage != nil) != fh.customize || (resp.EmailSubject != nil) != fh.customize {
		t.Fatalf("response fields set: sms %v, email %v, subject %v; want the email fields only with CUSTOMIZE_EMAIL=%v",
			resp.SMSMessage != nil, resp.EmailMessage != nil, resp.EmailSubject != nil, fh.customize)
	}
	o := message.Output{SMSMessage: *resp.SMSMessage}
	if !fh.customize {
		return o, true // Check ran on the same SMS in the full configuration
	}
	o.EmailMessage, o.EmailSubject = *resp.EmailMessage, *resp.EmailSubject
	mi := message.Input{Source: ev.TriggerSource, CodeParameter: ev.Request.CodeParameter, LinkParameter: ev.Request.LinkParameter}
	if ev.Request.UsernameParameter != nil {
		mi.UsernameParameter = *ev.Request.UsernameParameter
	}
	if err := message.Check(mi, o); err != nil {
		t.Fatalf("rendered output fails message.Check: %v", err)
	}
	return o, true
}

func sameString(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
