// Package awsfront is the local stack's one front for the AWS APIs the functions call
// (DynamoDB, Secrets Manager, Lambda Invoke, EventBridge Scheduler, SQS). Every request
// goes through what AWS does before a service acts on it:
//
//  1. its Signature Version 4 is verified with the credentials the dev server gave the
//     calling function (Issue): a wrong signature, an unknown key, a session token that is
//     not the key's, a date more than 5 minutes off are refused as AWS refuses them;
//  2. the credentials name the function, the function its role in the template, and the
//     role's identity-based policies decide each action the request needs (local/iam) —
//     a denial answers AccessDeniedException in the service's own shape, and is logged
//     with the role, the action, the resource and the statement that would allow it;
//  3. the service's own rules on the request (rules.go) answer the service's validation
//     errors;
//
// and only then is the request handed to the service's stand-in (Backends): dynalite for
// DynamoDB, the dev server's stand-ins for the others. In Warn mode a denial is logged and
// the request goes on.
package awsfront

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/iam"
)

// Mode says what a denial does.
type Mode int

// Enforce answers a denied request as AWS does (the default); Warn logs it and lets it
// through.
const (
	Enforce Mode = iota
	Warn
)

// ParseMode reads --iam: enforce or warn.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "enforce":
		return Enforce, nil
	case "warn":
		return Warn, nil
	}
	return Enforce, fmt.Errorf("--iam %q: want enforce or warn", s)
}

// Credentials are what a function process gets in AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, as Lambda gives its role's session's.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// maxBody bounds what the front reads of a request: above every service's own limit
// (Lambda's 6 MB), so that the service's rule, not the front, answers.
const maxBody = 8 << 20

// Front is the front; set the exported fields, then Issue credentials and serve.
type Front struct {
	IAM *iam.Model
	// Stack is the template the stand-ins are of: its tables' keys, secrets and queues.
	Stack *cfn.Stack
	Mode  Mode
	// Log receives one line per refused or denied request.
	Log io.Writer
	// Backends are the stand-ins by signing name: dynamodb, secretsmanager, lambda,
	// scheduler, sqs. A service without one answers 501.
	Backends map[string]http.Handler
	// Now is the clock signatures are checked against; time.Now when nil.
	Now func() time.Time
	// Prefix is where the front is mounted: a request for service S comes to Prefix + S +
	// the service's own path (the dev server's /_aws/lambda/2015-03-31/…), signed as sent;
	// "" for a front that is each service's endpoint itself.
	Prefix string

	mu      sync.Mutex
	callers map[string]*caller // by access key id
	denials []Denial
	// itemLocks serialise the writes to one item (ddbWrite), striped by key.
	itemLocks [itemLockStripes]sync.Mutex
}

type caller struct {
	creds    Credentials
	function string
	role     *iam.Role
}

// Denial is one denied action, for tests and the least-privilege report.
type Denial struct {
	Function, Role, Action, Resource string
	// Message is the AccessDeniedException's message.
	Message string
	// Hint is the statement that would allow the action, or why a statement that names
	// it does not.
	Hint string
}

// Issue makes the credentials of function's process; the function must have a role in
// the template.
func (f *Front) Issue(function string) (Credentials, error) {
	fn := f.IAM.Functions[function]
	if fn == nil {
		return Credentials{}, fmt.Errorf("function %s: not a function of the template", function)
	}
	c := Credentials{AccessKeyID: "ASIA" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
		SecretAccessKey: randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
		SessionToken:    "IQoJb3JpZ2luX2VjE" + randomToken()}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.callers == nil {
		f.callers = map[string]*caller{}
	}
	f.callers[c.AccessKeyID] = &caller{creds: c, function: function, role: fn.Role}
	return c, nil
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomToken() string {
	b := make([]byte, 96)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Denials are the denials so far.
func (f *Front) Denials() []Denial {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Denial(nil), f.denials...)
}

func (f *Front) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// ServeHTTP authenticates, authorises and checks a request, then hands it to its
// service's stand-in.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.serve(w, r, f.serviceOf(r))
}

// For is the front of one service at an endpoint of its own (no Prefix): every request
// is that service's — DynamoDB's endpoint, whose unsigned GET / is the service's too.
func (f *Front) For(service string) http.Handler {
	svc := services[service]
	if svc == nil {
		svc = unknownService
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.serve(w, r, svc) })
}

