package fake

import "maps"

// Stats is a snapshot of the emulator's counters.
type Stats struct {
	APICalls      int            // every API call, whatever its route or answer (token requests apart)
	Calls         map[string]int // API calls by route: Calls[RouteRoomMembers]; RouteNotFound for the rest
	RoomCalls     int            // room lookups by id (RouteRoom)
	CallsByID     map[string]int // room lookups by id, by id
	MaxInFlight   int            // the most API calls in flight at once
	InFlight      int            // API calls in flight now
	TokenRequests int
	Cancelled     int               // held room lookups and hanging calls whose caller went away
	Traceparents  map[string]string // the W3C traceparent of the last call per room id
	CodeExchanges int               // authorization_code grant requests
	Refreshes     int               // refresh_token grant requests
	RefreshReuses int               // spent refresh tokens presented again
	Revocations   int               // requests to the revocation endpoint
	WithCookies   int               // API calls that carried a Cookie header (a client must never forward one)
}

// Stats returns the counters since the start or the last ResetStats.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{APICalls: s.apiCalls, Calls: maps.Clone(s.calls), RoomCalls: s.roomCalls, CallsByID: maps.Clone(s.callsByID),
		MaxInFlight: s.maxInFlight, InFlight: s.inFlight, TokenRequests: s.tokenRequests, Cancelled: s.cancelled,
		Traceparents: maps.Clone(s.traceparents), CodeExchanges: s.oidc.codeExchanges, Refreshes: s.oidc.refreshes,
		RefreshReuses: s.oidc.refreshReuses, Revocations: s.oidc.revocations, WithCookies: s.withCookies}
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiCalls, s.roomCalls, s.maxInFlight, s.tokenRequests, s.cancelled, s.withCookies = 0, 0, 0, 0, 0, 0
	s.oidc.codeExchanges, s.oidc.refreshes, s.oidc.refreshReuses, s.oidc.revocations = 0, 0, 0, 0
	s.calls = make(map[string]int)
	s.callsByID = make(map[string]int)
	s.traceparents = make(map[string]string)
}
