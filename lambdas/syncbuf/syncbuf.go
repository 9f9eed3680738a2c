// Package syncbuf is a buffer several goroutines may write and read at once: the log sink a
// test shares with the servers, handlers and child processes it runs (os/exec copies a
// child's output from a goroutine of its own), and the bench harness's capture of a
// child's stderr. bytes.Buffer is not safe for that; every package that needs it uses this.
package syncbuf

import (
	"bytes"
	"strings"
	"sync"
)

// Buffer is a bytes.Buffer behind a mutex. The zero value is empty and ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Lines is everything written so far as lines, without the last newline.
func (s *Buffer) Lines() []string {
	return strings.Split(strings.TrimSpace(s.String()), "\n")
}
