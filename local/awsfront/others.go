package awsfront

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Secrets Manager: GetSecretValue (and any other action) on the secret its SecretId names.
func parseSecretsManager(f *Front, r *http.Request, body []byte) (op, *apiError) {
	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
	if !ok {
		return op{}, &apiError{http.StatusBadRequest, "UnknownOperationException", ""}
	}
	var in struct{ SecretId string }
	if err := json.Unmarshal(body, &in); err != nil {
		return op{}, &apiError{http.StatusBadRequest, "SerializationException", err.Error()}
	}
	secret, known := f.secretARN(in.SecretId)
	return op{checks: []check{{action: "secretsmanager:" + name, resource: secret}},
		rules: func() *apiError {
			// "ResourceNotFoundException: Secrets Manager can't find the resource that you
			// asked for." (API_GetSecretValue.html#API_GetSecretValue_Errors), HTTP 400.
			if !known {
				return &apiError{http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret."}
			}
			return nil
		}}, nil
}

// secretARN is the ARN a SecretId (an ARN or a name) names, and whether the template has
// that secret.
func (f *Front) secretARN(id string) (string, bool) {
	if f.Stack != nil {
		for _, a := range f.Stack.Secrets {
			// A secret's ARN ends in its name, "-" and six random characters.
			name := a[strings.Index(a, ":secret:")+len(":secret:"):]
			if id == a || (len(name) > 7 && id == name[:len(name)-7]) {
				return a, true
			}
		}
	}
	if strings.HasPrefix(id, "arn:") {
		return id, false
	}
	return arn("secretsmanager", "secret:"+id), false
}

// Lambda's Invoke payload limits (API_Invoke.html): "For synchronous invocations, the
// maximum payload size is 6 MB. For asynchronous invocations, the maximum payload size is
// 1 MB." — RequestTooLargeException, HTTP 413.
const (
	MaxSyncPayload  = 6 << 20
	MaxAsyncPayload = 1 << 20
)

// Lambda: POST /2015-03-31/functions/{FunctionName}/invocations is lambda:InvokeFunction
// on the function (and its qualifier).
func parseLambda(f *Front, r *http.Request, body []byte) (op, *apiError) {
	rest, ok := strings.CutPrefix(f.opPath(r, "lambda"), "/2015-03-31/functions/")
	fnName, ok2 := strings.CutSuffix(rest, "/invocations")
	if !ok || !ok2 || r.Method != http.MethodPost {
		return op{}, &apiError{http.StatusNotFound, "UnknownOperationException", "the local stack implements Lambda's Invoke only"}
	}
	fnName, _ = url.PathUnescape(fnName)
	resource, known := fnName, false
	for _, fn := range f.IAM.Functions {
		if fnName == fn.Name || fnName == fn.ARN {
			resource, known = fn.ARN, true
		}
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		resource += ":" + q
	}
	typ := r.Header.Get("X-Amz-Invocation-Type")
	return op{checks: []check{{action: "lambda:InvokeFunction", resource: resource}},
		rules: func() *apiError {
			if !known {
				return &apiError{http.StatusNotFound, "ResourceNotFoundException", "Function not found: " + resource}
			}
			limit := MaxSyncPayload
			switch typ {
			case "", "RequestResponse", "DryRun":
			case "Event":
				limit = MaxAsyncPayload
			default:
				return &apiError{http.StatusBadRequest, "InvalidParameterValueException", fmt.Sprintf("1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", typ)}
			}
			if len(body) > limit {
				return &apiError{http.StatusRequestEntityTooLarge, "RequestTooLargeException", fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", limit)}
			}
			return nil
		}}, nil
}

// SQS (JSON protocol): SendMessage on the queue QueueUrl names.
func parseSQS(f *Front, r *http.Request, body []byte) (op, *apiError) {
	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	if !ok {
		return op{}, &apiError{http.StatusBadRequest, "UnknownOperationException", ""}
	}
	var in struct{ QueueUrl, MessageBody string }
	if err := json.Unmarshal(body, &in); err != nil {
		return op{}, &apiError{http.StatusBadRequest, "SerializationException", err.Error()}
	}
	queue, known := "", false
	if f.Stack != nil {
		for _, q := range f.Stack.Queues {
			if q.URL() == in.QueueUrl {
				queue, known = q.ARN, true
			}
		}
	}
	if !known {
		if u, err := url.Parse(in.QueueUrl); err == nil {
			queue = arn("sqs", strings.TrimPrefix(u.Path[strings.LastIndex(u.Path, "/"):], "/"))
		}
	}
	return op{checks: []check{{action: "sqs:" + name, resource: queue}},
		rules: func() *apiError {
			if !known {
				return &apiError{http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist."}
			}
			// A message may be as large as the queue's MaximumMessageSize, 262,144 bytes
			// unless the queue sets it (the template's queues do not); SendMessage's
			// MessageBody is at most 1 MiB for a queue that allows it
			// (API_SendMessage.html, API_SetQueueAttributes.html).
			if name == "SendMessage" && len(in.MessageBody) > MaxQueueMessage {
				return &apiError{http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", MaxQueueMessage)}
			}
			return nil
		}}, nil
}

// MaxQueueMessage is a queue's default MaximumMessageSize.
const MaxQueueMessage = 262144
