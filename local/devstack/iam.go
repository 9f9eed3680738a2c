package devstack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/orderbot/orderbot/local/awsfront"
	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/iam"
)

// IAM (issue #20): every AWS call a function makes goes through the front
// (local/awsfront), signed with credentials of its own and decided by its role in the
// template; what AWS does with a role on a function's behalf — API Gateway's invoke (the
// function's AWS::Lambda::Permission), Lambda's logs, traces and dead letters, Scheduler's
// assumed role — is decided by the same evaluator (local/iam).

// startFront makes the front of the stand-ins: DynamoDB (the store proxy, then dynalite)
// and the stand-ins of ServeHTTP's.
func (s *Stack) startFront() error {
	model, err := iam.Load(s.opts.CDKOut, s.opts.StackName)
	if err != nil {
		return fmt.Errorf("IAM of the template: %w", err)
	}
	standIns := http.HandlerFunc(s.serveStandIns)
	s.Front = &awsfront.Front{IAM: model, Stack: s.Stack, Mode: s.opts.IAM, Log: prefixed(s.opts.Log, "iam"), Prefix: AWSPath,
		Backends: map[string]http.Handler{"dynamodb": s.proxy, "secretsmanager": standIns, "lambda": standIns, "scheduler": standIns}}
	// DynamoDB has an endpoint of its own, as in AWS: no path, its GET / its own.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.Front.For("dynamodb"), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	s.stop = append(s.stop, func() { srv.Close() })
	s.dynamoURL = "http://" + ln.Addr().String()
	for _, id := range s.Stack.FunctionIDs() {
		s.platformChecks(s.Stack.Functions[id])
	}
	return nil
}

// credentials are the function's own: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, as Lambda gives a function its role's session.
func (s *Stack) credentials(f *cfn.Function) map[string]string {
	c, err := s.Front.Issue(f.Name)
	if err != nil {
		// A function without a role of the template: its calls are refused as an unknown
		// key's.
		return map[string]string{"AWS_ACCESS_KEY_ID": "ASIANOROLE", "AWS_SECRET_ACCESS_KEY": "-", "AWS_SESSION_TOKEN": "-"}
	}
	return map[string]string{"AWS_ACCESS_KEY_ID": c.AccessKeyID, "AWS_SECRET_ACCESS_KEY": c.SecretAccessKey, "AWS_SESSION_TOKEN": c.SessionToken}
}

// platformChecks: Lambda writes the function's logs (and, with Tracing Active, its traces)
// with its role; without the permissions it drops them silently. The local stack still
// prints them, and says so once.
func (s *Stack) platformChecks(f *cfn.Function) {
	fn := s.Front.IAM.Functions[f.Name]
	if fn == nil {
		return
	}
	stream := fn.LogGroupARN + ":log-stream:local/[$LATEST]0"
	for _, a := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
		if err := s.Front.Authorize(f.Name, a, stream, nil); err != nil {
			s.logf("%s: Lambda could not write this function's logs to CloudWatch (%v); they are printed here all the same", f.Name, err)
		}
	}
	if fn.Traced {
		for _, a := range []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"} {
			if err := s.Front.Authorize(f.Name, a, "*", nil); err != nil {
				s.logf("%s: Lambda could not send this function's traces to X-Ray (%v)", f.Name, err)
			}
		}
	}
}

// gatewayInvoke is API Gateway's invoke of the function with logical id fn: allowed by
// the function's resource-based policy for the method's SourceArn, or API Gateway answers
// 500 ("Execution failed due to configuration error: Invalid permissions on Lambda
// function" in its execution log, https://repost.aws/knowledge-center/api-gateway-internal-server-error).
func (s *Stack) gatewayInvoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	f := s.Stack.Functions[fn]
	for _, m := range s.Stack.API.Methods {
		if m.Function != fn {
			continue
		}
		src := s.Front.IAM.StageARN + "/" + m.HTTPMethod + m.Path
		if err := s.Front.ServiceInvoke("apigateway.amazonaws.com", f.Name, src); err != nil {
			return nil, fmt.Errorf("API Gateway: Execution failed due to configuration error: Invalid permissions on Lambda function: %w", err)
		}
	}
	return s.invoke(ctx, fn, payload)
}

// scheduleMayInvoke: Scheduler assumes the schedule's role (its trust policy: Scheduler,
// for this account's schedule group) and invokes the target as it.
func (s *Stack) scheduleMayInvoke(group, name, roleARN, target string) error {
	groupARN := "arn:aws:scheduler:" + cfn.Region + ":" + cfn.Account + ":schedule-group/" + group
	if err := s.Front.AssumeRole("scheduler.amazonaws.com", roleARN, groupARN); err != nil {
		return err
	}
	return s.Front.AuthorizeRole(roleARN, name, "lambda:InvokeFunction", target)
}

// deadLetterAllowed: Lambda sends a failed event to the dead-letter queue with the
// function's role (sqs:SendMessage); without the permission the event is lost.
func (s *Stack) deadLetterAllowed(f *cfn.Function, queueARN string) error {
	return s.Front.Authorize(f.Name, "sqs:SendMessage", queueARN, nil)
}

// DynamoDBEndpoint is DynamoDB itself (dynalite), past the front and the store faults:
// for tests that look at what was written.
func (s *Stack) DynamoDBEndpoint() string { return s.proxy.target }
