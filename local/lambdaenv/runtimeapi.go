package lambdaenv

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// invocation is one event handed to an execution environment through GET
// /runtime/invocation/next, and its outcome.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	arn      string
	result   chan outcome // buffered: one outcome
}

// outcome is what the runtime posted: a response, or an error (FunctionError set).
type outcome struct {
	body []byte
	err  *FunctionError
}

// runtimeAPI is one execution environment's Lambda Runtime API (version 2018-06-01):
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html. Lambda serves one per
// environment; so does this, on a loopback port of its own.
type runtimeAPI struct {
	ln      net.Listener
	srv     *http.Server
	next    chan *invocation // the invocation the runtime is to get next
	current chan *invocation // the one it got, until it answers
	initErr chan *FunctionError
}

func newRuntimeAPI() (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &runtimeAPI{ln: ln, next: make(chan *invocation), current: make(chan *invocation, 1),
		initErr: make(chan *FunctionError, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", a.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", a.handleResult)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", a.handleResult)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", a.handleInitError)
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go a.srv.Serve(ln)
	return a, nil
}

// addr is AWS_LAMBDA_RUNTIME_API: host:port.
func (a *runtimeAPI) addr() string { return a.ln.Addr().String() }

func (a *runtimeAPI) close() { a.srv.Close() }

// handleNext blocks until an invocation arrives, as Lambda's does (the runtime polls with
// no timeout), and hands it over with Lambda's headers.
func (a *runtimeAPI) handleNext(w http.ResponseWriter, r *http.Request) {
	select {
	case inv := <-a.next:
		a.current <- inv
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.arn)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

// handleResult takes the runtime's response or error for the current invocation.
func (a *runtimeAPI) handleResult(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponse+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var inv *invocation
	select {
	case inv = <-a.current:
	default:
	}
	if inv == nil || inv.id != r.PathValue("id") {
		if inv != nil {
			a.current <- inv
		}
		// Lambda answers a result for an invocation that is not the current one so.
		writeJSON(w, http.StatusBadRequest, map[string]string{"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
		return
	}
	var o outcome
	switch {
	case strings.HasSuffix(r.URL.Path, "/error"):
		o.err = functionError(body, r.Header.Get("Lambda-Runtime-Function-Error-Type"))
	case len(body) > MaxResponse:
		o.err = &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: "Response payload size exceeded maximum allowed payload size (6291556 bytes)."}
	default:
		o.body = body
	}
	inv.result <- o
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

func (a *runtimeAPI) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	select {
	case a.initErr <- functionError(body, r.Header.Get("Lambda-Runtime-Function-Error-Type")):
	default:
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

// functionError reads a runtime's error document ({"errorMessage", "errorType"}).
func functionError(body []byte, typ string) *FunctionError {
	var doc struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if json.Unmarshal(body, &doc) != nil {
		doc.Message = string(bytes.TrimSpace(body))
	}
	if doc.Type == "" {
		doc.Type = typ
	}
	return &FunctionError{Message: doc.Message, Type: doc.Type, Payload: body}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
