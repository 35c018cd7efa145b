package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/cognito-triggers/suite/internal/localenv"
)

// runInvoke is a Docker-free `sam local invoke`: it starts the local world,
// runs one function under the emulator, sends it one event and prints the
// answer and the function's log lines.
func runInvoke(ctx context.Context, args []string) (err error) {
	fs := flag.NewFlagSet("invoke", flag.ExitOnError)
	fn := fs.String("fn", "", "function: "+strings.Join(localenv.Functions, ", "))
	eventPath := fs.String("event", "", "event file, e.g. events/presignup-signup.json")
	var extra envFlags
	fs.Var(&extra, "env", "KEY=VALUE added to the function's environment (repeatable)")
	_ = fs.Parse(args)
	if *fn == "" || *eventPath == "" {
		return fmt.Errorf("invoke needs -fn and -event (make invoke FN=presignup EVENT=events/presignup-signup.json)")
	}
	event, err := os.ReadFile(*eventPath)
	if err != nil {
		return err
	}
	world, err := localenv.Start(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if serr := world.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	env := world.Env(*fn)
	for k, v := range extra {
		env[k] = v
	}
	l, err := world.Lambda(ctx, *fn, env)
	if err != nil {
		return err
	}
	res, err := l.Invoke(ctx, event)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s\n", l.Logs())
		return err
	}
	fmt.Println("--- function log")
	for _, line := range l.FunctionLogLines() {
		fmt.Printf("%s\n", line)
	}
	fmt.Printf("--- answer (%s)\n", res.Duration.Round(10_000))
	if res.Failed() {
		fmt.Printf("error %s: %s\n", res.ErrorType, res.ErrorMessage)
		return nil
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, res.Body, "", "  ") == nil {
		fmt.Println(pretty.String())
	} else {
		fmt.Printf("%s\n", res.Body)
	}
	return nil
}

type envFlags map[string]string

func (e *envFlags) String() string { return fmt.Sprint(map[string]string(*e)) }
func (e *envFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	if *e == nil {
		*e = envFlags{}
	}
	(*e)[k] = val
	return nil
}
