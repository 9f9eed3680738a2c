package devui

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"path"
	"time"
)

// csp lets the page load its own script and style and talk to its own origin, nothing
// else: no inline script or style, no other origin, no plugins, no framing, no forms.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func secureHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

func (u *UI) page(w http.ResponseWriter, r *http.Request) {
	if !u.allowed(r) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	b, err := static.ReadFile("static/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	secureHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b)
}

func (u *UI) asset(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(static, r.URL.Path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	secureHeaders(w.Header())
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(r.URL.Path)))
	w.Write(b)
}

// allowed refuses what a web page elsewhere could make a browser send to 127.0.0.1: a
// Host that is not a loopback name (DNS rebinding) and cross-site fetches.
func (u *UI) allowed(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return false
	}
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "" || site == "same-origin" || site == "none"
}

func (u *UI) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.allowed(r) {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// errStatus is an error the page shows, with the HTTP status that carries it.
type errStatus struct {
	status int
	msg    string
}

func (e *errStatus) Error() string { return e.msg }

func badRequest(msg string) error { return &errStatus{http.StatusBadRequest, msg} }
func conflict(msg string) error   { return &errStatus{http.StatusConflict, msg} }

// jsonPost decodes a JSON body into In, runs f and answers its result as JSON. Only
// application/json is taken: a cross-site form cannot send it without a preflight,
// which nothing here answers.
func jsonPost[In any](f func(r *http.Request, in In) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			http.Error(w, "Content-Type must be application/json", http.StatusUnsupportedMediaType)
			return
		}
		var in In
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON: " + err.Error()})
			return
		}
		out, err := f(r, in)
		if err != nil {
			status := http.StatusBadGateway
			var es *errStatus
			if errors.As(err, &es) {
				status = es.status
			}
			writeJSON(w, status, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// config is what the page needs to draw the workspace.
func (u *UI) config(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	channels := append([]Channel(nil), u.channels...)
	u.mu.Unlock()
	_, offset := time.Now().In(u.o.Zone).Zone()
	writeJSON(w, http.StatusOK, map[string]any{
		"users": u.o.Users, "channels": channels, "commands": commands(),
		"locale": u.o.Locale, "timezone": u.o.Zone.String(), "offsetSeconds": offset,
		"bot": map[string]string{"id": botUser, "name": botName},
	})
}

// state is what a user sees in a channel, and the modal in front of them.
func (u *UI) state(w http.ResponseWriter, r *http.Request) {
	user, channel := r.URL.Query().Get("user"), r.URL.Query().Get("channel")
	items := u.visible(user, channel)
	u.mu.Lock()
	view := u.views[user]
	u.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "view": view})
}

// events streams a user's changes as server-sent events until the page goes away or
// the dev server stops.
func (u *UI) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	s := &sub{user: r.URL.Query().Get("user"), ch: make(chan []byte, 256)}
	u.mu.Lock()
	u.subs[s] = struct{}{}
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		if _, ok := u.subs[s]; ok {
			delete(u.subs, s)
			close(s.ch)
		}
		u.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, ": connected\n\n")
	flusher.Flush()
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case b, ok := <-s.ch:
			if !ok {
				return
			}
			io.WriteString(w, "data: ")
			w.Write(b)
			io.WriteString(w, "\n\n")
		case <-keepalive.C:
			io.WriteString(w, ": keepalive\n\n")
		case <-r.Context().Done():
			return
		case <-u.done:
			return
		}
		flusher.Flush()
	}
}
