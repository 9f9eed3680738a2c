package infra

import (
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/lambdas/api"
)

// Lambda's bounds for an asynchronous invocation configuration.
const (
	lambdaMinEventAge = time.Minute
	lambdaMaxEventAge = 6 * time.Hour
	lambdaMaxRetries  = 2
)

// asyncInvoke returns the asynchronous invocation settings of route r's function: for a
// function that defers, api.MaxEventAge and api.AsyncRetryAttempts, set explicitly rather
// than left to Lambda's defaults (6 hours, 2 retries), because a deferred run that starts
// after Slack's response_url has expired can no longer answer anybody. A function that
// never defers gets none (nil, nil).
func asyncInvoke(r api.Route, dlq awssqs.IQueue) (awscdk.Duration, *float64, error) {
	if !r.Kind.Defers() {
		return nil, nil, nil
	}
	// A run that fails every retry must land somewhere an alarm watches.
	if dlq == nil {
		return nil, nil, errors.New("defers work but has no dead-letter queue")
	}
	if err := checkAsync(r.Timeout, api.MaxEventAge, api.AsyncRetryAttempts); err != nil {
		return nil, nil, err
	}
	return awscdk.Duration_Seconds(jsii.Number(api.MaxEventAge.Seconds())), jsii.Number(api.AsyncRetryAttempts), nil
}

// checkAsync checks deferred-run settings against Lambda's bounds and Slack's contract:
// Lambda starts a queued or retried run at most maxAge after it was queued, and the run
// lasts at most timeout, so maxAge + timeout must end before the response_url expires.
func checkAsync(timeout, maxAge time.Duration, retries int) error {
	switch {
	case maxAge < lambdaMinEventAge || maxAge > lambdaMaxEventAge || maxAge%time.Second != 0:
		return fmt.Errorf("max event age %v: Lambda takes whole seconds from %v to %v", maxAge, lambdaMinEventAge, lambdaMaxEventAge)
	case retries < 0 || retries > lambdaMaxRetries:
		return fmt.Errorf("%d retry attempts: Lambda takes 0 to %d", retries, lambdaMaxRetries)
	case maxAge+timeout >= api.ResponseURLValidity:
		return fmt.Errorf("max event age %v + timeout %v = %v: a late run would outlive Slack's response_url (valid %v)",
			maxAge, timeout, maxAge+timeout, api.ResponseURLValidity)
	}
	return nil
}
