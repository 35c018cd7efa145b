package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// DefaultTimeout is the function timeout when LambdaOptions.Timeout is zero.
// Cognito waits 5 s for a trigger, so that is the budget the template gives
// every function.
const DefaultTimeout = 5 * time.Second

const (
	invokePath      = "/2015-03-31/functions/function/invocations"
	rieReadyTimeout = 10 * time.Second
	// invokeSlack bounds one HTTP round trip beyond the function timeout, in
	// case the RIE itself hangs: it must never hold the invoke slot forever.
	invokeSlack = 30 * time.Second
)

// LambdaOptions configures StartLambda.
type LambdaOptions struct {
	// Name is AWS_LAMBDA_FUNCTION_NAME; default: the bootstrap's directory name.
	Name string
	// Bootstrap is the executable the RIE runs, usually from Build.
	Bootstrap string
	// Env is the function's environment. Nothing else from the parent process
	// reaches the function except PATH and HOME (and the AWS_LAMBDA_* the RIE
	// adds), so a test cannot pass because of the developer's shell.
	// AWS_LAMBDA_FUNCTION_TIMEOUT is not allowed here: use Timeout.
	Env map[string]string
	// Timeout is AWS_LAMBDA_FUNCTION_TIMEOUT, a whole number of seconds
	// (the RIE cannot express less); default DefaultTimeout.
	Timeout time.Duration
	// RIE is the emulator binary; default $RIE_BIN, else RepoRoot()/.bin/aws-lambda-rie.
	RIE string
}

// Lambda is one real bootstrap behind its own aws-lambda-rie on its own
// loopback port pair. The RIE panics on concurrent invocations, so Invoke
// serialises them; for parallel load start one Lambda per worker.
type Lambda struct {
	// Name is the function name the emulator reports.
	Name string

	opts   LambdaOptions // resolved: absolute paths, defaults applied
	env    []string
	dir    string // holds rie.log; removed by Stop
	logf   string
	client *http.Client
	// slot is the one invocation the RIE can serve. It is a channel, not a
	// mutex, so waiting for it honours the caller's context.
	slot chan struct{}

	mu      sync.Mutex // guards the fields below
	proc    *process
	url     string
	stopped bool
	logs    []byte // the final log, kept after Stop removes dir
}

// Result is what one invocation returned.
type Result struct {
	// StatusCode is the emulator's HTTP status: 200 for success, handler
	// errors and timeouts alike; 502 when the runtime crashed or failed init.
	StatusCode int
	// Body is the raw response body.
	Body []byte
	// ErrorMessage and ErrorType are set when the handler returned an error
	// ({"errorMessage","errorType"} with HTTP 200) or, with ErrorType
	// "Timeout", when the emulator cut the invocation off.
	ErrorMessage, ErrorType string
	// Duration is the client-side round trip, including init on a cold start.
	Duration time.Duration
	// RequestID is the id sent as X-Amzn-RequestId; the function sees it in
	// lambdacontext and the RIE prints it in START/END/REPORT.
	RequestID string
}

// Failed reports whether the invocation ended in a handler error or timeout.
func (r Result) Failed() bool { return r.ErrorType != "" || r.ErrorMessage != "" }

// StartLambda starts the RIE with opts.Bootstrap and returns once the RIE
// listens on both its ports. The bootstrap itself starts on the first Invoke,
// as in Lambda, so that invocation is the cold start.
func StartLambda(ctx context.Context, opts LambdaOptions) (*Lambda, error) {
	if opts.Bootstrap == "" {
		return nil, errors.New("start lambda: no Bootstrap")
	}
	boot, err := filepath.Abs(opts.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("start lambda: %w", err)
	}
	if fi, err := os.Stat(boot); err != nil {
		return nil, fmt.Errorf("start lambda: bootstrap: %w", err)
	} else if fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("start lambda: bootstrap %s is not executable", boot)
	}
	opts.Bootstrap = boot
	if opts.Name == "" {
		opts.Name = filepath.Base(filepath.Dir(boot))
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Timeout < time.Second || opts.Timeout%time.Second != 0 {
		return nil, fmt.Errorf("start lambda %s: Timeout %v is not a whole number of seconds (the RIE reads AWS_LAMBDA_FUNCTION_TIMEOUT as an integer)", opts.Name, opts.Timeout)
	}
	if _, ok := opts.Env["AWS_LAMBDA_FUNCTION_TIMEOUT"]; ok {
		return nil, fmt.Errorf("start lambda %s: set LambdaOptions.Timeout, not Env[AWS_LAMBDA_FUNCTION_TIMEOUT]", opts.Name)
	}
	if opts.RIE, err = resolveRIE(opts.RIE); err != nil {
		return nil, fmt.Errorf("start lambda %s: %w", opts.Name, err)
	}

	dir, err := makeTempDir("lambda")
	if err != nil {
		return nil, fmt.Errorf("start lambda %s: %w", opts.Name, err)
	}
	l := &Lambda{
		Name:   opts.Name,
		opts:   opts,
		env:    functionEnv(opts),
		dir:    dir,
		logf:   filepath.Join(dir, "rie.log"),
		client: newLoopbackClient(),
		slot:   make(chan struct{}, 1),
	}
	if err := l.start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start lambda %s: %w", opts.Name, err)
	}
	return l, nil
}

