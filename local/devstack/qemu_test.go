package devstack_test

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/local/devstack"
)

// emulatorOrSkip is qemu-user's aarch64 emulator: without it the test skips on a
// developer's machine and fails under CI, which installs qemu-user (.ci/run).
func emulatorOrSkip(t *testing.T) string {
	t.Helper()
	emu, ok := devstack.Emulator("arm64")
	if ok {
		return emu
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no qemu-aarch64 on PATH: CI must run the template's arm64 asset as is; .ci/run installs Debian's qemu-user")
	}
	t.Skip("no qemu-aarch64 on PATH: apt-get install qemu-user to run the arm64 asset as deployed")
	return ""
}

// TestArm64AssetUnderQemu: on a host that is not arm64, with qemu-user installed, the
// stack runs the bootstrap cdk synth put in the cloud assembly for provided.al2023/arm64
// — that very file, not a host build — under qemu-aarch64, and it answers a command.
// The process table, not the stack's own word, says what ran: a live process whose
// command line is the emulator and the asset, an ELF for AArch64.
func TestArm64AssetUnderQemu(t *testing.T) {
	emu := emulatorOrSkip(t)
	r := startAsIs(t, nil, devstack.Options{})
	fn := r.st.Stack.FunctionNamed("Orderbot-order-update")
	asset, err := filepath.Abs(filepath.Join(fn.AssetDir, fn.Handler))
	if err != nil {
		t.Fatal(err)
	}
	if f, err := elf.Open(asset); err != nil || f.Machine != elf.EM_AARCH64 {
		t.Fatalf("asset %s: got %v (error %v), want an ELF for AArch64", asset, f, err)
	}
	if how := r.st.Code[fn.Name]; fn.Arch != "arm64" || !strings.Contains(how, "under qemu-aarch64") {
		t.Fatalf("%s (%s): the stack says it runs %q, want the asset under qemu-aarch64", fn.Name, fn.Arch, how)
	}
	if reply := command(t, r, "/order-update", "iced americano"); reply.Status != 200 || !strings.Contains(text(reply), "iced americano") {
		t.Fatalf("/order-update: got %d %s, want 200 with the order", reply.Status, text(reply))
	}
	if got := emulated(t, emu, asset); got != 1 {
		t.Errorf("processes running %s %s: got %d, want 1 (order-update's one environment, idle after the request)", emu, asset, got)
	}
	if m := regexp.MustCompile(`"initDurationMs":([0-9.]+)`).FindStringSubmatch(r.log.String()); m != nil {
		t.Logf("cold start under %s: Init Duration %s ms", filepath.Base(emu), m[1])
	}
}

// emulated is how many processes run exe with the single argument arg (from /proc).
func emulated(t *testing.T, exe, arg string) int {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	want := []byte(exe + "\x00" + arg + "\x00")
	n := 0
	for _, d := range dirs {
		if cmdline, err := os.ReadFile(filepath.Join(d, "cmdline")); err == nil && bytes.Equal(cmdline, want) {
			n++
		}
	}
	return n
}
