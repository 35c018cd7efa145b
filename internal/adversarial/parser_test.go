package adversarial

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cognito-triggers/suite/pkg/emailgate"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// evilPool is the pool id an attacker would like the decision to read.
const evilPool = "us-east-1_ATTACKER"

// TestAdversarialA14_DuplicateAndCaseVariantKeys: encoding/json matches
// struct keys case-insensitively (Unicode simple folding) and keeps the last
// duplicate; the envelope reads the first. Every duplicated, escaped or
// folded copy of a key that the hot path reads must be refused, or the two
// parsers would decide different events. Each payload here is one that
// encoding/json accepts.
//
// Threat model A14; ASVS 5.0 1.5.3.
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

// TestAdversarialA14_EnvelopeAgreesWithEncodingJSON is a differential test:
// for every event the hot-path envelope accepts, encoding/json (the typed
// decoders, and what any other component reads) must see the same header
// and the same email and phone. Inputs are built to stress the places where
// parsers usually differ: escapes, surrogates, invalid UTF-8, whitespace,
// member order, nulls, booleans, big batches of members.
//
// Threat model A14; ASVS 5.0 1.5.3.
func TestAdversarialA14_EnvelopeAgreesWithEncodingJSON(t *testing.T) {
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
			env, envErr := triggers.ParseEnvelope(payload)
			var ref struct {
				triggers.Header
				Request struct {
					UserAttributes map[string]any `json:"userAttributes"`
				} `json:"request"`
			}
			refErr := json.Unmarshal(payload, &ref)
			if envErr != nil {
				if mustParse[name] {
					t.Fatalf("envelope refused a well-formed event: %v", envErr)
				}
				return // refusing is always allowed
			}
			if refErr != nil {
				t.Fatalf("envelope accepted what encoding/json refuses (%v)", refErr)
			}
			if env.Header != ref.Header {
				t.Errorf("header differs:\n envelope %+v\n encoding/json %+v", env.Header, ref.Header)
			}
			var mine [2]string
			err := triggers.Strings(fieldOf(t, env.Request, "userAttributes"), []string{"email", "phone_number"}, mine[:])
			if err != nil {
				return
			}
			for i, k := range []string{"email", "phone_number"} {
				want := ""
				switch v := ref.Request.UserAttributes[k].(type) {
				case string:
					want = v
				case bool:
					want = fmt.Sprint(v)
				}
				if mine[i] != want {
					t.Errorf("%s: envelope reads %q, encoding/json reads %q", k, mine[i], want)
				}
			}
			// Whatever the handler admits, the reference reading must be
			// admitted by the gate on its own.
			ok, _ := runPresignup(t, presignupSetup{allow: "example.com"}, payload)
			if ok {
				ref, _ := ref.Request.UserAttributes["email"].(string)
				if a, err := emailgate.Parse(ref); err != nil || a.Domain != "example.com" {
					t.Errorf("admitted, but encoding/json reads the email as %q", ref)
				}
			}
		})
	}
}

// mustParse are the differential inputs the envelope has to accept, so that
// the comparison is never vacuous.
var mustParse = map[string]bool{
	"plain": true, "escaped value": true, "escaped key": true, "surrogate pair": true, "lone high surrogate": true,
	"invalid utf8 raw": true, "whitespace everywhere": true, "email after 64 members": true, "email last of 101": true,
	"email in batch boundary": true, "nested clientMetadata": true, "null region/userName": true, "bool email": true,
}

// fieldOf returns the raw value of one member of obj.
func fieldOf(t *testing.T, o []byte, name string) []byte {
	t.Helper()
	var dst [1][]byte
	if err := triggers.Fields(o, []string{name}, dst[:]); err != nil {
		t.Fatalf("Fields: %v", err)
	}
	return dst[0]
}

// TestAdversarialA14_MalformedAndHostileDocuments: truncated, doubled,
// non-object, BOM-prefixed, over-deep and oversized events are refused
// quickly with the generic text, never with a parser message, and never
// after acting on a valid prefix.
//
// Threat model A14; ASVS 5.0 1.5.3, 16.5.1.
func TestAdversarialA14_MalformedAndHostileDocuments(t *testing.T) {
	good := string(signUpEmail("a@example.com"))
	deep := func(n int) []byte {
		return []byte(strings.Replace(good, `"validationData":null`,
			`"validationData":`+strings.Repeat("[", n)+strings.Repeat("]", n), 1))
	}
	cases := map[string][]byte{
		"empty":                 nil,
		"null":                  []byte("null"),
		"array":                 []byte("[" + good + "]"),
		"string":                []byte(jstr(good)),
		"truncated":             []byte(good[:len(good)-1]),
		"truncated mid-string":  []byte(good[:len(good)/2]),
		"doubled":               []byte(good + good),
		"trailing garbage":      []byte(good + " x"),
		"trailing comma":        []byte(good[:len(good)-1] + ",}"),
		"bom":                   []byte("\ufeff" + good),
		"nul byte outside":      []byte(good + "\x00"),
		"raw control in string": []byte(strings.Replace(good, "a@example.com", "a\x01@example.com", 1)),
		"single quotes":         []byte(strings.ReplaceAll(good, `"`, `'`)),
		"nan literal":           []byte(strings.Replace(good, `"validationData":null`, `"validationData":NaN`, 1)),
		"leading zero number":   []byte(strings.Replace(good, `"validationData":null`, `"validationData":01`, 1)),
		"depth 1001":            deep(1001),
		"depth 20000":           deep(20000),
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			if ok, line := runPresignup(t, presignupSetup{allow: "example.com"}, payload); ok {
				t.Errorf("admitted a malformed event (decision %v)", line)
			}
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("took %v to refuse", d)
			}
		})
	}
	t.Run("depth 998 in an unread member is fine", func(t *testing.T) {
		if ok, line := runPresignup(t, presignupSetup{allow: "example.com"}, deep(997)); !ok {
			t.Errorf("refused (decision %v)", line)
		}
	})
}

// TestAdversarialA14_OversizedEventStaysInBudget: a 5 MB event (Lambda's
// synchronous payload limit is 6 MB) with a huge array and a huge string in
// members the trigger never reads is decided well inside the budget, and
// the decision line stays small.
//
// Threat model A11, A14; ASVS 5.0 15.1.3.
func TestAdversarialA14_OversizedEventStaysInBudget(t *testing.T) {
	arr := "[" + strings.Repeat(`"x",`, 600_000) + `"x"]`
	big := jstr(strings.Repeat("A", 2<<20))
	payload := event{source: "PreSignUp_SignUp", request: obj(
		"userAttributes", obj("custom:blob", big, "email", jstr("a@example.com")),
		"validationData", obj("k", arr), "clientMetadata", obj("k", big))}.bytes()
	logs := &logBuf{}
	h := presignupHandler(t, presignupSetup{allow: "example.com"}, logs)
	start := time.Now()
	_, err := h.Invoke(ctx(t), payload)
	if d := time.Since(start); d > time.Second {
		t.Errorf("a %d-byte event took %v", len(payload), d)
	}
	if err != nil {
		t.Errorf("refused: %v", err)
	}
	if n := len(logs.String()); n > 4096 {
		t.Errorf("decision line is %d bytes: event data leaks into the log", n)
	}
}
