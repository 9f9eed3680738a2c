// Package gateway is a local API Gateway REST API: it serves the route table, renders the
// same mapping templates with the Go VTL engine, invokes the handlers in-process through
// aws-lambda-go's handler adapter (the code path Lambda uses), and applies the integration
// responses. It answers the way API Gateway does — including 403 "Missing Authentication
// Token" for unknown paths and methods, 415 for unmapped content types and 504 when the
// integration times out — so what works here works deployed.
package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/awsfront"
	"github.com/orderbot/orderbot/local/lambdaenv"
	"github.com/orderbot/orderbot/local/vtl"
)

// MaxPayload is API Gateway's request payload limit (10 MB); larger bodies get 413.
const MaxPayload = 10 << 20

// MaxInvokePayload is Lambda's limit on a synchronous invocation's payload (6 MB): the
// event a request template renders. A REST API accepts 10 MB, so a template that hands
// the body through (base64: 4/3 of it) can produce an event Lambda refuses.
const MaxInvokePayload = 6 << 20

// MaxAsyncPayload is Lambda's limit on an asynchronous (Event) invocation's payload,
// 1 MB since October 2025 (256 KB before): the AWS front's, which the local stack's
// Invoke applies (awsfront.MaxAsyncPayload, from API_Invoke.html).
const MaxAsyncPayload = awsfront.MaxAsyncPayload

// requestTemplateBound bounds strings and output of a request template: base64 of a
// MaxPayload body (4/3 of it) plus the headers and context around it.
const requestTemplateBound = (MaxPayload+2)/3*4 + 1<<20

// Gateway serves every route of api.Routes.
type Gateway struct {
	stage  string
	routes map[string]*route // by path: resources without path parameters
	// templated are the resources with path parameters ("/pets/{petId}"), matched in
	// route-table order after the literal ones.
	templated []*route
	accessLog *vtl.Template
	log       io.Writer // access-log lines; nil discards
	logMu     sync.Mutex
	now       func() time.Time

	// Asynchronous invocation (InvokeAsync); see Options.
	async        sync.WaitGroup // one per delivery, until its last run or dead letter
	retryDelays  []time.Duration
	deadLetter   func(function string, payload []byte, err error)
	duplicate    func() bool
	delay        func() time.Duration
	faultMu      sync.Mutex // serialises duplicate and delay, which may share a *rand.Rand
	asyncTimeout time.Duration
	stop         chan struct{} // closed by Close: waiting deliveries give up
	stopOnce     sync.Once
}

type route struct {
	api.Route
	// envs holds one lambda.Handler per concurrent invocation, as Lambda runs one
	// invocation at a time per execution environment. A shared Handler is not safe for
	// concurrent use: aws-lambda-go's Invoke returns the bytes of a pooled buffer that the
	// next invocation on the same Handler reuses, so one caller's reply could become
	// another's.
	envs      *sync.Pool
	requests  map[string]*vtl.Template // by media type
	responses []response

	// Set in template mode (NewFromStack): the function's processes, the integration's
	// timeout and the stage's method throttling.
	invokeFn           func(ctx context.Context, payload []byte) ([]byte, error)
	integrationTimeout time.Duration
	throttle           *bucket
}

// invoke runs one invocation on an environment of its own and returns a copy of the output.
func (rt *route) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if rt.invokeFn != nil {
		return rt.invokeFn(ctx, payload)
	}
	h := rt.envs.Get().(lambda.Handler)
	defer rt.envs.Put(h)
	out, err := h.Invoke(ctx, payload)
	return bytes.Clone(out), err
}

type response struct {
	status   int
	pattern  *regexp.Regexp // nil for the default response
	template *vtl.Template
	headers  map[string]string // ResponseParameters' static header values
}

