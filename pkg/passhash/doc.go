// Package passhash verifies password hashes exported from legacy systems,
// for the user-migration trigger's lazy migration.
//
// Cognito hands the migration trigger the plaintext password a user typed
// (USER_PASSWORD_AUTH) when the user is not yet in the pool. The trigger
// must decide whether it matches the legacy hash, and must do so without
// becoming a user-enumeration oracle (threat model A5: an unknown user
// must cost what a wrong password costs), without ever writing the
// password or the hash to a log or an error (A12.1: Cognito shows error
// text to the user), and without letting a bad record take the function
// down. This package does the verifying; the trigger decides what to tell
// Cognito.
//
// # Schemes
//
// A record's identifier decides its Scheme:
//
//   - bcrypt: "$2a$", "$2b$", "$2y$" (60 bytes), and Django's
//     "bcrypt$" + hash. $2y$ (PHP) is the same algorithm as $2b$ and is
//     verified as such; x/crypto/bcrypt implements OpenBSD's $2a$. PHP's
//     crypt_blowfish deviates from it for $2a$ only for passwords
//     containing 0xFF, which UTF-8 never contains. $2x$ (deliberately
//     buggy) and $2$ (which x/crypto would compute differently) are
//     unsupported.
//   - argon2id: "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<digest>"
//     exactly as the reference implementation writes it (unpadded base64,
//     parameters in that order), and Django's "argon2" + that string.
//     Other versions, argon2i and argon2d are unsupported.
//   - pbkdf2_sha256: Django's "pbkdf2_sha256$<iter>$<salt>$<b64 digest>",
//     passlib's "$pbkdf2-sha256$<iter>$<ab64 salt>$<ab64 digest>", and the
//     PHC form "$pbkdf2-sha256$i=<iter>[,l=<len>]$<salt>$<digest>" in
//     standard or passlib's alphabet (both are met in the wild).
//   - firebase_scrypt: "$firebase-scrypt$<salt>$<passwordHash>", a form
//     this package defines for the two per-user fields `firebase
//     auth:export` writes (padded standard base64, as exported). The
//     project-wide signer key, salt separator, rounds and memory cost go
//     in Options.Firebase. The algorithm is firebase/scrypt's: scrypt of
//     the password over salt‖separator (N=2^memCost, r=rounds, p=1) keys
//     AES-256-CTR, which encrypts the signer key; the stored hash must be
//     exactly that long.
//
// Everything else, including Django's unusable-password marker "!…", is
// ErrUnsupportedScheme. Detect checks a record without hashing, which
// also serves to vet a legacy export before migration starts.
//
// # Decisions
//
// bcrypt reads at most 72 bytes of password and ignores the rest, so a
// 73-byte password matches the hash of its first 72 bytes (threat model
// A12.7; verified in TestBcryptTruncation). Verify reports no match for a
// bcrypt password over 72 bytes, as ASVS 5.0 6.2.8 requires the password
// to be verified exactly as received. The price: a legacy user who set a
// longer password on a system that truncated silently (PHP's
// password_hash does) is refused and has to reset it; accepting them
// would mean accepting every password that shares their first 72 bytes.
//
// The empty password never matches, whatever the record says. Passwords
// longer than Options.MaxPasswordBytes (default 256, Cognito's maximum
// length, which Cognito counts in characters) never match and are not
// hashed.
//
// Time depends on the record's parameters, not on the password: the
// 72-byte and empty-password refusals are decided after hashing. Only the
// MaxPasswordBytes refusal skips the hashing, and VerifyDummy applies the
// same rule. Digests are compared with crypto/subtle (bcrypt: its own
// constant-time compare). Parsing a record is not constant time; records
// come from the legacy store, not from the caller.
//
// VerifyDummy does real work of the same kind for unknown users: it
// verifies the password against a record with the parameters of a typical
// legacy hash (Options.TypicalHashes, else documented defaults) and a
// random salt and digest. A pool whose records use several schemes or
// costs leaks which one a known user has; choose the dominant one.
//
// Records are parsed strictly, so that a damaged record is reported rather
// than half-read: one spelling per value (no leading zeros, no base64
// padding where the format has none, no stray bits, no line breaks, which
// Go's base64 decoders would otherwise skip). PBKDF2's output is
// prefix-stable, so a cut Django or passlib digest would still verify on
// fewer bits; both formats always write 32 bytes and are held to it.
//
// # Bounds
//
// A record is data from another system. Its parameters are bounded so that
// a corrupt or hostile record cannot exhaust the function's memory or its
// 5-second budget; out-of-bound records are ErrMalformedHash:
//
//   - bcrypt cost 4..15;
//   - argon2id m ≤ 256 MiB (and m ≥ 8·p), t 1..10, p 1..16, m·t ≤ 1 GiB,
//     salt 8..64 bytes, digest 16..64 bytes;
//   - PBKDF2 1,000..10,000,000 iterations, iterations × 32-byte output
//     blocks ≤ 10,000,000, digest 16..64 bytes;
//   - Firebase (Options, checked by New): rounds 1..8, memory cost 1..14
//     (16 MiB), signer key 32..256 bytes.
//
// On one core of the development machine (AMD EPYC) the worst admitted
// records take about 1.8 s (bcrypt 15), 1.7 s (PBKDF2 10^7) and 0.95 s
// (argon2id 256 MiB × 4). Lambda allocates CPU in proportion to memory
// (one vCPU at 1,769 MB), so a trigger expected to meet such records
// needs about 1 GB of memory, and at least 512 MB for argon2id's 256 MiB.
// Typical records (bcrypt 10 ≈ 60 ms, argon2id 19 MiB ≈ 40 ms, Firebase
// ≈ 40 ms) are far cheaper.
//
// # Errors
//
// Every error for a bad record wraps ErrMalformedHash or
// ErrUnsupportedScheme, with a fixed text naming the rule broken. No error
// contains the password, the record or any part of it, and no error
// depends on the password (FuzzVerify checks both). A Verifier is built
// once with New and is safe for concurrent use.
//
// Test vectors in testdata come from the reference implementations and
// their test suites (Openwall crypt_blowfish, passlib, x/crypto, the
// Argon2 reference, Django, RustCrypto, firebase/scrypt); each names its
// source.
package passhash
