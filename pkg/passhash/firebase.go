package passhash

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// firebasePrefix introduces this package's record form for Firebase
// hashes: "$firebase-scrypt$<salt>$<passwordHash>", the two per-user
// fields of `firebase auth:export`, in the padded standard base64 the
// export uses. Firebase has no self-describing format; the project-wide
// parameters come from Options.Firebase.
const firebasePrefix = "$firebase-scrypt$"

var (
	errFirebaseFields        = fmt.Errorf("%w: firebase_scrypt hash is not $firebase-scrypt$<salt>$<hash>", ErrMalformedHash)
	errFirebaseSalt          = fmt.Errorf("%w: firebase_scrypt salt is not 1..%d bytes of padded base64", ErrMalformedHash, firebaseMaxRecordBytes)
	errFirebaseDigest        = fmt.Errorf("%w: firebase_scrypt hash is not 1..%d bytes of padded base64", ErrMalformedHash, firebaseMaxRecordBytes)
	errFirebaseDigestLength  = fmt.Errorf("%w: firebase_scrypt hash length differs from the signer key length", ErrMalformedHash)
	errFirebaseNotConfigured = fmt.Errorf("%w: firebase_scrypt needs the project parameters (Options.Firebase)", ErrUnsupportedScheme)
)

type firebaseRecord struct {
	salt, digest []byte
}

func parseFirebase(s string) (record, error) {
	f := strings.Split(strings.TrimPrefix(s, firebasePrefix), "$")
	if len(f) != 2 {
		return nil, errFirebaseFields
	}
	enc := base64.StdEncoding.Strict()
	salt, ok := decodeB64(enc, f[0])
	if !ok || len(salt) == 0 || len(salt) > firebaseMaxRecordBytes {
		return nil, errFirebaseSalt
	}
	digest, ok := decodeB64(enc, f[1])
	if !ok || len(digest) == 0 || len(digest) > firebaseMaxRecordBytes {
		return nil, errFirebaseDigest
	}
	return &firebaseRecord{salt: salt, digest: digest}, nil
}

// usableWith needs the project parameters, and a stored hash exactly as
// long as the signer key: the reference (firebase/scrypt, main.c) encrypts
// the whole signer key and the export holds the whole result, so any other
// length means the record or the parameters are wrong.
func (r *firebaseRecord) usableWith(v *Verifier) error {
	if v.firebase == nil {
		return errFirebaseNotConfigured
	}
	if len(r.digest) != len(v.firebase.SignerKey) {
		return errFirebaseDigestLength
	}
	return nil
}

// verify follows firebase/scrypt (lib/scryptenc/scryptenc.c,
// scryptenc_buf_saltlen): key = scrypt(password, salt‖separator,
// N=2^memCost, r=rounds, p=1); hash = AES-256-CTR(key, counter 0) applied
// to the signer key. The reference derives 64 bytes and keys AES with the
// first 32; PBKDF2's output blocks are independent, so deriving 32 is the
// same key.
func (r *firebaseRecord) verify(v *Verifier, password []byte) (bool, error) {
	p := v.firebase
	salt := make([]byte, 0, len(r.salt)+len(p.SaltSeparator))
	salt = append(append(salt, r.salt...), p.SaltSeparator...)
	key, err := scrypt.Key(password, salt, 1<<p.MemCost, p.Rounds, 1, 32)
	if err != nil {
		return false, errInternal // parameters were validated in New
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return false, errInternal
	}
	got := make([]byte, len(p.SignerKey))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(got, p.SignerKey)
	return subtle.ConstantTimeCompare(got, r.digest) == 1, nil
}

func (r *firebaseRecord) randomized() record {
	return &firebaseRecord{salt: randomBytes(len(r.salt)), digest: randomBytes(len(r.digest))}
}

func (r *firebaseRecord) encode() string {
	return firebasePrefix + base64.StdEncoding.EncodeToString(r.salt) + "$" + base64.StdEncoding.EncodeToString(r.digest)
}
