package cfn

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// API Gateway's documented defaults where a template is silent.
const (
	// DefaultIntegrationTimeout is a REST API integration's default (and, without a quota
	// increase, maximum) timeout.
	DefaultIntegrationTimeout = 29 * time.Second
	// MaxPayload is a REST API's request payload limit (10 MB).
	MaxPayload = 10 << 20
)

// API is the REST API of a template: its one stage and its methods.
type API struct {
	StageName string
	// ThrottleRate (requests per second) and ThrottleBurst are the stage's method
	// throttling; 0 when the template sets none.
	ThrottleRate, ThrottleBurst float64
	// AccessLogFormat is the access log line's template; "" for no access log.
	AccessLogFormat string
	Methods         []Method
}

// Method is one AWS::ApiGateway::Method.
type Method struct {
	LogicalID  string
	Path       string
	HTTPMethod string
	// Function is the logical id of the Lambda function the integration invokes.
	Function    string
	Integration Integration
	// MethodResponses are the declared status codes.
	MethodResponses []int
}

// Integration is a method's non-proxy Lambda integration (Type AWS).
type Integration struct {
	// RequestTemplates by content type.
	RequestTemplates map[string]string
	// Passthrough is PassthroughBehavior: WHEN_NO_MATCH (the default), WHEN_NO_TEMPLATES or
	// NEVER.
	Passthrough string
	Timeout     time.Duration
	Responses   []IntegrationResponse
}

// IntegrationResponse is one of an integration's responses.
type IntegrationResponse struct {
	StatusCode int
	// SelectionPattern is matched against the whole errorMessage; nil for the default
	// response (the one without a pattern).
	SelectionPattern *regexp.Regexp
	Pattern          string
	Templates        map[string]string
	// Parameters are ResponseParameters: header name → static value ('…').
	Parameters map[string]string
}

func (s *Stack) api() (API, error) {
	var a API
	stages, apis := 0, 0
	for _, id := range sortedIDs(s.res) {
		r := s.res[id]
		switch r.Type {
		case "AWS::ApiGateway::RestApi":
			apis++
		case "AWS::ApiGateway::Stage":
			stages++
			if err := s.stage(id, r, &a); err != nil {
				return a, err
			}
		case "AWS::ApiGateway::Method":
			m, err := s.method(id, r)
			if err != nil {
				return a, err
			}
			a.Methods = append(a.Methods, m)
		}
	}
	if stages > 1 || apis > 1 {
		return a, errors.New("more than one AWS::ApiGateway::RestApi or Stage: the local stack serves one of each")
	}
	return a, nil
}

func (s *Stack) stage(id string, r Resource, a *API) error {
	p := r.Properties
	a.StageName = str(p["StageName"])
	for i, ms := range list(p["MethodSettings"]) {
		m, _ := ms.(map[string]any)
		path := "MethodSettings[" + strconv.Itoa(i) + "]"
		if err := checkKeys(id, path, m, "HttpMethod", "ResourcePath", "ThrottlingRateLimit", "ThrottlingBurstLimit",
			"LoggingLevel", "DataTraceEnabled", "MetricsEnabled"); err != nil {
			return err
		}
		if str(m["HttpMethod"]) != "*" || str(m["ResourcePath"]) != "/*" {
			return fmt.Errorf("resource %s: property %s: settings of one method (%v %v) are not implemented by the local stack, only */*", id, path, m["HttpMethod"], m["ResourcePath"])
		}
		a.ThrottleRate, _ = m["ThrottlingRateLimit"].(float64)
		a.ThrottleBurst, _ = m["ThrottlingBurstLimit"].(float64)
	}
	if als, ok := p["AccessLogSetting"].(map[string]any); ok {
		if err := checkKeys(id, "AccessLogSetting", als, "DestinationArn", "Format"); err != nil {
			return err
		}
		a.AccessLogFormat = str(als["Format"])
	}
	return nil
}

var lambdaURI = regexp.MustCompile(`^arn:aws:apigateway:[^:]+:lambda:path/2015-03-31/functions/(arn:aws:lambda:[^/]+)/invocations$`)