// resolveRIE finds the emulator. A missing binary is a setup error with a
// fix, never a reason to skip: a skipped integration test is a silent hole.
func resolveRIE(explicit string) (string, error) {
	p := explicit
	if p == "" {
		p = os.Getenv("RIE_BIN")
	}
	if p == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", err
		}
		p = filepath.Join(root, ".bin", "aws-lambda-rie")
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("aws-lambda-rie not found at %s (%v): run `make tools` to install it", p, err)
	}
	return p, nil
}

// functionEnv builds the RIE's environment, which the RIE passes on whole
// to the function. Env entries override the AWS_LAMBDA_* defaults, except
// the timeout, which comes only from Timeout.
func functionEnv(opts LambdaOptions) []string {
	m := map[string]string{
		"PATH":                            os.Getenv("PATH"),
		"HOME":                            os.Getenv("HOME"),
		"AWS_LAMBDA_FUNCTION_NAME":        opts.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
	}
	for k, v := range opts.Env {
		m[k] = v
	}
	m["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(int(opts.Timeout / time.Second))
	env := make([]string, 0, len(m))
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	return env
}

// start launches the RIE on fresh ports, retrying when another process wins
// the race for a port.
func (l *Lambda) start(ctx context.Context) error {
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = l.startOnce(ctx); err == nil || ctx.Err() != nil || errors.Is(err, errStopped) {
			return err
		}
	}
	return err
}

// errStopped reports that Stop ran while a Restart was starting the RIE.
var errStopped = errors.New("lambda stopped")

func (l *Lambda) startOnce(ctx context.Context) error {
	invokePort, err := freePort()
	if err != nil {
		return err
	}
	apiPort, err := freePort()
	if err != nil {
		return err
	}
	if apiPort == invokePort {
		return errors.New("got the same free port twice")
	}
	args := []string{
		// Both addresses must be explicit: the invoke default is 0.0.0.0:8080
		// and the runtime API default 127.0.0.1:9001 collides between RIEs.
		"--runtime-interface-emulator-address", "127.0.0.1:" + strconv.Itoa(invokePort),
		"--runtime-api-address", "127.0.0.1:" + strconv.Itoa(apiPort),
		l.opts.Bootstrap,
	}
	// The bootstrap's directory is its working directory, as /var/task is in Lambda.
	p, err := startProcess(l.opts.RIE, args, l.env, filepath.Dir(l.opts.Bootstrap), l.logf)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, rieReadyTimeout)
	defer cancel()
	for !(listensOn(p.pid, invokePort) && listensOn(p.pid, apiPort)) {
		if p.exited() {
			return fmt.Errorf("aws-lambda-rie exited during start-up (%v); log:\n%s", p.err, readLogTail(l.logf))
		}
		select {
		case <-ctx.Done():
			p.stop()
			return fmt.Errorf("aws-lambda-rie not listening: %w; log:\n%s", ctx.Err(), readLogTail(l.logf))
		case <-time.After(2 * time.Millisecond):
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped { // Stop ran while a Restart was starting this one
		p.stop()
		return errStopped
	}
	l.proc, l.url = p, "http://127.0.0.1:"+strconv.Itoa(invokePort)+invokePath
	return nil
}

// URL returns the current invoke URL, for printing a curl command. It
// changes on Restart.
func (l *Lambda) URL() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.url
}

// Invoke sends event as one synchronous invocation, as Cognito would, with a
// fresh X-Amzn-RequestId. Handler errors and timeouts are not Go errors: the
// RIE answers them with HTTP 200, and they land in Result.ErrorMessage and
// ErrorType. The error is non-nil for transport failures, for a cancelled
// ctx, and for any status other than 200 (the Result is still filled in).
//
// If ctx ends while the function runs, Invoke returns at once but the RIE is
// still busy; the next Invoke waits for that invocation to finish rather than
// crash the RIE with a concurrent one.
func (l *Lambda) Invoke(ctx context.Context, event []byte) (Result, error) {
	select {
	case l.slot <- struct{}{}:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("invoke %s: waiting for the previous invocation: %w", l.Name, ctx.Err())
	}
	l.mu.Lock()
	url, stopped := l.url, l.stopped
	l.mu.Unlock()
	if stopped {
		<-l.slot
		return Result{}, fmt.Errorf("invoke %s: stopped", l.Name)
	}
	id := newRequestID()
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() { <-l.slot }()
		res, err := l.roundTrip(url, id, event)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-ctx.Done():
		return Result{RequestID: id}, fmt.Errorf("invoke %s: %w", l.Name, ctx.Err())
	}
}

