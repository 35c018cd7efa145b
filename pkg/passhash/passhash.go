package passhash

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Scheme names a supported hash format. The values are stable because the
// migration trigger logs them and uses them as a metric dimension.
type Scheme string

// The supported schemes. A record's identifier (its prefix) decides its
// Scheme, even when the record is then rejected as malformed, so that
// failures can be counted per legacy format.
const (
	SchemeBcrypt         Scheme = "bcrypt"
	SchemeArgon2id       Scheme = "argon2id"
	SchemePBKDF2SHA256   Scheme = "pbkdf2_sha256"
	SchemeFirebaseScrypt Scheme = "firebase_scrypt"
)

// Sentinel errors. Every error Verify and Detect return for a bad record
// wraps exactly one of them. The texts are fixed strings chosen at compile
// time: they never contain the password, the record, or any part of it,
// because Cognito shows a trigger's error text to the end user and the
// trigger logs it.
var (
	// ErrMalformedHash means the record claims a supported scheme but is
	// not a valid encoding of it, or its parameters are outside the bounds
	// this package accepts (see the package documentation).
	ErrMalformedHash = errors.New("passhash: malformed hash")
	// ErrUnsupportedScheme means the record is not in a supported format,
	// is a variant or version this package deliberately does not verify,
	// or needs configuration the Verifier was not given.
	ErrUnsupportedScheme = errors.New("passhash: unsupported hash scheme")
)

// DefaultMaxPasswordBytes is the password length above which Verify
// reports no match without hashing. Cognito rejects passwords longer than
// 256 characters, so a longer input is not a real sign-in attempt.
//
// Cognito counts characters while this limit counts UTF-8 bytes, so a
// password of 86-256 non-ASCII characters can exceed it; raise
// Options.MaxPasswordBytes to 1024 (256 characters of at most 4 bytes) if
// the legacy user base has long non-ASCII passwords.
const DefaultMaxPasswordBytes = 256

// maxMaxPasswordBytes bounds Options.MaxPasswordBytes. Hashing cost does
// not grow with password length for any supported KDF (each pre-hashes or
// processes the password once), so this is only a sanity limit.
const maxMaxPasswordBytes = 4096

// FirebaseParams are the project-wide parameters of Firebase's modified
// scrypt, as shown by the Firebase console ("Password hash parameters") and
// needed to verify the hashes `firebase auth:export` writes. SignerKey and
// SaltSeparator hold the decoded bytes, not the base64 text the console
// shows; use ParseFirebaseParams to decode that text.
type FirebaseParams struct {
	SignerKey     []byte // base64_signer_key, decoded; 64 bytes in practice
	SaltSeparator []byte // base64_salt_separator, decoded; often 1 byte
	Rounds        int    // rounds; scrypt's r, 1..8
	MemCost       int    // mem_cost; scrypt's N = 2^MemCost, 1..14
}

// Bounds on FirebaseParams. Firebase's own import API accepts rounds 0..8
// and memory cost 1..14 (scrypt needs r ≥ 1); 2^14 × 8 × 128 bytes = 16 MiB
// is the largest working set these allow. The signer key is the plaintext
// whose encryption is compared, so a short key would make the comparison
// weak; Firebase's keys are 64 bytes.
const (
	firebaseMinRounds      = 1
	firebaseMaxRounds      = 8
	firebaseMinMemCost     = 1
	firebaseMaxMemCost     = 14
	firebaseMinSignerKey   = 32
	firebaseMaxSignerKey   = 256
	firebaseMaxSaltSep     = 64
	firebaseMaxRecordBytes = 256 // salt and hash in a record
)

