package slacksim

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// RateWindow is the span a Web API method's per-minute allowance counts over.
const RateWindow = time.Minute

// Tier3PerMinute is the allowance WebAPI gives each Tier 3 method: Slack's rate limits page
// (docs.slack.dev/apis/web-api/rate-limits, "Web API Tier 3: 50+ per minute … applied on a
// per API method per workspace/team per app basis") promises at least 50 a minute; the
// stand-in grants exactly that and no burst, so code that stays inside it here stays inside
// it in Slack. chat.update and conversations.history are Tier 3 (their method pages,
// docs.slack.dev/reference/methods/chat.update and …/conversations.history).
const Tier3PerMinute = 50

// DefaultRateLimits are the per-minute allowances WebAPI enforces when RateLimits is nil.
// views.publish is Tier 4 (100+ per minute, its method page).
var DefaultRateLimits = map[string]int{
	"chat.update":           Tier3PerMinute,
	"conversations.history": Tier3PerMinute,
	"views.publish":         100,
}

// rateLimited says whether a call of method now is over its allowance, and if so how many
// whole seconds until it is not (Retry-After); s.mu is held. A call within the allowance is
// counted; a refused one is not, as Slack counts what it served.
func (s *WebAPI) rateLimited(method string) (bool, int) {
	limits := s.RateLimits
	if limits == nil {
		limits = DefaultRateLimits
	}
	limit, ok := limits[method]
	if !ok || limit <= 0 {
		return false, 0
	}
	if s.served == nil {
		s.served = map[string][]time.Time{}
	}
	now := s.now()
	recent := s.served[method]
	for len(recent) > 0 && now.Sub(recent[0]) >= RateWindow {
		recent = recent[1:]
	}
	if len(recent) >= limit {
		s.served[method] = recent
		wait := RateWindow - now.Sub(recent[0])
		return true, max(1, int(math.Ceil(wait.Seconds())))
	}
	s.served[method] = append(recent, now)
	return false, 0
}

// refuseRateLimited answers a call over its allowance as Slack does: "HTTP 429 Too Many
// Requests … and a Retry-After HTTP header containing the number of seconds until you can
// retry", with {"ok":false,"error":"ratelimited"} (docs.slack.dev/apis/web-api/rate-limits,
// "Responding to rate limiting conditions"). slack-go turns it into a RateLimitedError.
func refuseRateLimited(w http.ResponseWriter, retryAfter int) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write(errorBody(errCode("ratelimited")))
}
