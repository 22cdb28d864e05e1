package fake

// Stats is a snapshot of the emulator's counters.
type Stats struct {
	RoomCalls     int
	CallsByID     map[string]int
	MaxInFlight   int
	InFlight      int
	TokenRequests int
	Cancelled     int               // room requests whose caller went away while held
	Traceparents  map[string]string // the W3C traceparent of the last call per room id
}

// Stats returns the counters since the start or the last ResetStats.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	by := make(map[string]int, len(s.callsByID))
	for k, v := range s.callsByID {
		by[k] = v
	}
	tp := make(map[string]string, len(s.traceparents))
	for k, v := range s.traceparents {
		tp[k] = v
	}
	return Stats{RoomCalls: s.roomCalls, CallsByID: by, MaxInFlight: s.maxInFlight, InFlight: s.inFlight,
		TokenRequests: s.tokenRequests, Cancelled: s.cancelled, Traceparents: tp}
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roomCalls, s.maxInFlight, s.tokenRequests, s.cancelled = 0, 0, 0, 0
	s.callsByID = make(map[string]int)
	s.traceparents = make(map[string]string)
}