// ParseFirebaseParams decodes the console's base64 strings into
// FirebaseParams and validates them. It exists because passing the base64
// text itself as SignerKey is an easy mistake that would make every
// verification fail silently.
func ParseFirebaseParams(signerKey, saltSeparator string, rounds, memCost int) (*FirebaseParams, error) {
	key, err := base64.StdEncoding.Strict().DecodeString(signerKey)
	if err != nil {
		return nil, errors.New("passhash: firebase signer key is not standard base64")
	}
	sep, err := base64.StdEncoding.Strict().DecodeString(saltSeparator)
	if err != nil {
		return nil, errors.New("passhash: firebase salt separator is not standard base64")
	}
	p := &FirebaseParams{SignerKey: key, SaltSeparator: sep, Rounds: rounds, MemCost: memCost}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// validate reports every problem at once. The messages give lengths and
// numbers only: the signer key is a project secret.
func (p *FirebaseParams) validate() error {
	var errs []error
	if n := len(p.SignerKey); n < firebaseMinSignerKey || n > firebaseMaxSignerKey {
		errs = append(errs, fmt.Errorf("passhash: firebase signer key is %d bytes, want %d..%d", n, firebaseMinSignerKey, firebaseMaxSignerKey))
	} else if looksBase64(p.SignerKey) {
		errs = append(errs, errors.New("passhash: firebase signer key looks like base64 text; pass the decoded bytes (see ParseFirebaseParams)"))
	}
	if n := len(p.SaltSeparator); n > firebaseMaxSaltSep {
		errs = append(errs, fmt.Errorf("passhash: firebase salt separator is %d bytes, want at most %d", n, firebaseMaxSaltSep))
	}
	if p.Rounds < firebaseMinRounds || p.Rounds > firebaseMaxRounds {
		errs = append(errs, fmt.Errorf("passhash: firebase rounds %d outside %d..%d", p.Rounds, firebaseMinRounds, firebaseMaxRounds))
	}
	if p.MemCost < firebaseMinMemCost || p.MemCost > firebaseMaxMemCost {
		errs = append(errs, fmt.Errorf("passhash: firebase mem cost %d outside %d..%d", p.MemCost, firebaseMinMemCost, firebaseMaxMemCost))
	}
	return errors.Join(errs...)
}

// looksBase64 reports whether b is the base64 text of a key rather than the
// key. Random key bytes all fall in the base64 alphabet with probability
// about (65/256)^32 < 10^-19, so a false alarm is not a practical concern.
func looksBase64(b []byte) bool {
	if len(b)%4 != 0 {
		return false
	}
	_, err := base64.StdEncoding.Strict().DecodeString(string(b))
	return err == nil
}

// Options configure a Verifier.
type Options struct {
	// Firebase holds the project parameters needed for firebase_scrypt
	// records. Without them such records fail with ErrUnsupportedScheme.
	Firebase *FirebaseParams

	// MaxPasswordBytes is the longest password Verify will hash; longer
	// ones never match. Zero means DefaultMaxPasswordBytes.
	MaxPasswordBytes int

	// TypicalHashes maps a scheme to one encoded hash whose parameters
	// (cost, memory, iterations, salt and digest lengths) VerifyDummy
	// copies, so that an unknown user costs what a known one does. Only
	// the parameters are read. Use a hash of a throwaway password made with
	// the legacy store's settings rather than a real user's hash:
	// configuration is not secret storage. Schemes without an entry use
	// the defaults described on VerifyDummy.
	TypicalHashes map[Scheme]string
}

// Verifier verifies legacy password hashes. It is built once at cold start
// and is safe for concurrent use: nothing in it changes after New.
type Verifier struct {
	firebase    *FirebaseParams
	maxPassword int
	lim         limits
	// dummies holds, per scheme, a well-formed record with random salt and
	// random digest. Nobody knows a password for it, which is exactly the
	// property a "hash of a random password" has, and verifying against it
	// runs the same code with the same parameters as a real record.
	dummies map[Scheme]string
}

// New validates opts and prepares the dummy records VerifyDummy uses. All
// configuration problems are reported together.
func New(opts Options) (*Verifier, error) {
	v := &Verifier{maxPassword: DefaultMaxPasswordBytes, lim: defaultLimits}
	var errs []error
	switch n := opts.MaxPasswordBytes; {
	case n == 0:
	case n < 1 || n > maxMaxPasswordBytes:
		errs = append(errs, fmt.Errorf("passhash: MaxPasswordBytes %d outside 1..%d", n, maxMaxPasswordBytes))
	default:
		v.maxPassword = n
	}
	if p := opts.Firebase; p != nil {
		if err := p.validate(); err != nil {
			errs = append(errs, err)
		} else {
			// Copy so that a caller reusing its slices cannot change a
			// Verifier that other goroutines are using.
			v.firebase = &FirebaseParams{
				SignerKey:     append([]byte(nil), p.SignerKey...),
				SaltSeparator: append([]byte(nil), p.SaltSeparator...),
				Rounds:        p.Rounds,
				MemCost:       p.MemCost,
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	dummies, err := v.buildDummies(opts.TypicalHashes)
	if err != nil {
		return nil, err
	}
	v.dummies = dummies
	return v, nil
}

// Verify reports whether password matches the encoded hash, and which
// scheme the record uses. A record that cannot be verified returns false
// and an error wrapping ErrMalformedHash or ErrUnsupportedScheme; the error
// never depends on the password. The comparison of digests is constant
// time (crypto/subtle, or bcrypt's own constant-time compare).
//
// Passwords that can never be a legitimate match return false with a nil
// error so that the caller treats them exactly like a wrong password:
//   - longer than MaxPasswordBytes: rejected before hashing (VerifyDummy
//     does the same, so this leaks nothing about the user);
//   - empty, or longer than 72 bytes for bcrypt: hashed as usual, then
//     rejected. bcrypt ignores every byte after the 72nd, so a 73-byte
//     password would otherwise match the hash of its first 72 bytes
//     (threat model A12.7, ASVS 5.0 6.2.8).
func (v *Verifier) Verify(encoded string, password []byte) (bool, Scheme, error) {
	rec, scheme, err := parse(encoded, v.lim)
	if err != nil {
		return false, scheme, err
	}
	if err := rec.usableWith(v); err != nil {
		return false, scheme, err
	}
	if len(password) > v.maxPassword {
		return false, scheme, nil
	}
	ok, err := rec.verify(v, password)
	if err != nil {
		return false, scheme, err
	}
	// Decided after hashing so that the time taken does not depend on the
	// password. Cognito never sends an empty password; a legacy record of
	// the empty string must still not let anyone in.
	return ok && len(password) > 0, scheme, nil
}

// VerifyDummy spends about the time Verify spends on a record of scheme
// like, for users the legacy store does not know, so that "no such user"
// and "wrong password" answer in similar time (OWASP Authentication Cheat
// Sheet, "quick exit" anti-pattern; ASVS 5.0 6.3.8). It does real work of
// the same kind: it verifies password against a record with random salt
// and digest and the parameters of Options.TypicalHashes[like], or else:
// bcrypt cost 10; argon2id m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte
// digest (OWASP minimum); pbkdf2_sha256 in Django form with 600,000
// iterations (OWASP); firebase_scrypt with the project parameters, a
// 10-byte salt and a digest as long as the signer key. An unknown like, or
// firebase_scrypt without project parameters, falls back to bcrypt.
//
// Pick like as the scheme most legacy records use: a pool that mixes
// schemes with different costs cannot hide which one a user has.
func (v *Verifier) VerifyDummy(password []byte, like Scheme) {
	enc, ok := v.dummies[like]
	if !ok {
		enc = v.dummies[SchemeBcrypt]
	}
	_, _, _ = v.Verify(enc, password)
}

// Detect returns the scheme of an encoded hash without running its KDF. It
// checks the record's syntax and parameter bounds, so it doubles as a
// pre-flight check for a legacy export; it cannot check what needs the
// Firebase project parameters.
func Detect(encoded string) (Scheme, error) {
	_, scheme, err := parse(encoded, defaultLimits)
	return scheme, err
}

// limits are the cost bounds a record must respect. They are a value, not
// constants, only so that the fuzz test can lower them and keep each
// execution cheap; production code always uses defaultLimits.
type limits struct {
	bcryptMaxCost      int
	argon2MaxMemoryKiB uint32
	argon2MaxPasses    uint32
	argon2MaxWork      uint64 // memory KiB × passes
	pbkdf2MaxIter      int
	pbkdf2MaxWork      int // iterations × 32-byte output blocks
}

// defaultLimits keep one verification within Cognito's 5-second trigger
// budget on a Lambda with at least 1 vCPU (see doc.go for measurements),
// and argon2id's memory within a 512 MB function.
var defaultLimits = limits{
	bcryptMaxCost:      15,
	argon2MaxMemoryKiB: 256 * 1024,
	argon2MaxPasses:    10,
	argon2MaxWork:      1024 * 1024,
	pbkdf2MaxIter:      10_000_000,
	pbkdf2MaxWork:      10_000_000,
}

// maxEncodedLen bounds the record before any splitting or decoding. The
// longest valid record (a Firebase hash with a 256-byte signer key and
// salt) is about 700 bytes.
const maxEncodedLen = 1024

// record is one parsed hash.
type record interface {
	// usableWith reports configuration the record needs but v lacks.
	usableWith(v *Verifier) error
	// verify runs the KDF and compares digests in constant time.
	verify(v *Verifier, password []byte) (bool, error)
	// randomized returns a record with the same parameters and form and a
	// random salt and digest, for VerifyDummy.
	randomized() record
	// encode returns the record in the textual form it was parsed from.
	encode() string
}

// Errors that do not belong to one scheme.
var (
	errEmpty    = fmt.Errorf("%w: empty", ErrMalformedHash)
	errTooLong  = fmt.Errorf("%w: longer than %d bytes", ErrMalformedHash, maxEncodedLen)
	errUnknown  = fmt.Errorf("%w: unrecognised format", ErrUnsupportedScheme)
	errInternal = errors.New("passhash: internal error")
)

// Prefixes of the Django wrappers around standard formats. Django's
// BCryptPasswordHasher stores "bcrypt$" + the bcrypt hash and its
// Argon2PasswordHasher stores "argon2" + the PHC string.
const (
	djangoBcryptPrefix = "bcrypt$"
	djangoArgon2Prefix = "argon2"
)

// parse dispatches on the record's identifier.
func parse(encoded string, lim limits) (record, Scheme, error) {
	if encoded == "" {
		return nil, "", errEmpty
	}
	s, wrapped := strings.CutPrefix(encoded, djangoBcryptPrefix)
	if wrapped && !strings.HasPrefix(s, "$2") {
		return nil, "", errUnknown
	}
	if !wrapped {
		s, wrapped = strings.CutPrefix(encoded, djangoArgon2Prefix)
		if wrapped && !strings.HasPrefix(s, "$argon2") {
			s, wrapped = encoded, false
		}
	}
	scheme, ok := identify(s)
	if !ok {
		return nil, "", errUnknown
	}
	if len(encoded) > maxEncodedLen {
		return nil, scheme, errTooLong
	}
	var rec record
	var err error
	switch scheme {
	case SchemeBcrypt:
		rec, err = parseBcrypt(s, wrapped, lim)
	case SchemeArgon2id:
		rec, err = parseArgon2id(s, wrapped, lim)
	case SchemePBKDF2SHA256:
		rec, err = parsePBKDF2(s, lim)
	case SchemeFirebaseScrypt:
		rec, err = parseFirebase(s)
	}
	if err != nil {
		return nil, scheme, err
	}
	return rec, scheme, nil
}

// identify maps a record's identifier to a scheme. Variants that share a
// family but not the algorithm ($2x$, $2$, argon2i, argon2d, other PBKDF2
// digests) are deliberately not identified.
func identify(s string) (Scheme, bool) {
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		return SchemeBcrypt, true
	case strings.HasPrefix(s, "$argon2id$"):
		return SchemeArgon2id, true
	case strings.HasPrefix(s, "pbkdf2_sha256$"), strings.HasPrefix(s, "$pbkdf2-sha256$"):
		return SchemePBKDF2SHA256, true
	case strings.HasPrefix(s, "$firebase-scrypt$"):
		return SchemeFirebaseScrypt, true
	}
	return "", false
}

// buildDummies makes one dummy record per scheme from the defaults and the
// caller's templates.
func (v *Verifier) buildDummies(typical map[Scheme]string) (map[Scheme]string, error) {
	templates := map[Scheme]record{
		SchemeBcrypt:       &bcryptRecord{minor: 'b', cost: 10, salt: zeroBcryptSalt, digest: zeroBcryptDigest},
		SchemeArgon2id:     &argon2Record{memory: 19456, passes: 2, lanes: 1, salt: make([]byte, 16), digest: make([]byte, 32)},
		SchemePBKDF2SHA256: &pbkdf2Record{form: formDjango, iter: 600_000, salt: make([]byte, 22), digest: make([]byte, 32)},
	}
	if v.firebase != nil {
		templates[SchemeFirebaseScrypt] = &firebaseRecord{salt: make([]byte, 10), digest: make([]byte, len(v.firebase.SignerKey))}
	}
	var errs []error
	for want, enc := range typical {
		rec, got, err := parse(enc, v.lim)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("passhash: TypicalHashes[%q]: %w", want, err))
			continue
		case got != want:
			errs = append(errs, fmt.Errorf("passhash: TypicalHashes[%q] holds a %s hash", want, got))
			continue
		}
		if err := rec.usableWith(v); err != nil {
			errs = append(errs, fmt.Errorf("passhash: TypicalHashes[%q]: %w", want, err))
			continue
		}
		templates[want] = rec
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	dummies := make(map[Scheme]string, len(templates))
	for scheme, rec := range templates {
		dummies[scheme] = rec.randomized().encode()
	}
	return dummies, nil
}

// randomBytes returns n bytes from crypto/rand, which never fails on
// supported platforms (Go 1.24+ crashes the program rather than return an
// error).
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// decodeB64 decodes s with enc, refusing line breaks, which Go's decoders
// otherwise skip silently: a record with an embedded newline would then
// verify like the original, and it is not a well-formed record.
func decodeB64(enc *base64.Encoding, s string) ([]byte, bool) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	b, err := enc.DecodeString(s)
	return b, err == nil
}

// parseDecimal parses a canonical decimal: digits only, no sign, no
// leading zero, at most 10 digits. Canonical so that each parameter has one
// spelling (passlib rejects "01212"; the argon2 reference decoder rejects
// leading zeros too).
func parseDecimal(s string) (uint64, bool) {
	if len(s) == 0 || len(s) > 10 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}
