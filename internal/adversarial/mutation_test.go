package adversarial

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/postauth"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// mutate applies a few byte-level edits chosen to hit JSON structure:
// flip, insert or delete a byte, duplicate a span, or splice in a token.
func mutate(r *rand.Rand, in []byte) []byte {
	b := append([]byte(nil), in...)
	tokens := []string{`"`, `\`, `\u0000`, `\ud800`, `{`, `}`, `[`, `]`, `,`, `:`, `null`, `true`, `1e999`, "\xff", "\x00",
		`"email":"x@example.com",`, `"triggerSource":"PreSignUp_AdminCreateUser",`, `"sub":"x",`, `"Email":`, "\u212A", "\u017F"}
	for range 1 + r.IntN(3) {
		if len(b) == 0 {
			return b
		}
		i := r.IntN(len(b))
		switch r.IntN(5) {
		case 0:
			b[i] ^= byte(1 << r.IntN(8))
		case 1:
			b = append(b[:i], append([]byte(tokens[r.IntN(len(tokens))]), b[i:]...)...)
		case 2:
			b = append(b[:i], b[i+1:]...)
		case 3:
			j := i + r.IntN(min(40, len(b)-i))
			b = append(b[:j], append(append([]byte(nil), b[i:j]...), b[j:]...)...)
		case 4:
			const structural = "\"{}[],:\\ "
			b[i] = structural[r.IntN(len(structural))]
		}
	}
	return b
}

// TestAdversarialA14_MutatedEventsKeepInvariants feeds 9,000 structurally
// mutated events (deterministic seed) through the three handlers and checks
// what must hold for every input: no panic reaches the recovery path, every
// log line is one JSON object, every error text is a fixed user text, a
// custom message never errors, and an admitted sign-up's email, as
// encoding/json reads it, passes the gate on its own.
func TestAdversarialA14_MutatedEventsKeepInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(0x5eed, 0xc0de))
	type target struct {
		name string
		h    func(*logBuf) invoker
		seed []byte
	}
	targets := []target{
		{"presignup", func(l *logBuf) invoker { return presignupHandler(t, presignupSetup{allow: "example.com"}, l) },
			signUp(strObj("email", "jane@example.com", "phone_number", "+15555550100", "name", "Jane"))},
		{"postauth", func(l *logBuf) invoker {
			return postauthHandler(t, newMemStore(), newClock(), postauth.FailOpen, l)
		},
			postAuthDefault("newDeviceUsed", "false", "clientMetadata", strObj("a", "b"))},
		{"custommessage", func(l *logBuf) invoker {
			return customMessageHandler(t, custommessage.Config{CustomizeEmail: true}, nil, l)
		}, cmEvent(string(triggers.SourceMessageForgotPassword), "jane", strObj("name", "Jane", "locale", "en"), "")},
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			accepted := 0
			for i := range 3000 {
				in := mutate(r, tg.seed)
				logs := &logBuf{}
				out, err := tg.h(logs).Invoke(ctx(t), in)
				lines := logs.lines(t)
				if len(lines) != 1 {
					t.Fatalf("input %d: %d log lines\n%q", i, len(lines), in)
				}
				if lines[0]["reason"] == "panic" {
					t.Fatalf("input %d reached the panic recovery:\n%q", i, in)
				}
				if err != nil {
					// Custom message refuses only an event whose header is
					// unusable; everything else falls back.
					if tg.name == "custommessage" {
						if h, herr := triggers.DecodeHeader(in); herr == nil && h.TriggerSource.Trigger() == triggers.TriggerCustomMessage {
							t.Errorf("input %d: custom message failed an event with a readable header: %v\n%q", i, err, in)
						}
					}
					if msg := userErr(t, err); !userMessages[msg] {
						t.Fatalf("input %d: user text %q", i, msg)
					}
					continue
				}
				accepted++
				if !json.Valid(out) {
					t.Fatalf("input %d: response is not JSON:\n%q", i, out)
				}
				if tg.name == "presignup" {
					var ref struct {
						Request struct {
							UserAttributes map[string]any `json:"userAttributes"`
						} `json:"request"`
					}
					if jerr := json.Unmarshal(in, &ref); jerr != nil {
						t.Fatalf("input %d admitted but encoding/json refuses it: %v\n%q", i, jerr, in)
					}
					email, ok := ref.Request.UserAttributes["email"].(string)
					if !ok {
						t.Fatalf("input %d admitted; encoding/json reads email %v, not a string\n%q", i, ref.Request.UserAttributes["email"], in)
					}
					if a, perr := emailgate.Parse(email); perr != nil || a.Domain != "example.com" {
						t.Fatalf("input %d admitted; encoding/json reads email %q\n%q", i, email, in)
					}
				}
			}
			if accepted < 100 {
				t.Errorf("only %d of 3000 mutations were accepted: the corpus no longer exercises the decision", accepted)
			}
		})
	}
}
