package harness

import (
	"github.com/cognito-triggers/suite/pkg/decision"

	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Fault names a way an AWS endpoint can fail. A fault server takes the
// place of moto's endpoint in the function's environment (AWS_ENDPOINT_URL,
// or a per-service variable if the function reads one, to break DynamoDB
// while Secrets Manager still points at moto), so dependency-failure tests
// exercise the function's real SDK client, retries and timeouts.
type Fault string

// The faults. Error bodies follow the caller's protocol, chosen by the
// X-Amz-Target prefix: DynamoDB (awsJson1_0) gets DynamoDB's error codes,
// Secrets Manager (awsJson1_1) its own, so the SDK produces the same typed
// errors it would against AWS. A caller without X-Amz-Target (a plain HTTP
// client such as the legacy authentication endpoint's) gets the plain HTTP
// form of the same fault: 429, 500, 404, or a truncated application/json
// body. The SDK retries throttling, 5xx and refused connections (3
// attempts by default), so a function's timeout budget must allow for
// them.
const (
	// FaultStall accepts the connection, reads the request and never
	// answers until the server is stopped: only the caller's deadline ends it.
	FaultStall Fault = "stall"
	// FaultRefuse is a port with nothing listening: connect fails at once
	// with ECONNREFUSED.
	FaultRefuse Fault = "refuse"
	// FaultThrottle answers HTTP 400 with ProvisionedThroughputExceededException
	// (DynamoDB) or ThrottlingException (Secrets Manager); HTTP 429 Too Many
	// Requests to a plain HTTP caller.
	FaultThrottle Fault = "throttle"
	// Fault5xx answers HTTP 500 with InternalServerError (DynamoDB) or
	// InternalServiceError (Secrets Manager); a bare HTTP 500 to a plain
	// HTTP caller.
	Fault5xx Fault = "5xx"
	// FaultMalformed answers HTTP 200 with a truncated, invalid JSON body,
	// as a response cut off by a proxy would look.
	FaultMalformed Fault = "malformed"
	// FaultMissingTable answers HTTP 400 ResourceNotFoundException, as for a
	// table or secret that does not exist; HTTP 404 to a plain HTTP caller
	// (a wrong URL).
	FaultMissingTable Fault = "missing"
)

// Faults lists every Fault, for table-driven tests.
var Faults = []Fault{FaultStall, FaultRefuse, FaultThrottle, Fault5xx, FaultMalformed, FaultMissingTable}

// Failure is the kind of failure a call of the suite's AWS SDK clients
// ends in against this fault, as decision.Classify must read it, so that
// dep.Reason(f.Failure()) is the reason a function must log. A refused
// connection is a transport failure, not an AWS refusal (401/403,
// AccessDenied, which no fault produces), and a truncated answer fails the
// call's deserialization: both are Other. (A plain HTTP caller that
// checks its own protocol, such as the legacy endpoint's client, reads a
// truncated answer as malformed instead.)
func (f Fault) Failure() decision.Failure {
	switch f {
	case FaultStall:
		return decision.Timeout
	case FaultThrottle:
		return decision.Throttled
	case FaultMissingTable:
		return decision.Missing
	}
	return decision.Other
}

// StartFault starts a server on 127.0.0.1 that fails every request as f
// describes, and returns its endpoint (http://127.0.0.1:PORT) and a stop
// function that is safe to call more than once. ctx is unused but kept for
// symmetry with the other Start functions.
func StartFault(ctx context.Context, f Fault) (endpoint string, stop func(), err error) {
	if f == FaultRefuse {
		return startRefuse()
	}
	if _, ok := faultResponses[f]; !ok && f != FaultStall {
		return "", nil, fmt.Errorf("start fault: unknown fault %q", f)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("start fault %s: %w", f, err)
	}
	release := make(chan struct{})
	srv := &http.Server{Handler: faultHandler(f, release)}
	go srv.Serve(l)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			// Close shuts connections but does not end handler goroutines;
			// releasing them first keeps a stopped stall server from leaking.
			close(release)
			srv.Close()
		})
	}
	return "http://" + l.Addr().String(), stop, nil
}

// startRefuse binds a loopback port without listening on it. Connections
// are refused, and unlike a port that was merely closed again, nobody else
// can take it while the fault is in use (the socket has no SO_REUSEADDR).
func startRefuse() (string, func(), error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("start fault refuse: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return "", nil, fmt.Errorf("start fault refuse: %w", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return "", nil, fmt.Errorf("start fault refuse: %w", err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	var once sync.Once
	return "http://127.0.0.1:" + strconv.Itoa(port), func() { once.Do(func() { syscall.Close(fd) }) }, nil
}

// faultResponse is one canned failure: status and error code per AWS
// protocol, the status a plain HTTP caller gets, and an optional raw body
// that replaces the error JSON.
type faultResponse struct {
	status             int
	dynamoCode, smCode string
	httpStatus         int
	raw                string
}

var faultResponses = map[Fault]faultResponse{
	FaultThrottle:     {status: http.StatusBadRequest, dynamoCode: "ProvisionedThroughputExceededException", smCode: "ThrottlingException", httpStatus: http.StatusTooManyRequests},
	Fault5xx:          {status: http.StatusInternalServerError, dynamoCode: "InternalServerError", smCode: "InternalServiceError", httpStatus: http.StatusInternalServerError},
	FaultMissingTable: {status: http.StatusBadRequest, dynamoCode: "ResourceNotFoundException", smCode: "ResourceNotFoundException", httpStatus: http.StatusNotFound},
	FaultMalformed:    {status: http.StatusOK, httpStatus: http.StatusOK, raw: `{"Item":{"pk":{"S":"trunc`},
}

var faultMessages = map[Fault]string{
	FaultThrottle:     "Rate of requests exceeds the allowed throughput.",
	Fault5xx:          "Internal server error",
	FaultMissingTable: "Requested resource not found",
}

func faultHandler(f Fault, release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if f == FaultStall {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		resp := faultResponses[f]
		target := r.Header.Get("X-Amz-Target")
		if target == "" {
			writePlainFault(w, resp)
			return
		}
		contentType, code, body := "application/x-amz-json-1.0", resp.dynamoCode, ""
		if strings.HasPrefix(target, "secretsmanager.") {
			contentType, code = "application/x-amz-json-1.1", resp.smCode
			body = fmt.Sprintf(`{"__type":%q,"Message":%q}`, code, faultMessages[f])
		} else {
			body = fmt.Sprintf(`{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":%q}`, code, faultMessages[f])
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("x-amzn-RequestId", newRequestID())
		if resp.raw != "" {
			body = resp.raw
		} else {
			w.Header().Set("x-amzn-ErrorType", code)
		}
		w.WriteHeader(resp.status)
		_, _ = io.WriteString(w, body)
	})
}

// writePlainFault answers a caller that is not an AWS SDK: the status
// alone, or for a malformed answer a truncated body under the JSON content
// type the caller expects, so that the body itself is what is wrong.
func writePlainFault(w http.ResponseWriter, resp faultResponse) {
	if resp.raw != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.httpStatus)
		_, _ = io.WriteString(w, resp.raw)
		return
	}
	if resp.httpStatus == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	http.Error(w, http.StatusText(resp.httpStatus), resp.httpStatus)
}
