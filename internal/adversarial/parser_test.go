package adversarial

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// evilPool is the pool id an attacker would like the decision to read.
const evilPool = "us-east-1_ATTACKER"

// TestAdversarialA14_DuplicateAndCaseVariantKeys: encoding/json matches
// struct keys case-insensitively (Unicode simple folding) and keeps the last
// duplicate; other parsers keep the first. Every duplicated, escaped or
// folded copy of a key that the decision reads must be refused, or two
// parsers of the same bytes would decide different events. Each payload
// here is one that encoding/json accepts.
func TestAdversarialA14_DuplicateAndCaseVariantKeys(t *testing.T) {
	good := strObj("email", "a@example.com")
	req := obj("userAttributes", good)
	base := func(extra ...string) []byte {
		return event{source: "PreSignUp_SignUp", request: req, response: obj("autoConfirmUser", "false"), extra: extra}.bytes()
	}
	cases := map[string][]byte{
		"duplicate triggerSource":        base("triggerSource", jstr("PreSignUp_AdminCreateUser")),
		"upper-case triggerSource":       base("TRIGGERSOURCE", jstr("PreSignUp_AdminCreateUser")),
		"long-s triggerSource":           base("trigger\u017Fource", jstr("PreSignUp_AdminCreateUser")),
		"escaped triggerSource":          base(`trigger\u0053ource`, jstr("PreSignUp_AdminCreateUser")),
		"escaped long-s triggerSource":   base(`trigger\u017fource`, jstr("PreSignUp_AdminCreateUser")),
		"duplicate userPoolId":           base("userPoolId", jstr(evilPool)),
		"folded userPoolId":              base("USERPOOLID", jstr(evilPool)),
		"long-s userPoolId":              base("u\u017FerPoolId", jstr(evilPool)),
		"duplicate request":              base("request", obj("userAttributes", strObj("email", "a@evil.io"))),
		"folded request":                 base("Request", obj("userAttributes", strObj("email", "a@evil.io"))),
		"duplicate response":             base("response", obj("autoConfirmUser", "true")),
		"duplicate version":              base("version", jstr("2")),
		"duplicate callerContext":        base("callerContext", strObj("clientId", "evil")),
		"folded callerContext":           base("CallerContext", strObj("clientId", "evil")),
		"duplicate userName":             base("userName", jstr("admin")),
		"folded userName":                base("username", jstr("admin")),
		"duplicate clientId":             event{source: "PreSignUp_SignUp", request: req, callerContext: obj("clientId", jstr(testClient), "clientId", jstr("evil"))}.bytes(),
		"folded clientId":                event{source: "PreSignUp_SignUp", request: req, callerContext: obj("clientId", jstr(testClient), "ClientID", jstr("evil"))}.bytes(),
		"duplicate userAttributes":       event{source: "PreSignUp_SignUp", request: obj("userAttributes", good, "userAttributes", strObj("email", "a@evil.io"))}.bytes(),
		"folded userAttributes":          event{source: "PreSignUp_SignUp", request: obj("userAttributes", good, "UserAttributes", strObj("email", "a@evil.io"))}.bytes(),
		"long-s userAttributes":          event{source: "PreSignUp_SignUp", request: obj("userAttributes", good, "userAttribute\u017F", strObj("email", "a@evil.io"))}.bytes(),
		"duplicate email":                signUp(obj("email", jstr("a@example.com"), "email", jstr("a@evil.io"))),
		"duplicate email, evil first":    signUp(obj("email", jstr("a@evil.io"), "email", jstr("a@example.com"))),
		"escaped duplicate email":        signUp(obj("email", jstr("a@example.com"), `em\u0061il`, jstr("a@evil.io"))),
		"escaped duplicate email, first": signUp(obj(`\u0065mail`, jstr("a@evil.io"), "email", jstr("a@example.com"))),
		"duplicate phone":                signUp(obj("email", jstr("a@example.com"), "phone_number", jstr("+15555550100"), "phone_number", jstr("garbage"))),
		"cc not an object":               event{source: "PreSignUp_SignUp", request: req, callerContext: jstr("x")}.bytes(),
		"cc clientId number":             event{source: "PreSignUp_SignUp", request: req, callerContext: obj("clientId", "5")}.bytes(),
		"request not an object":          event{source: "PreSignUp_SignUp", request: "[]"}.bytes(),
		"userAttributes an array":        event{source: "PreSignUp_SignUp", request: obj("userAttributes", `[{"Name":"email","Value":"a@example.com"}]`)}.bytes(),
		"email a number":                 signUp(obj("email", "1")),
		"email an object":                signUp(obj("email", good)),
		"email an array":                 signUp(obj("email", `["a@example.com"]`)),
		"version a number":               event{source: "PreSignUp_SignUp", version: "1", request: req}.bytes(),
		"userPoolId a number":            event{source: "PreSignUp_SignUp", pool: "1", request: req}.bytes(),
		"userPoolId null":                event{source: "PreSignUp_SignUp", pool: "null", request: req}.bytes(),
		"triggerSource unknown":          event{source: "PreSignUp_Signup", request: req}.bytes(),
		"triggerSource with NUL":         event{source: "PreSignUp_SignUp\x00", request: req}.bytes(),
		"cc case-variant clientId only":  event{source: "PreSignUp_SignUp", request: req, callerContext: obj("CLIENTID", jstr("evil"))}.bytes(),
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			if !json.Valid(payload) {
				t.Fatalf("test bug: payload is not valid JSON: %s", payload)
			}
			if ok, line := runPresignup(t, presignupSetup{allow: "example.com", pools: []string{testPool}}, payload); ok {
				t.Errorf("admitted an ambiguous event (decision %v):\n%s", line, payload)
			}
		})
	}
}

