package schedule

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orderbot/orderbot/lambdas/api"
)

func TestName(t *testing.T) {
	n, err := Name(api.ScheduleClose, "0123456789abcdef0123456789abcdef")
	if err != nil || n != "close-0123456789abcdef0123456789abcdef" {
		t.Fatalf("Name: got %q, %v; want close-0123456789abcdef0123456789abcdef, nil", n, err)
	}
	for _, bad := range []string{"", "a/b", "a b", strings.Repeat("a", 51)} {
		if n, err := Name(api.ScheduleRemind, bad); err == nil {
			t.Errorf("Name(remind, %q): got %q, want ErrBadName", bad, n)
		}
	}
}

// TestValidName holds validName to the pattern EventBridge Scheduler documents for a
// schedule name, which it replaces (a regexp cost every cold start 860 allocations).
func TestValidName(t *testing.T) {
	pattern := regexp.MustCompile(`^[0-9a-zA-Z\-_.]{1,64}$`)
	cases := []string{"", "a", "close-abc", "A-Z_0.9", strings.Repeat("x", 64), strings.Repeat("x", 65),
		"a b", "a/b", "a:b", "é", "close-\n", "-", ".", "_", "a\x00", "큰"}
	for c := byte(0); c < 128; c++ {
		cases = append(cases, "a"+string(rune(c)))
	}
	for _, n := range cases {
		if got, want := validName(n), pattern.MatchString(n); got != want {
			t.Errorf("validName(%q): got %v, want %v", n, got, want)
		}
	}
}

func FuzzValidName(f *testing.F) {
	pattern := regexp.MustCompile(`^[0-9a-zA-Z\-_.]{1,64}$`)
	f.Add("close-abc")
	f.Fuzz(func(t *testing.T, n string) {
		if got, want := validName(n), pattern.MatchString(n); got != want {
			t.Errorf("validName(%q): got %v, want %v", n, got, want)
		}
	})
}

func TestExpression(t *testing.T) {
	at := time.Date(2026, 3, 4, 11, 30, 0, 0, time.FixedZone("KST", 9*3600))
	if got := Expression(at); got != "at(2026-03-04T02:30:00)" {
		t.Fatalf("Expression: got %s, want at(2026-03-04T02:30:00) (UTC)", got)
	}
}

type recorded struct {
	method, path, query, auth, body string
}

func scheduler(t *testing.T, status int) (AWS, *[]recorded) {
	t.Helper()
	var mu sync.Mutex
	var got []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, recorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), string(b)})
		mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, `{"Message":"x"}`)
	}))
	t.Cleanup(srv.Close)
	return AWS{
		AWS: aws.Config{Region: "ap-northeast-2", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")},
		Group: "Orderbot-deadlines", RoleARN: "arn:aws:iam::111122223333:role/sched",
		TargetARN: "arn:aws:lambda:ap-northeast-2:111122223333:function:Orderbot-order-list",
	}, &got
}

