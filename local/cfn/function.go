package cfn

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// Lambda's documented defaults where a template is silent.
const (
	DefaultTimeout     = 3 * time.Second
	DefaultMemoryMB    = 128
	DefaultMaxEventAge = 6 * time.Hour
	DefaultMaxRetries  = 2
)

// Function is a Lambda function as the local stack runs it.
type Function struct {
	LogicalID string
	Name      string
	ARN       string
	// Env is Environment.Variables with intrinsics resolved to the local stand-ins.
	Env      map[string]string
	Timeout  time.Duration
	MemoryMB int
	// Arch is the instruction set (arm64 or x86_64), Runtime and Handler the runtime's.
	Arch, Runtime, Handler string
	// AssetDir is the directory of the function's code in the cloud assembly.
	AssetDir string
	// LogFormat (Text or JSON) and the log levels of LoggingConfig.
	LogFormat, AppLogLevel, SystemLogLevel string
	// Reserved is ReservedConcurrentExecutions; 0: unreserved.
	Reserved int
	// DeadLetterQueue is the logical id of the queue of DeadLetterConfig; "" for none.
	DeadLetterQueue string
	// Async is the asynchronous invocation configuration (Lambda's defaults without an
	// AWS::Lambda::EventInvokeConfig).
	Async Async
}

// Async is an AWS::Lambda::EventInvokeConfig.
type Async struct {
	MaxEventAge time.Duration
	MaxRetries  int
	// OnFailure is the logical id of the on-failure destination queue; "" for none.
	OnFailure string
}

func (s *Stack) function(id string, r Resource) error {
	p := r.Properties
	fail := func(err error) error { return fmt.Errorf("resource %s (AWS::Lambda::Function): %w", id, err) }
	f := &Function{LogicalID: id, Name: s.ref(id, r), ARN: s.attr(id, r, "Arn"), Env: map[string]string{},
		Timeout: DefaultTimeout, MemoryMB: DefaultMemoryMB, Arch: "x86_64", Runtime: str(p["Runtime"]), Handler: str(p["Handler"]),
		LogFormat: "Text", Async: Async{MaxEventAge: DefaultMaxEventAge, MaxRetries: DefaultMaxRetries}}
	if t, ok := p["Timeout"].(float64); ok {
		f.Timeout = time.Duration(t * float64(time.Second))
	}
	if m, ok := p["MemorySize"].(float64); ok {
		f.MemoryMB = int(m)
	}
	if a := list(p["Architectures"]); len(a) == 1 {
		f.Arch = str(a[0])
	}
	if n, ok := p["ReservedConcurrentExecutions"].(float64); ok {
		f.Reserved = int(n)
	}
	if f.Runtime != "provided.al2023" && f.Runtime != "provided.al2" {
		return fail(fmt.Errorf("property Runtime %q: the local stack runs OS-only runtimes (provided.al2023, provided.al2)", f.Runtime))
	}
	env, _ := p["Environment"].(map[string]any)
	if err := checkKeys(id, "Environment", env, "Variables"); err != nil {
		return err
	}
	vars, _ := env["Variables"].(map[string]any)
	for k, v := range vars {
		val, err := s.Resolve(v)
		if err != nil {
			return fail(fmt.Errorf("Environment.Variables.%s: %w", k, err))
		}
		f.Env[k] = val
	}
	if err := s.logging(id, f, p["LoggingConfig"]); err != nil {
		return err
	}
	if dlc, ok := p["DeadLetterConfig"].(map[string]any); ok {
		if err := checkKeys(id, "DeadLetterConfig", dlc, "TargetArn"); err != nil {
			return err
		}
		if f.DeadLetterQueue = s.queueOf(dlc["TargetArn"]); f.DeadLetterQueue == "" {
			return fail(fmt.Errorf("DeadLetterConfig.TargetArn %v: the local stack delivers dead letters to an AWS::SQS::Queue of the template only", dlc["TargetArn"]))
		}
	}
	asset := str(r.Metadata["aws:asset:path"])
	if asset == "" || str(r.Metadata["aws:asset:property"]) != "Code" {
		return fail(errors.New("property Code: no local asset (Metadata aws:asset:path); the local stack runs code from the cloud assembly only"))
	}
	f.AssetDir = filepath.Join(s.Dir, asset)
	s.Functions[id] = f
	return nil
}

func (s *Stack) logging(id string, f *Function, v any) error {
	lc, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if err := checkKeys(id, "LoggingConfig", lc, "LogFormat", "ApplicationLogLevel", "SystemLogLevel", "LogGroup"); err != nil {
		return err
	}
	if v := str(lc["LogFormat"]); v != "" {
		f.LogFormat = v
	}
	f.AppLogLevel, f.SystemLogLevel = str(lc["ApplicationLogLevel"]), str(lc["SystemLogLevel"])
	return nil
}

// queueOf is the logical id of the AWS::SQS::Queue whose Arn v names, or "".
func (s *Stack) queueOf(v any) string {
	id, attribute := refOf(v)
	if r, ok := s.res[id]; ok && r.Type == "AWS::SQS::Queue" && attribute == "Arn" {
		return id
	}
	return ""
}

func (s *Stack) eventInvokeConfig(id string, r Resource) error {
	p := r.Properties
	fail := func(err error) error { return fmt.Errorf("resource %s (AWS::Lambda::EventInvokeConfig): %w", id, err) }
	fnID, _ := refOf(p["FunctionName"])
	f, ok := s.Functions[fnID]
	if !ok {
		return fail(fmt.Errorf("FunctionName %v: not a function of the template", p["FunctionName"]))
	}
	if q := str(p["Qualifier"]); q != "$LATEST" {
		return fail(fmt.Errorf("property Qualifier %q: the local stack runs $LATEST only", q))
	}
	if v, ok := p["MaximumEventAgeInSeconds"].(float64); ok {
		f.Async.MaxEventAge = time.Duration(v) * time.Second
	}
	if v, ok := p["MaximumRetryAttempts"].(float64); ok {
		f.Async.MaxRetries = int(v)
	}
	if dc, ok := p["DestinationConfig"].(map[string]any); ok {
		if err := checkKeys(id, "DestinationConfig", dc, "OnFailure"); err != nil {
			return err
		}
		of, _ := dc["OnFailure"].(map[string]any)
		if f.Async.OnFailure = s.queueOf(of["Destination"]); f.Async.OnFailure == "" {
			return fail(fmt.Errorf("DestinationConfig.OnFailure %v: the local stack delivers to an AWS::SQS::Queue of the template only", of))
		}
	}
	return nil
}
