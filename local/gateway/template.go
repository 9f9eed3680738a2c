package gateway

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/vtl"
)

// Invoker runs a synchronous invocation of the function with the logical id fn (a
// template's AWS::Lambda::Function): its output, or its *lambdaenv.FunctionError.
type Invoker func(ctx context.Context, fn string, payload []byte) ([]byte, error)

// NewFromStack builds the gateway a synthesized template describes: its methods (path,
// HTTP method), each integration's request templates by content type, timeout and
// responses (SelectionPattern, StatusCode, ResponseTemplates, ResponseParameters), and
// the stage's name, method throttling and access-log format. Every invocation goes to
// invoke. Nothing comes from the route table: what the template says is what is served.
func NewFromStack(s *cfn.Stack, invoke Invoker, opts Options) (*Gateway, error) {
	if opts.Stage == "" {
		opts.Stage = s.API.StageName
	}
	g, err := newGateway(opts, s.API.AccessLogFormat)
	if err != nil {
		return nil, err
	}
	seen := map[string]string{}
	for _, m := range s.API.Methods {
		if other, ok := seen[m.Path]; ok {
			return nil, fmt.Errorf("resource %s: a second method on %s (after %s) is not implemented by the local stack", m.LogicalID, m.Path, other)
		}
		seen[m.Path] = m.LogicalID
		rt, err := templateRoute(s, m, invoke)
		if err != nil {
			return nil, err
		}
		if s.API.ThrottleRate > 0 {
			rt.throttle = newBucket(s.API.ThrottleRate, s.API.ThrottleBurst)
		}
		g.add(rt)
	}
	return g, nil
}

func templateRoute(s *cfn.Stack, m cfn.Method, invoke Invoker) (*route, error) {
	f := s.Functions[m.Function]
	it := m.Integration
	if it.Passthrough != "NEVER" {
		return nil, fmt.Errorf("resource %s: property Integration.PassthroughBehavior %q: the local stack implements NEVER only", m.LogicalID, it.Passthrough)
	}
	rt := &route{
		Route:              api.Route{Path: m.Path, Method: m.HTTPMethod, Function: f.Name, Timeout: f.Timeout},
		requests:           map[string]*vtl.Template{},
		integrationTimeout: it.Timeout,
		invokeFn: func(ctx context.Context, payload []byte) ([]byte, error) {
			return invoke(ctx, m.Function, payload)
		},
	}
	for _, ct := range sortedKeys(it.RequestTemplates) {
		t, err := vtl.Parse(m.Path+" "+ct, it.RequestTemplates[ct])
		if err != nil {
			return nil, fmt.Errorf("resource %s: Integration.RequestTemplates %s: %w", m.LogicalID, ct, err)
		}
		t.SetLimits(vtl.Limits{MaxString: requestTemplateBound, MaxOutput: requestTemplateBound})
		rt.requests[ct] = t
	}
	// The default response first: ServeHTTP answers a success with responses[0] and
	// matches errors against the rest.
	var def *response
	for _, ir := range it.Responses {
		src, ok := ir.Templates[api.ContentTypeJSON]
		if !ok && len(ir.Templates) > 0 {
			return nil, fmt.Errorf("resource %s: IntegrationResponses %d: the local stack renders application/json response templates only", m.LogicalID, ir.StatusCode)
		}
		if !ok {
			src = "$input.json('$')" // no template: API Gateway passes the body through
		}
		t, err := vtl.Parse(fmt.Sprintf("%s %d response", m.Path, ir.StatusCode), src)
		if err != nil {
			return nil, fmt.Errorf("resource %s: IntegrationResponses %d: %w", m.LogicalID, ir.StatusCode, err)
		}
		resp := response{status: ir.StatusCode, pattern: ir.SelectionPattern, template: t, headers: ir.Parameters}
		if resp.pattern == nil {
			def = &resp
			continue
		}
		rt.responses = append(rt.responses, resp)
	}
	rt.responses = append([]response{*def}, rt.responses...)
	return rt, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// bucket is a method's token bucket: rate tokens a second up to burst. API Gateway
// throttles each method of a stage with the stage's default method throttling this way
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html).
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate, burst float64) *bucket {
	return &bucket{rate: rate, burst: max(burst, 1), tokens: max(burst, 1)}
}

// take spends a token if there is one at now.
func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