// TestAdversarialA14_TypedDecoderAgreesWithEncodingJSON is a differential
// test: for every event the typed decoder accepts, encoding/json (what any
// other component, a log reader or a backend, would use) must see the same
// header and the same email and phone. Inputs are built to stress the
// places where parsers usually differ: escapes, surrogates, invalid UTF-8
// (both replace it with U+FFFD), whitespace, member order, nulls, booleans,
// big batches of members.
func TestAdversarialA14_TypedDecoderAgreesWithEncodingJSON(t *testing.T) {
	var filler []string
	for i := range 100 {
		filler = append(filler, fmt.Sprintf("custom:f%03d", i), jstr(strings.Repeat("x", i)))
	}
	many := func(at int, email string) string {
		kv := append([]string(nil), filler[:2*at]...)
		kv = append(kv, "email", jstr(email))
		kv = append(kv, filler[2*at:]...)
		return obj(kv...)
	}
	payloads := map[string][]byte{
		"plain":                   signUpEmail("a@example.com"),
		"escaped value":           signUp(obj("email", `"\u0061\u0040example.com"`)),
		"escaped key":             signUp(obj(`\u0065\u006d\u0061\u0069\u006c`, jstr("a@example.com"))),
		"escaped slash":           signUp(obj("email", `"a\/b@example.com"`)),
		"lone high surrogate":     signUp(obj("email", `"\ud800@example.com"`)),
		"lone low surrogate":      signUp(obj("email", `"\udc00a@example.com"`)),
		"surrogate pair":          signUp(obj("email", `"\ud83d\ude00@example.com"`)),
		"reversed surrogates":     signUp(obj("email", `"\ude00\ud83d@example.com"`)),
		"invalid utf8 raw":        []byte(strings.Replace(string(signUpEmail("aQ@example.com")), "Q", "\xff", 1)),
		"overlong utf8 raw":       []byte(strings.Replace(string(signUpEmail("aQ@example.com")), "Q", "\xc0\xaf", 1)),
		"raw utf8 ok":             signUpEmail("é@example.com"),
		"whitespace everywhere":   []byte(strings.NewReplacer(",", " ,\n\t", ":", " :\r\n ").Replace(string(signUpEmail("a@example.com")))),
		"null email":              signUp(obj("email", "null")),
		"bool email":              signUp(obj("email", "true")),
		"null userAttributes":     event{source: "PreSignUp_SignUp", request: obj("userAttributes", "null")}.bytes(),
		"no response":             event{source: "PreSignUp_SignUp", request: obj("userAttributes", strObj("email", "a@example.com"))}.bytes(),
		"null region/userName":    event{source: "PreSignUp_SignUp", region: "null", userName: "null", request: obj("userAttributes", strObj("email", "a@example.com"))}.bytes(),
		"email after 32 members":  signUp(many(40, "a@example.com")),
		"email after 64 members":  signUp(many(70, "a@example.com")),
		"email last of 101":       signUp(many(100, "a@example.com")),
		"email in batch boundary": signUp(many(32, "a@example.com")),
		"unicode key near email":  signUp(obj("emaıl", jstr("a@evil.io"), "email", jstr("a@example.com"))),
		"kelvin key":              signUp(obj("\u212Aey", jstr("x"), "email", jstr("a@example.com"))),
		"phone then email":        signUp(strObj("phone_number", "+15555550100", "email", "a@example.com")),
		"nested clientMetadata":   event{source: "PreSignUp_SignUp", request: obj("userAttributes", strObj("email", "a@example.com"), "clientMetadata", strings.Repeat(`{"a":`, 500)+"1"+strings.Repeat("}", 500))}.bytes(),
	}
	for name, payload := range payloads {
		t.Run(name, func(t *testing.T) {
			ev, typedErr := triggers.Decode[triggers.PreSignUp](payload)
			var ref struct {
				Request struct {
					UserAttributes map[string]any `json:"userAttributes"`
				} `json:"request"`
			}
			refErr := json.Unmarshal(payload, &ref)
			if typedErr != nil {
				if mustParse[name] {
					t.Fatalf("the typed decoder refused a well-formed event: %v", typedErr)
				}
				return // refusing is always allowed
			}
			if refErr != nil {
				t.Fatalf("the typed decoder accepted what encoding/json refuses (%v)", refErr)
			}
			diff, err := testevent.HeaderDiff(payload, &ev.Header)
			if err != nil {
				t.Fatalf("encoding/json refuses the header it read the request of: %v", err)
			}
			if diff != "" {
				t.Errorf("header differs (-encoding/json +typed):\n%s", diff)
			}
			for _, k := range []string{"email", "phone_number"} {
				want := ""
				switch v := ref.Request.UserAttributes[k].(type) {
				case string:
					want = v
				case bool:
					want = fmt.Sprint(v)
				case nil:
				default:
					t.Fatalf("test bug: %s is a %T", k, v)
				}
				if got := ev.Request.UserAttributes.Get(k); got != want {
					t.Errorf("%s: the typed decoder reads %q, encoding/json reads %q", k, got, want)
				}
			}
			// Whatever the handler admits, the reference reading must be
			// admitted by the gate on its own.
			if ok, _ := runPresignup(t, presignupSetup{allow: "example.com"}, payload); ok {
				email, isString := ref.Request.UserAttributes["email"].(string)
				if a, err := emailgate.Parse(email); !isString || err != nil || a.Domain != "example.com" {
					t.Errorf("admitted, but encoding/json reads the email as %v", ref.Request.UserAttributes["email"])
				}
			}
		})
	}
}

