package pretoken

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/cognito-triggers/suite/pkg/jsonscan"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// strictRequest is readRequest without the fast path.
func strictRequest(req []byte) (attrs, group []byte, sub string, err error) {
	var r [2][]byte
	if err := triggers.Fields(req, userRequestKeys, r[:]); err != nil {
		return nil, nil, "", err
	}
	var s [1]string
	if err := triggers.Strings(r[0], subKey, s[:]); err != nil {
		return nil, nil, "", err
	}
	return r[0], r[1], s[0], nil
}

func TestFastRequest(t *testing.T) {
	for _, tc := range []struct {
		req    string
		wantOK bool
	}{
		{`{"userAttributes":{"sub":"abc","email":"a@b.c"},"groupConfiguration":{"groupsToOverride":["x"]}}`, true},
		{` { "userAttributes" : { "name" : "a\"}b" , "sub" : "abc" } , "scopes" : [ "a" , { "b" : [ ] } ] } `, true},
		{`{"userAttributes":{"sub":"abc"}}`, true},
		{`{"userAttributes":{"sub":"abc","sub":"abd"}}`, false},             // duplicate: strict refuses
		{`{"userAttributes":{"s\u0075b":"abd","sub":"abc"}}`, false},        // escaped key: strict decides
		{`{"userAttributes":{"sub":"a\u0062c"}}`, false},                    // escaped value
		{`{"userAttributes":{"sub":"ab c"}}`, false},                        // not a Cognito sub
		{`{"userAttributes":{"sub":1}}`, false},                             // not a string
		{`{"userAttributes":{"sub":"abc"},"UserAttributes":{}}`, false},     // case variant
		{`{"userAttributes":{"sub":"abc"},"groupconfiguration":{}}`, false}, // case variant
		{`{"userAttributes":{"sub":"abc"},"userAttributeſ":{}}`, false},     // Unicode fold variant (long s)
		{`{"userAttributes":{"sub":"abc"},"userAttributes":{"sub":"x"}}`, false},
		{`{"userAttributes":null}`, false},
		{`{"groupConfiguration":{}}`, false},
		{`{"userAttributes":{"sub":"abc"}`, false}, // truncated: never trusted
		{`{"userAttributes":{"sub":"abc"}} x`, false},
		{`[]`, false},
		{``, false},
	} {
		attrs, group, sub, ok := fastRequest([]byte(tc.req))
		if ok != tc.wantOK {
			t.Errorf("%s: ok = %v, want %v", tc.req, ok, tc.wantOK)
			continue
		}
		if !ok {
			continue
		}
		sa, sg, ss, err := strictRequest([]byte(tc.req))
		if err != nil || !bytes.Equal(sa, attrs) || !bytes.Equal(sg, group) || ss != sub {
			t.Errorf("%s: fast (%s, %s, %q) strict (%s, %s, %q, %v)", tc.req, attrs, group, sub, sa, sg, ss, err)
		}
	}
}

// FuzzFastRequest holds the fast path to the strict one on every valid
// JSON object: when the fast path answers, the strict path gives the same
// values and no error.
func FuzzFastRequest(f *testing.F) {
	files, _ := filepath.Glob("../../events/pretoken-*.json")
	files = append(files, "testdata/pretoken-v2-2kb.json")
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		ev, err := triggers.ParseEnvelope(raw)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ev.Request)
	}
	f.Add([]byte(`{"userAttributes":{"sub":"a","sub":"b"}}`))
	f.Add([]byte(`{"userAttributes":{"s\u0075b":"a"},"groupConfiguration":null}`))
	f.Add([]byte(`{"userAttributes":{"sub":"a"},"userAttributeſ":{}}`))
	f.Fuzz(func(t *testing.T, req []byte) {
		attrs, group, sub, ok := fastRequest(req) // must not panic on anything
		if !ok || !jsonscan.Valid(req) {
			return
		}
		sa, sg, ss, err := strictRequest(req)
		if err != nil {
			t.Fatalf("fast path accepted what the strict path refuses (%v):\n%s", err, req)
		}
		if !bytes.Equal(sa, attrs) || !bytes.Equal(sg, group) || ss != sub {
			t.Fatalf("paths disagree:\nfast   %q %q %q\nstrict %q %q %q", attrs, group, sub, sa, sg, ss)
		}
	})
}
