package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/cognito-triggers/suite/internal/harness"
	"github.com/cognito-triggers/suite/internal/journeys"
	"github.com/cognito-triggers/suite/internal/localenv"
)

// runDemo plays the sign-up → sign-in journeys through the five real
// binaries, one readable line per trigger invocation, then a summary.
func runDemo(ctx context.Context, _ []string) (err error) {
	start := time.Now()
	fmt.Println("Starting local DynamoDB and Secrets Manager (moto) and five functions under the Lambda emulator …")
	world, err := localenv.Start(ctx)
	if err != nil {
		return err
	}
	pids := []int{world.Moto.PID()}
	defer func() {
		if serr := world.Stop(); serr != nil && err == nil {
			err = serr
		}
		alive := 0
		for _, pid := range pids {
			if harness.Alive(pid) {
				alive++
			}
		}
		fmt.Printf("Stopped %d processes by PID (%d still running).\n", len(pids), alive)
		if alive > 0 && err == nil {
			err = fmt.Errorf("%d processes outlived the demo", alive)
		}
	}()
	r, err := journeys.NewRunner(ctx, world, os.Stdout)
	if err != nil {
		return err
	}
	fmt.Printf("Ready in %s. Playing Cognito's part:\n\n", time.Since(start).Round(time.Millisecond))
	failed := r.RunAll(ctx)
	// The emulator starts each bootstrap on its first invocation: count the
	// processes now, before the stop.
	for _, l := range r.Lambdas() {
		pids = append(pids, l.PIDs()...)
	}
	fmt.Printf("\nSummary: %d journeys, %d trigger invocations, %d failed, in %s.\n",
		len(journeys.All), len(r.Steps), failed, time.Since(start).Round(time.Millisecond))
	if failed > 0 {
		return fmt.Errorf("%d step(s) did not behave as expected", failed)
	}
	return nil
}
