// Package api is the contract between API Gateway and the handlers: the route table, the
// mapping templates, the event a request template produces and the error codes that the
// integration responses map to HTTP statuses. The CDK stack, the local gateway, the Slack
// app manifest and the tests all read it, so nothing else hard-codes a path or a template.
package api

import (
	"embed"
	"fmt"
	"time"
)

//go:embed templates/*.vtl
var templates embed.FS

// Content types Slack sends.
const (
	ContentTypeForm = "application/x-www-form-urlencoded"
	ContentTypeJSON = "application/json"
)

// Template names under templates/.
const (
	RequestTemplate  = "request.vtl"
	ResponseTemplate = "response.vtl"
)

// Kind is what Slack sends to a route, and so how the route is registered with Slack
// (manifest), simulated (slacksim, orderbot send) and answered.
type Kind string

const (
	// KindEvents is the Events API Request URL: JSON event callbacks, answered at once.
	KindEvents Kind = "events"
	// KindCommand is one slash command's Request URL: a form post answered with a message,
	// or "working on it" and later through response_url.
	KindCommand Kind = "command"
	// KindInteractive is the interactivity Request URL: button clicks and modal
	// submissions, a form post whose one field, payload, is JSON.
	KindInteractive Kind = "interactive"
)

// Defers reports whether a route's function may finish its work asynchronously (an
// invocation of itself) and answer through response_url: commands and interactions.
func (k Kind) Defers() bool { return k == KindCommand || k == KindInteractive }

// Route is one API Gateway method backed by one Lambda function.
type Route struct {
	Kind   Kind
	Path   string // resource path, e.g. "/order-update"
	Method string
	// Function names the route's function: in the stack (its name and logical ids), in
	// ORDERBOT_FUNCTION (EnvFunction), which tells the one bootstrap every function runs
	// which handler to serve, and in handler.Functions.
	Function FunctionName
	// Command is the slash command a KindCommand route serves.
	Command     string
	Description string // shown in the Slack manifest
	UsageHint   string
	// ContentType is what Slack posts; RequestTemplates maps it to a template so that
	// any other content type is refused with 415 (passthrough NEVER).
	ContentType      string
	RequestTemplate  string
	ResponseTemplate string
	// Data is what the function reads and writes in the table; the stack grants exactly
	// the DynamoDB actions the store needs for it.
	Data DataAccess
	// Timeout bounds the Lambda function. API Gateway cuts a synchronous call at
	// IntegrationTimeout whatever this says; a function that defers work needs
	// DeferredTimeout so that its asynchronous run can retry a slow store and still answer.
	Timeout time.Duration
}

// FunctionName names one function of the stack. The route table gives each route's
// (FunctionEvents, …); nothing else spells one. It is an alias of string, not a type of
// its own: the stack, the local stack and the CLI print, compare and key by these names
// as strings (logical ids, environment, maps), and the constants are what keeps each
// name written once.
type FunctionName = string

// The functions, one per route.
const (
	FunctionEvents      FunctionName = "events"
	FunctionOrderUpdate FunctionName = "order-update"
	FunctionOrderList   FunctionName = "order-list"
	FunctionInteractive FunctionName = "interactive"
)

// DataAccess names the part of the table a function uses.
type DataAccess string

const (
	DataOrders DataAccess = "orders" // rounds and orders
	DataEvents DataAccess = "events" // event de-duplication records
)

// IntegrationTimeout is how long API Gateway waits for a handler. Slack's deadline is
// 3000 ms end to end; 2500 ms leaves room for the network between Slack and the gateway.
const IntegrationTimeout = 2500 * time.Millisecond

