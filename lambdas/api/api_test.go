package api

import (
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestRouteTable(t *testing.T) {
	paths, functions, commands := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range Routes {
		if paths[r.Path] || functions[r.Function] || (r.Command != "" && commands[r.Command]) {
			t.Errorf("route %+v: got a path, function or command already routed, want each routed once", r)
		}
		paths[r.Path], functions[r.Function], commands[r.Command] = true, true, true
		if !strings.HasPrefix(r.Path, "/") || r.Method != "POST" || r.Function == "" {
			t.Errorf("route %+v: got path %q, method %q, function %q; want a path starting with /, POST and a function", r, r.Path, r.Method, r.Function)
		}
		if (r.Kind == KindCommand) != (r.Command != "") {
			t.Errorf("route %s: got kind %q with command %q, want a command exactly on %q routes", r.Path, r.Kind, r.Command, KindCommand)
		}
		switch {
		case r.Kind != KindEvents && r.Kind != KindCommand && r.Kind != KindInteractive:
			t.Errorf("route %s: kind: got %q, want %q, %q or %q", r.Path, r.Kind, KindEvents, KindCommand, KindInteractive)
		case r.Kind.Defers() && r.Timeout != DeferredTimeout:
			// Commands and clicks defer slow work to an asynchronous run of the same function.
			t.Errorf("route %s: timeout: got %v, want %v (deferred runs retry and answer within it)", r.Path, r.Timeout, DeferredTimeout)
		case !r.Kind.Defers() && (r.Timeout <= IntegrationTimeout || r.Timeout > 3e9):
			t.Errorf("route %s: timeout: got %v, want more than the integration timeout %v and at most Slack's 3 s", r.Path, r.Timeout, IntegrationTimeout)
		}
		if MaxEventAge+DeferredTimeout >= ResponseURLValidity {
			t.Errorf("max event age %v + run %v: got %v, want < response_url validity %v", MaxEventAge, DeferredTimeout, MaxEventAge+DeferredTimeout, ResponseURLValidity)
		}
		if r.Data != DataOrders && r.Data != DataEvents {
			t.Errorf("route %s: data access: got %q, want %q or %q", r.Path, r.Data, DataOrders, DataEvents)
		}
		for _, name := range []string{r.RequestTemplate, r.ResponseTemplate} {
			if _, err := Template(name); err != nil {
				t.Errorf("route %s: Template(%q): got error %v, want nil", r.Path, name, err)
			}
		}
	}
}

func TestTemplatesNeverEscapeTheBody(t *testing.T) {
	src, _ := Template(RequestTemplate)
	var code []string
	for _, line := range strings.Split(src, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "##") {
			code = append(code, line)
		}
	}
	if strings.Contains(strings.Join(code, "\n"), "escapeJavaScript") {
		t.Fatal("request template: got $util.escapeJavaScript, which emits \\' and breaks JSON; want it unused")
	}
	if !strings.Contains(src, "$util.base64Encode($input.body)") {
		t.Fatal("request template: got no $util.base64Encode($input.body), want the body carried as base64")
	}
}

func TestIntegrationResponses(t *testing.T) {
	for _, r := range Routes {
		resps := r.IntegrationResponses()
		if resps[0].StatusCode != 200 || resps[0].SelectionPattern != "" {
			t.Fatalf("route %s: first integration response: got %+v, want the default 200 (no selection pattern)", r.Path, resps[0])
		}
		statusOf := func(msg string) int {
			for _, ir := range resps[1:] {
				if regexp.MustCompile("^(?:" + ir.SelectionPattern + ")$").MatchString(msg) {
					return ir.StatusCode
				}
			}
			return 200
		}
		for _, tc := range []struct {
			err  error
			want int
		}{
			{Unauthorized("signature does not match", nil), 401},
			{BadRequest("line one\nline two", errors.New("x")), 400},
			{Internal("set order", errors.New("throttled\r\nretry")), 500},
			// Not one of ours (a timeout, a runtime crash): the default response, whose
			// template turns it into a 500.
			{errors.New("Task timed out after 3.00 seconds"), 200},
		} {
			if got := statusOf(tc.err.Error()); got != tc.want {
				t.Errorf("route %s: error %q: got status %d, want %d", r.Path, tc.err.Error(), got, tc.want)
			}
		}
		for _, ir := range resps[1:] {
			if !json.Valid([]byte(ir.Template)) || strings.Contains(ir.Template, "$") {
				t.Errorf("route %s: error template: got %q, want static JSON", r.Path, ir.Template)
			}
		}
	}
}

func TestCodeOf(t *testing.T) {
	inner := errors.New("inner")
	err := Unauthorized("x", inner)
	if CodeOf(err) != CodeUnauthorized || !errors.Is(err, inner) || CodeOf(errors.New("other")) != CodeInternal {
		t.Fatalf("CodeOf(Unauthorized): got %q, want %q; errors.Is(its inner error): got %v, want true; CodeOf(another error): got %q, want %q", CodeOf(err), CodeUnauthorized, errors.Is(err, inner), CodeOf(errors.New("other")), CodeInternal)
	}
}

func TestEventDecodesBase64(t *testing.T) {
	var ev Event
	raw := `{"body":"dGV4dD0lRTIlOTglOTU=","headers":{"x-slack-signature":"djA9YWJj","x-slack-request-timestamp":"MTUzMTQyMDYxOA==","x-slack-retry-num":"Mg==","x-slack-retry-reason":"","content-type":""},"context":{"requestId":"r","requestTimeEpoch":"1531420618000"}}`
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		t.Fatalf("decoding the event: got error %v, want nil", err)
	}
	if string(ev.Body) != "text=%E2%98%95" || string(ev.Headers.Signature) != "v0=abc" || string(ev.Headers.Timestamp) != "1531420618" ||
		ev.Headers.Retry() != 2 || ev.Context.ReceivedAt().Unix() != 1531420618 {
		t.Fatalf("decoded: got %+v, want body text=%%E2%%98%%95, signature v0=abc, timestamp 1531420618, retry 2, received at 1531420618", ev)
	}
}

// TestRequestTemplateBodyLimit: the request template drops bodies past MaxBodyBytes; its
// literal must be that constant.
func TestRequestTemplateBodyLimit(t *testing.T) {
	src := MustTemplate(RequestTemplate)
	if want := "$input.body.length() > " + strconv.Itoa(MaxBodyBytes); !strings.Contains(src, want) {
		t.Fatalf("request template: got no %q, want the body limit to be api.MaxBodyBytes", want)
	}
}
