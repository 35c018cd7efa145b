package fakes

import (
	"context"

	"github.com/cognito-triggers/suite/pkg/decision"
	"github.com/cognito-triggers/suite/pkg/legacy"
	"github.com/cognito-triggers/suite/pkg/migrateuser"
	"github.com/cognito-triggers/suite/pkg/signupgate"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

// LegacyStore fakes the legacy user store the migration decision asks
// (migrateuser.Store), including the bookkeeping of the table source
// (migrateuser.Marker): a decision given this fake always calls
// MarkMigrated after a migration.
type LegacyStore struct {
	AuthenticateFn func(ctx context.Context, username string, password triggers.Password) (legacy.Answer, error)
	LookupFn       func(ctx context.Context, username string) (legacy.Answer, error)
	MarkMigratedFn func(ctx context.Context, username string) error
}

var (
	_ migrateuser.Store  = (*LegacyStore)(nil)
	_ migrateuser.Marker = (*LegacyStore)(nil)
)

// Authenticate calls AuthenticateFn.
func (f *LegacyStore) Authenticate(ctx context.Context, username string, password triggers.Password) (legacy.Answer, error) {
	if f.AuthenticateFn == nil {
		return legacy.Answer{}, ErrUnexpectedCall
	}
	return f.AuthenticateFn(ctx, username, password)
}

// Lookup calls LookupFn.
func (f *LegacyStore) Lookup(ctx context.Context, username string) (legacy.Answer, error) {
	if f.LookupFn == nil {
		return legacy.Answer{}, ErrUnexpectedCall
	}
	return f.LookupFn(ctx, username)
}

// MarkMigrated calls MarkMigratedFn.
func (f *LegacyStore) MarkMigrated(ctx context.Context, username string) error {
	if f.MarkMigratedFn == nil {
		return ErrUnexpectedCall
	}
	return f.MarkMigratedFn(ctx, username)
}

// SignUpGate fakes the sign-up gate as the migration decision uses it
// (migrateuser.Gate, implemented by *signupgate.Gate). Its methods return
// no error, so a nil field panics with ErrUnexpectedCall, which the
// invocation layer reports as the reason "panic".
type SignUpGate struct {
	AdmitFn func(ctx context.Context, email string) signupgate.Verdict
	PhoneFn func(phone string) decision.Reason
}

var _ migrateuser.Gate = (*SignUpGate)(nil)

// Admit calls AdmitFn.
func (f *SignUpGate) Admit(ctx context.Context, email string) signupgate.Verdict {
	if f.AdmitFn == nil {
		panic(ErrUnexpectedCall)
	}
	return f.AdmitFn(ctx, email)
}

// Phone calls PhoneFn.
func (f *SignUpGate) Phone(phone string) decision.Reason {
	if f.PhoneFn == nil {
		panic(ErrUnexpectedCall)
	}
	return f.PhoneFn(phone)
}
