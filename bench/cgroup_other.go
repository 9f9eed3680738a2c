//go:build !linux

package bench

import (
	"os/exec"
	"time"
)

// cpuQuotas without Linux cgroups: processes run without a CPU quota and Reason says so.
type cpuQuotas struct {
	Version int
	Period  time.Duration
	Reason  string
	// WholePeriod is unused without cgroups.
	WholePeriod time.Duration
}

type throttleStats struct {
	Periods, Throttled int64
	ThrottledTime      time.Duration
}

func newCPUQuotas(period time.Duration) *cpuQuotas {
	return &cpuQuotas{Period: period, Reason: "not Linux (CPU quotas need cgroups)"}
}

func (q *cpuQuotas) Quota(int) time.Duration { return 0 }

func (q *cpuQuotas) startFree(cmd *exec.Cmd, _ int, _ bool) (time.Time, func(), func(), error) {
	t := time.Now()
	return t, func() {}, func() {}, cmd.Start()
}

func (q *cpuQuotas) Stats(int) throttleStats { return throttleStats{} }

func (q *cpuQuotas) close() {}

func onCPU(int) time.Duration { return 0 }

func schedstat(int) (time.Duration, time.Duration) { return 0, 0 }

func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }
