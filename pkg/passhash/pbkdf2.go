package passhash

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
)

// pbkdf2Form is the textual form a PBKDF2-HMAC-SHA256 record came in. The
// three forms encode the same computation.
type pbkdf2Form int

const (
	// formDjango: "pbkdf2_sha256$<iter>$<salt>$<digest>" (Django's
	// PBKDF2PasswordHasher). The salt is used as text, not decoded; the
	// digest is padded standard base64.
	formDjango pbkdf2Form = iota
	// formPasslib: "$pbkdf2-sha256$<iter>$<salt>$<digest>" (passlib's
	// pbkdf2_sha256). Salt and digest are in passlib's "adapted base64":
	// standard alphabet with '.' for '+', no padding.
	formPasslib
	// formPHC: "$pbkdf2-sha256$i=<iter>[,l=<len>]$<salt>$<digest>" (PHC
	// string format, e.g. RustCrypto's pbkdf2 crate). Standard base64
	// without padding; passlib's alphabet is also met in the wild and
	// accepted.
	formPHC
)

// Bounds that do not depend on cost. 1,000 iterations is the floor of
// RFC 8018's recommendation and below every default Django or passlib has
// shipped; the digest bounds match argon2id's.
//
// Django and passlib always write a 32-byte digest, and they are held to
// it: PBKDF2's output is prefix-stable (the first n bytes of a longer
// derivation are the n-byte derivation), so a record cut short on export
// would otherwise still verify, on fewer bits. The PHC form states its
// length in l=, which is checked when present.
const (
	pbkdf2MinIter      = 1000
	pbkdf2MinDigest    = 16
	pbkdf2MaxDigest    = 64
	pbkdf2LegacyDigest = sha256.Size // Django and passlib
	pbkdf2MaxSalt      = 256
)

var (
	errPBKDF2Fields = fmt.Errorf("%w: pbkdf2_sha256 hash does not have 4 fields", ErrMalformedHash)
	errPBKDF2Iter   = fmt.Errorf("%w: pbkdf2_sha256 iterations outside %d..%d", ErrMalformedHash, pbkdf2MinIter, defaultLimits.pbkdf2MaxIter)
	errPBKDF2Work   = fmt.Errorf("%w: pbkdf2_sha256 iterations × output blocks above %d", ErrMalformedHash, defaultLimits.pbkdf2MaxWork)
	errPBKDF2Params = fmt.Errorf("%w: pbkdf2_sha256 parameters are not i=<iterations>[,l=<length>]", ErrMalformedHash)
	errPBKDF2Salt   = fmt.Errorf("%w: pbkdf2_sha256 salt is empty, too long or badly encoded", ErrMalformedHash)
	errPBKDF2Digest = fmt.Errorf("%w: pbkdf2_sha256 digest is not %d..%d bytes of base64", ErrMalformedHash, pbkdf2MinDigest, pbkdf2MaxDigest)
	errPBKDF2Length = fmt.Errorf("%w: pbkdf2_sha256 l= differs from the digest length", ErrMalformedHash)
	errPBKDF2Legacy = fmt.Errorf("%w: pbkdf2_sha256 digest in Django or passlib form is not %d bytes", ErrMalformedHash, pbkdf2LegacyDigest)
)

type pbkdf2Record struct {
	form         pbkdf2Form
	iter         int
	salt, digest []byte
	explicitLen  bool // formPHC: the record carried l=
}

func parsePBKDF2(s string, lim limits) (record, error) {
	f := strings.Split(s, "$")
	if f[0] == "pbkdf2_sha256" {
		return parseDjangoPBKDF2(f, lim)
	}
	// f[0] is empty and f[1] is "pbkdf2-sha256" (identify checked).
	if len(f) != 5 {
		return nil, errPBKDF2Fields
	}
	r := &pbkdf2Record{form: formPasslib}
	iterText := f[2]
	wantLen := -1
	if params, ok := strings.CutPrefix(f[2], "i="); ok {
		r.form = formPHC
		var lenText string
		iterText, lenText, r.explicitLen = strings.Cut(params, ",l=")
		if r.explicitLen {
			n, ok := parseDecimal(lenText)
			if !ok {
				return nil, errPBKDF2Params
			}
			wantLen = int(n)
		}
	}
	iter, ok := parseDecimal(iterText)
	if !ok {
		if r.form == formPHC {
			return nil, errPBKDF2Params
		}
		return nil, errPBKDF2Iter
	}
	salt, ok := decodeAdaptedB64(f[3])
	if !ok || len(salt) == 0 || len(salt) > pbkdf2MaxSalt {
		return nil, errPBKDF2Salt
	}
	digest, ok := decodeAdaptedB64(f[4])
	if !ok || len(digest) < pbkdf2MinDigest || len(digest) > pbkdf2MaxDigest {
		return nil, errPBKDF2Digest
	}
	if wantLen >= 0 && wantLen != len(digest) {
		return nil, errPBKDF2Length
	}
	if r.form == formPasslib && len(digest) != pbkdf2LegacyDigest {
		return nil, errPBKDF2Legacy
	}
	r.salt, r.digest = salt, digest
	return r, checkPBKDF2Cost(r, iter, lim)
}

