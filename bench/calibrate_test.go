package bench

import (
	"math"
	"testing"
	"time"
)

// TestFitModel gives the fit hello functions whose published Init Duration is exactly
// 30 ms + 2 × their init CPU here, and wants those constants back, every ratio within
// tolerance, and a modelled cold start of platform + scaled CPU + waiting + invocation.
func TestFitModel(t *testing.T) {
	var rep LambdaReport
	for _, p := range PublishedInit {
		for _, mb := range CalibrationSizes {
			pub, ok := p.InitMs[mb]
			if !ok {
				continue
			}
			cpu := time.Duration((pub - 30) / 2 * 1e6)
			c := &LambdaContender{Kind: p.Kind, MemoryMB: mb}
			for range 3 {
				// 1 ms waited on the run queue is the machine's, not the function's: left out.
				c.Samples = append(c.Samples, lambdaSample{init: cpu + time.Millisecond, initCPU: cpu, initDelay: time.Millisecond})
			}
			rep.Contenders = append(rep.Contenders, c)
		}
	}
	rep.applyModel()
	if rep.Model == nil {
		t.Fatal("fit: got no model, want one")
	}
	if got := rep.Model.Platform; got < 29900*time.Microsecond || got > 30100*time.Microsecond {
		t.Errorf("platform: got %v, want 30ms", got)
	}
	if got := rep.Model.Speed; math.Abs(got-2) > 0.01 {
		t.Errorf("speed: got %.3f, want 2", got)
	}
	checks := rep.calibrationChecks()
	if len(checks) != 7 {
		t.Fatalf("checks: got %d, want 7 (two ratios to Go at two sizes, three flatness)", len(checks))
	}
	for _, c := range checks {
		if !c.Within() || math.Abs(c.Modelled/c.Published-1) > 0.01 {
			t.Errorf("%s: got %.3f, want the published %.3f", c.What, c.Modelled, c.Published)
		}
	}
	s := lambdaSample{init: 15 * time.Millisecond, initCPU: 10 * time.Millisecond, initDelay: 2 * time.Millisecond, handler: 4 * time.Millisecond}
	if got, want := rep.Model.modelled(s), 30*time.Millisecond+20*time.Millisecond+3*time.Millisecond+4*time.Millisecond; absDur(got-want) > 100*time.Microsecond {
		t.Errorf("modelled cold: got %v, want %v (platform + 2 × CPU + waiting + invocation)", got, want)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
