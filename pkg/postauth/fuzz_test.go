package postauth_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/cognito-triggers/suite/internal/fakes"
	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// FuzzDecide: for any event bytes the decision never panics, and the answer
// is either the event as sent with "response":{} (compared by meaning, see
// echoDiff) or the malformed-event refusal. When the event is accepted, its
// idempotency key does not change when the event is re-serialised with
// members in another order, other whitespace and every character escaped,
// as a retry serialised differently would be. That holds for every event
// whose sub and metadata values are strings or scalars; a value that is an
// object or an array is keyed as the JSON text it arrived in (see
// triggers.Attributes), which a re-serialisation changes, so for those
// the key property is not asserted (Cognito sends neither).
func FuzzDecide(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*/*.json")
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, "testdata/nonstring-metadata.json", "../../events/"+fixture)
	for _, s := range seeds {
		f.Add(testevent.Raw(f, s))
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, event(f)); err != nil {
		f.Fatal(err)
	}
	base := compact.String()
	for _, s := range []string{
		"", "{}", "null", `{"version":`, "[]",
		strings.Replace(base, `"newDeviceUsed":false`, `"newDeviceUsed":"false"`, 1),
		strings.Replace(base, `"newDeviceUsed":false`, `"newDeviceUsed":null`, 1),
		strings.Replace(base, `"response":{}`, `"response":{},"response":{}`, 1),
		strings.Replace(base, `"response":{}`, `"response":{"x":[1,2]}`, 1),
		strings.Replace(base, `"newDeviceUsed":false`, `"newDeviceUsed":false,"clientMetadata":{"b":"\u00e9","a":[1,{"y":null,"x":2.50}]}`, 1),
		strings.Replace(base, `"newDeviceUsed":false`, `"newDeviceUsed":false,"clientMetadata":{"b":"\u00e9","a":2.50,"c":null,"d":true}`, 1),
		strings.Replace(base, `"newDeviceUsed":false`, `"newDeviceUsed":false,"clientMetadata":{"a":"1","a":"2"}`, 1),
		strings.Replace(base, `"newDeviceUsed":false`, `"newDeviceUsed":false,"later":{"x":1}`, 1),
		strings.Replace(base, `"sub":"`, `"s\u0075b":"`, 1),
		strings.Replace(base, `"sub":"7c4e9a12-3b5d-4f6e-8a1b-2c3d4e5f6a7b"`, `"sub":7`, 1),
		strings.Replace(base, `"userPoolId"`, `"UserPoolId":"x","userPoolId"`, 1),
		strings.Replace(base, `"PostAuthentication_Authentication"`, `"PreSignUp_SignUp"`, 1),
	} {
		if s == base && s != "" {
			f.Fatalf("a seed edit does not apply to the compact fixture:\n%s", base)
		}
		f.Add([]byte(s))
	}
	clock := fakes.NewClock()
	f.Fuzz(func(t *testing.T, in []byte) {
		// Directly, without invoke's panic recovery, so a panic fails.
		if ev, err := triggers.Decode[triggers.PostAuth](in); err == nil {
			d := newDecider(t, postauth.Config{Table: "audit"}, postauth.Deps{Store: &fakes.MemAuditStore{}, Now: clock.Now})
			if res := d.Decide(t.Context(), ev); res.Outcome == "" {
				t.Fatalf("Decide returned no outcome: %+v", res)
			}
		}

		d := newDecider(t, postauth.Config{Table: "audit"}, postauth.Deps{Store: &fakes.MemAuditStore{}, Now: clock.Now})
		out, err := handler(d, nil).Invoke(withRequestID(t.Context(), "req-fuzz"), in)
		if err != nil {
			var ue *decision.UserError
			if !errors.As(err, &ue) || ue.Error() != decision.MalformedMessage || out != nil {
				// The store never fails here, so the generic message would
				// mean a recovered panic.
				t.Fatalf("refusal %v (%T, out %q) is not the malformed-event refusal", err, err, out)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("answer is not JSON: %q", out)
		}
		if diff := echoDiff(t, in, out); diff != "" {
			t.Fatalf("answer is not the event with an empty response (-want +got):\n%s\n in: %q\nout: %q", diff, in, out)
		}

		key, err := postauth.IdempotencyKey(in)
		if err != nil {
			t.Fatalf("accepted event has no key: %v", err)
		}
		doc := decodeNumbers(t, in)
		if keyedAsText(doc) {
			return
		}
		sorted, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var rev bytes.Buffer
		writeReversed(&rev, doc, 0)
		for name, variant := range map[string][]byte{"sorted": sorted, "reversed and escaped": rev.Bytes()} {
			got, err := postauth.IdempotencyKey(variant)
			if err != nil {
				t.Fatalf("%s re-serialisation refused: %v\n%s", name, err, variant)
			}
			if got != key {
				t.Fatalf("%s re-serialisation changes the key %s to %s\n in: %q\nvar: %q", name, key, got, in, variant)
			}
		}
	})
}

// keyedAsText reports whether an accepted event's sub or one of its
// metadata values is an object or an array, keyed as the text it arrived
// in.
func keyedAsText(doc any) bool {
	req, _ := doc.(map[string]any)["request"].(map[string]any)
	attrs, _ := req["userAttributes"].(map[string]any)
	if compound(attrs["sub"]) {
		return true
	}
	meta, _ := req["clientMetadata"].(map[string]any)
	for _, v := range meta {
		if compound(v) {
			return true
		}
	}
	return false
}

func compound(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// writeReversed writes v as JSON with object members in reverse key order,
// indentation, and every character of every string and key escaped.
func writeReversed(b *bytes.Buffer, v any, depth int) {
	indent := "\n" + strings.Repeat("  ", depth+1)
	switch v := v.(type) {
	case map[string]any:
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range v {
				if !yield(k) {
					return
				}
			}
		})
		slices.Reverse(keys)
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(indent)
			writeEscaped(b, k)
			b.WriteString(" : ")
			writeReversed(b, v[k], depth+1)
		}
		b.WriteString(" }")
	case []any:
		b.WriteString("[ ")
		for i, e := range v {
			if i > 0 {
				b.WriteString(" , ")
			}
			writeReversed(b, e, depth+1)
		}
		b.WriteString(" ]")
	case string:
		writeEscaped(b, v)
	case json.Number:
		b.WriteString(string(v))
	case bool:
		fmt.Fprint(b, v)
	case nil:
		b.WriteString("null")
	default:
		panic(fmt.Sprintf("unexpected %T", v))
	}
}

func writeEscaped(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s { // invalid UTF-8 reads as U+FFFD, as it decodes
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			continue
		}
		fmt.Fprintf(b, `\u%04x`, r)
	}
	b.WriteByte('"')
}