// Options configure a Gateway.
type Options struct {
	Stage     string    // "prod" when empty, like the stack's default
	AccessLog io.Writer // one JSON line per request
	// Now is the clock of the access log and of asynchronous events' age (time.Now when
	// nil).
	Now func() time.Time

	// The rest configure InvokeAsync, which plays Lambda's asynchronous invocation.

	// RetryDelays are the waits before the retries of a failed asynchronous run: before
	// retry i, RetryDelays[i-1] (the last entry again when there are fewer). Nil means
	// Lambda's: 1 minute, then 2 (DefaultRetryDelays); an empty slice retries at once.
	// Tests and dev scale them down.
	RetryDelays []time.Duration
	// DeadLetter receives an event Lambda gives up on: its run and every retry failed, or
	// it was older than api.MaxEventAge when a run was due to start. Nil logs it with
	// slog.Error. It may be called from several goroutines at once.
	DeadLetter func(function string, payload []byte, err error)
	// Duplicate, called once per event, delivers the event a second time when it reports
	// true: Lambda's event queue is at least once. The second delivery has a request id of
	// its own and retries of its own.
	Duplicate func() bool
	// Delay, called before every delivery of an event (first, duplicate or retry), is
	// extra time the event waits in the queue; events delayed differently run out of
	// order. A first delivery's Delay is drawn when InvokeAsync is called, so events
	// queued one after another draw in that order.
	//
	// Calls to Duplicate and Delay are serialised, so both may draw from one *rand.Rand.
	Delay func() time.Duration
	// AsyncTimeout, when set, replaces the route's Timeout for asynchronous runs, so a
	// test can rehearse a deferred run that gives up in seconds instead of 30.
	AsyncTimeout time.Duration
}

// DefaultRetryDelays are Lambda's waits before the retries of a failed asynchronous run.
var DefaultRetryDelays = []time.Duration{time.Minute, 2 * time.Minute}

// ErrEventTooOld is wrapped by the dead-letter error of an event that grew older than
// api.MaxEventAge before a run could start.
var ErrEventTooOld = errors.New("event older than the maximum event age")

// ErrStopped is wrapped by the dead-letter error of an event still waiting when Close
// stopped the queue.
var ErrStopped = errors.New("the dev server stopped before the event's next run")

// New builds a gateway over handlers, keyed by function name as in api.Routes. Every route
// must have a handler and every template must parse: a broken contract fails here, not on
// the first request.
func New(handlers map[string]any, opts Options) (*Gateway, error) {
	g, err := newGateway(opts, api.AccessLogFormat)
	if err != nil {
		return nil, err
	}
	for _, r := range api.Routes {
		h, ok := handlers[r.Function]
		if !ok || h == nil {
			return nil, fmt.Errorf("route %s %s: no handler for function %q", r.Method, r.Path, r.Function)
		}
		rt := &route{Route: r, requests: map[string]*vtl.Template{},
			envs: &sync.Pool{New: func() any { return lambda.NewHandler(h) }}}
		src, err := api.Template(r.RequestTemplate)
		if err != nil {
			return nil, err
		}
		if rt.requests[r.ContentType], err = vtl.Parse(r.RequestTemplate, src); err != nil {
			return nil, fmt.Errorf("route %s: %w", r.Path, err)
		}
		// The request template base64-encodes the body: a payload API Gateway accepts
		// (up to MaxPayload) must not hit the engine's default 10 MB string and output
		// bounds, or an oversized body would get a 500 instead of the handler's 400.
		rt.requests[r.ContentType].SetLimits(vtl.Limits{MaxString: requestTemplateBound, MaxOutput: requestTemplateBound})
		for _, ir := range r.IntegrationResponses() {
			resp := response{status: ir.StatusCode}
			if ir.SelectionPattern != "" {
				// API Gateway matches the whole errorMessage (Java Matcher.matches).
				if resp.pattern, err = regexp.Compile("^(?:" + ir.SelectionPattern + ")$"); err != nil {
					return nil, fmt.Errorf("route %s: selection pattern %q: %w", r.Path, ir.SelectionPattern, err)
				}
			}
			if resp.template, err = vtl.Parse(fmt.Sprintf("%s %d response", r.Path, ir.StatusCode), ir.Template); err != nil {
				return nil, fmt.Errorf("route %s: %w", r.Path, err)
			}
			rt.responses = append(rt.responses, resp)
		}
		g.add(rt)
	}
	return g, nil
}

// add serves rt: by its literal path, or as a templated resource when the path has
// parameters.
func (g *Gateway) add(rt *route) {
	if strings.Contains(rt.Path, "{") {
		g.templated = append(g.templated, rt)
		return
	}
	g.routes[rt.Path] = rt
}

// match finds the route for the request's path and its path parameters. A literal
// resource wins over a templated one, as in API Gateway.
func (g *Gateway) match(r *http.Request) (*route, map[string]string) {
	if rt, ok := g.routes[r.URL.Path]; ok {
		return rt, map[string]string{}
	}
	for _, rt := range g.templated {
		if params, ok := pathParams(rt.Path, r.URL.EscapedPath()); ok {
			return rt, params
		}
	}
	return nil, nil
}

