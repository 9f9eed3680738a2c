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

// Route is one API Gateway method backed by one Lambda function.
type Route struct {
	Path   string // resource path, e.g. "/order-update"
	Method string
	// Function is the function's name in the stack, its build directory
	// (lambdas/build/<Function>/bootstrap) and its cmd/<Function> package.
	Function string
	// Command is the slash command served here ("" for the Events API route).
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
	// Timeout bounds the Lambda function. The integration timeout is IntegrationTimeout;
	// Slack gives up after 3000 ms, so both stay well below.
	Timeout time.Duration
}

// DataAccess names the part of the table a function uses.
type DataAccess string

const (
	DataOrders DataAccess = "orders" // rounds and orders
	DataEvents DataAccess = "events" // event de-duplication records
)

// IntegrationTimeout is how long API Gateway waits for a handler. Slack's deadline is
// 3000 ms end to end; 2500 ms leaves room for the network between Slack and the gateway.
const IntegrationTimeout = 2500 * time.Millisecond

// Routes is the route table.
var Routes = []Route{
	{
		Path: "/", Method: "POST", Function: "events",
		Description: "Slack Events API: url_verification and app_mention",
		ContentType: ContentTypeJSON, RequestTemplate: RequestTemplate, ResponseTemplate: ResponseTemplate,
		Data: DataEvents, Timeout: 3 * time.Second,
	},
	{
		Path: "/order-update", Method: "POST", Function: "order-update", Command: "/order-update",
		Description: "Set, replace or cancel your order in this channel's round",
		UsageHint:   "<item> | cancel | help",
		ContentType: ContentTypeForm, RequestTemplate: RequestTemplate, ResponseTemplate: ResponseTemplate,
		Data: DataOrders, Timeout: 3 * time.Second,
	},
	{
		Path: "/order-list", Method: "POST", Function: "order-list", Command: "/order-list",
		Description: "Show this channel's round grouped by item; share or close it",
		UsageHint:   "[share | close]",
		ContentType: ContentTypeForm, RequestTemplate: RequestTemplate, ResponseTemplate: ResponseTemplate,
		Data: DataOrders, Timeout: 3 * time.Second,
	},
}

// RouteFor returns the route serving function, or false.
func RouteFor(function string) (Route, bool) {
	for _, r := range Routes {
		if r.Function == function {
			return r, true
		}
	}
	return Route{}, false
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