func (s *Stack) method(id string, r Resource) (Method, error) {
	p := r.Properties
	fail := func(err error) (Method, error) {
		return Method{}, fmt.Errorf("resource %s (AWS::ApiGateway::Method): %w", id, err)
	}
	path, err := s.pathOf(p["ResourceId"])
	if err != nil {
		return fail(err)
	}
	m := Method{LogicalID: id, Path: path, HTTPMethod: str(p["HttpMethod"])}
	if at := str(p["AuthorizationType"]); at != "" && at != "NONE" {
		return fail(fmt.Errorf("property AuthorizationType %q: the local stack implements NONE only", at))
	}
	for _, mr := range list(p["MethodResponses"]) {
		mm, _ := mr.(map[string]any)
		if err := checkKeys(id, "MethodResponses", mm, "StatusCode", "ResponseModels", "ResponseParameters"); err != nil {
			return Method{}, err
		}
		code, _ := strconv.Atoi(str(mm["StatusCode"]))
		m.MethodResponses = append(m.MethodResponses, code)
	}
	in, _ := p["Integration"].(map[string]any)
	if err := checkKeys(id, "Integration", in, "Type", "IntegrationHttpMethod", "Uri", "RequestTemplates",
		"PassthroughBehavior", "TimeoutInMillis", "IntegrationResponses"); err != nil {
		return Method{}, err
	}
	if t := str(in["Type"]); t != "AWS" || str(in["IntegrationHttpMethod"]) != "POST" {
		return fail(fmt.Errorf("property Integration.Type %q (%v): the local stack implements non-proxy Lambda integrations (AWS, POST) only", t, in["IntegrationHttpMethod"]))
	}
	uri, err := s.Resolve(in["Uri"])
	if err != nil {
		return fail(fmt.Errorf("Integration.Uri: %w", err))
	}
	sm := lambdaURI.FindStringSubmatch(uri)
	var fn *Function
	if sm != nil {
		fn = s.FunctionNamed(sm[1])
	}
	if fn == nil {
		return fail(fmt.Errorf("Integration.Uri %s: names no AWS::Lambda::Function of the template", uri))
	}
	m.Function = fn.LogicalID
	if m.Integration, err = s.integration(id, in); err != nil {
		return Method{}, err
	}
	return m, nil
}

func (s *Stack) integration(id string, in map[string]any) (Integration, error) {
	it := Integration{RequestTemplates: map[string]string{}, Passthrough: "WHEN_NO_MATCH", Timeout: DefaultIntegrationTimeout}
	if v := str(in["PassthroughBehavior"]); v != "" {
		it.Passthrough = v
	}
	if v, ok := in["TimeoutInMillis"].(float64); ok {
		it.Timeout = time.Duration(v) * time.Millisecond
	}
	rts, _ := in["RequestTemplates"].(map[string]any)
	for ct, t := range rts {
		it.RequestTemplates[ct] = str(t)
	}
	defaults := 0
	for i, v := range list(in["IntegrationResponses"]) {
		ir, _ := v.(map[string]any)
		path := "Integration.IntegrationResponses[" + strconv.Itoa(i) + "]"
		if err := checkKeys(id, path, ir, "StatusCode", "SelectionPattern", "ResponseTemplates", "ResponseParameters"); err != nil {
			return it, err
		}
		resp, err := integrationResponse(ir)
		if err != nil {
			return it, fmt.Errorf("resource %s: property %s: %w", id, path, err)
		}
		if resp.SelectionPattern == nil {
			defaults++
		}
		it.Responses = append(it.Responses, resp)
	}
	if defaults != 1 {
		return it, fmt.Errorf("resource %s: property Integration.IntegrationResponses: %d responses without a SelectionPattern, want exactly one (the default)", id, defaults)
	}
	return it, nil
}

func integrationResponse(ir map[string]any) (IntegrationResponse, error) {
	code, err := strconv.Atoi(str(ir["StatusCode"]))
	if err != nil {
		return IntegrationResponse{}, fmt.Errorf("StatusCode %v: %w", ir["StatusCode"], err)
	}
	resp := IntegrationResponse{StatusCode: code, Pattern: str(ir["SelectionPattern"]), Templates: map[string]string{}, Parameters: map[string]string{}}
	if resp.Pattern != "" {
		// API Gateway matches the whole errorMessage (Java's Matcher.matches).
		if resp.SelectionPattern, err = regexp.Compile("^(?:" + resp.Pattern + ")$"); err != nil {
			return resp, fmt.Errorf("SelectionPattern %q: %w", resp.Pattern, err)
		}
	}
	rt, _ := ir["ResponseTemplates"].(map[string]any)
	for ct, t := range rt {
		resp.Templates[ct] = str(t)
	}
	rp, _ := ir["ResponseParameters"].(map[string]any)
	for k, v := range rp {
		name, ok := strings.CutPrefix(k, "method.response.header.")
		val := str(v)
		if !ok || len(val) < 2 || val[0] != '\'' || val[len(val)-1] != '\'' {
			return resp, fmt.Errorf("ResponseParameters %s=%v: the local stack implements static header values ('…') only", k, v)
		}
		resp.Parameters[name] = val[1 : len(val)-1]
	}
	return resp, nil
}
