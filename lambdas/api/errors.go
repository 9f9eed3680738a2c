package api

import (
	"errors"
	"strings"
)

// Code is the stable prefix of a handler error's message. API Gateway matches the Lambda
// errorMessage against each IntegrationResponse's SelectionPattern (a whole-string Java
// regex) to choose the HTTP status, so these strings are part of the wire contract.
type Code string

const (
	CodeUnauthorized Code = "unauthorized" // 401: bad, missing or stale signature
	CodeBadRequest   Code = "bad_request"  // 400: malformed body
	CodeInternal     Code = "internal"     // 500: the handler failed; the body says nothing more
)

// Error is a handler error that API Gateway maps to a status. Its message is
// "<code>: <reason>"; the reason is logged, never returned to Slack (the integration
// response templates are static).
type Error struct {
	Code   Code
	Reason string
	Err    error
}

func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Reason
	// Selection patterns use '.', which does not match line breaks in Java regexes.
	return oneLine.Replace(msg)
}

// A Replacer builds its lookup table on first use: build it once, not per call.
var oneLine = strings.NewReplacer("\n", " ", "\r", " ")

func (e *Error) Unwrap() error { return e.Err }

// Unauthorized, BadRequest and Internal build the errors a handler returns.
func Unauthorized(reason string, err error) error {
	return &Error{Code: CodeUnauthorized, Reason: reason, Err: err}
}
func BadRequest(reason string, err error) error {
	return &Error{Code: CodeBadRequest, Reason: reason, Err: err}
}
func Internal(reason string, err error) error {
	return &Error{Code: CodeInternal, Reason: reason, Err: err}
}

// CodeOf reports the code of err, CodeInternal for any error that is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IntegrationResponse maps handler results to an HTTP response. SelectionPattern ""
// is the default response (a successful invocation).
type IntegrationResponse struct {
	StatusCode       int
	SelectionPattern string
	// Template is the response template's text: static JSON for errors, so no internal
	// detail reaches the caller.
	Template string
}

// IntegrationResponses are the route's responses: the default (200) renders the route's
// response template; the error codes answer static JSON.
func (r Route) IntegrationResponses() []IntegrationResponse {
	return append([]IntegrationResponse{
		{StatusCode: 200, SelectionPattern: "", Template: MustTemplate(r.ResponseTemplate)},
	}, errorResponses...)
}

var errorResponses = []IntegrationResponse{
	{StatusCode: 401, SelectionPattern: string(CodeUnauthorized) + ":.*", Template: `{"error":"unauthorized"}`},
	{StatusCode: 400, SelectionPattern: string(CodeBadRequest) + ":.*", Template: `{"error":"bad_request"}`},
	{StatusCode: 500, SelectionPattern: string(CodeInternal) + ":.*", Template: `{"error":"internal"}`},
}
