package pretoken

import "testing"

func TestValueProblem(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
	}{
		{"acme", true}, {"tnt_7f3a9c2e41d8", true}, {"Acme Corp", true}, {"Société Générale", true}, {"日本", true},
		{"", false}, {" acme", false}, {"acme ", false}, {"\tacme", false}, {"acme\u00a0", false},
		{"ac\x00me", false}, {"ac\nme", false}, {"acme\x7f", false}, {"acme\u0085", false},
		{"acme\u202e", false}, {"ac\u200bme", false}, {"\xff", false}, {"ac\xc3", false},
	} {
		if got := valueProblem(tc.v) == ""; got != tc.ok {
			t.Errorf("valueProblem(%q) ok = %v, want %v", tc.v, got, tc.ok)
		}
	}
}

func TestScopesProblem(t *testing.T) {
	long := make([]byte, MaxScopeLen)
	for i := range long {
		long[i] = 's'
	}
	for _, tc := range []struct {
		scopes []string
		ok     bool
	}{
		{nil, true}, {[]string{"openid", "https://api.example.com/orders.read"}, true}, {[]string{string(long)}, true},
		{[]string{string(long) + "s"}, false}, {[]string{""}, false}, {[]string{"a b"}, false}, {[]string{"a\tb"}, false},
		{[]string{"a\u00a0b"}, false}, {[]string{"a\x00"}, false}, {numbered("s", MaxScopes), true}, {numbered("s", MaxScopes+1), false},
	} {
		if got := scopesProblem(tc.scopes) == ""; got != tc.ok {
			t.Errorf("scopesProblem(%q) ok = %v, want %v", tc.scopes, got, tc.ok)
		}
	}
}

func TestIsReserved(t *testing.T) {
	for _, name := range []string{"sub", "SUB", "aud", "cognito:groups", "Cognito:Roles", "cognito:preferred_role", "token_use", "version", "username"} {
		if !IsReserved(name) {
			t.Errorf("%q not reserved", name)
		}
	}
	for _, name := range []string{"tenant_id", "app_role", "custom:tenant_id", "email", "subject", "cognito", "dev:x"} {
		if IsReserved(name) {
			t.Errorf("%q reserved", name)
		}
	}
}
