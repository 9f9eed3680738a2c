package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/gateway"
)

// TestHandlerTimeoutErrorIsNotIntegrationTimeout (in-process only: a fake handler returns
// the error at once; local/devstack's TestTimeoutRecyclesEnvironment is the template's
// Timeout): a handler that returns in time with an
// error wrapping context.DeadlineExceeded — a store call whose acknowledgement was lost —
// gets its integration response, as in API Gateway; only the integration itself running
// out of time answers 504.
func TestHandlerTimeoutErrorIsNotIntegrationTimeout(t *testing.T) {
	handlers := map[string]any{}
	for _, r := range api.Routes {
		handlers[r.Function] = func(ctx context.Context, ev api.Event) (string, error) {
			return "", fmt.Errorf("set order: %w", context.DeadlineExceeded)
		}
	}
	gw, err := gateway.New(handlers, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/order-update", api.ContentTypeForm, strings.NewReader("text=latte"))
	if err != nil {
		t.Fatalf("POST /order-update: got error %v, want nil", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("got HTTP %d, want 500 (the unmapped error's integration response), not 504", resp.StatusCode)
	}
}
