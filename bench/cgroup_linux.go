package bench

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// cpuQuotas runs processes the way Lambda gives a function CPU: a share of one vCPU in
// proportion to its memory size (1,769 MB = one vCPU), enforced per period. Every process
// gets a fresh Linux cgroup of its own (a fresh sandbox: no CPU debt left by an earlier
// process) under a parent cgroup of the harness's, and starts inside it: on cgroup v2
// atomically with clone3 (SysProcAttr.UseCgroupFD), on cgroup v1 by forking from an OS
// thread that was first moved into the cgroup (v1 lets threads of one process live in
// different cgroups; that thread is discarded afterwards). When neither works (not root,
// no cpu controller, a container's cgroup namespace) Reason says why and processes run
// without a quota: the report says so instead of failing.
type cpuQuotas struct {
	Version int           // 1 or 2; 0 without a quota
	Period  time.Duration // CFS period
	Reason  string        // why there is no quota ("" when there is)
	// WholePeriod is the period of a whole-process quota (init throttled too, the
	// independent harness's shape); 0: Period.
	WholePeriod time.Duration
	parent      string // our cgroup directory, removed by close
	home        string // v1: the cpu cgroup the harness runs in, where a spawning thread returns

	mu    sync.Mutex
	n     int                   // cgroups made so far
	stats map[int]throttleStats // summed over the processes of each memory size
}

// newCPUQuotas makes the parent cgroup and checks that a child with a quota can be made.
// It never fails: without cgroups the result has a Reason and starts processes as they are.
func newCPUQuotas(period time.Duration) *cpuQuotas {
	q := &cpuQuotas{Period: period, stats: map[int]throttleStats{}}
	err := q.setup()
	if err == nil {
		var g *cgroup
		if g, err = q.child(128); err == nil {
			q.remove(g, 128)
		}
	}
	if err != nil {
		q.close()
		q.Version, q.parent = 0, ""
		q.Reason = err.Error()
	}
	return q
}

func (q *cpuQuotas) setup() error {
	if os.Geteuid() != 0 {
		return errors.New("not running as root (cgroups need it)")
	}
	v2, v1, err := cgroupMounts()
	if err != nil {
		return err
	}
	name := fmt.Sprintf("orderbot-bench-%d", os.Getpid())
	switch {
	case v2 != "" && hasWord(v2+"/cgroup.controllers", "cpu"):
		q.Version, q.parent = 2, filepath.Join(v2, name)
		if !hasWord(v2+"/cgroup.subtree_control", "cpu") {
			if err := writeFile(v2+"/cgroup.subtree_control", "+cpu"); err != nil {
				return fmt.Errorf("cgroup v2: enabling the cpu controller under %s: %w", v2, err)
			}
		}
		if err := os.Mkdir(q.parent, 0o755); err != nil {
			return fmt.Errorf("cgroup v2: %w", err)
		}
		if err := writeFile(q.parent+"/cgroup.subtree_control", "+cpu"); err != nil {
			return fmt.Errorf("cgroup v2: %w", err)
		}
	case v1 != "":
		q.Version, q.parent, q.home = 1, filepath.Join(v1, name), filepath.Join(v1, ownCgroup("cpu"))
		if err := os.Mkdir(q.parent, 0o755); err != nil {
			return fmt.Errorf("cgroup v1: %w", err)
		}
	default:
		return errors.New("no cgroup cpu controller is mounted (neither cgroup v2 with cpu in cgroup.controllers nor a v1 cpu hierarchy)")
	}
	return nil
}

// Quota is the CPU time per period of a memory size: period × memory / 1,769 MB, at
// least the 1 ms the kernel accepts (0 without a quota).
func (q *cpuQuotas) Quota(mb int) time.Duration {
	if q.Version == 0 {
		return 0
	}
	return max(time.Duration(float64(q.Period)*float64(mb)/fullCPUMemoryMB).Round(time.Microsecond), time.Millisecond)
}

type cgroup struct {
	dir string
	fd  int // v2: the directory, for CLONE_INTO_CGROUP
}

