package postauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/cognito-triggers/suite/pkg/invoke"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// FuzzDecide: for any event bytes the decision never panics, and the answer
// is either the event as sent with "response":{} or a user-safe refusal.
// When the event is accepted, its idempotency key does not change when the
// event is re-serialised with members in another order, other whitespace
// and every character escaped, as a retry serialised differently would be.
func FuzzDecide(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/same-key/*.json")
	seeds = append(seeds, fixture)
	for _, s := range seeds {
		raw, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	base := string(event(f, nil))
	for _, s := range []string{
		"", "{}", "null", `{"version":`, "[]",
		strings.Replace(base, `"newDeviceUsed":false`, `"newDeviceUsed":"false"`, 1),
		strings.Replace(base, `"response":{}`, `"response":{},"response":{}`, 1),
		strings.Replace(base, `"newDeviceUsed":false`, `"newDeviceUsed":false,"clientMetadata":{"b":"\u00e9","a":[1,{"y":null,"x":2.50}]}`, 1),
		strings.Replace(base, `"newDeviceUsed":false`, `"newDeviceUsed":false,"clientMetadata":{"a":"1","a":"2"}`, 1),
		strings.Replace(base, `"sub":"`, `"s\u0075b":"`, 1),
		strings.Replace(base, `"userPoolId"`, `"UserPoolId":"x","userPoolId"`, 1),
		strings.Replace(base, `"PostAuthentication_Authentication"`, `"PreSignUp_SignUp"`, 1),
	} {
		f.Add([]byte(s))
	}
	clock := newFakeClock()
	f.Fuzz(func(t *testing.T, in []byte) {
		// Directly, without invoke's panic recovery, so a panic fails.
		var ev triggers.Envelope
		if triggers.ParseEnvelopeInto(&ev, in) == nil {
			_ = New(Config{Table: "audit", Now: clock.Now}, newMemStore()).Decide(t.Context(), &ev)
		}

		d := New(Config{Table: "audit", Now: clock.Now}, newMemStore())
		out, err := handler(d, nil).Invoke(withRequestID(t.Context(), "req-fuzz"), in)
		if err != nil {
			var ue *triggers.UserError
			if !errors.As(err, &ue) || ue.Error() != invoke.MalformedMessage || out != nil {
				// The store never fails here, so the generic message would
				// mean a recovered panic.
				t.Fatalf("refusal %v (%T, out %q) is not the malformed-event refusal", err, err, out)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("answer is not JSON: %q", out)
		}
		if want := ev.WithResponse([]byte("{}")); !bytes.Equal(out, want) {
			t.Fatalf("answer is not the event with an empty response:\n got %q\nwant %q", out, want)
		}

		key, err := IdempotencyKey(in)
		if err != nil {
			t.Fatalf("accepted event has no key: %v", err)
		}
		var doc any
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("accepted event does not decode with encoding/json: %v", err)
		}
		sorted, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var rev bytes.Buffer
		writeReversed(&rev, doc, 0)
		for name, variant := range map[string][]byte{"sorted": sorted, "reversed and escaped": rev.Bytes()} {
			got, err := IdempotencyKey(variant)
			if err != nil {
				t.Fatalf("%s re-serialisation refused: %v\n%s", name, err, variant)
			}
			if got != key {
				t.Fatalf("%s re-serialisation changes the key %s to %s\n in: %q\nvar: %q", name, key, got, in, variant)
			}
		}
	})
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
