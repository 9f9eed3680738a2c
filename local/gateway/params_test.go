package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/vtl"
)

func TestPathParams(t *testing.T) {
	tests := []struct {
		resource, path string
		want           map[string]string // nil: no match
	}{
		{"/pets/{petId}", "/pets/123", map[string]string{"petId": "123"}},
		{"/pets/{petId}", "/pets/%7BpetId%7D", map[string]string{"petId": "{petId}"}},
		{"/pets/{petId}", "/pets/a%2Fb", map[string]string{"petId": "a/b"}},
		{"/pets/{petId}/toys/{toy}", "/pets/1/toys/ball", map[string]string{"petId": "1", "toy": "ball"}},
		{"/files/{proxy+}", "/files/a/b%20c/d", map[string]string{"proxy": "a/b c/d"}},
		{"/pets/{petId}", "/pets/", nil},
		{"/pets/{petId}", "/pets", nil},
		{"/pets/{petId}", "/pets/1/2", nil},
		{"/pets/{petId}", "/cats/1", nil},
		{"/pets/{petId}", "/pets/%zz", nil},
		{"/files/{proxy+}", "/files/", nil},
		{"/files/{proxy+}", "/files", nil},
	}
	for _, tc := range tests {
		got, ok := pathParams(tc.resource, tc.path)
		if tc.want == nil {
			if ok {
				t.Errorf("pathParams(%q, %q): got a match %v, want none", tc.resource, tc.path, got)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("pathParams(%q, %q): got %v, %v; want %v, true", tc.resource, tc.path, got, ok, tc.want)
		}
	}
}

// echoGateway is a gateway over api.Routes plus a templated resource whose request
// template prints what a template sees and whose handler echoes the event back.
func echoGateway(t *testing.T, reqTemplate string) *Gateway {
	t.Helper()
	echo := func(_ context.Context, ev json.RawMessage) (json.RawMessage, error) { return ev, nil }
	handlers := map[string]any{}
	for _, r := range api.Routes {
		handlers[r.Function] = echo
	}
	g, err := New(handlers, Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := vtl.Parse("echo request", reqTemplate)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := vtl.Parse("echo response", "$input.json('$')")
	if err != nil {
		t.Fatal(err)
	}
	g.add(&route{Route: api.Route{Path: "/pets/{petId}", Method: "POST", Function: "echo", ContentType: api.ContentTypeJSON},
		requests:  map[string]*vtl.Template{api.ContentTypeJSON: req},
		responses: []response{{status: 200, template: resp}},
		envs:      &sync.Pool{New: func() any { return lambda.NewHandler(echo) }}})
	return g
}

func serve(t *testing.T, g *Gateway, r *http.Request) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b)
}

// TestGatewayPassesPathParameters: a templated resource's path parameters reach the
// template through $input.params, and $context.resourcePath is the resource's template.
func TestGatewayPassesPathParameters(t *testing.T) {
	g := echoGateway(t, `{"id":"$input.params('petId')","all":"$input.params().path","resource":"$context.resourcePath"}`)
	code, body := serve(t, g, httptest.NewRequest("POST", "/pets/a%20b", strings.NewReader("{}")))
	if want := `{"id":"a b","all":"{petId=a b}","resource":"/pets/{petId}"}`; code != 200 || body != want {
		t.Errorf("POST /pets/a%%20b: got %d %s, want 200 %s", code, body, want)
	}
	// The literal routes still win and still see no path parameters.
	code, body = serve(t, g, httptest.NewRequest("POST", "/pets", strings.NewReader("{}")))
	if code != http.StatusForbidden {
		t.Errorf("POST /pets: got %d %s, want 403 (no such resource)", code, body)
	}
	if _, params := g.match(httptest.NewRequest("POST", "/order-list", nil)); params == nil || len(params) != 0 {
		t.Errorf("match(/order-list): got path parameters %v, want an empty map", params)
	}
}

// TestGatewayHidesHeaders: the headers API Gateway hides from templates are not in
// $input.params().header, while the others are (recorded on AWS:
// integrations/header_remapping/full in vtl-aws-apigw.json).
func TestGatewayHidesHeaders(t *testing.T) {
	g := echoGateway(t, `{"names":"#foreach($k in $input.params().header.keySet())$k,#end","upgrade":"$input.params('Upgrade')"}`)
	r := httptest.NewRequest("POST", "/pets/1", strings.NewReader("{}"))
	r.Host = ""
	for _, h := range []string{"Connection", "Upgrade", "TE", "Trailer", "Expect", "Max-Forwards", "Server",
		"Proxy-Authenticate", "WWW-Authenticate", "Content-MD5", "Transfer-Encoding"} {
		r.Header.Set(h, "x")
	}
	r.Header.Set("Authorization", "a")
	r.Header.Set("Via", "v")
	code, body := serve(t, g, r)
	if want := `{"names":"Authorization,Via,","upgrade":""}`; code != 200 || body != want {
		t.Errorf("got %d %s, want 200 %s", code, body, want)
	}
}