// pathParams matches a request path (escaped) against a resource path whose segments
// may be parameters: {name} takes one segment, a last {name+} (a proxy resource) the
// rest. Values are decoded: REST APIs decode URL-encoded request parameters before a
// template or integration sees them ("Amazon API Gateway important notes for REST APIs",
// docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html),
// and a parameter-less $input.params('name') then reads them (recorded:
// api/test_invoke/get-pets-id in vtl-aws-apigw.json).
func pathParams(resource, escaped string) (map[string]string, bool) {
	want := strings.Split(strings.TrimPrefix(resource, "/"), "/")
	got := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	params := map[string]string{}
	for i, seg := range want {
		name, isParam := strings.CutPrefix(seg, "{")
		name, closed := strings.CutSuffix(name, "}")
		if greedy := strings.HasSuffix(name, "+"); isParam && closed && greedy && i == len(want)-1 {
			rest, err := url.PathUnescape(strings.Join(got[min(i, len(got)):], "/"))
			if err != nil || rest == "" {
				return nil, false
			}
			params[strings.TrimSuffix(name, "+")] = rest
			return params, true
		}
		if i >= len(got) {
			return nil, false
		}
		v, err := url.PathUnescape(got[i])
		if err != nil {
			return nil, false
		}
		switch {
		case isParam && closed:
			if v == "" {
				return nil, false
			}
			params[name] = v
		case v != seg:
			return nil, false
		}
	}
	return params, len(got) == len(want)
}

