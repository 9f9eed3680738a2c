package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"time"

	"github.com/orderbot/orderbot/lambdas/syncbuf"
)

// runGoLambda starts a Go function (the bootstrap, a cold-path step or the floor) in the
// cgroup of memory size mb under a fresh Runtime API, times spawn → its reply to sr, then
// sends warm more invocations, each after an idle CPU period so that it starts with a
// full quota, as sparse traffic does. In the calibrated model the quota applies from the
// first GET /next (the end of init); whole throttles the whole process, init included.
func runGoLambda(ctx context.Context, w *lambdaWorld, mb int, bin string, env []string, sr *signedRequest, warm int, whole bool) (lambdaSample, error) {
	rt, err := startRuntimeAPI(sr.event)
	if err != nil {
		return lambdaSample{}, err
	}
	defer rt.close()
	cmd := exec.Command(bin)
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+rt.addr, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(mb))
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	before := w.counts()
	start, release, throttle, err := w.quotas.startFree(cmd, mb, !whole)
	if err != nil {
		return lambdaSample{}, err
	}
	var initCPU, initDelay time.Duration
	rt.onFirst = func() { initCPU, initDelay = schedstat(cmd.Process.Pid); throttle() }
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
		release()
	}()
	var res runtimeResult
	select {
	case res = <-rt.done:
	case err := <-exited:
		exited <- err
		return lambdaSample{}, fmt.Errorf("exited before replying (%v): %s", err, tail(stderr.String()))
	case <-time.After(30 * time.Second):
		return lambdaSample{}, fmt.Errorf("no reply within 30s: %s", tail(stderr.String()))
	case <-ctx.Done():
		return lambdaSample{}, ctx.Err()
	}
	s := lambdaSample{cold: res.at.Sub(start), init: res.delivered.Sub(start), handler: res.at.Sub(res.delivered),
		cpu: onCPU(cmd.Process.Pid), initCPU: initCPU, initDelay: initDelay}
	s.calls, s.stderr = w.counts().sub(before), stderr.String()
	if err := checkSlackReply(res); err != nil {
		return lambdaSample{}, fmt.Errorf("%v (stderr: %s)", err, tail(stderr.String()))
	}
	logged := len(stderr.String())
	if err := warmInvocations(ctx, w, rt, cmd.Process.Pid, exited, warm, &s); err != nil {
		return lambdaSample{}, fmt.Errorf("%v (stderr: %s)", err, tail(stderr.String()))
	}
	s.logBytes = len(stderr.String()) - logged
	return s, nil
}

// warmInvocations invokes the warm process pid n times, each a fresh signed request after
// a quiet gap, and records each one's duration and CPU in s.
func warmInvocations(ctx context.Context, w *lambdaWorld, rt *runtimeAPI, pid int, exited chan error, n int, s *lambdaSample) error {
	for i := range n {
		ev, err := newSignedRequest(ctx)
		if err != nil {
			return err
		}
		sleepUntil(time.Now().Add(warmGapPeriods * w.quotas.Period))
		cpu := onCPU(pid)
		r, err := rt.invoke(ctx, fmt.Sprintf("warm-%d-%d", time.Now().UnixNano(), i), ev.event, exited)
		if err == nil {
			err = checkSlackReply(r)
		}
		if err != nil {
			return fmt.Errorf("warm invocation %d: %v", i+1, err)
		}
		s.warm = append(s.warm, r.at.Sub(r.delivered))
		s.warmCPU = append(s.warmCPU, onCPU(pid)-cpu)
	}
	return nil
}

func checkSlackReply(res runtimeResult) error {
	if res.err != nil {
		return res.err
	}
	var msg struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(res.body, &msg); err != nil || (msg.Text == "" && len(msg.Blocks) == 0) {
		return fmt.Errorf("reply is not a Slack message: %.200s", res.body)
	}
	return nil
}

// stdioConn is a peer function's process spoken to over its stdin and stdout, one
// event and one reply a line.
type stdioConn struct {
	name     string
	in       io.Writer
	out      *bufio.Reader
	stderr   *syncbuf.Buffer
	answered time.Time // when the last reply came
}

// ask sends event and reads its reply, which must be a proxy integration's success.
func (c *stdioConn) ask(event []byte) error {
	if _, err := c.in.Write(append(event, '\n')); err != nil {
		return err
	}
	line, err := c.out.ReadBytes('\n')
	c.answered = time.Now()
	if err == nil {
		err = checkProxyReply(line)
	}
	if err != nil {
		return fmt.Errorf("%s: %v (stderr: %s)", c.name, err, tail(c.stderr.String()))
	}
	return nil
}

// runStdioLambda is runGoLambda for a stdio handler (Bolt, Python, Node): one proxy event
// per line on stdin, one reply line each on stdout, after a "ready" line where its init
// ends (ORDERBOT_BENCH_READY=1), at which the quota goes on.
func runStdioLambda(ctx context.Context, w *lambdaWorld, mb int, spec stdioSpec, sr *signedRequest, warm int) (lambdaSample, error) {
	cmd := exec.Command(spec.name, spec.args...)
	cmd.Dir, cmd.Env = spec.dir, append(slices.Clone(spec.env), "ORDERBOT_BENCH_READY=1")
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return lambdaSample{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return lambdaSample{}, err
	}
	out := bufio.NewReader(stdout)
	c := &stdioConn{name: spec.name, in: stdin, out: out, stderr: &stderr}
	before := w.counts()
	start, release, throttle, err := w.quotas.startFree(cmd, mb, true)
	if err != nil {
		return lambdaSample{}, err
	}
	defer func() {
		stdin.Close()
		cmd.Process.Kill()
		io.Copy(io.Discard, out)
		cmd.Wait()
		release()
	}()
	if line, err := out.ReadBytes('\n'); err != nil || string(line) != "ready\n" {
		return lambdaSample{}, fmt.Errorf("%s: want a ready line, got %q, %v (stderr: %s)", spec.name, line, err, tail(stderr.String()))
	}
	ready := time.Now()
	initCPU, initDelay := schedstat(cmd.Process.Pid)
	throttle()
	if err := c.ask(sr.proxyEvent); err != nil {
		return lambdaSample{}, err
	}
	s := lambdaSample{cold: c.answered.Sub(start), init: ready.Sub(start), handler: c.answered.Sub(ready), cpu: onCPU(cmd.Process.Pid), initCPU: initCPU, initDelay: initDelay}
	s.calls = w.counts().sub(before)
	for range warm {
		ev, err := newSignedRequest(ctx)
		if err != nil {
			return lambdaSample{}, err
		}
		sleepUntil(time.Now().Add(warmGapPeriods * w.quotas.Period))
		cpu, t := onCPU(cmd.Process.Pid), time.Now()
		if err := c.ask(ev.proxyEvent); err != nil {
			return lambdaSample{}, err
		}
		s.warm = append(s.warm, time.Since(t))
		s.warmCPU = append(s.warmCPU, onCPU(cmd.Process.Pid)-cpu)
	}
	return s, nil
}
