package fakes

import (
	"context"

	"github.com/cognito-triggers/suite/pkg/signupgate"
	"github.com/cognito-triggers/suite/pkg/trustedtable"
)

// TrustedTable fakes the trusted claims table (package trustedtable) for
// every consumer: the sign-up gate's domain lookups and pre token's reads
// and bindings.
type TrustedTable struct {
	DomainFn func(ctx context.Context, domain string) (trustedtable.DomainRecord, bool, error)
	UserFn   func(ctx context.Context, sub string) (trustedtable.UserRecord, bool, error)
	ClientFn func(ctx context.Context, clientID string) (trustedtable.ClientRecord, bool, error)
	BindFn   func(ctx context.Context, sub string, b trustedtable.Binding) (trustedtable.UserRecord, bool, error)
}

var _ signupgate.DomainStore = (*TrustedTable)(nil)

// Domain calls DomainFn.
func (f *TrustedTable) Domain(ctx context.Context, domain string) (trustedtable.DomainRecord, bool, error) {
	if f.DomainFn == nil {
		return trustedtable.DomainRecord{}, false, ErrUnexpectedCall
	}
	return f.DomainFn(ctx, domain)
}

// User calls UserFn.
func (f *TrustedTable) User(ctx context.Context, sub string) (trustedtable.UserRecord, bool, error) {
	if f.UserFn == nil {
		return trustedtable.UserRecord{}, false, ErrUnexpectedCall
	}
	return f.UserFn(ctx, sub)
}

// Client calls ClientFn.
func (f *TrustedTable) Client(ctx context.Context, clientID string) (trustedtable.ClientRecord, bool, error) {
	if f.ClientFn == nil {
		return trustedtable.ClientRecord{}, false, ErrUnexpectedCall
	}
	return f.ClientFn(ctx, clientID)
}

// Bind calls BindFn.
func (f *TrustedTable) Bind(ctx context.Context, sub string, b trustedtable.Binding) (trustedtable.UserRecord, bool, error) {
	if f.BindFn == nil {
		return trustedtable.UserRecord{}, false, ErrUnexpectedCall
	}
	return f.BindFn(ctx, sub, b)
}
