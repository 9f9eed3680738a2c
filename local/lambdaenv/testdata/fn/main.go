// Command fn is a Lambda function for the tests of package lambdaenv: what it does is
// what its event asks.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	SleepMS int    `json:"sleepMs"`
	Exit    int    `json:"exit"`
	Fail    string `json:"fail"`
	Env     string `json:"env"`
}

type reply struct {
	PID       int    `json:"pid"`
	Env       string `json:"env"`
	RequestID string `json:"requestId"`
}

func main() {
	if os.Getenv("FAIL_INIT") != "" {
		os.Exit(3)
	}
	lambda.Start(func(ctx context.Context, ev event) (reply, error) {
		time.Sleep(time.Duration(ev.SleepMS) * time.Millisecond)
		if ev.Exit != 0 {
			os.Exit(ev.Exit)
		}
		if ev.Fail != "" {
			return reply{}, errors.New(ev.Fail)
		}
		lc, _ := lambdacontext.FromContext(ctx)
		return reply{PID: os.Getpid(), Env: os.Getenv(ev.Env), RequestID: lc.AwsRequestID}, nil
	})
}
