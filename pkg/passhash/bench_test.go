package passhash

import "testing"

// benchVectors are published vectors, one or more per scheme, at the
// parameters their source used.
var benchVectors = []struct{ name, file, vector string }{
	{"bcrypt-cost05", "bcrypt", "openwall-2a-U*U"},
	{"bcrypt-cost10", "bcrypt", "passlib-py-bcrypt-abc-cost10"},
	{"argon2id-m256KiB-t2-p1", "argon2id", "phc-m256-t2-p1"},
	{"argon2id-m64MiB-t2-p1", "argon2id", "phc-m65536-t2-p1"},
	{"argon2id-m100MiB-t2-p8-django", "argon2id", "django-argon2id-wrapper"},
	{"pbkdf2-passlib-i1212", "pbkdf2_sha256", "passlib-password"},
	{"pbkdf2-phc-i4096-l40", "pbkdf2_sha256", "rustcrypto-phc-l40"},
	{"pbkdf2-django-i390000", "pbkdf2_sha256", "django-4.1-seasalt"},
	{"firebase-scrypt-N16384-r8", "firebase_scrypt", "readme-user1password"},
}

func benchVector(b *testing.B, file, name string) vector {
	b.Helper()
	for _, v := range loadVectors(b) {
		if v.file == file && v.Name == name {
			return v
		}
	}
	b.Fatalf("no vector %s/%s", file, name)
	return vector{}
}

// BenchmarkVerify is the cost of one verification per scheme.
func BenchmarkVerify(b *testing.B) {
	for _, bv := range benchVectors {
		b.Run(bv.name, func(b *testing.B) {
			v := benchVector(b, bv.file, bv.vector)
			pw := v.password(b)
			if ok, _, err := v.verifier.Verify(v.Encoded, pw); !ok || err != nil {
				b.Fatalf("Verify = %v, %v", ok, err)
			}
			for b.Loop() {
				v.verifier.Verify(v.Encoded, pw)
			}
		})
	}
}

// BenchmarkVerifyDummy puts a known user with a wrong password (Verify)
// next to an unknown user (VerifyDummy) so timing parity is visible:
// per scheme, "verify-wrong" and "dummy-typical" should match, and for
// bcrypt cost 10 (the migration trigger's benchmark setting) so should
// "dummy-default".
func BenchmarkVerifyDummy(b *testing.B) {
	wrong := []byte("wrong password")
	for _, bv := range benchVectors {
		v := benchVector(b, bv.file, bv.vector)
		var opts Options
		if v.file == "firebase_scrypt" {
			opts.Firebase = readmeParams(b)
		}
		scheme := v.Scheme
		b.Run(bv.name+"/verify-wrong", func(b *testing.B) {
			for b.Loop() {
				v.verifier.Verify(v.Encoded, wrong)
			}
		})
		typical := opts
		typical.TypicalHashes = map[Scheme]string{scheme: v.Encoded}
		vt, err := New(typical)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bv.name+"/dummy-typical", func(b *testing.B) {
			for b.Loop() {
				vt.VerifyDummy(wrong, scheme)
			}
		})
		if bv.name == "bcrypt-cost10" {
			vd, err := New(opts)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(bv.name+"/dummy-default", func(b *testing.B) {
				for b.Loop() {
					vd.VerifyDummy(wrong, scheme)
				}
			})
		}
	}
}

// BenchmarkVerifyDummyDefaults is the cost of VerifyDummy with no typical
// hashes configured, per scheme (the defaults documented on VerifyDummy).
func BenchmarkVerifyDummyDefaults(b *testing.B) {
	v, err := New(Options{Firebase: readmeParams(b)})
	if err != nil {
		b.Fatal(err)
	}
	for _, scheme := range []Scheme{SchemeBcrypt, SchemeArgon2id, SchemePBKDF2SHA256, SchemeFirebaseScrypt} {
		b.Run(string(scheme), func(b *testing.B) {
			for b.Loop() {
				v.VerifyDummy([]byte("wrong password"), scheme)
			}
		})
	}
}
