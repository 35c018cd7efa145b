package legacyserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestProtocol: the reference endpoint answers as docs/migrateuser.md
// says, and is as strict about requests as the function is about answers.
func TestProtocol(t *testing.T) {
	s := New("k", Account{Password: "pw", User: User{Username: "ann", Email: "ann@example.com", EmailVerified: true}})
	tests := []struct {
		name, method, path, auth, ctype, body string
		status                                int
		want                                  string
	}{
		{"verify ok", "POST", "/verify", "Bearer k", "application/json", `{"username":"ann","password":"pw"}`, 200,
			`{"result":"ok","user":{"username":"ann","email":"ann@example.com","email_verified":true,"phone_number_verified":false}}`},
		{"wrong password", "POST", "/verify", "Bearer k", "application/json", `{"username":"ann","password":"px"}`, 200, `{"result":"invalid"}`},
		{"unknown user", "POST", "/verify", "Bearer k", "application/json", `{"username":"bob","password":"pw"}`, 200, `{"result":"invalid"}`},
		{"empty password", "POST", "/verify", "Bearer k", "application/json", `{"username":"ann","password":""}`, 200, `{"result":"invalid"}`},
		{"lookup", "POST", "/lookup", "Bearer k", "application/json; charset=utf-8", `{"username":"ann"}`, 200,
			`{"result":"ok","user":{"username":"ann","email":"ann@example.com","email_verified":true,"phone_number_verified":false}}`},
		{"lookup unknown", "POST", "/lookup", "Bearer k", "application/json", `{"username":"bob"}`, 200, `{"result":"not_found"}`},
		{"base path prefix", "POST", "/legacy/v1/lookup", "Bearer k", "application/json", `{"username":"bob"}`, 200, `{"result":"not_found"}`},
		{"wrong key", "POST", "/verify", "Bearer x", "application/json", `{"username":"ann","password":"pw"}`, 401, ""},
		{"no key", "POST", "/verify", "", "application/json", `{"username":"ann","password":"pw"}`, 401, ""},
		{"GET", "GET", "/verify", "Bearer k", "", ``, 405, ""},
		{"unknown path", "POST", "/admin", "Bearer k", "application/json", `{}`, 404, ""},
		{"unknown member", "POST", "/verify", "Bearer k", "application/json", `{"username":"ann","password":"pw","otp":"1"}`, 400, ""},
		{"trailing data", "POST", "/verify", "Bearer k", "application/json", `{"username":"ann","password":"pw"} {}`, 400, ""},
		{"password on lookup", "POST", "/lookup", "Bearer k", "application/json", `{"username":"ann","password":"pw"}`, 400, ""},
		{"no password on verify", "POST", "/verify", "Bearer k", "application/json", `{"username":"ann"}`, 400, ""},
		{"form body", "POST", "/verify", "Bearer k", "application/x-www-form-urlencoded", `username=ann&password=pw`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tt.status, rec.Body)
			}
			if tt.want != "" {
				if got := rec.Body.String(); got != tt.want {
					t.Errorf("body %s, want %s", got, tt.want)
				}
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
			}
		})
	}
	if got := s.Refused(PathVerify); got != 2 {
		t.Errorf("Refused = %d, want 2", got)
	}
}

func TestFault(t *testing.T) {
	s := New("k")
	s.SetFault(PathLookup, &Fault{Status: http.StatusTeapot, Body: []byte("x"), ContentType: "text/plain"})
	req := httptest.NewRequest("POST", "/lookup", strings.NewReader(`{"username":"a"}`))
	req.Header.Set("Authorization", "Bearer k")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusTeapot || rec.Body.String() != "x" || rec.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("fault answered %d %q %q", rec.Code, rec.Body, rec.Header().Get("Content-Type"))
	}
}
