package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDevLostAck runs `orderbot dev --store-lost-acks 1`: it says the faults are active,
// the first order's write commits although its response is lost, and it is stored once.
func TestDevLostAck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildOrderbot(t)
	p := startDev(t, bin, nil, "--db", filepath.Join(t.TempDir(), "orders.db"), "--store-lost-acks", "1")
	if out := p.stderr.String(); !strings.Contains(out, "store faults active: every DynamoDB call waits 0s; the next 1 writes commit but lose their response") {
		t.Errorf("startup output: got\n%s\nwant a line saying the store faults are active", out)
	}
	// The DynamoDB connection closes after the write commits, and the function's AWS SDK
	// retries it ("The SDK will now retry all connections error", aws-sdk-go-v2 CHANGELOG,
	// "Update SDK retry behavior"): the retried conditional write finds its own record
	// (logged as outcome replayed), so the answer comes at once, and there is one order.
	s := newSender(t, bin, p)
	s.want([]string{"--user", "U1", "/order-update", "flat white"}, "Your order: *flat white* — 1 order in this round.")
	s.want([]string{"/order-list"}, "*1× flat white* — <@U1>")
	if !strings.Contains(p.stderr.String(), `"outcome":"replayed"`) {
		t.Errorf("function log: got\n%s\nwant order-update's write retried and recognized (outcome replayed)", p.stderr.String())
	}
	p.stop(t)
}
