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
}

// TestNoInProcessFlag: there is one way to run the stack locally, the template's; the
// route-table mode's flag is gone.
func TestNoInProcessFlag(t *testing.T) {
	if _, err := parseDevFlags([]string{"--in-process"}); err == nil {
		t.Fatal("--in-process: got nil, want a usage error (the flag was retired)")
	}
}