// newGateway is a gateway without routes, writing access-log lines in accessLogFormat.
func newGateway(opts Options, accessLogFormat string) (*Gateway, error) {
	g := &Gateway{stage: opts.Stage, routes: map[string]*route{}, log: opts.AccessLog, now: opts.Now,
		retryDelays: opts.RetryDelays, deadLetter: opts.DeadLetter, duplicate: opts.Duplicate, delay: opts.Delay,
		asyncTimeout: opts.AsyncTimeout, stop: make(chan struct{})}
	if g.stage == "" {
		g.stage = "prod"
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.retryDelays == nil {
		g.retryDelays = DefaultRetryDelays
	}
	if g.deadLetter == nil {
		g.deadLetter = func(function string, payload []byte, err error) {
			slog.Error("async event dropped to the dead letter", "function", function, "payload_bytes", len(payload), "error", err.Error())
		}
	}
	if accessLogFormat == "" {
		g.log = nil // the stage writes no access log
		accessLogFormat = api.AccessLogFormat
	}
	var err error
	if g.accessLog, err = vtl.Parse("access-log", accessLogFormat); err != nil {
		return nil, fmt.Errorf("access log format: %w", err)
	}
	return g, nil
}

// exchange is one request's state, for the access log.
type exchange struct {
	requestID          string
	start              time.Time
	status             int
	length             int
	integrationStatus  string
	integrationLatency time.Duration
	errorMessage       string
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{requestID: newID(), start: g.now()}
	ctxVars := g.contextVars(r, x)
	defer func() { g.writeAccessLog(r, x, ctxVars) }()

	rt, pathVals := g.match(r)
	if rt == nil || r.Method != rt.Method {
		// API Gateway answers an unknown resource or method this way, not with 404/405.
		g.reply(w, x, http.StatusForbidden, nil, `{"message":"Missing Authentication Token"}`, "Missing Authentication Token")
		return
	}
	ctxVars["resourcePath"] = rt.Path
	if rt.throttle != nil && !rt.throttle.take(time.Now()) {
		// The stage's method throttling, answered as API Gateway answers it.
		g.reply(w, x, http.StatusTooManyRequests, nil, `{"message":"Too Many Requests"}`, "Too Many Requests")
		return
	}
	tmpl, ok := rt.requests[mediaType(r.Header.Get("Content-Type"))]
	if !ok {
		// Passthrough NEVER: no template for this content type.
		g.reply(w, x, http.StatusUnsupportedMediaType, nil, `{"message": "Unsupported Media Type"}`, "Unsupported Media Type")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		g.reply(w, x, http.StatusBadRequest, nil, `{"message":"Bad request"}`, "read body: "+err.Error())
		return
	}
	if len(body) > MaxPayload {
		g.reply(w, x, http.StatusRequestEntityTooLarge, nil, `{"message":"Request Too Long"}`, "Request Too Long")
		return
	}
	text := string(body)
	if text == "" {
		text = "{}" // API Gateway hands an empty body to templates as "{}"
	}
	req := vtl.Request{Body: text, Path: pathVals, Query: queryParams(r), Header: headerParams(r), Context: ctxVars}
	event, err := tmpl.Render(r.Context(), req)
	if err != nil {
		g.reply(w, x, http.StatusInternalServerError, nil, `{"message": "Internal server error"}`, "request template: "+err.Error())
		return
	}
	if len(event.Output) > MaxInvokePayload {
		// Lambda refuses the synchronous invoke (RequestEntityTooLargeException, 413) and
		// API Gateway turns the failed integration into a 500: a 5XX alarm from one request.
		x.integrationStatus = "413"
		g.reply(w, x, http.StatusInternalServerError, nil, `{"message": "Internal server error"}`,
			fmt.Sprintf("Execution failed: Lambda invoke payload of %d bytes exceeds %d", len(event.Output), MaxInvokePayload))
		return
	}
	out, invokeErr := g.invoke(r.Context(), rt, x, []byte(event.Output))
	if errors.Is(invokeErr, errIntegrationTimeout) {
		x.integrationStatus = "-"
		g.reply(w, x, http.StatusGatewayTimeout, nil, `{"message": "Endpoint request timed out"}`, "Endpoint request timed out")
		return
	}
	g.respond(w, r, x, rt, ctxVars, out, invokeErr)
}

// respond applies the integration response: the default one to an output, the first
// whose selection pattern matches the whole errorMessage to an error (else the default),
// rendered with its template, its status and headers.
func (g *Gateway) respond(w http.ResponseWriter, r *http.Request, x *exchange, rt *route, ctxVars map[string]any, out []byte, invokeErr error) {
	resp := rt.responses[0]
	if invokeErr != nil {
		msg := invokeErr.Error()
		out, _ = json.Marshal(map[string]string{"errorMessage": msg, "errorType": errorType(invokeErr)})
		if fe, ok := errors.AsType[*lambdaenv.FunctionError](invokeErr); ok && len(fe.Payload) > 0 {
			// Lambda hands the function's own error document to the integration.
			out = fe.Payload
		}
		for _, cand := range rt.responses[1:] {
			if cand.pattern.MatchString(msg) {
				resp = cand
				break
			}
		}
	}
	res, err := resp.template.Render(r.Context(), vtl.Request{Body: string(out), Context: ctxVars})
	if err != nil {
		g.reply(w, x, http.StatusInternalServerError, nil, `{"message": "Internal server error"}`, "response template: "+err.Error())
		return
	}
	status := resp.status
	if res.Status != 0 {
		status = res.Status
	}
	headers := res.Headers
	if len(resp.headers) > 0 {
		headers = maps.Clone(resp.headers)
		maps.Copy(headers, res.Headers)
	}
	g.reply(w, x, status, headers, res.Output, "")
}

// invoke calls the handler in-process as Lambda would: JSON in, JSON or an error out,
// within the integration timeout, panics reported as errors.
func (g *Gateway) invoke(ctx context.Context, rt *route, x *exchange, payload []byte) ([]byte, error) {
	timeout := api.IntegrationTimeout
	if rt.integrationTimeout > 0 {
		timeout = rt.integrationTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: newID(),
		InvokedFunctionArn: "arn:aws:lambda:local:000000000000:function:" + rt.Function})
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("%v", p)}
			}
		}()
		out, err := rt.invoke(ctx, payload)
		done <- result{out, err}
	}()
	select {
	case res := <-done:
		x.integrationLatency = time.Since(start)
		x.integrationStatus = "200"
		return res.out, res.err
	case <-ctx.Done():
		x.integrationLatency = time.Since(start)
		return nil, errIntegrationTimeout
	}
}

// errIntegrationTimeout is the integration timing out, which API Gateway answers with 504.
// It is not whatever wraps context.DeadlineExceeded: a handler that returns such an error
// in time (a store call that timed out) gets its integration response, as in API Gateway.
var errIntegrationTimeout = fmt.Errorf("integration timed out: %w", context.DeadlineExceeded)

