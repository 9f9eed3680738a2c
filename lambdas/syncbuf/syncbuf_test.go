package syncbuf

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// TestConcurrentWrites: lines written from many goroutines at once all arrive whole (run
// with -race to see why a bare bytes.Buffer would not do).
func TestConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				fmt.Fprintf(&b, "g%d line %d\n", g, i)
			}
		})
	}
	wg.Wait()
	lines := b.Lines()
	if len(lines) != 800 {
		t.Fatalf("lines: got %d, want 800", len(lines))
	}
	if !slices.Contains(lines, "g7 line 99") {
		t.Errorf("lines: got no %q among them, want every line whole", "g7 line 99")
	}
}
