package passhash

import (
	"strings"
	"testing"
)

// fuzzLimits lower the cost bounds so that each fuzz execution is cheap
// (about a millisecond at worst); the parsers and bound checks are the
// same code as in production.
var fuzzLimits = limits{
	bcryptMaxCost:      4,
	argon2MaxMemoryKiB: 1024,
	argon2MaxPasses:    2,
	argon2MaxWork:      1024,
	pbkdf2MaxIter:      2000,
	pbkdf2MaxWork:      4000,
}

// FuzzVerify checks the properties the migration trigger relies on, for
// any record and password: Verify never panics; it never reports a match
// together with an error, or for a record Detect rejects, or for a
// password policy refuses; every error wraps one of the two sentinels;
// and the error (or its absence) does not depend on the password, so it
// cannot carry it.
func FuzzVerify(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.Encoded, v.password(f))
	}
	// Records that pass fuzzLimits, so the fuzzer starts inside the KDF path.
	f.Add("$2a$04$......................XuQjdH.wPVNUZ/bOfstdW/FqB8QSjte", []byte("abc"))
	f.Add("$pbkdf2-sha256$i=1000,l=32$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", []byte("password"))
	f.Add("pbkdf2_sha256$1000$seasalt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", []byte("password"))

	p := readmeParams(f)
	p.Rounds, p.MemCost = 1, 1 // cheap scrypt; the record format is what is fuzzed
	v, err := New(Options{Firebase: p})
	if err != nil {
		f.Fatal(err)
	}
	v.lim = fuzzLimits

	f.Fuzz(func(t *testing.T, encoded string, password []byte) {
		ok, scheme, err := v.Verify(encoded, password)
		detected, detectErr := Detect(encoded)
		if scheme != detected {
			t.Errorf("Verify scheme %q, Detect scheme %q", scheme, detected)
		}
		if ok {
			switch {
			case err != nil:
				t.Fatalf("match with error %v", err)
			case detectErr != nil:
				t.Fatalf("match for a record Detect rejects: %v", detectErr)
			case len(password) == 0 || len(password) > v.maxPassword:
				t.Fatalf("match for a %d-byte password", len(password))
			case scheme == SchemeBcrypt && len(password) > bcryptMaxInput:
				t.Fatalf("bcrypt match for a %d-byte password", len(password))
			}
		}
		if k := errKind(err); strings.HasPrefix(k, "other") {
			t.Fatalf("error wraps neither sentinel: %v", err)
		}
		_, _, errCanary := v.Verify(encoded, []byte(canary))
		switch {
		case (err == nil) != (errCanary == nil):
			t.Fatalf("error depends on the password: %v vs %v", err, errCanary)
		case err != nil && err.Error() != errCanary.Error():
			t.Fatalf("error text depends on the password: %q vs %q", err, errCanary)
		case errCanary != nil && strings.Contains(errCanary.Error(), canary):
			t.Fatalf("error contains the password: %q", errCanary)
		}
	})
}
