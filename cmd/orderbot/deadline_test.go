package main

import "testing"

func TestDevClockSpeedFlag(t *testing.T) {
	f, err := parseDevFlags([]string{"--clock-speed", "60"})
	if err != nil || f.clockSpeed != 60 {
		t.Fatalf("--clock-speed 60: got %v, %v; want 60", f.clockSpeed, err)
	}
	if f, _ := parseDevFlags(nil); f.clockSpeed != 1 {
		t.Fatalf("default clock speed: got %v, want 1 (real time)", f.clockSpeed)
	}
	if _, err := parseDevFlags([]string{"--clock-speed", "0.5"}); err == nil {
		t.Fatal("--clock-speed 0.5: got nil, want a usage error (schedules never come due later than real time)")
	}
	if s := devScheduler(60); s.Speed != 60 || s.Fired == nil {
		t.Fatalf("devScheduler(60): got speed %v, want 60 and a printer of firings", s.Speed)
	}
}
