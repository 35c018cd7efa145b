package passhash

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Bounds that do not depend on cost. Salt: the reference implementation's
// minimum is 8 bytes; 64 is far above what any library emits (16 is
// usual). Digest: 16..64 bytes; the reference allows 4, which is too short
// to compare safely.
const (
	argon2Version    = "v=19" // 0x13; the reference's current version
	argon2MinSalt    = 8
	argon2MaxSalt    = 64
	argon2MinDigest  = 16
	argon2MaxDigest  = 64
	argon2MaxLanes   = 16
	argon2MinPerLane = 8 // the reference requires m ≥ 8·p
)

var (
	errArgon2Fields  = fmt.Errorf("%w: argon2id hash is not $argon2id$v=19$<params>$<salt>$<digest>", ErrMalformedHash)
	errArgon2Version = fmt.Errorf("%w: argon2id version other than 19", ErrUnsupportedScheme)
	errArgon2Params  = fmt.Errorf("%w: argon2id parameters are not m=<KiB>,t=<passes>,p=<lanes>", ErrMalformedHash)
	errArgon2Memory  = fmt.Errorf("%w: argon2id memory outside 8·p..%d KiB", ErrMalformedHash, defaultLimits.argon2MaxMemoryKiB)
	errArgon2Passes  = fmt.Errorf("%w: argon2id passes outside 1..%d", ErrMalformedHash, defaultLimits.argon2MaxPasses)
	errArgon2Lanes   = fmt.Errorf("%w: argon2id lanes outside 1..%d", ErrMalformedHash, argon2MaxLanes)
	errArgon2Work    = fmt.Errorf("%w: argon2id memory × passes above %d KiB", ErrMalformedHash, defaultLimits.argon2MaxWork)
	errArgon2Salt    = fmt.Errorf("%w: argon2id salt is not %d..%d bytes of unpadded base64", ErrMalformedHash, argon2MinSalt, argon2MaxSalt)
	errArgon2Digest  = fmt.Errorf("%w: argon2id digest is not %d..%d bytes of unpadded base64", ErrMalformedHash, argon2MinDigest, argon2MaxDigest)
)

// argon2Encoding is the PHC string format's base64: standard alphabet, no
// padding, and (Strict) no stray bits, as the reference decoder requires.
var argon2Encoding = base64.RawStdEncoding.Strict()

type argon2Record struct {
	memory, passes uint32
	lanes          uint8
	salt, digest   []byte
	django         bool // stored as "argon2" + PHC string
}

// parseArgon2id accepts exactly what the reference implementation
// (P-H-C/phc-winner-argon2, encoding.c) emits for Argon2id v=19: the
// parameters in the order m, t, p, without the obsolete keyid/data fields.
func parseArgon2id(s string, django bool, lim limits) (record, error) {
	f := strings.Split(s, "$")
	// f[0] is empty and f[1] is "argon2id" (identify checked).
	if len(f) == 5 && strings.HasPrefix(f[2], "m=") {
		return nil, errArgon2Version // no v= field: version 0x10
	}
	if len(f) != 6 {
		return nil, errArgon2Fields
	}
	if f[2] != argon2Version {
		if strings.HasPrefix(f[2], "v=") {
			return nil, errArgon2Version
		}
		return nil, errArgon2Fields
	}
	m, t, p, err := parseArgon2Params(f[3])
	if err != nil {
		return nil, err
	}
	switch {
	case p < 1 || p > argon2MaxLanes:
		return nil, errArgon2Lanes
	case t < 1 || t > uint64(lim.argon2MaxPasses):
		return nil, errArgon2Passes
	case m < argon2MinPerLane*p || m > uint64(lim.argon2MaxMemoryKiB):
		return nil, errArgon2Memory
	case m*t > lim.argon2MaxWork:
		return nil, errArgon2Work
	}
	salt, ok := decodeB64(argon2Encoding, f[4])
	if !ok || len(salt) < argon2MinSalt || len(salt) > argon2MaxSalt {
		return nil, errArgon2Salt
	}
	digest, ok := decodeB64(argon2Encoding, f[5])
	if !ok || len(digest) < argon2MinDigest || len(digest) > argon2MaxDigest {
		return nil, errArgon2Digest
	}
	return &argon2Record{memory: uint32(m), passes: uint32(t), lanes: uint8(p), salt: salt, digest: digest, django: django}, nil
}

// parseArgon2Params parses "m=<d>,t=<d>,p=<d>" in that order.
func parseArgon2Params(s string) (m, t, p uint64, err error) {
	kv := strings.Split(s, ",")
	if len(kv) != 3 {
		return 0, 0, 0, errArgon2Params
	}
	var vals [3]uint64
	for i, key := range [3]string{"m=", "t=", "p="} {
		v, found := strings.CutPrefix(kv[i], key)
		if !found {
			return 0, 0, 0, errArgon2Params
		}
		n, ok := parseDecimal(v)
		if !ok {
			return 0, 0, 0, errArgon2Params
		}
		vals[i] = n
	}
	return vals[0], vals[1], vals[2], nil
}

func (r *argon2Record) usableWith(*Verifier) error { return nil }

// verify derives a digest as long as the stored one: Argon2's tag length
// is an input to the hash, so this is what the reference verifier does.
func (r *argon2Record) verify(_ *Verifier, password []byte) (bool, error) {
	got := argon2.IDKey(password, r.salt, r.passes, r.memory, r.lanes, uint32(len(r.digest)))
	return subtle.ConstantTimeCompare(got, r.digest) == 1, nil
}

func (r *argon2Record) randomized() record {
	return &argon2Record{
		memory: r.memory, passes: r.passes, lanes: r.lanes,
		salt:   randomBytes(len(r.salt)),
		digest: randomBytes(len(r.digest)),
		django: r.django,
	}
}

func (r *argon2Record) encode() string {
	s := fmt.Sprintf("$argon2id$%s$m=%d,t=%d,p=%d$%s$%s", argon2Version, r.memory, r.passes, r.lanes,
		argon2Encoding.EncodeToString(r.salt), argon2Encoding.EncodeToString(r.digest))
	if r.django {
		s = djangoArgon2Prefix + s
	}
	return s
}