// child makes a cgroup with memory size mb's quota, or with none when free (the init
// phase of the calibrated model: see limit).
func (q *cpuQuotas) child(mb int, free ...bool) (*cgroup, error) {
	q.mu.Lock()
	q.n++
	g := &cgroup{dir: filepath.Join(q.parent, fmt.Sprintf("mem-%d-%d", mb, q.n)), fd: -1}
	q.mu.Unlock()
	if err := os.Mkdir(g.dir, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup v%d: %w", q.Version, err)
	}
	period, quota := q.Period.Microseconds(), q.Quota(mb).Microseconds()
	if len(free) > 0 && free[0] {
		quota = -1
	} else if q.WholePeriod > 0 {
		period = q.WholePeriod.Microseconds()
		quota = max(int64(float64(period)*float64(mb)/fullCPUMemoryMB), 1000)
	}
	if q.Version == 2 {
		if err := writeFile(g.dir+"/cpu.max", quotaMax(quota, period)); err != nil {
			removeCgroup(g.dir)
			return nil, fmt.Errorf("cgroup v2: cpu.max: %w", err)
		}
		fd, err := syscall.Open(g.dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			removeCgroup(g.dir)
			return nil, fmt.Errorf("cgroup v2: open %s: %w", g.dir, err)
		}
		g.fd = fd
		return g, nil
	}
	for file, v := range map[string]int64{"cpu.cfs_period_us": period, "cpu.cfs_quota_us": quota} {
		if err := writeFile(g.dir+"/"+file, strconv.FormatInt(v, 10)); err != nil {
			removeCgroup(g.dir)
			return nil, fmt.Errorf("cgroup v1: %s: %w", file, err)
		}
	}
	return g, nil
}

func quotaMax(quota, period int64) string {
	if quota < 0 {
		return fmt.Sprintf("max %d", period)
	}
	return fmt.Sprintf("%d %d", quota, period)
}

// limit puts memory size mb's quota on a cgroup made free: the calibrated model's end of
// the init phase, when Lambda's published figures show the function's CPU share applying
// (init itself is nearly flat across memory sizes, so not throttled by it).
func (q *cpuQuotas) limit(g *cgroup, mb int) error {
	period, quota := q.Period.Microseconds(), q.Quota(mb).Microseconds()
	if q.Version == 2 {
		return writeFile(g.dir+"/cpu.max", quotaMax(quota, period))
	}
	return writeFile(g.dir+"/cpu.cfs_quota_us", strconv.FormatInt(quota, 10))
}

// remove adds a finished cgroup's counters to its memory size's and removes it.
func (q *cpuQuotas) remove(g *cgroup, mb int) {
	st := readThrottle(g.dir)
	q.mu.Lock()
	sum := q.stats[mb]
	sum.Periods += st.Periods
	sum.Throttled += st.Throttled
	sum.ThrottledTime += st.ThrottledTime
	q.stats[mb] = sum
	q.mu.Unlock()
	if g.fd >= 0 {
		syscall.Close(g.fd)
	}
	removeCgroup(g.dir)
}

// startFree starts cmd in a fresh cgroup with memory size mb's quota (as it is when
// there is no quota) and returns the moment just before the fork, where a cold start
// begins, and release, which the caller calls once the process has been waited for.
// When free, the process starts without a quota and throttle puts it on (the end of the
// init phase); throttle does nothing when not free or without cgroups.
func (q *cpuQuotas) startFree(cmd *exec.Cmd, mb int, free bool) (at time.Time, release, throttle func(), err error) {
	throttle = func() {}
	if q.Version == 0 {
		t := time.Now()
		return t, func() {}, throttle, cmd.Start()
	}
	g, err := q.child(mb, free)
	if err != nil {
		return time.Time{}, nil, nil, err
	}
	if free {
		throttle = func() { q.limit(g, mb) }
	}
	at, release, err = q.spawn(cmd, g, mb)
	return at, release, throttle, err
}