// InvokeAsync plays Lambda's InvocationType=Event for the handlers' deferred work: it
// queues the event and returns at once. Like Lambda, the gateway runs the event on an
// environment of its own within the function's timeout; a run that returns an error,
// panics or times out is retried api.AsyncRetryAttempts times after Options.RetryDelays;
// an event that fails every run, or is older than api.MaxEventAge when a run is due, goes
// to Options.DeadLetter. Options.Duplicate and Options.Delay add Lambda's duplicate and
// late deliveries. Wait blocks until every delivery has finished.
func (g *Gateway) InvokeAsync(_ context.Context, function string, payload []byte) error {
	var rt *route
	for _, r := range g.routes {
		if r.Function == function {
			rt = r
		}
	}
	for _, r := range g.templated {
		if rt == nil && r.Function == function {
			rt = r
		}
	}
	if rt == nil {
		return fmt.Errorf("invoke %s: no such function", function)
	}
	if len(payload) > MaxAsyncPayload {
		return fmt.Errorf("invoke %s: RequestEntityTooLargeException: %d byte payload is too large for the Event invocation type (limit %d bytes)",
			function, len(payload), MaxAsyncPayload)
	}
	ev := asyncEvent{rt: rt, payload: bytes.Clone(payload), queued: g.now()}
	// Draw the first deliveries' faults here, in the caller's order, so that a seeded
	// source gives the same schedule for the same sequence of calls.
	waits := []time.Duration{g.queueDelay()}
	if g.duplicate != nil && draw(g, g.duplicate) {
		waits = append(waits, g.queueDelay())
	}
	for _, wait := range waits {
		g.async.Add(1)
		go func() {
			defer g.async.Done()
			g.deliver(ev, wait)
		}()
	}
	return nil
}

// Wait waits until every asynchronous event has run to success or been dead-lettered,
// retries included.
func (g *Gateway) Wait() { g.async.Wait() }

// Close stops the asynchronous queue for a shutting-down dev server: runs in progress
// finish, and every delivery still waiting (queued, or between retries, which back off
// for minutes) is dead-lettered as stopped rather than held — so SIGINT ends the server
// within a run's timeout, and no event is dropped without a word. It then waits as Wait.
func (g *Gateway) Close() {
	g.stopOnce.Do(func() { close(g.stop) })
	g.async.Wait()
}

// asyncEvent is an event in the asynchronous queue.
type asyncEvent struct {
	rt      *route
	payload []byte
	queued  time.Time // by the gateway's clock, for the event's age
}

// deliver is one delivery of an event: it waits wait, then runs the event and retries it
// as Lambda does until a run succeeds or Lambda would give up.
func (g *Gateway) deliver(ev asyncEvent, wait time.Duration) {
	fn := ev.rt.Function
	// Lambda keeps the request id across the retries of one delivery.
	requestID := newID()
	var last error
	for run := 0; ; run++ {
		if wait > 0 {
			select {
			case <-time.After(wait):
			case <-g.stop:
				g.deadLetter(fn, ev.payload, fmt.Errorf("%w after %d runs", ErrStopped, run))
				return
			}
		}
		if age := g.now().Sub(ev.queued); age > api.MaxEventAge {
			err := fmt.Errorf("%w: queued %v ago, maximum %v", ErrEventTooOld, age, api.MaxEventAge)
			if last != nil {
				err = fmt.Errorf("%w; the last of %d runs failed: %w", err, run, last)
			}
			g.deadLetter(fn, ev.payload, err)
			return
		}
		if last = g.runAsync(ev.rt, requestID, ev.payload); last == nil {
			return
		}
		if run == api.AsyncRetryAttempts {
			g.deadLetter(fn, ev.payload, fmt.Errorf("all %d runs failed, the last: %w", run+1, last))
			return
		}
		wait = g.retryDelay(run) + g.queueDelay()
		slog.Warn("async run failed; retrying", "function", fn, "request_id", requestID,
			"run", run+1, "retry_in", wait.String(), "error", last.Error())
	}
}

// runAsync is one run of an asynchronous event on an environment of its own, as Lambda
// runs it: within the function's timeout, a panic or a run still going at the timeout
// counting as a failed run. A handler that ignores its context is left behind, as Lambda
// leaves a timed-out environment.
func (g *Gateway) runAsync(rt *route, requestID string, payload []byte) error {
	timeout := rt.Timeout
	if g.asyncTimeout > 0 {
		timeout = g.asyncTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID,
		InvokedFunctionArn: "arn:aws:lambda:local:000000000000:function:" + rt.Function})
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("handler panicked: %v", p)
			}
		}()
		_, err := rt.invoke(ctx, payload)
		done <- err
	}()
	timedOut := fmt.Errorf("task timed out after %.2f seconds: %w", timeout.Seconds(), context.DeadlineExceeded)
	select {
	case err := <-done:
		// The context's deadline is the function's: returning after it, even with
		// success, is a timeout to Lambda.
		if err == nil && ctx.Err() != nil {
			return timedOut
		}
		return err
	case <-ctx.Done():
		return timedOut
	}
}

