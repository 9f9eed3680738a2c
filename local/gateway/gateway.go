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
	"mime"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/vtl"
)

// MaxPayload is API Gateway's request payload limit (10 MB); larger bodies get 413.
const MaxPayload = 10 << 20

// requestTemplateBound bounds strings and output of a request template: base64 of a
// MaxPayload body (4/3 of it) plus the headers and context around it.
const requestTemplateBound = (MaxPayload+2)/3*4 + 1<<20

// Gateway serves every route of api.Routes.
type Gateway struct {
	stage     string
	routes    map[string]*route // by path
	accessLog *vtl.Template
	log       io.Writer // access-log lines; nil discards
	logMu     sync.Mutex
	now       func() time.Time
	async     sync.WaitGroup
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
}

// invoke runs one invocation on an environment of its own and returns a copy of the output.
func (rt *route) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	h := rt.envs.Get().(lambda.Handler)
	defer rt.envs.Put(h)
	out, err := h.Invoke(ctx, payload)
	return bytes.Clone(out), err
}

type response struct {
	status   int
	pattern  *regexp.Regexp // nil for the default response
	template *vtl.Template
}

// Options configure a Gateway.
type Options struct {
	Stage     string    // "prod" when empty, like the stack's default
	AccessLog io.Writer // one JSON line per request
	Now       func() time.Time
}

// New builds a gateway over handlers, keyed by function name as in api.Routes. Every route
// must have a handler and every template must parse: a broken contract fails here, not on
// the first request.
func New(handlers map[string]any, opts Options) (*Gateway, error) {
	g := &Gateway{stage: opts.Stage, routes: map[string]*route{}, log: opts.AccessLog, now: opts.Now}
	if g.stage == "" {
		g.stage = "prod"
	}
	if g.now == nil {
		g.now = time.Now
	}
	var err error
	if g.accessLog, err = vtl.Parse("access-log", api.AccessLogFormat); err != nil {
		return nil, fmt.Errorf("access log format: %w", err)
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
		g.routes[r.Path] = rt
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

	rt, ok := g.routes[r.URL.Path]
	if !ok || r.Method != rt.Method {
		// API Gateway answers an unknown resource or method this way, not with 404/405.
		g.reply(w, x, http.StatusForbidden, nil, `{"message":"Missing Authentication Token"}`, "Missing Authentication Token")
		return
	}
	ctxVars["resourcePath"] = rt.Path
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
	req := vtl.Request{Body: text, Path: map[string]string{}, Query: queryParams(r), Header: headerParams(r), Context: ctxVars}
	event, err := tmpl.Render(r.Context(), req)
	if err != nil {
		g.reply(w, x, http.StatusInternalServerError, nil, `{"message": "Internal server error"}`, "request template: "+err.Error())
		return
	}
	out, invokeErr := g.invoke(r.Context(), rt, x, []byte(event.Output))
	if errors.Is(invokeErr, context.DeadlineExceeded) {
		x.integrationStatus = "-"
		g.reply(w, x, http.StatusGatewayTimeout, nil, `{"message": "Endpoint request timed out"}`, "Endpoint request timed out")
		return
	}
	resp := rt.responses[0]
	if invokeErr != nil {
		msg := invokeErr.Error()
		out, _ = json.Marshal(map[string]string{"errorMessage": msg, "errorType": errorType(invokeErr)})
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
	g.reply(w, x, status, res.Headers, res.Output, "")
}

// invoke calls the handler in-process as Lambda would: JSON in, JSON or an error out,
// within the integration timeout, panics reported as errors.
func (g *Gateway) invoke(ctx context.Context, rt *route, x *exchange, payload []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, api.IntegrationTimeout)
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
		return nil, context.DeadlineExceeded
	}
}

// InvokeAsync plays Lambda's InvocationType=Event for the handlers' deferred work: it
// returns at once and runs function with payload in the background (errors are logged, as
// Lambda would after its retries). Wait blocks until such invocations are done.
func (g *Gateway) InvokeAsync(_ context.Context, function string, payload []byte) error {
	var rt *route
	for _, r := range g.routes {
		if r.Function == function {
			rt = r
		}
	}
	if rt == nil {
		return fmt.Errorf("invoke %s: no such function", function)
	}
	g.async.Add(1)
	go func() {
		defer g.async.Done()
		defer func() {
			if p := recover(); p != nil {
				slog.Error("async invoke panicked", "function", function, "panic", fmt.Sprint(p))
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), rt.Timeout)
		defer cancel()
		ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: newID()})
		if _, err := rt.invoke(ctx, payload); err != nil {
			slog.Error("async invoke failed", "function", function, "error", err.Error())
		}
	}()
	return nil
}

// Wait waits for asynchronous invocations to finish.
func (g *Gateway) Wait() { g.async.Wait() }

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
// value of a repeated header wins.
func headerParams(r *http.Request) map[string]string {
	m := make(map[string]string, len(r.Header)+1)
	for k, v := range r.Header {
		m[k] = v[len(v)-1]
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