func (f *Front) serve(w http.ResponseWriter, r *http.Request, svc *service) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		svc.fail(w, apiError{http.StatusBadRequest, "SerializationException", "reading the request: " + err.Error()})
		return
	}
	if len(body) > maxBody {
		svc.fail(w, apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", fmt.Sprintf("the request is larger than the %d bytes any of the services takes", maxBody)})
		return
	}
	if b := f.Backends["dynamodb"]; svc.name == "dynamodb" && r.Method == http.MethodGet && r.Header.Get("Authorization") == "" && b != nil {
		// DynamoDB answers an unsigned GET / ("healthy: dynamodb.<region>.amazonaws.com";
		// config.Preconnect opens its connection so): the stand-in answers it.
		r.Body = io.NopCloser(bytes.NewReader(body))
		b.ServeHTTP(w, r)
		return
	}
	c, aerr := f.authenticate(r, body, svc)
	if aerr != nil {
		f.logf("refused %s %s: %s: %s", r.Method, r.URL.Path, aerr.Code, aerr.Message)
		svc.fail(w, *aerr)
		return
	}
	op, aerr := svc.parse(f, r, body)
	if aerr != nil {
		svc.fail(w, *aerr)
		return
	}
	for _, ch := range op.checks {
		if aerr := f.authorize(c, ch); aerr != nil {
			aerr.Status = svc.deniedStatus
			svc.fail(w, *aerr)
			return
		}
	}
	if aerr := op.validate(); aerr != nil {
		svc.fail(w, *aerr)
		return
	}
	backend := f.Backends[svc.name]
	if backend == nil {
		svc.fail(w, apiError{http.StatusNotImplemented, "NotImplemented", "the local stack has no " + svc.name + " stand-in"})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if op.respond != nil {
		op.respond(w, r, backend)
		return
	}
	backend.ServeHTTP(w, r)
}

// authenticate finds the caller of a request and verifies its signature.
func (f *Front) authenticate(r *http.Request, body []byte, svc *service) (*caller, *apiError) {
	status := svc.deniedStatus
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, &apiError{status, "MissingAuthenticationTokenException", "Request is missing Authentication Token"}
	}
	a, err := parseAuthorization(h)
	if err != nil {
		return nil, &apiError{status, "IncompleteSignatureException", err.Error()}
	}
	f.mu.Lock()
	c := f.callers[a.accessKey]
	f.mu.Unlock()
	// Temporary credentials: a key AWS does not know, or a session token that is not the
	// key's, is the same error (UnrecognizedClientException, as iann0036/iamlive#58 shows
	// Lambda answering with 403).
	if c == nil || !hmac.Equal([]byte(r.Header.Get("X-Amz-Security-Token")), []byte(c.creds.SessionToken)) {
		return nil, &apiError{status, "UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	stamp := r.Header.Get("X-Amz-Date")
	if err := checkDate(stamp, f.now()); err != nil {
		return nil, &apiError{status, "InvalidSignatureException", err.Error()}
	}
	if a.date != stamp[:8] {
		return nil, &apiError{status, "InvalidSignatureException", fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.date, stamp[:8], stamp)}
	}
	if a.region != cfn.Region || a.service != svc.name {
		return nil, &apiError{status, "InvalidSignatureException", fmt.Sprintf("Credential should be scoped to a valid region and service (%s, %s), not %s/%s.", cfn.Region, svc.name, a.region, a.service)}
	}
	want := signature(r, body, a, stamp, c.creds.SecretAccessKey)
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return nil, &apiError{status, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
	return c, nil
}

// authorize evaluates one action of c's request by its role's identity-based policies.
func (f *Front) authorize(c *caller, ch check) *apiError {
	req := iam.Request{Principal: c.role.Principal(c.function), Action: ch.action, Resource: ch.resource, Context: ch.ctx}
	if req.Context == nil {
		req.Context = map[string][]string{}
	}
	req.Context["aws:PrincipalArn"] = []string{c.role.ARN}
	req.Context["aws:PrincipalAccount"] = []string{cfn.Account}
	d := iam.Evaluate(req, c.role.Policies, nil)
	if d.Allowed() {
		return nil
	}
	msg := iam.DenyMessage(req, d, "identity-based")
	hint := "add to role " + c.role.Name + ": " + iam.Suggest(req)
	if len(d.Near) > 0 {
		hint = strings.Join(d.Near, "; ")
	}
	if d.Outcome == iam.ExplicitDeny {
		hint = "denied by " + d.Policy + ", " + d.Statement.Label(d.Index)
	}
	f.mu.Lock()
	f.denials = append(f.denials, Denial{Function: c.function, Role: c.role.Name, Action: ch.action, Resource: ch.resource, Message: msg, Hint: hint})
	f.mu.Unlock()
	verdict := "DENIED"
	if f.Mode == Warn {
		verdict = "WOULD BE DENIED (--iam warn)"
	}
	f.logf("iam: %s: role %s, function %s: %s on %s; %s", verdict, c.role.Name, c.function, ch.action, ch.resource, hint)
	if f.Mode == Warn {
		return nil
	}
	return &apiError{Code: "AccessDeniedException", Message: msg}
}

func (f *Front) logf(format string, args ...any) {
	if f.Log != nil {
		fmt.Fprintf(f.Log, format+"\n", args...)
	}
}

// DeniedError is a denial of an action a service takes on a function's behalf.
type DeniedError struct{ Message string }

func (e *DeniedError) Error() string { return "AccessDeniedException: " + e.Message }

// Authorize decides an action AWS takes with a function's role rather than the function's
// own request — Lambda writing its logs (logs:CreateLogStream, logs:PutLogEvents), its
// traces (xray:PutTraceSegments) and its dead letters (sqs:SendMessage) — for the
// stand-ins that take them. A denial is logged as the front logs one; in Warn mode it is
// logged and nil.
func (f *Front) Authorize(function, action, resource string, ctx map[string][]string) error {
	fn := f.IAM.Functions[function]
	if fn == nil {
		return fmt.Errorf("function %s: not a function of the template", function)
	}
	if aerr := f.authorize(&caller{function: function, role: fn.Role}, check{action: action, resource: resource, ctx: ctx}); aerr != nil {
		return &DeniedError{aerr.Message}
	}
	return nil
}

// ServiceInvoke decides whether service (apigateway.amazonaws.com) may invoke function
// on behalf of sourceARN, by the function's resource-based policy (its
// AWS::Lambda::Permission resources). API Gateway answers a denial with 500 and
// "Execution failed due to configuration error: Invalid permissions on Lambda function"
// in its execution log.
func (f *Front) ServiceInvoke(service, function, sourceARN string) error {
	fn := f.IAM.Functions[function]
	if fn == nil {
		return fmt.Errorf("function %s: not a function of the template", function)
	}
	req := iam.Request{Principal: iam.Principal{Service: service}, Action: "lambda:InvokeFunction", Resource: fn.ARN,
		Context: map[string][]string{"aws:SourceArn": {sourceARN}, "aws:SourceAccount": {cfn.Account}}}
	return f.serviceDecision(req, nil, []iam.Policy{fn.Resource}, "resource-based")
}

// AssumeRole decides whether service (scheduler.amazonaws.com) may assume the role
// roleARN for the resource sourceARN, by the role's trust policy.
func (f *Front) AssumeRole(service, roleARN, sourceARN string) error {
	role := f.IAM.RoleByARN(roleARN)
	if role == nil {
		return &DeniedError{fmt.Sprintf("%s is not authorized to perform: sts:AssumeRole on resource: %s", service, roleARN)}
	}
	req := iam.Request{Principal: iam.Principal{Service: service}, Action: "sts:AssumeRole", Resource: role.ARN,
		Context: map[string][]string{"aws:SourceArn": {sourceARN}, "aws:SourceAccount": {cfn.Account}}}
	return f.serviceDecision(req, nil, []iam.Policy{role.Trust}, "resource-based")
}

func (f *Front) serviceDecision(req iam.Request, identity, resource []iam.Policy, policyType string) error {
	d := iam.Evaluate(req, identity, resource)
	if d.Allowed() {
		return nil
	}
	msg := iam.DenyMessage(req, d, policyType)
	verdict := "DENIED"
	if f.Mode == Warn {
		verdict = "WOULD BE DENIED (--iam warn)"
	}
	f.logf("iam: %s: %s: %s on %s; %s", verdict, req.Principal.Service, req.Action, req.Resource, strings.Join(d.Near, "; "))
	f.mu.Lock()
	f.denials = append(f.denials, Denial{Role: req.Principal.Service, Action: req.Action, Resource: req.Resource, Message: msg, Hint: strings.Join(d.Near, "; ")})
	f.mu.Unlock()
	if f.Mode == Warn {
		return nil
	}
	return &DeniedError{msg}
}

// AuthorizeRole decides an action a service takes as a role it assumed — Scheduler
// invoking a schedule's target as the schedule's role (session name: the schedule's).
func (f *Front) AuthorizeRole(roleARN, session, action, resource string) error {
	role := f.IAM.RoleByARN(roleARN)
	if role == nil {
		return fmt.Errorf("role %s: not a role of the template", roleARN)
	}
	if aerr := f.authorize(&caller{function: session, role: role}, check{action: action, resource: resource}); aerr != nil {
		return &DeniedError{aerr.Message}
	}
	return nil
}