// spawn starts cmd inside cgroup g.
func (q *cpuQuotas) spawn(cmd *exec.Cmd, g *cgroup, mb int) (at time.Time, release func(), err error) {
	release = func() { q.remove(g, mb) }
	if q.Version == 2 {
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, g.fd
		t := time.Now()
		if err := cmd.Start(); err != nil {
			release()
			return t, nil, err
		}
		return t, release, nil
	}
	type started struct {
		at  time.Time
		err error
	}
	res := make(chan started, 1)
	go func() {
		// Never unlocked: a goroutine that exits locked to its thread takes the thread
		// with it, so nothing else ever runs on this thread. The thread also goes back to
		// the harness's cgroup first: the runtime cannot end the main thread (it parks it
		// instead), which would otherwise stay throttled and keep the cgroup busy.
		runtime.LockOSThread()
		tid := strconv.Itoa(syscall.Gettid())
		if err := writeFile(g.dir+"/tasks", tid); err != nil {
			res <- started{err: fmt.Errorf("cgroup v1: moving the spawning thread into %s: %w", g.dir, err)}
			return
		}
		t := time.Now()
		err := cmd.Start()
		writeFile(q.home+"/tasks", tid)
		res <- started{t, err}
	}()
	r := <-res
	if r.err != nil {
		release()
		return r.at, nil, r.err
	}
	return r.at, release, nil
}

// throttleStats are cpu.stat counters: periods with runnable tasks, periods in which the
// quota ran out, and the time spent throttled.
type throttleStats struct {
	Periods, Throttled int64
	ThrottledTime      time.Duration
}

// Stats are the counters summed over every process of memory size mb so far.
func (q *cpuQuotas) Stats(mb int) throttleStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stats[mb]
}

func readThrottle(dir string) throttleStats {
	f, err := os.Open(dir + "/cpu.stat")
	if err != nil {
		return throttleStats{}
	}
	defer f.Close()
	var s throttleStats
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "nr_periods":
			s.Periods = n
		case "nr_throttled":
			s.Throttled = n
		case "throttled_time": // v1, ns
			s.ThrottledTime = time.Duration(n)
		case "throttled_usec": // v2
			s.ThrottledTime = time.Duration(n) * time.Microsecond
		}
	}
	return s
}

// close removes the parent cgroup and any child left behind; every process started must
// have been released.
func (q *cpuQuotas) close() {
	if q.parent == "" {
		return
	}
	children, _ := filepath.Glob(filepath.Join(q.parent, "mem-*"))
	for _, c := range children {
		removeCgroup(c)
	}
	removeCgroup(q.parent)
}

// ownCgroup is this process's cgroup path in the v1 hierarchy of controller ("/" when
// it cannot be read).
func ownCgroup(controller string) string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "/"
	}
	for _, line := range strings.Split(string(b), "\n") {
		// hierarchy-ID:controller-list:path
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 && slices.Contains(strings.Split(f[1], ","), controller) {
			return f[2]
		}
	}
	return "/"
}

// removeCgroup retries briefly: a killed process leaves its cgroup a moment after wait.
func removeCgroup(dir string) {
	for i := 0; i < 50; i++ {
		if err := syscall.Rmdir(dir); err == nil || errors.Is(err, syscall.ENOENT) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cgroupMounts finds the cgroup v2 mount and the v1 hierarchy with the cpu controller.
func cgroupMounts() (v2, v1 string, err error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", "", fmt.Errorf("cgroups: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional…] - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, after := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(after) < 3 {
			continue
		}
		switch after[0] {
		case "cgroup2":
			v2 = fields[4]
		case "cgroup":
			if slices.Contains(strings.Split(after[2], ","), "cpu") {
				v1 = fields[4]
			}
		}
	}
	return v2, v1, sc.Err()
}

func hasWord(file, word string) bool {
	b, err := os.ReadFile(file)
	return err == nil && slices.Contains(strings.Fields(string(b)), word)
}

func writeFile(path, s string) error {
	return os.WriteFile(path, []byte(s), 0)
}

// onCPU is how long process pid has run on a CPU so far (all its threads), from
// /proc/<pid>/task/*/schedstat in nanoseconds; 0 when it cannot be read.
func onCPU(pid int) time.Duration {
	cpu, _ := schedstat(pid)
	return cpu
}

// schedstat is how long process pid has run on a CPU and waited on a run queue for one
// (runnable, but the machine's other work ran: on a shared machine this is not the
// function's waiting), all its threads summed.
func schedstat(pid int) (cpu, runDelay time.Duration) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, 0
	}
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 1 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			d, _ := strconv.ParseInt(f[1], 10, 64)
			cpu += time.Duration(n)
			runDelay += time.Duration(d)
		}
	}
	return cpu, runDelay
}

// sleepUntil sleeps until t with nanosleep(2): the runtime's timers on Linux wake up to a
// millisecond late, which would double an injected sub-millisecond delay.
func sleepUntil(t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