// retryDelay is the wait before the retry that follows failed run number run (from 0).
func (g *Gateway) retryDelay(run int) time.Duration {
	if len(g.retryDelays) == 0 {
		return 0
	}
	return g.retryDelays[min(run, len(g.retryDelays)-1)]
}

// queueDelay is the extra queueing time Options.Delay adds to a delivery.
func (g *Gateway) queueDelay() time.Duration {
	if g.delay == nil {
		return 0
	}
	return max(draw(g, g.delay), 0)
}

// draw calls an injected fault source under the gateway's lock.
func draw[T any](g *Gateway, f func() T) T {
	g.faultMu.Lock()
	defer g.faultMu.Unlock()
	return f()
}

func (g *Gateway) reply(w http.ResponseWriter, x *exchange, status int, headers map[string]string, body, errMsg string) {
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("X-Amzn-Requestid", x.requestID)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	io.WriteString(w, body)
	x.status, x.length, x.errorMessage = status, len(body), errMsg
}

func (g *Gateway) contextVars(r *http.Request, x *exchange) map[string]any {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return map[string]any{
		"requestId":         x.requestID,
		"extendedRequestId": x.requestID,
		"stage":             g.stage,
		"httpMethod":        r.Method,
		"path":              "/" + g.stage + r.URL.Path,
		"resourcePath":      r.URL.Path,
		"protocol":          r.Proto,
		"domainName":        r.Host,
		"apiId":             "local",
		"accountId":         "000000000000",
		"requestTime":       x.start.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		"requestTimeEpoch":  x.start.UnixMilli(),
		"identity":          map[string]any{"sourceIp": ip, "userAgent": r.UserAgent(), "user": "", "caller": ""},
	}
}

func (g *Gateway) writeAccessLog(r *http.Request, x *exchange, ctxVars map[string]any) {
	if g.log == nil {
		return
	}
	// API Gateway's error messages are fixed phrases; ours may quote template errors, so
	// escape them to keep the line JSON.
	quoted, _ := json.Marshal(x.errorMessage)
	msg := string(quoted[1 : len(quoted)-1])
	if msg == "" {
		msg = "-"
	}
	integrationStatus := x.integrationStatus
	if integrationStatus == "" {
		integrationStatus = "-"
	}
	ctxVars["status"] = x.status
	ctxVars["responseLength"] = x.length
	ctxVars["responseLatency"] = time.Since(x.start).Milliseconds()
	ctxVars["integrationLatency"] = x.integrationLatency.Milliseconds()
	ctxVars["integration"] = map[string]any{"status": integrationStatus}
	ctxVars["error"] = map[string]any{"message": msg, "messageString": string(quoted)}
	res, err := g.accessLog.Render(context.Background(), vtl.Request{Context: ctxVars})
	if err != nil {
		slog.Error("access log", "error", err)
		return
	}
	g.logMu.Lock()
	defer g.logMu.Unlock()
	io.WriteString(g.log, strings.TrimSpace(res.Output)+"\n")
}

// mediaType is the content type a template is chosen by; API Gateway treats a request
// without one as application/json.
func mediaType(header string) string {
	if strings.TrimSpace(header) == "" {
		return api.ContentTypeJSON
	}
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.SplitN(header, ";", 2)[0]))
	}
	return mt
}

// headerParams flattens headers as API Gateway's $input.params().header does: the last
// value of a repeated header wins, and the headers API Gateway hides from templates
// (Connection, Upgrade, Transfer-Encoding and the rest of vtl.HiddenHeader) are left out.
func headerParams(r *http.Request) map[string]string {
	m := make(map[string]string, len(r.Header)+1)
	for k, v := range r.Header {
		if !vtl.HiddenHeader(k) {
			m[k] = v[len(v)-1]
		}
	}
	if r.Host != "" {
		m["Host"] = r.Host
	}
	return m
}

func queryParams(r *http.Request) map[string]string {
	m := map[string]string{}
	for k, v := range r.URL.Query() {
		m[k] = v[len(v)-1]
	}
	return m
}

// errorType names an error the way the Lambda Go runtime does in errorType.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