// parseDjangoPBKDF2 follows Django's decode: four '$'-separated fields, a
// salt that is a non-empty string without '$' (Django refuses to encode
// any other), and a digest in padded standard base64.
func parseDjangoPBKDF2(f []string, lim limits) (record, error) {
	if len(f) != 4 {
		return nil, errPBKDF2Fields
	}
	iter, ok := parseDecimal(f[1])
	if !ok {
		return nil, errPBKDF2Iter
	}
	if len(f[2]) == 0 || len(f[2]) > pbkdf2MaxSalt || !isPrintableASCII(f[2]) {
		return nil, errPBKDF2Salt
	}
	digest, ok := decodeB64(base64.StdEncoding.Strict(), f[3])
	if !ok || len(digest) < pbkdf2MinDigest || len(digest) > pbkdf2MaxDigest {
		return nil, errPBKDF2Digest
	}
	if len(digest) != pbkdf2LegacyDigest {
		return nil, errPBKDF2Legacy
	}
	r := &pbkdf2Record{form: formDjango, salt: []byte(f[2]), digest: digest}
	return r, checkPBKDF2Cost(r, iter, lim)
}

// checkPBKDF2Cost bounds the work: each 32-byte block of output costs a
// full run of the iterations.
func checkPBKDF2Cost(r *pbkdf2Record, iter uint64, lim limits) error {
	if iter < pbkdf2MinIter || iter > uint64(lim.pbkdf2MaxIter) {
		return errPBKDF2Iter
	}
	blocks := (len(r.digest) + sha256.Size - 1) / sha256.Size
	if int(iter)*blocks > lim.pbkdf2MaxWork {
		return errPBKDF2Work
	}
	r.iter = int(iter)
	return nil
}

// isPrintableASCII admits what a Django salt can reasonably be. Django
// generates alphanumeric salts; control characters or line breaks mean the
// record was damaged on export.
func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// decodeAdaptedB64 decodes passlib's adapted base64 and standard base64
// alike: the two differ only in '.' versus '+', which never clash, and
// neither pads. Padding is refused, as are stray bits, so that a record
// has one spelling and a damaged one is not read as another valid one.
func decodeAdaptedB64(s string) ([]byte, bool) {
	if strings.ContainsRune(s, '.') && strings.ContainsRune(s, '+') {
		return nil, false
	}
	return decodeB64(base64.RawStdEncoding.Strict(), strings.ReplaceAll(s, ".", "+"))
}

func (r *pbkdf2Record) usableWith(*Verifier) error { return nil }

func (r *pbkdf2Record) verify(_ *Verifier, password []byte) (bool, error) {
	got, err := pbkdf2.Key(sha256.New, string(password), r.salt, r.iter, len(r.digest))
	if err != nil {
		// Only in FIPS 140-only mode, which refuses short salts. The text
		// names the rule, not the input.
		return false, fmt.Errorf("passhash: pbkdf2_sha256: %w", err)
	}
	return subtle.ConstantTimeCompare(got, r.digest) == 1, nil
}

func (r *pbkdf2Record) randomized() record {
	out := &pbkdf2Record{form: r.form, iter: r.iter, explicitLen: r.explicitLen, digest: randomBytes(len(r.digest))}
	if r.form == formDjango {
		out.salt = randomAlnum(len(r.salt))
	} else {
		out.salt = randomBytes(len(r.salt))
	}
	return out
}

func (r *pbkdf2Record) encode() string {
	switch r.form {
	case formDjango:
		return fmt.Sprintf("pbkdf2_sha256$%d$%s$%s", r.iter, r.salt, base64.StdEncoding.EncodeToString(r.digest))
	case formPasslib:
		ab64 := func(b []byte) string {
			return strings.ReplaceAll(base64.RawStdEncoding.EncodeToString(b), "+", ".")
		}
		return fmt.Sprintf("$pbkdf2-sha256$%d$%s$%s", r.iter, ab64(r.salt), ab64(r.digest))
	default:
		params := fmt.Sprintf("i=%d", r.iter)
		if r.explicitLen {
			params += fmt.Sprintf(",l=%d", len(r.digest))
		}
		return fmt.Sprintf("$pbkdf2-sha256$%s$%s$%s", params,
			base64.RawStdEncoding.EncodeToString(r.salt), base64.RawStdEncoding.EncodeToString(r.digest))
	}
}

// randomAlnum returns n random characters from Django's salt alphabet. The
// slight modulo bias is irrelevant: the salt only has to be well formed.
func randomAlnum(n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := randomBytes(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return b
}