func TestCreateIsOneSignedCall(t *testing.T) {
	a, got := scheduler(t, http.StatusOK)
	at := time.Date(2026, 3, 4, 2, 30, 0, 0, time.UTC)
	if err := a.Create(context.Background(), Schedule{Name: "close-abc", At: at, Input: []byte(`{"schedule":{"kind":"close"}}`)}); err != nil {
		t.Fatalf("Create: %v", err)
	}
	r := (*got)[0]
	if r.method != "POST" || r.path != "/schedules/close-abc" {
		t.Fatalf("request: got %s %s, want POST /schedules/close-abc", r.method, r.path)
	}
	if !strings.HasPrefix(r.auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(r.auth, "/ap-northeast-2/scheduler/aws4_request") {
		t.Fatalf("Authorization: got %q, want SigV4 for scheduler in ap-northeast-2", r.auth)
	}
	var in map[string]any
	if err := json.Unmarshal([]byte(r.body), &in); err != nil {
		t.Fatal(err)
	}
	tg := in["Target"].(map[string]any)
	want := map[string]any{
		"ScheduleExpression": "at(2026-03-04T02:30:00)", "ScheduleExpressionTimezone": "UTC",
		"ActionAfterCompletion": "DELETE", "GroupName": "Orderbot-deadlines", "State": "ENABLED",
	}
	for k, v := range want {
		if in[k] != v {
			t.Errorf("%s: got %v, want %v", k, in[k], v)
		}
	}
	if in["FlexibleTimeWindow"].(map[string]any)["Mode"] != "OFF" || tg["Arn"] != a.TargetARN || tg["RoleArn"] != a.RoleARN ||
		tg["Input"] != `{"schedule":{"kind":"close"}}` || tg["RetryPolicy"].(map[string]any)["MaximumRetryAttempts"] != float64(TargetMaxRetries) {
		t.Errorf("body: got %s", r.body)
	}
}

func TestConflictAndNotFoundAreSuccess(t *testing.T) {
	a, _ := scheduler(t, http.StatusConflict)
	if err := a.Create(context.Background(), Schedule{Name: "close-abc", At: time.Now()}); err != nil {
		t.Fatalf("Create on ConflictException: got %v, want nil (the name is this schedule)", err)
	}
	a, got := scheduler(t, http.StatusNotFound)
	if err := a.Delete(context.Background(), "remind-abc"); err != nil {
		t.Fatalf("Delete on ResourceNotFound: got %v, want nil", err)
	}
	if r := (*got)[0]; r.method != "DELETE" || r.path != "/schedules/remind-abc" || !strings.Contains(r.query, "groupName=Orderbot-deadlines") {
		t.Fatalf("request: got %s %s?%s, want DELETE /schedules/remind-abc?groupName=Orderbot-deadlines", r.method, r.path, r.query)
	}
	a, _ = scheduler(t, http.StatusForbidden)
	if err := a.Create(context.Background(), Schedule{Name: "close-abc", At: time.Now()}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("Create on 403: got %v, want an error naming 403", err)
	}
	if err := a.Delete(context.Background(), "close-abc"); err == nil {
		t.Fatal("Delete on 403: got nil, want an error")
	}
}

func TestLocalFiresWhenDueOnceOrTwice(t *testing.T) {
	var mu sync.Mutex
	var fired []string
	l := &Local{Invoke: func(_ context.Context, in []byte) error {
		mu.Lock()
		defer mu.Unlock()
		fired = append(fired, string(in))
		return nil
	}}
	now := time.Now()
	ctx := context.Background()
	l.Create(ctx, Schedule{Name: "close-a", At: now.Add(20 * time.Minute), Input: []byte("a")})
	l.Create(ctx, Schedule{Name: "remind-a", At: now.Add(15 * time.Minute), Input: []byte("r")})
	l.Create(ctx, Schedule{Name: "close-a", At: now.Add(time.Minute), Input: []byte("dup")}) // conflict: kept
	l.Create(ctx, Schedule{Name: "close-b", At: now.Add(10 * time.Minute), Input: []byte("b")})
	l.Delete(ctx, "close-b")
	if got := l.Advance(ctx, 14*time.Minute); len(got) != 0 {
		t.Fatalf("after 14m: fired %v, want nothing", got)
	}
	if got := l.Advance(ctx, 6*time.Minute); strings.Join(got, ",") != "remind-a,close-a" {
		t.Fatalf("after 20m: fired %v, want remind-a,close-a", got)
	}
	if strings.Join(fired, ",") != "r,a" || len(l.Pending()) != 0 {
		t.Fatalf("invoked %v, pending %v; want r,a and none", fired, l.Pending())
	}
	l.Twice = true
	l.Create(ctx, Schedule{Name: "close-c", At: now, Input: []byte("c")})
	l.FireDue(ctx)
	if strings.Join(fired, ",") != "r,a,c,c" {
		t.Fatalf("Twice: invoked %v, want r,a,c,c", fired)
	}
}

func TestLocalSpeed(t *testing.T) {
	real := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	l := &Local{Speed: 60, Now: func() time.Time { return real }, Invoke: func(context.Context, []byte) error { return nil }}
	ctx := context.Background()
	l.Create(ctx, Schedule{Name: "close-a", At: real.Add(20 * time.Minute)})
	real = real.Add(19 * time.Second)
	if got := l.FireDue(ctx); len(got) != 0 {
		t.Fatalf("19 s into a 20-minute deadline at 60×: fired %v", got)
	}
	real = real.Add(time.Second)
	if got := l.FireDue(ctx); len(got) != 1 {
		t.Fatalf("20 s into a 20-minute deadline at 60×: fired %v, want close-a", got)
	}
}

// TestCreateNamesTheDeadLetterQueue (issue #21, finding 8): a firing Scheduler cannot
// deliver within its retry policy goes to the dead-letter queue, never dropped silently.
func TestCreateNamesTheDeadLetterQueue(t *testing.T) {
	a, got := scheduler(t, http.StatusOK)
	a.DeadLetterARN = "arn:aws:sqs:ap-northeast-2:111122223333:Orderbot-DeferredDLQ"
	if err := a.Create(context.Background(), Schedule{Name: "close-abc", At: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var in struct {
		Target struct {
			DeadLetterConfig struct{ Arn string }
			RetryPolicy      struct{ MaximumRetryAttempts, MaximumEventAgeInSeconds int }
		}
	}
	if err := json.Unmarshal([]byte((*got)[0].body), &in); err != nil {
		t.Fatal(err)
	}
	if in.Target.DeadLetterConfig.Arn != a.DeadLetterARN || in.Target.RetryPolicy.MaximumRetryAttempts != TargetMaxRetries ||
		in.Target.RetryPolicy.MaximumEventAgeInSeconds != int(TargetMaxEventAge.Seconds()) {
		t.Fatalf("target: got %+v, want the dead-letter queue %s and the retry policy", in.Target, a.DeadLetterARN)
	}
}

// TestCreateRecurringIsOneSignedCall: a recurring round's schedule is the deadline's call
// with its own expression — cron in the team's zone, kept after each firing — and every
// other field (group, role, retry policy, window, token) the same.
func TestCreateRecurringIsOneSignedCall(t *testing.T) {
	a, got := scheduler(t, http.StatusOK)
	a.DeadLetterARN = "arn:aws:sqs:ap-northeast-2:111122223333:dlq"
	r := Recurring{Name: "rec-abc", Cron: "cron(0 11 ? * MON-FRI *)", Timezone: "Asia/Seoul", Input: []byte(`{"at":"` + ScheduledTime + `"}`)}
	if err := a.CreateRecurring(context.Background(), r); err != nil {
		t.Fatalf("CreateRecurring: %v", err)
	}
	req := (*got)[0]
	if req.method != "POST" || req.path != "/schedules/rec-abc" || !strings.HasPrefix(req.auth, "AWS4-HMAC-SHA256 ") {
		t.Fatalf("request: got %s %s (%q), want a signed POST /schedules/rec-abc", req.method, req.path, req.auth)
	}
	var in map[string]any
	if err := json.Unmarshal([]byte(req.body), &in); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"ScheduleExpression": r.Cron, "ScheduleExpressionTimezone": "Asia/Seoul", "ActionAfterCompletion": "NONE",
		"GroupName": "Orderbot-deadlines", "State": "ENABLED", "ClientToken": "rec-abc",
	}
	for k, v := range want {
		if in[k] != v {
			t.Errorf("%s: got %v, want %v", k, in[k], v)
		}
	}
	tg := in["Target"].(map[string]any)
	if tg["Input"] != string(r.Input) || tg["RoleArn"] != a.RoleARN || tg["DeadLetterConfig"].(map[string]any)["Arn"] != a.DeadLetterARN ||
		tg["RetryPolicy"].(map[string]any)["MaximumEventAgeInSeconds"] != TargetMaxEventAge.Seconds() {
		t.Errorf("target: got %v, want the input as written, the role, the dead-letter queue and the retry policy", tg)
	}
	a, _ = scheduler(t, http.StatusForbidden)
	if err := a.CreateRecurring(context.Background(), r); err == nil || !strings.Contains(err.Error(), "create recurring schedule rec-abc: status 403") {
		t.Fatalf("CreateRecurring on 403: got %v, want an error naming the recurring schedule and 403", err)
	}
}
