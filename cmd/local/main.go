// Command local runs the suite on this machine the way Lambda and Cognito
// would, with no Docker and no AWS account: real bootstrap binaries under
// the Lambda Runtime Interface Emulator, local DynamoDB and Secrets Manager
// (moto), and events shaped exactly as Cognito sends them.
//
//	local invoke -fn presignup -event events/presignup-signup.json   # our `sam local invoke`
//	local demo                                                      # the sign-up → sign-in journeys
//	local bench [-out BENCHMARKS.md]                                # the benchmark report
//
// Every process it starts is stopped by PID before it exits, also on error
// and on Ctrl-C.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "invoke":
		err = runInvoke(ctx, os.Args[2:])
	case "demo":
		err = runDemo(ctx, os.Args[2:])
	case "bench":
		err = runBench(ctx, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: local invoke -fn NAME -event FILE | local demo | local bench [-out FILE]")
	os.Exit(2)
}
