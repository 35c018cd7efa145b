package fakes

import (
	"github.com/cognito-triggers/suite/pkg/custommessage"
	"github.com/cognito-triggers/suite/pkg/message"
)

// Renderer fakes the custom message renderer (package message).
type Renderer struct {
	RenderFn func(in message.Input) (message.Output, error)
	// LocaleFn resolves a locale attribute; nil panics with
	// ErrUnexpectedCall, since Locale has no error to return.
	LocaleFn func(userLocale string) string
}

var _ custommessage.Renderer = (*Renderer)(nil)

// Render calls RenderFn.
func (f *Renderer) Render(in message.Input) (message.Output, error) {
	if f.RenderFn == nil {
		return message.Output{}, ErrUnexpectedCall
	}
	return f.RenderFn(in)
}

// Locale calls LocaleFn.
func (f *Renderer) Locale(userLocale string) string {
	if f.LocaleFn == nil {
		panic(ErrUnexpectedCall)
	}
	return f.LocaleFn(userLocale)
}
