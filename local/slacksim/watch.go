package slacksim

// Watching for changes, for a client that shows Slack's side live (the dev server's
// channel page): it takes the channel returned here, reads what it needs (Messages,
// Views), then waits for the channel to close, so that no change between the read and
// the wait is missed.

// Changed returns a channel that is closed at the next message posted or updated, or
// view opened.
func (s *WebAPI) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	return s.notify
}

// Changed returns a channel that is closed at the next answer accepted on any
// response_url.
func (s *ResponseURLs) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.issued == nil {
		s.issued, s.notify = map[string]*responseURL{}, make(chan struct{})
	}
	return s.notify
}
