// Command testlambda is a deliberately trivial Lambda used only by the
// harness's own tests. It exists so that the harness can be checked against
// the real runtime API and emulator without depending on any trigger's code:
// if a harness test fails, the harness is at fault, not a trigger.
//
// The event is a JSON object; these keys change what it does:
//
//	"fail": true        return an error (the emulator answers HTTP 200 with errorMessage)
//	"sleep_ms": N       block N ms ignoring the deadline, like a stuck dependency call,
//	                    so the emulator's own timeout is what ends the invocation
//	"environ": true     answer {"event": <event>, "environ": os.Environ()} so tests can
//	                    check that the harness does not leak the parent's environment
//
// Otherwise it answers with the event unchanged. Every invocation prints one
// line naming the request id and, if set, the ECHO_CANARY variable, so tests
// can tell the function's own log lines from the emulator's.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Fail    bool `json:"fail"`
	SleepMS int  `json:"sleep_ms"`
	Environ bool `json:"environ"`
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("testlambda: decode event: %w", err)
	}
	requestID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		requestID = lc.AwsRequestID
	}
	fmt.Printf("testlambda: request=%s canary=%s\n", requestID, os.Getenv("ECHO_CANARY"))
	if ev.SleepMS > 0 {
		// Deliberately not watching ctx: a handler that honours the deadline
		// races the emulator's timeout, and the timeout test needs the
		// emulator to win every time.
		time.Sleep(time.Duration(ev.SleepMS) * time.Millisecond)
	}
	if ev.Fail {
		return nil, errors.New("testlambda: asked to fail")
	}
	if ev.Environ {
		return map[string]any{"event": raw, "environ": os.Environ()}, nil
	}
	return raw, nil
}

func main() {
	lambda.Start(handle)
}
