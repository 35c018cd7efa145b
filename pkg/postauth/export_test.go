package postauth

import "github.com/cognito-triggers/suite/pkg/triggers"

// ConflictAttempts is conflictAttempts, for the store tests.
const ConflictAttempts = conflictAttempts

// KeyInput is the canonical array the idempotency key hashes, for the
// tests that pin its form.
func KeyInput(ev *triggers.PostAuth, sub string) string { return string(keyInput(ev, sub)) }

// Key is the idempotency key of a decoded event, for the benchmark.
func Key(ev *triggers.PostAuth, sub string) string { return idempotencyKey(ev, sub) }
