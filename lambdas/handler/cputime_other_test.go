//go:build !linux

package handler_test

import "time"

// threadCPU is not measured outside Linux; the cpu-p99-ns metric is then omitted.
func threadCPU() time.Duration { return 0 }
