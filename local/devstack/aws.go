package devstack

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/orderbot/orderbot/lambdas/schedule"
	"github.com/orderbot/orderbot/local/lambdaenv"
)

// ServeHTTP serves the AWS APIs under AWSPath through the front (iam.go): DynamoDB,
// Secrets Manager's GetSecretValue, Lambda's Invoke and EventBridge Scheduler's
// CreateSchedule and DeleteSchedule, each in the service's own wire format, signed by the
// calling function and allowed by its role.
func (s *Stack) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.Front.ServeHTTP(w, r) }

// serveStandIns serves the stand-ins of Secrets Manager, Lambda and Scheduler behind the
// front.
func (s *Stack) serveStandIns(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, AWSPath)
	service, path, _ := strings.Cut(rest, "/")
	body, err := io.ReadAll(io.LimitReader(r.Body, 7<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch service {
	case "secretsmanager":
		s.getSecretValue(w, r, body)
	case "lambda":
		s.lambdaInvoke(w, r, "/"+path, body)
	case "scheduler":
		s.scheduler(w, r, "/"+path, body)
	default:
		http.NotFound(w, r)
	}
}

func awsError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg, "Message": msg})
}

func (s *Stack) getSecretValue(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "the local Secrets Manager implements GetSecretValue only")
		return
	}
	var in struct{ SecretId string }
	json.Unmarshal(body, &in)
	value, ok := s.secrets[in.SecretId]
	if !ok {
		awsError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(map[string]any{"ARN": in.SecretId, "Name": in.SecretId, "SecretString": value,
		"VersionId": "local", "VersionStages": []string{"AWSCURRENT"}})
}

// lambdaInvoke is POST /2015-03-31/functions/{name}/invocations: InvocationType Event
// queues (202), RequestResponse runs and answers 200, with X-Amz-Function-Error when the
// function failed.
func (s *Stack) lambdaInvoke(w http.ResponseWriter, r *http.Request, path string, body []byte) {
	name, ok := strings.CutPrefix(path, "/2015-03-31/functions/")
	name, ok2 := strings.CutSuffix(name, "/invocations")
	if !ok || !ok2 || r.Method != http.MethodPost {
		awsError(w, http.StatusNotFound, "UnknownOperationException", "the local Lambda implements Invoke only")
		return
	}
	f := s.Stack.FunctionNamed(name)
	if f == nil {
		awsError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	switch r.Header.Get("X-Amz-Invocation-Type") {
	case "Event":
		if err := s.async.enqueue(f.LogicalID, body); err != nil {
			awsError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", err.Error())
			return
		}
		w.WriteHeader(http.StatusAccepted)
	case "", "RequestResponse":
		out, err := s.pools[f.LogicalID].Invoke(r.Context(), "", body)
		if fe, ok := err.(*lambdaenv.FunctionError); ok {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			out = fe.Payload
		} else if err != nil {
			awsError(w, http.StatusTooManyRequests, "TooManyRequestsException", err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	default:
		awsError(w, http.StatusBadRequest, "InvalidParameterValueException", "the local Lambda implements Event and RequestResponse")
	}
}

// createSchedule is what CreateSchedule's body carries that the local Scheduler uses.
type createSchedule struct {
	GroupName                  string
	ScheduleExpression         string
	ScheduleExpressionTimezone string
	Target                     struct{ Arn, RoleArn, Input string }
}

// scheduler is POST and DELETE /schedules/{name}: one-time at() and recurring cron()
// schedules (in ScheduleExpressionTimezone, UTC when unset, as Scheduler) in the
// template's groups, fired (through the stack's schedule.Local, --clock-speed) as an
// asynchronous invocation of their target.
func (s *Stack) scheduler(w http.ResponseWriter, r *http.Request, path string, body []byte) {
	name, ok := strings.CutPrefix(path, "/schedules/")
	if !ok || name == "" {
		awsError(w, http.StatusNotFound, "UnknownOperationException", "the local Scheduler implements CreateSchedule and DeleteSchedule only")
		return
	}
	switch r.Method {
	case http.MethodDelete:
		group := r.URL.Query().Get("groupName")
		s.schedMu.Lock()
		for key, l := range s.sched {
			if strings.HasPrefix(key, group+"|") {
				l.Delete(r.Context(), name)
			}
		}
		s.schedMu.Unlock()
		w.Write([]byte("{}"))
	case http.MethodPost:
		var in createSchedule
		if err := json.Unmarshal(body, &in); err != nil {
			awsError(w, http.StatusBadRequest, "ValidationException", err.Error())
			return
		}
		if status, typ, msg := s.createSchedule(r.Context(), name, in); status != http.StatusOK {
			awsError(w, status, typ, msg)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"ScheduleArn": "arn:aws:scheduler:local:schedule/" + in.GroupName + "/" + name})
	default:
		awsError(w, http.StatusMethodNotAllowed, "UnknownOperationException", r.Method)
	}
}

func (s *Stack) createSchedule(ctx context.Context, name string, in createSchedule) (int, string, string) {
	if !slices.Contains(mapValues(s.Stack.ScheduleGroups), in.GroupName) {
		return http.StatusNotFound, "ResourceNotFoundException", "Schedule group " + in.GroupName + " does not exist."
	}
	recurring := strings.HasPrefix(in.ScheduleExpression, "cron(")
	at, err := time.Parse("at(2006-01-02T15:04:05)", in.ScheduleExpression)
	if err != nil && !recurring {
		return http.StatusBadRequest, "ValidationException", "the local Scheduler implements one-time at(…) UTC and cron(…) schedules only: " + in.ScheduleExpression
	}
	f := s.Stack.FunctionNamed(in.Target.Arn)
	if f == nil {
		return http.StatusBadRequest, "ValidationException", "target " + in.Target.Arn + " is not a function of the template"
	}
	if err := s.scheduleMayInvoke(in.GroupName, name, in.Target.RoleArn, f.ARN); err != nil {
		return http.StatusBadRequest, "ValidationException", err.Error()
	}
	l := s.schedules(in.GroupName, f.LogicalID)
	if recurring {
		err := l.CreateRecurring(ctx, schedule.Recurring{Name: name, Cron: in.ScheduleExpression,
			Timezone: cmp.Or(in.ScheduleExpressionTimezone, "UTC"), Input: []byte(in.Target.Input)})
		if err != nil {
			return http.StatusBadRequest, "ValidationException", err.Error()
		}
		return http.StatusOK, "", ""
	}
	l.Create(ctx, schedule.Schedule{Name: name, At: at, Input: []byte(in.Target.Input)})
	return http.StatusOK, "", ""
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// schedules is the local Scheduler of the group's schedules that target the function
// with logical id fn: a due schedule is an asynchronous invocation of fn (Scheduler
// invokes Lambda asynchronously), fired --clock-speed times sooner, twice with Twice.
func (s *Stack) schedules(group, fn string) *schedule.Local {
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	key := group + "|" + fn
	if l, ok := s.sched[key]; ok {
		return l
	}
	l := &schedule.Local{Speed: s.opts.ClockSpeed, Twice: s.opts.Twice,
		Invoke: func(_ context.Context, input []byte) error { return s.async.enqueue(fn, input) },
		Fired: func(name string, at time.Time) {
			s.logf("schedule %s/%s fired (due %s)", group, name, at.Local().Format("15:04:05"))
		}}
	s.sched[key] = l
	go l.Run(s.runCtx, 100*time.Millisecond)
	return l
}