// Asynchronous invocation (deferred work) settings, set on the functions by the stack and
// played by the local gateway. Slack's response_url takes answers for 30 minutes after
// the command: Lambda may start a queued or retried deferred run at most MaxEventAge after
// it was queued, and a run lasts at most DeferredTimeout, so every run can still answer.
const (
	// DeferredTimeout is the timeout of a function that defers work: a deferred run
	// retries the store for up to ~20 s, answers through response_url (up to 5 s) and
	// still has time to tell the user when it gives up.
	DeferredTimeout = 30 * time.Second
	// MaxEventAge is how long Lambda keeps a deferred event (queued, throttled or between
	// retries) before it gives up and sends it to the dead-letter queue.
	MaxEventAge = 25 * time.Minute
	// AsyncRetryAttempts is how often Lambda retries a deferred run that failed (crashed
	// or timed out: the handler itself never returns an error for a failed store call,
	// it retries and then tells the user). Lambda waits about 1 and then 2 minutes.
	AsyncRetryAttempts = 2
	// ResponseURLValidity is how long Slack accepts answers on a command's response_url.
	ResponseURLValidity = 30 * time.Minute
)

// Routes is the route table.
var Routes = []Route{
	{
		Kind: KindEvents, Path: "/", Method: "POST", Function: FunctionEvents,
		Description: "Slack Events API: url_verification and app_mention",
		ContentType: ContentTypeJSON, RequestTemplate: RequestTemplate, ResponseTemplate: ResponseTemplate,
		Data: DataEvents, Timeout: 3 * time.Second,
	},
	{
		Kind: KindCommand, Path: "/order-update", Method: "POST", Function: FunctionOrderUpdate, Command: "/order-update",
		Description: "Set, replace or cancel your order in this channel's round",
		UsageHint:   "<item> | cancel | help",
		ContentType: ContentTypeForm, RequestTemplate: RequestTemplate, ResponseTemplate: ResponseTemplate,
		Data: DataOrders, Timeout: DeferredTimeout,
	},
	{
		Kind: KindCommand, Path: "/order-list", Method: "POST", Function: FunctionOrderList, Command: "/order-list",
		Description: "Show this channel's round grouped by item; share or close it",
		UsageHint:   "[share | close]",
		ContentType: ContentTypeForm, RequestTemplate: RequestTemplate, ResponseTemplate: ResponseTemplate,
		Data: DataOrders, Timeout: DeferredTimeout,
	},
	{
		Kind: KindInteractive, Path: "/interactive", Method: "POST", Function: FunctionInteractive,
		Description: "Buttons on round messages and the order modal",
		ContentType: ContentTypeForm, RequestTemplate: RequestTemplate, ResponseTemplate: ResponseTemplate,
		Data: DataOrders, Timeout: DeferredTimeout,
	},
}

// RouteFor returns the route serving function, or false.
func RouteFor(function FunctionName) (Route, bool) {
	for _, r := range Routes {
		if r.Function == function {
			return r, true
		}
	}
	return Route{}, false
}

// RoutesOf returns the routes of kind k, in table order.
func RoutesOf(k Kind) []Route {
	var out []Route
	for _, r := range Routes {
		if r.Kind == k {
			out = append(out, r)
		}
	}
	return out
}

// Template returns the text of a template under templates/.
func Template(name string) (string, error) {
	b, err := templates.ReadFile("templates/" + name)
	if err != nil {
		return "", fmt.Errorf("template %s: %w", name, err)
	}
	return string(b), nil
}

// MustTemplate is Template for package-level wiring where a missing embedded file is a
// build defect.
func MustTemplate(name string) string {
	s, err := Template(name)
	if err != nil {
		panic(err)
	}
	return s
}

// AccessLogFormat is the stage's access-log line: API Gateway's standard JSON fields plus
// latencies and the error message. The stack sets it on the stage and the local gateway
// renders it per request, so both write the same line.
const AccessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"user":"$context.identity.user","caller":"$context.identity.caller",` +
	`"requestTime":"$context.requestTime","httpMethod":"$context.httpMethod",` +
	`"resourcePath":"$context.resourcePath","status":"$context.status",` +
	`"protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"integrationStatus":"$context.integration.status","integrationLatency":"$context.integrationLatency",` +
	`"responseLatency":"$context.responseLatency","xrayTraceId":"$context.xrayTraceId",` +
	`"errorMessage":"$context.error.message"}`

// MaxBodyBytes bounds a request body. Slack's commands and events are a few KB; anything
// far larger is refused with 400 before the signature is computed over it.
const MaxBodyBytes = 64 << 10