func (l *Lambda) roundTrip(url, id string, event []byte) (Result, error) {
	res := Result{RequestID: id}
	// Deliberately not the caller's ctx: see Invoke.
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.Timeout+invokeSlack)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(event))
	if err != nil {
		return res, fmt.Errorf("invoke %s: %w", l.Name, err)
	}
	req.Header.Set("X-Amzn-RequestId", id)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		return res, fmt.Errorf("invoke %s: %w", l.Name, err)
	}
	res.Body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	res.Duration = time.Since(start)
	res.StatusCode = resp.StatusCode
	if err != nil {
		return res, fmt.Errorf("invoke %s: read response: %w", l.Name, err)
	}
	res.ErrorMessage, res.ErrorType = parseFunctionError(res.Body)
	if resp.StatusCode != http.StatusOK {
		return res, fmt.Errorf("invoke %s: emulator answered HTTP %d %q (502: the runtime crashed or failed init; see Logs)",
			l.Name, resp.StatusCode, tail(res.Body, 500))
	}
	return res, nil
}

// timeoutPrefix starts the plain-text body the classic RIE sends when it
// kills a function at its timeout.
var timeoutPrefix = []byte("Task timed out after ")

// errorKeys are the only keys a Lambda error body has. A handler response
// that merely contains an "errorMessage" field among others is a response.
var errorKeys = map[string]bool{"errorMessage": true, "errorType": true, "stackTrace": true, "trace": true, "cause": true}

// parseFunctionError recognises the two ways the RIE reports a failed
// invocation in a 200 response: a {"errorMessage","errorType"} object and the
// plain-text timeout message.
func parseFunctionError(body []byte) (message, typ string) {
	trimmed := bytes.TrimSpace(body)
	if bytes.HasPrefix(trimmed, timeoutPrefix) {
		return string(trimmed), "Timeout"
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "", ""
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(trimmed, &obj) != nil {
		return "", ""
	}
	_, hasMsg := obj["errorMessage"]
	_, hasType := obj["errorType"]
	if !hasMsg && !hasType {
		return "", ""
	}
	for k := range obj {
		if !errorKeys[k] {
			return "", ""
		}
	}
	// A member that is not a JSON string still marks a failure: it is kept
	// as its raw text rather than lost, so that Failed stays true.
	if hasMsg && json.Unmarshal(obj["errorMessage"], &message) != nil {
		message = string(obj["errorMessage"])
	}
	if hasType && json.Unmarshal(obj["errorType"], &typ) != nil {
		typ = string(obj["errorType"])
	}
	return message, typ
}

// newRequestID returns a random UUIDv4, the shape of a real Lambda request id.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Logs returns everything the RIE and the bootstrap have printed so far,
// across restarts, and still answers after Stop.
func (l *Lambda) Logs() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return bytes.Clone(l.logs)
	}
	b, _ := os.ReadFile(l.logf)
	return b
}

// FunctionLogLines returns only the lines the function printed: the RIE's
// START/END/REPORT lines and its "(rapid)" diagnostics are dropped, leaving
// what CloudWatch would show as the function's own output.
func (l *Lambda) FunctionLogLines() [][]byte {
	return functionLines(l.Logs())
}

var rieLinePrefixes = [][]byte{[]byte("START RequestId: "), []byte("END RequestId: "), []byte("REPORT RequestId: ")}

func functionLines(logs []byte) [][]byte {
	var out [][]byte
	for line := range bytes.Lines(logs) {
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 || bytes.Contains(line, []byte("] (rapid) ")) {
			continue
		}
		emulator := false
		for _, p := range rieLinePrefixes {
			if bytes.HasPrefix(line, p) {
				emulator = true
				break
			}
		}
		if !emulator {
			out = append(out, bytes.Clone(line))
		}
	}
	return out
}

// initReport matches the emulator's INIT REPORT in both the classic form
// "INIT REPORT(durationMs: 2.797000)" and the managed-instances form
// "INIT REPORT(initType: ..., durationMs: 2.74, ...)".
var initReport = regexp.MustCompile(`INIT REPORT\([^)]*?durationMs: ([0-9.]+)`)

