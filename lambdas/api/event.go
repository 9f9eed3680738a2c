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
	// Schedule marks a schedule firing (a round's deadline or its reminder): a direct
	// invoke by EventBridge Scheduler, with no body, headers or context. The request
	// template never sets it, and ScheduleFunction refuses it alongside anything else.
	Schedule *ScheduleFire `json:"schedule,omitempty"`
	// Live marks the trailing update of a recurring round's live message (handler/live.go):
	// a self-invoke by the function whose change found the update window taken, with no
	// body, headers or context. The request template never sets it either.
	Live *LiveRefresh `json:"live,omitempty"`
}

// LiveRefresh is what a trailing update of a live round message needs: the round, and the
// window of chat.updates (a count of handler.liveWindow since the epoch) its change found
// taken — the update happens in a later window, with a fresh read of the round.
type LiveRefresh struct {
	Team    string `json:"team"`
	Channel string `json:"channel"`
	Round   string `json:"round"`
	Window  int64  `json:"window"`
}

// IsLiveOnly reports whether ev is a trailing live update and nothing else (as
// IsScheduleOnly for schedules).
func (ev Event) IsLiveOnly() bool {
	return ev.Live != nil && ev.Schedule == nil && len(ev.Body) == 0 && !ev.BodyTooLarge &&
		ev.Headers.empty() && ev.Context == (Context{}) && !ev.Deferred && ev.DeferredAt.IsZero()
}

// IsScheduleOnly reports whether ev is a schedule firing and nothing else: no body, no
// header, no request context, not deferred. Every HTTP request has a context (the
// template always renders requestId), so none can pass.
func (ev Event) IsScheduleOnly() bool {
	return ev.Schedule != nil && ev.Live == nil && len(ev.Body) == 0 && !ev.BodyTooLarge && ev.Headers.empty() &&
		ev.Context == (Context{}) && !ev.Deferred && ev.DeferredAt.IsZero()
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

func (h Headers) empty() bool {
	return len(h.Signature) == 0 && len(h.Timestamp) == 0 && len(h.RetryNum) == 0 &&
		len(h.RetryReason) == 0 && len(h.ContentType) == 0
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
