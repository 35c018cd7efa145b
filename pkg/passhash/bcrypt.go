package passhash

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcrypt record layout: "$2b$" cost(2) "$" salt(22) digest(31), 60 bytes,
// in bcrypt's own base64 alphabet.
const (
	bcryptLen       = 60
	bcryptSaltLen   = 22
	bcryptDigestLen = 31
	bcryptMinCost   = 4 // x/crypto/bcrypt.MinCost; crypt_blowfish rejects $2a$03$ too
	// bcryptMaxInput is where bcrypt stops reading the password.
	bcryptMaxInput = 72
)

const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

var bcryptEncoding = base64.NewEncoding(bcryptAlphabet).WithPadding(base64.NoPadding)

// Placeholders for the default dummy template; randomized replaces them.
var (
	zeroBcryptSalt   = strings.Repeat(".", bcryptSaltLen)
	zeroBcryptDigest = strings.Repeat(".", bcryptDigestLen)
)

var (
	errBcryptLength = fmt.Errorf("%w: bcrypt hash is not %d bytes", ErrMalformedHash, bcryptLen)
	errBcryptCost   = fmt.Errorf("%w: bcrypt cost outside %02d..%02d", ErrMalformedHash, bcryptMinCost, defaultLimits.bcryptMaxCost)
	errBcryptChars  = fmt.Errorf("%w: bcrypt salt or digest outside bcrypt's base64 alphabet", ErrMalformedHash)
	errBcryptDigest = fmt.Errorf("%w: bcrypt digest is not canonically encoded", ErrMalformedHash)
)

type bcryptRecord struct {
	minor  byte // 'a', 'b' or 'y'
	cost   int
	salt   string
	digest string
	django bool // stored as "bcrypt$" + hash
}

// parseBcrypt checks the whole layout itself instead of leaving it to
// x/crypto/bcrypt, which accepts any minor version letter and does not
// check the alphabet, so that a corrupted record is reported as such.
func parseBcrypt(s string, django bool, lim limits) (record, error) {
	if len(s) != bcryptLen {
		return nil, errBcryptLength
	}
	// identify has checked s[0:4] is "$2a$", "$2b$" or "$2y$".
	if !isDigit(s[4]) || !isDigit(s[5]) || s[6] != '$' {
		return nil, errBcryptCost
	}
	cost := int(s[4]-'0')*10 + int(s[5]-'0')
	if cost < bcryptMinCost || cost > lim.bcryptMaxCost {
		return nil, errBcryptCost
	}
	rest := s[7:]
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(bcryptAlphabet, rest[i]) < 0 {
			return nil, errBcryptChars
		}
	}
	// 31 characters carry 186 bits for a 184-bit digest. bcrypt compares
	// the re-encoded digest as text, so a record whose last character has
	// the two spare bits set can never match; say so rather than answer
	// "wrong password" for every password. (The salt's spare bits are
	// ignored on decoding by OpenBSD and x/crypto alike, and passlib has
	// met such salts in the wild, so they are accepted.)
	if strings.IndexByte(bcryptAlphabet, rest[len(rest)-1])&3 != 0 {
		return nil, errBcryptDigest
	}
	return &bcryptRecord{
		minor:  s[2],
		cost:   cost,
		salt:   rest[:bcryptSaltLen],
		digest: rest[bcryptSaltLen:],
		django: django,
	}, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (r *bcryptRecord) usableWith(*Verifier) error { return nil }

// verify hands the record to x/crypto/bcrypt, whose comparison is constant
// time. $2y$ (PHP's crypt_blowfish) is the same algorithm as $2b$
// (OpenBSD) and x/crypto accepts only 2a/2b, so $2y$ is verified as $2b$.
//
// x/crypto implements OpenBSD's $2a$. PHP's crypt_blowfish deviates from it
// for $2a$ only for passwords containing 0xFF bytes, which valid UTF-8
// (and so any Cognito password) never contains.
func (r *bcryptRecord) verify(_ *Verifier, password []byte) (bool, error) {
	minor := r.minor
	if minor == 'y' {
		minor = 'b'
	}
	hash := make([]byte, 0, bcryptLen)
	hash = append(hash, '$', '2', minor, '$', byte('0'+r.cost/10), byte('0'+r.cost%10), '$')
	hash = append(hash, r.salt...)
	hash = append(hash, r.digest...)
	err := bcrypt.CompareHashAndPassword(hash, password)
	switch {
	case err == nil:
		// bcrypt matched on the first 72 bytes only; more than that is
		// a different password (see Verify).
		return len(password) <= bcryptMaxInput, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		// parseBcrypt admits nothing x/crypto rejects. Its error text
		// quotes parts of the hash, so it is not passed on.
		return false, errInternal
	}
}

func (r *bcryptRecord) randomized() record {
	salt := bcryptEncoding.EncodeToString(randomBytes(16)) // 22 chars, spare bits zero
	digest := bcryptEncoding.EncodeToString(randomBytes(23))
	return &bcryptRecord{minor: r.minor, cost: r.cost, salt: salt, digest: digest, django: r.django}
}

func (r *bcryptRecord) encode() string {
	s := fmt.Sprintf("$2%c$%02d$%s%s", r.minor, r.cost, r.salt, r.digest)
	if r.django {
		s = djangoBcryptPrefix + s
	}
	return s
}