// mustParse are the differential inputs the typed decoder has to accept,
// so that the comparison is never vacuous.
var mustParse = map[string]bool{
	"plain": true, "escaped value": true, "escaped key": true, "surrogate pair": true, "lone high surrogate": true,
	"invalid utf8 raw": true, "whitespace everywhere": true, "email after 64 members": true, "email last of 101": true,
	"email in batch boundary": true, "nested clientMetadata": true, "null region/userName": true, "bool email": true,
}

// hostileDocuments are truncated, doubled, non-object, BOM-prefixed,
// over-deep and otherwise broken versions of a valid sign-up.
func hostileDocuments() map[string][]byte {
	good := string(signUpEmail("a@example.com"))
	return map[string][]byte{
		"empty":                         nil,
		"null":                          []byte("null"),
		"array":                         []byte("[" + good + "]"),
		"string":                        []byte(jstr(good)),
		"truncated":                     []byte(good[:len(good)-1]),
		"truncated mid-string":          []byte(good[:len(good)/2]),
		"doubled":                       []byte(good + good),
		"trailing garbage":              []byte(good + " x"),
		"trailing comma":                []byte(good[:len(good)-1] + ",}"),
		"bom":                           []byte("\ufeff" + good),
		"nul byte outside":              []byte(good + "\x00"),
		"raw control in string":         []byte(strings.Replace(good, "a@example.com", "a\x01@example.com", 1)),
		"single quotes":                 []byte(strings.ReplaceAll(good, `"`, `'`)),
		"nan literal":                   []byte(strings.Replace(good, `"validationData":null`, `"validationData":NaN`, 1)),
		"leading zero number":           []byte(strings.Replace(good, `"validationData":null`, `"validationData":01`, 1)),
		"depth 1001 in validationData":  deepIn(good, `"validationData":null`, "validationData", 1001),
		"depth 20000 in validationData": deepIn(good, `"validationData":null`, "validationData", 20000),
		// Beyond the decoder's nesting limit (10,000), even where nothing
		// reads the value.
		"depth 20000 in an unknown member": deepIn(good, `"validationData":null`, "futureMember", 20000),
	}
}

