package slacksim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/slackio"
)

// Slack's documented limits on a command's response_url: answers are accepted up to five
// times within 30 minutes of the command.
const (
	ResponseURLUses     = 5
	ResponseURLValidity = 30 * time.Minute
)

// ResponseURLs plays Slack's response_url endpoint for commands the simulated workspace
// sends: it issues a URL per command, accepts answers on it as Slack does — JSON messages,
// at most ResponseURLUses within ResponseURLValidity, 404 on an unknown, expired or used-up
// URL — and records them, so that a test or `orderbot send` can see what the person would
// see. Fail, when set, injects failures (a 5xx, or an answer that arrives but whose
// acknowledgement the caller never gets).
type ResponseURLs struct {
	Now func() time.Time // time.Now when nil
	// Fail decides the n-th post (from 1) to path: 0 accepts it; a status answers with it
	// and records nothing; -1 records it and then drops the connection.
	Fail func(path string, n int) int
	// Open accepts answers on any path, as issued at its first use: `orderbot dev` serves
	// response_urls that `orderbot send`, another process, makes up.
	Open bool

	mu     sync.Mutex
	issued map[string]*responseURL
	notify chan struct{} // closed and replaced on every accepted answer
}

type responseURL struct {
	at    time.Time
	posts int
	msgs  []slack.WebhookMessage
}

func (s *ResponseURLs) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Issue returns a new response_url under base (the URL this handler is served at).
func (s *ResponseURLs) Issue(base string) string { return s.IssueFor(base, "commands") }

// IssueFor is Issue for a kind of request: "commands", or "actions" for an interaction
// (Slack's hooks.slack.com/actions/… URLs, which take answers the same way).
func (s *ResponseURLs) IssueFor(base, kind string) string {
	path := "/" + kind + "/" + randomHex(6) + "/" + randomHex(12)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.issued == nil {
		s.issued = map[string]*responseURL{}
		s.notify = make(chan struct{})
	}
	s.issued[path] = &responseURL{at: s.now()}
	return strings.TrimRight(base, "/") + path
}

// serveRecorded answers GET: the answers recorded at the path, waiting up to ?wait= for
// ?min= of them (1).
func (s *ResponseURLs) serveRecorded(w http.ResponseWriter, r *http.Request) {
	wait, _ := time.ParseDuration(r.URL.Query().Get("wait"))
	n, _ := strconv.Atoi(r.URL.Query().Get("min"))
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	msgs, _ := s.Wait(ctx, r.URL.Path, max(n, 1))
	if msgs == nil {
		msgs = []slack.WebhookMessage{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(msgs)
}

// readAnswer reads a posted answer; problem is Slack's error for one it refuses (and
// records nothing of): not JSON, or past Block Kit's limits.
func readAnswer(r *http.Request) (msg slack.WebhookMessage, problem string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(body, &msg) != nil {
		return msg, "invalid_payload"
	}
	check := &slack.Msg{Text: msg.Text, ResponseType: msg.ResponseType}
	if msg.Blocks != nil {
		check.Blocks = *msg.Blocks
	}
	if err := slackio.Validate(check); err != nil {
		return msg, "invalid_blocks: " + err.Error()
	}
	return msg, ""
}

// ServeHTTP takes an answer. GET (an extension for `orderbot send`, not Slack's) returns
// the answers recorded so far as a JSON array, waiting up to ?wait= for ?min= of them (1).
func (s *ResponseURLs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if r.Method == http.MethodGet {
		s.serveRecorded(w, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method_not_allowed", http.StatusMethodNotAllowed)
		return
	}
	msg, problem := readAnswer(r)
	if problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	u := s.lookup(path)
	switch {
	case u == nil:
		s.mu.Unlock()
		http.Error(w, "invalid_url", http.StatusNotFound)
		return
	case s.now().Sub(u.at) > ResponseURLValidity:
		s.mu.Unlock()
		http.Error(w, "expired_url", http.StatusNotFound)
		return
	case u.posts >= ResponseURLUses:
		s.mu.Unlock()
		http.Error(w, "used_url", http.StatusNotFound)
		return
	}
	u.posts++
	fail := 0
	if s.Fail != nil {
		fail = s.Fail(path, u.posts)
	}
	if fail > 0 {
		s.mu.Unlock()
		http.Error(w, "injected failure", fail)
		return
	}
	u.msgs = append(u.msgs, msg)
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()
	if fail < 0 {
		// The answer is recorded; the caller never hears so.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		http.Error(w, "injected failure", http.StatusBadGateway)
		return
	}
	io.WriteString(w, "ok")
}

// lookup is the issued URL at path, issuing it now when s is Open. s.mu is held.
func (s *ResponseURLs) lookup(path string) *responseURL {
	if s.issued == nil {
		s.issued, s.notify = map[string]*responseURL{}, make(chan struct{})
	}
	u := s.issued[path]
	if u == nil && s.Open {
		u = &responseURL{at: s.now()}
		s.issued[path] = u
	}
	return u
}

// Messages returns the answers posted to the response_url with this path or full URL.
func (s *ResponseURLs) Messages(url string) []slack.WebhookMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.issued[pathOf(url)]; u != nil {
		return append([]slack.WebhookMessage(nil), u.msgs...)
	}
	return nil
}

// Wait returns the answers to url once there are at least n, or what there is when ctx
// ends (with its error).
func (s *ResponseURLs) Wait(ctx context.Context, url string, n int) ([]slack.WebhookMessage, error) {
	for {
		s.mu.Lock()
		var msgs []slack.WebhookMessage
		if u := s.lookup(pathOf(url)); u != nil {
			msgs = append(msgs, u.msgs...)
		}
		ch := s.notify
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return msgs, ctx.Err()
		}
	}
}

// pathOf is the path of a full response_url, or path itself.
func pathOf(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		rest := url[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
		return "/"
	}
	return url
}
