package wire

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
)

// TestStartRefusesUnknownFunction runs Start in a child process (this test binary again):
// a bootstrap told to be a function the route table does not have must fail its cold
// start with a clear log line, never serve.
func TestStartRefusesUnknownFunction(t *testing.T) {
	if os.Getenv("WIRE_START_CHILD") == "1" {
		Start()
		return
	}
	for _, name := range []string{"", "order-lists"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStartRefusesUnknownFunction$")
		cmd.Env = append(os.Environ(), "WIRE_START_CHILD=1", api.EnvFunction+"="+name)
		out, err := cmd.CombinedOutput()
		exit, ok := err.(*exec.ExitError)
		if !ok || exit.ExitCode() != 1 {
			t.Fatalf("%s=%q: got exit %v, want exit status 1\n%s", api.EnvFunction, name, err, out)
		}
		if want := "names no function of the route table"; !strings.Contains(string(out), want) {
			t.Errorf("%s=%q: got output %q, want it to say %q", api.EnvFunction, name, out, want)
		}
	}
}