// InitDurations returns the runtime's init time for every init so far, in
// order: one per cold start, per Restart, and per re-init after a timeout or
// crash. The REPORT line's "Init Duration" is not used: under the RIE it only
// times an asynchronous hand-off and reads 0.02-0.22 ms.
func (l *Lambda) InitDurations() []time.Duration {
	return initDurations(l.Logs())
}

func initDurations(logs []byte) []time.Duration {
	var out []time.Duration
	for _, m := range initReport.FindAllSubmatch(logs, -1) {
		ms, err := strconv.ParseFloat(string(m[1]), 64)
		if err != nil {
			continue
		}
		out = append(out, time.Duration(math.Round(ms*float64(time.Millisecond))))
	}
	return out
}

// PeakRSS returns the bootstrap's peak resident set size (VmHWM) in bytes.
// The RIE's "Max Memory Used" is hard-coded to the memory size, so the only
// real figure is the runtime process's own. It must be read while the
// bootstrap runs: after the first Invoke and before a timeout kills it.
func (l *Lambda) PeakRSS() (int64, error) {
	l.mu.Lock()
	p := l.proc
	l.mu.Unlock()
	if p == nil || p.exited() {
		return 0, fmt.Errorf("peak RSS of %s: emulator not running", l.Name)
	}
	kids := childrenOf(p.pid)
	if len(kids) == 0 {
		return 0, fmt.Errorf("peak RSS of %s: no bootstrap running (it starts on the first Invoke and restarts on the one after a timeout)", l.Name)
	}
	var peak int64
	for _, k := range kids {
		v, err := vmHWM(k.pid)
		if err != nil {
			return 0, fmt.Errorf("peak RSS of %s: %w", l.Name, err)
		}
		peak = max(peak, v)
	}
	return peak, nil
}

// pids returns the RIE's PID and its live children's, for tests that check
// that Stop leaves nothing behind.
func (l *Lambda) pids() (rie procStat, kids []procStat, err error) {
	l.mu.Lock()
	p := l.proc
	l.mu.Unlock()
	if p == nil {
		return procStat{}, nil, errors.New("not started")
	}
	rie, err = readStat(p.pid)
	return rie, childrenOf(p.pid), err
}

// Restart stops the RIE and its bootstrap and starts them again, so the next
// Invoke is a true cold start (a new process, not the RIE's warm re-init).
// It waits for an in-flight invocation first.
func (l *Lambda) Restart(ctx context.Context) error {
	select {
	case l.slot <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("restart %s: %w", l.Name, ctx.Err())
	}
	defer func() { <-l.slot }()
	l.mu.Lock()
	stopped := l.stopped
	l.mu.Unlock()
	if stopped {
		return fmt.Errorf("restart %s: stopped", l.Name)
	}
	if err := l.stopProcs(); err != nil {
		return fmt.Errorf("restart %s: %w", l.Name, err)
	}
	l.client.CloseIdleConnections()
	if err := l.start(ctx); err != nil {
		return fmt.Errorf("restart %s: %w", l.Name, err)
	}
	return nil
}

// Stop stops the RIE and the bootstrap by PID and removes the working
// directory, keeping the log in memory for Logs. It is safe to call more
// than once, and from a cleanup while an Invoke is in flight (that Invoke
// then fails).
func (l *Lambda) Stop() error {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return nil
	}
	l.stopped = true
	l.mu.Unlock()

	err := l.stopProcs()
	l.client.CloseIdleConnections()
	logs, _ := os.ReadFile(l.logf)
	l.mu.Lock()
	l.logs = logs
	l.mu.Unlock()
	os.RemoveAll(l.dir)
	if err != nil {
		return fmt.Errorf("stop %s: %w", l.Name, err)
	}
	return nil
}

// stopProcs stops the RIE and makes sure its bootstrap is gone too. The RIE
// puts the bootstrap in a process group of its own, so signalling the RIE's
// group does not reach it; on SIGTERM the RIE kills and reaps it itself, and
// this only mops up if the RIE could not (for example, it was SIGKILLed).
func (l *Lambda) stopProcs() error {
	l.mu.Lock()
	p := l.proc
	l.mu.Unlock()
	if p == nil {
		return nil
	}
	kids := childrenOf(p.pid)
	err := p.stop()
	deadline := time.Now().Add(stopGrace)
	for _, k := range kids {
		if !alive(k) {
			continue
		}
		// The RIE makes the bootstrap a group leader, so killing its group
		// also takes anything the bootstrap forked. The start-time check in
		// alive guards against a recycled PID.
		target := k.pid
		if k.pgrp == k.pid {
			target = -k.pid
		}
		_ = syscall.Kill(target, syscall.SIGKILL)
		for alive(k) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if alive(k) {
			err = errors.Join(err, fmt.Errorf("bootstrap %d survived SIGKILL", k.pid))
		}
	}
	return err
}
