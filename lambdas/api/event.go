package api

import (
	"strconv"
	"time"
)

// Event is what the request template hands a handler. Untrusted values (the body and the
// header values) arrive base64-encoded; encoding/json decodes []byte from base64, so Body
// holds Slack's exact bytes, ready for signature verification.
type Event struct {
	Body    []byte  `json:"body"`
	Headers Headers `json:"headers"`
	Context Context `json:"context"`
	// BodyTooLarge says the request's body was longer than MaxBodyBytes and was left out:
	// the template never hands such a body to Lambda (see request.vtl).
	BodyTooLarge bool `json:"bodyTooLarge,omitempty"`
	// Deferred marks a request that ran out of its reply budget and is being finished by an
	// asynchronous invocation, which replies through the command's response_url. The
	// request template never sets it — its output has only body, headers and context, and
	// every client-controlled value in it is base64 — so only a direct invoke of the
	// function, which IAM allows to the function's own role alone, can produce it.
	Deferred bool `json:"deferred,omitempty"`
	// DeferredAt is when the request was handed to the asynchronous invocation.
	DeferredAt time.Time `json:"deferredAt,omitzero"`
}

// Headers are the request headers verification and retry handling need, whatever
// capitalisation the client used.
type Headers struct {
	Signature   []byte `json:"x-slack-signature"`
	Timestamp   []byte `json:"x-slack-request-timestamp"`
	RetryNum    []byte `json:"x-slack-retry-num"`
	RetryReason []byte `json:"x-slack-retry-reason"`
	ContentType []byte `json:"content-type"`
}

// Context is API Gateway's request context, trusted.
type Context struct {
	RequestID        string `json:"requestId"`
	SourceIP         string `json:"sourceIp"`
	Stage            string `json:"stage"`
	RequestTime      string `json:"requestTime"`
	RequestTimeEpoch string `json:"requestTimeEpoch"` // milliseconds, as API Gateway renders it
}

// Retry reports Slack's retry attempt number (0 for a first delivery).
func (h Headers) Retry() int {
	n, err := strconv.Atoi(string(h.RetryNum))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// ReceivedAt is when API Gateway received the request, or the zero time.
func (c Context) ReceivedAt() time.Time {
	ms, err := strconv.ParseInt(c.RequestTimeEpoch, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
