package legacy_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cognito-triggers/suite/pkg/legacy"
)

// responseCase is one row of testdata/responses.json: a body a legacy
// endpoint might send, and what ParseResponse must make of it.
type responseCase struct {
	Class    string      `json:"cls"`
	Name     string      `json:"name"`
	No       string      `json:"no"` // the endpoint's "no": invalid (/verify) or not_found (/lookup)
	Username string      `json:"username"`
	Body     string      `json:"body"`
	Result   string      `json:"result"`
	User     legacy.User `json:"user"`
	Error    string      `json:"error"` // a substring of the error; "" = accepted
}

func loadResponseCases(tb testing.TB) []responseCase {
	tb.Helper()
	b, err := os.ReadFile("testdata/responses.json")
	if err != nil {
		tb.Fatal(err)
	}
	var cases []responseCase
	if err := json.Unmarshal(b, &cases); err != nil {
		tb.Fatal(err)
	}
	return cases
}

func TestParseResponse(t *testing.T) {
	for _, tc := range loadResponseCases(t) {
		t.Run(tc.Class+"/"+tc.Name, func(t *testing.T) {
			result, u, err := legacy.ParseResponse([]byte(tc.Body), tc.No, tc.Username)
			if tc.Error != "" {
				if err == nil {
					t.Fatalf("accepted (result %q, user %+v), want an error containing %q", result, u, tc.Error)
				}
				if !strings.Contains(err.Error(), tc.Error) {
					t.Errorf("error %q, want it to contain %q", err, tc.Error)
				}
				if result != "" || u.Username != "" {
					t.Errorf("an error came with result %q, user %q", result, u.Username)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if result != tc.Result {
				t.Errorf("result = %q, want %q", result, tc.Result)
			}
			if diff := cmp.Diff(tc.User, u, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseResponseErrorsQuoteNoValues: whatever the body holds (a
// profile, a password echoed by a broken adapter), the error never
// repeats a value.
func TestParseResponseErrorsQuoteNoValues(t *testing.T) {
	const canary = "pw-canary-0c7d1"
	bodies := []string{
		`{"result":"ok","user":{"username":"maria","email":"` + canary + `","email_verified":"` + canary + `"}}`,
		`{"result":"` + canary + `"}`,
		`{"result":"ok","user":{"username":"` + canary + `"}}`,
		`{"result":"ok","user":{"username":"maria","` + canary + `":1}}`,
		`{"result":"ok","user":{"username":"maria","attributes":{"` + canary + `":1}}}`,
		`{"result":"invalid","` + canary + `":"` + canary + `"}`,
		`{"result":"ok","user":"` + canary + `"}`,
		`{"result":"ok","user":{"username":"maria","email":"` + canary + `"` + "\x00" + `}}`,
		`{"` + canary,
	}
	for _, b := range bodies {
		_, _, err := legacy.ParseResponse([]byte(b), legacy.ResultInvalid, "maria")
		if err == nil {
			t.Errorf("accepted %s", b)
			continue
		}
		if strings.Contains(err.Error(), "canary") {
			t.Errorf("error quotes the body: %v", err)
		}
	}
}

func TestParseSecret(t *testing.T) {
	const key = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
	fb := `{"signer_key":"` + key + `","salt_separator":"Bw==","rounds":8,"mem_cost":14}`
	tests := []struct {
		name    string
		in      string
		apiKey  string
		rounds  int
		wantErr string
	}{
		{"api key", `{"api_key":"k-123"}`, "k-123", 0, ""},
		{"firebase", `{"firebase":` + fb + `}`, "", 8, ""},
		{"both", `{"api_key":"k","firebase":` + fb + `}`, "k", 8, ""},
		{"unknown member", `{"api_key":"k","apikey":"k"}`, "", 0, "unexpected member"},
		{"duplicate key", `{"api_key":"a","api_key":"b"}`, "", 0, "duplicate"},
		{"key not a string", `{"api_key":42}`, "", 0, "not a string"},
		{"not JSON", `api_key=k`, "", 0, "not a JSON object"},
		{"rounds as a string", `{"firebase":{"signer_key":"` + key + `","salt_separator":"Bw==","rounds":"8","mem_cost":14}}`, "", 0, "firebase.rounds has the wrong type"},
		{"rounds as a float", `{"firebase":{"signer_key":"` + key + `","salt_separator":"Bw==","rounds":8.0,"mem_cost":14}}`, "", 0, "firebase.rounds has the wrong type"},
		{"mem_cost missing", `{"firebase":{"signer_key":"` + key + `","salt_separator":"Bw==","rounds":8}}`, "", 0, "firebase.mem_cost is missing"},
		{"signer key not base64", `{"firebase":{"signer_key":"not base64!","salt_separator":"Bw==","rounds":8,"mem_cost":14}}`, "", 0, "not standard base64"},
		{"rounds negative", `{"firebase":{"signer_key":"` + key + `","salt_separator":"Bw==","rounds":-1,"mem_cost":14}}`, "", 0, "firebase.rounds has the wrong type"},
		{"duplicate firebase member", `{"firebase":{"signer_key":"` + key + `","signer_key":"` + key + `","salt_separator":"Bw==","rounds":8,"mem_cost":14}}`, "", 0, "duplicate firebase.signer_key"},
		{"unknown firebase member", `{"firebase":{"signer_key":"` + key + `","salt_separator":"Bw==","rounds":8,"mem_cost":14,"` + key + `":1}}`, "", 0, "unexpected member in \"firebase\""},
		{"unknown member named like the key", `{"` + key + `":"` + key + `"}`, "", 0, "unexpected member"},
		{"firebase not an object", `{"firebase":"` + key + `"}`, "", 0, "\"firebase\" is not an object"},
		{"rounds out of bounds", `{"firebase":{"signer_key":"` + key + `","salt_separator":"Bw==","rounds":9,"mem_cost":14}}`, "", 0, "rounds 9 outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := legacy.ParseSecret([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), key[:16]) {
					t.Errorf("error quotes the signer key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.APIKey != tt.apiKey {
				t.Errorf("APIKey = %q, want %q", s.APIKey, tt.apiKey)
			}
			if tt.rounds != 0 && (s.Firebase == nil || s.Firebase.Rounds != tt.rounds || len(s.Firebase.SignerKey) != 64) {
				t.Errorf("Firebase = %+v", s.Firebase)
			}
		})
	}
	for _, in := range []string{`{}`, `{"api_key":""}`, `{"api_key":"has space"}`, `{"api_key":"line\nbreak"}`} {
		if _, err := legacy.ParseAPIKeySecret([]byte(in)); err == nil {
			t.Errorf("ParseAPIKeySecret(%s) accepted", in)
		}
	}
}

func TestParseBaseURL(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"https://legacy.example.com/auth/", "https://legacy.example.com/auth", ""},
		{"https://legacy.example.com", "https://legacy.example.com", ""},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"http://localhost:9/x", "http://localhost:9/x", ""},
		{"http://[::1]:9", "http://[::1]:9", ""},
		{"http://legacy.example.com", "", "must be https"},
		{"http://127.0.0.1.evil.io", "", "must be https"},
		{"ftp://legacy.example.com", "", "must be an https"},
		{"https://user:pass@legacy.example.com", "", "user info"},
		{"https://legacy.example.com/?key=1", "", "query"},
		{"https://legacy.example.com/#x", "", "fragment"},
		{"https:///path", "", "no host"},
		{"legacy.example.com", "", "must be an https"},
	}
	for _, tt := range tests {
		got, err := legacy.ParseBaseURL(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseBaseURL(%q) = %q, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseBaseURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
