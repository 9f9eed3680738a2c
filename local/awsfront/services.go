package awsfront

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/orderbot/orderbot/local/cfn"
)

// apiError is an error answer: its HTTP status, the service's exception name and its
// message, written in the service's own shape by service.fail.
type apiError struct {
	Status  int
	Code    string
	Message string
}

// check is one action a request needs, on one resource, with the condition keys the
// request puts in its context.
type check struct {
	action, resource string
	ctx              map[string][]string
}

// op is a parsed request: the actions it needs, the service's rules on it, and optionally
// how to answer it instead of passing the backend's answer through.
type op struct {
	checks  []check
	rules   func() *apiError
	respond func(w http.ResponseWriter, r *http.Request, backend http.Handler)
}

func (o op) validate() *apiError {
	if o.rules == nil {
		return nil
	}
	return o.rules()
}

// service is one AWS API as the front speaks it.
type service struct {
	// name is the signing name (the credential scope's service).
	name string
	// deniedStatus is the status of the authentication errors and AccessDeniedException:
	// 400 for the JSON protocols, 403 for the REST ones.
	deniedStatus int
	parse        func(f *Front, r *http.Request, body []byte) (op, *apiError)
	fail         func(w http.ResponseWriter, e apiError)
}

var services map[string]*service

func init() {
	services = map[string]*service{
		"dynamodb":       {"dynamodb", http.StatusBadRequest, parseDynamoDB, failDynamoDB},
		"secretsmanager": {"secretsmanager", http.StatusBadRequest, parseSecretsManager, failJSON11},
		"lambda":         {"lambda", http.StatusForbidden, parseLambda, failREST},
		"scheduler":      {"scheduler", http.StatusForbidden, parseScheduler, failREST},
		"sqs":            {"sqs", http.StatusBadRequest, parseSQS, failSQS},
	}
}

// unknownService answers a request the front cannot place.
var unknownService = &service{name: "unknown", deniedStatus: http.StatusBadRequest,
	parse: func(*Front, *http.Request, []byte) (op, *apiError) {
		return op{}, &apiError{http.StatusBadRequest, "UnknownOperationException", "the local stack serves DynamoDB, Secrets Manager, Lambda, Scheduler and SQS only"}
	},
	fail: failJSON11}

// serviceOf places a request: by its credential scope, else by the service its path
// names under the prefix, else by its target or path.
func (f *Front) serviceOf(r *http.Request) *service {
	if a, err := parseAuthorization(r.Header.Get("Authorization")); err == nil {
		if s := services[a.service]; s != nil {
			return s
		}
	}
	if f.Prefix != "" {
		name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, f.Prefix), "/")
		if s := services[name]; s != nil {
			return s
		}
	}
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "DynamoDB_"):
		return services["dynamodb"]
	case strings.HasPrefix(target, "secretsmanager."):
		return services["secretsmanager"]
	case strings.HasPrefix(target, "AmazonSQS."):
		return services["sqs"]
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/"):
		return services["lambda"]
	case strings.HasPrefix(r.URL.Path, "/schedules"):
		return services["scheduler"]
	}
	return unknownService
}

// opPath is the request's path as the service defines it: without Prefix and the
// service's name.
func (f *Front) opPath(r *http.Request, service string) string {
	p := r.URL.Path
	if f.Prefix != "" {
		p = "/" + strings.TrimPrefix(strings.TrimPrefix(p, f.Prefix), service)
		p = "/" + strings.TrimLeft(p, "/")
	}
	return p
}

func writeJSON(w http.ResponseWriter, contentType string, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-RequestId", randomString(32, "0123456789abcdef"))
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// failDynamoDB writes DynamoDB's JSON 1.0 error: the coral namespaces for authentication,
// authorisation and validation, DynamoDB's own for its exceptions (as DynamoDB answers,
// e.g. {"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User: …"},
// aws/aws-sdk-php#1292).
func failDynamoDB(w http.ResponseWriter, e apiError) {
	ns := "com.amazonaws.dynamodb.v20120810#"
	switch e.Code {
	case "ValidationException":
		ns = "com.amazon.coral.validate#"
	case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
		"MissingAuthenticationTokenException", "IncompleteSignatureException", "SerializationException":
		ns = "com.amazon.coral.service#"
	}
	writeJSON(w, "application/x-amz-json-1.0", e.Status, map[string]string{"__type": ns + e.Code, "message": e.Message})
}

// failJSON11 writes the JSON 1.1 error of Secrets Manager.
func failJSON11(w http.ResponseWriter, e apiError) {
	writeJSON(w, "application/x-amz-json-1.1", e.Status, map[string]string{"__type": e.Code, "Message": e.Message})
}

// failREST writes a REST-JSON error (Lambda, Scheduler): the exception in
// X-Amzn-ErrorType, the message in the body.
func failREST(w http.ResponseWriter, e apiError) {
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	writeJSON(w, "application/json", e.Status, map[string]string{"Type": "User", "Message": e.Message, "message": e.Message})
}

// failSQS writes SQS's JSON 1.0 error.
func failSQS(w http.ResponseWriter, e apiError) {
	w.Header().Set("X-Amzn-Query-Error", e.Code+";Sender")
	writeJSON(w, "application/x-amz-json-1.0", e.Status, map[string]string{"__type": "com.amazonaws.sqs#" + e.Code, "message": e.Message})
}

func arn(service, resource string) string {
	return "arn:aws:" + service + ":" + cfn.Region + ":" + cfn.Account + ":" + resource
}

func validation(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", msg}
}
