// Package servicetest holds what tests of the whole service share: a log buffer
// safe for the many goroutines that write to it.
package servicetest

import (
	"bytes"
	"sync"
)

// Buffer collects log output from many goroutines.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
