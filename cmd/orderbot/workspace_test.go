package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// slackAPI is a real workspace's Web API as far as the functions can tell: it records
// every call's method and bot token and accepts them all.
type slackAPI struct {
	mu    sync.Mutex
	calls []string // "views.open xoxb-…"
}

func (s *slackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		r.ParseForm()
		token = r.Form.Get("token")
	}
	s.mu.Lock()
	s.calls = append(s.calls, strings.TrimPrefix(r.URL.Path, "/api/")+" "+token)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true,"view":{"id":"V1"}}`)
}

func (s *slackAPI) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// TestRealWorkspace: with SLACK_BOT_TOKEN and SLACK_API_URL, the modal of /order-update
// without text is opened on that Web API with that token by the template's function
// processes (which get the token through the Secrets Manager stand-in), and the token is
// in neither the server's output nor send's.
func TestRealWorkspace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary (and synthesizes the stack)")
	}
	const token = "xoxb-1111-2222-realWORKSPACEtoken"
	bin := buildOrderbot(t)
	api := &slackAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	p := startDev(t, bin, []string{"SLACK_BOT_TOKEN=" + token, "SLACK_API_URL=" + srv.URL + "/api/"})
	out, _ := newSender(t, bin, p).run("--user", "U2", "/order-update")
	want := "views.open " + token
	if got := api.seen(); len(got) != 1 || got[0] != want {
		t.Errorf("Web API calls: got %q, want [%q]\nsend:\n%s\ndev:\n%s", got, want, out, p.stderr.String())
	}
	if strings.Contains(p.stderr.String(), token) || strings.Contains(out, token) {
		t.Errorf("the bot token is in the output:\n%s\n%s", p.stderr.String(), out)
	}
}