// deepIn replaces old in doc with member name holding n nested arrays.
func deepIn(doc, old, name string, n int) []byte {
	return []byte(strings.Replace(doc, old, `"`+name+`":`+strings.Repeat("[", n)+strings.Repeat("]", n), 1))
}

// TestAdversarialA14_MalformedAndHostileDocuments: truncated, doubled,
// non-object, BOM-prefixed, over-deep and oversized events are refused with
// the generic text, never with a parser message, never after acting on a
// valid prefix, and without echoing the document into the log. How fast
// they are refused is BenchmarkAdversarialA14_HostileDocuments's to say.
func TestAdversarialA14_MalformedAndHostileDocuments(t *testing.T) {
	for name, payload := range hostileDocuments() {
		t.Run(name, func(t *testing.T) {
			ok, line := runPresignup(t, presignupSetup{allow: "example.com"}, payload)
			if ok {
				t.Errorf("admitted a malformed event (decision %v)", line)
			}
			if line["reason"] != string(decision.ReasonMalformedEvent) {
				t.Errorf("reason %v, want malformed_event", line["reason"])
			}
			if raw, err := json.Marshal(line); err != nil || len(raw) > 4096 {
				t.Errorf("decision line is %d bytes (%v): the document leaks into the log", len(raw), err)
			}
		})
	}
	t.Run("depth 998 in an unknown member is fine", func(t *testing.T) {
		good := string(signUpEmail("a@example.com"))
		if ok, line := runPresignup(t, presignupSetup{allow: "example.com"}, deepIn(good, `"validationData":null`, "futureMember", 998)); !ok {
			t.Errorf("refused (decision %v)", line)
		}
	})
}

// oversizedEvent is a 5 MB event (Lambda's synchronous payload limit is
// 6 MB) with a huge array and huge strings in members the trigger never
// reads.
func oversizedEvent() []byte {
	arr := "[" + strings.Repeat(`"x",`, 600_000) + `"x"]`
	big := jstr(strings.Repeat("A", 2<<20))
	return event{source: "PreSignUp_SignUp", request: obj(
		"userAttributes", obj("custom:blob", big, "email", jstr("a@example.com")),
		"futureMember", obj("k", arr), "clientMetadata", obj("k", big))}.bytes()
}

// TestAdversarialA14_OversizedEventIsDecided: the oversized event is
// decided on its merits (the address is allowed), its unread members go
// back unchanged, and the decision line stays small. Its cost is
// BenchmarkAdversarialA14_OversizedEvent's to say: a timed assertion here
// would fail on a loaded machine rather than on a slow parser.
func TestAdversarialA14_OversizedEventIsDecided(t *testing.T) {
	payload := oversizedEvent()
	logs := &logBuf{}
	h := presignupHandler(t, presignupSetup{allow: "example.com"}, logs)
	out, err := h.Invoke(ctx(t), payload)
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	line := logs.decision(t)
	if line["outcome"] != string(decision.OutcomeAllowed) {
		t.Errorf("outcome %v, want allowed", line["outcome"])
	}
	if n := len(logs.String()); n > 4096 {
		t.Errorf("decision line is %d bytes: event data leaks into the log", n)
	}
	if !bytes.Contains(out, []byte(`"futureMember":{"k":["x","x",`)) || len(out) < len(payload)-1024 {
		t.Errorf("the answer (%d bytes) lost the unread members of the %d-byte event", len(out), len(payload))
	}
}

// BenchmarkAdversarialA14_OversizedEvent is the cost of deciding the
// oversized event, which must stay well inside the invocation budget.
func BenchmarkAdversarialA14_OversizedEvent(b *testing.B) {
	payload := oversizedEvent()
	h := presignupHandler(b, presignupSetup{allow: "example.com"}, nil)
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := h.Invoke(b.Context(), payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAdversarialA14_HostileDocuments is the cost of refusing each
// hostile document.
func BenchmarkAdversarialA14_HostileDocuments(b *testing.B) {
	h := presignupHandler(b, presignupSetup{allow: "example.com"}, nil)
	for name, payload := range hostileDocuments() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := h.Invoke(b.Context(), payload); err == nil {
					b.Fatal("admitted")
				}
			}
		})
	}
}
