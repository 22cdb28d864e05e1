// Package fake is an in-process emulator of the Quran Reflect room API and its
// OAuth2 token endpoint, built from the provider's documentation: both auth headers
// required, the gateway's error envelope, mutual followers only for signed-in users,
// privateToken only for a room's owner, and the documented oddities of
// the JSON (user dates without a zone, omitted defaults, unknown extra fields).
//
// The service's demo mode serves it, and the project's tests run against it. Tests
// also use its counters and its fault knobs (Fault, Tamper, HoldRooms), which the
// demo never touches. It is never used when real credentials are configured.
package fake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Options configures a Server. The zero value serves the demo client.
type Options struct {
	ClientID      string        // default DemoClientID
	ClientSecret  string        // default DemoClientSecret
	TokenLifetime time.Duration // expires_in of issued tokens; default one hour
	Latency       time.Duration // added to every room answer (demos and measurements)
	Rooms         int           // seed rooms 1 to Rooms (default, and at least, 20)
	Now           func() time.Time
}

// The demo client's credentials, accepted by a zero-Options Server.
const (
	DemoClientID     = "demo-client"
	DemoClientSecret = "demo-secret"
)

// Fault is a canned answer for one room id, to test how callers survive it.
type Fault struct {
	Status      int
	Body        string
	ContentType string
	RetryAfter  string
	Reset       bool // drop the connection without an answer
	Hang        bool // never answer; wait for the caller to give up
	Times       int  // answer this way the next Times requests only (0: always)
}

// Server is the emulator. It is an http.Handler; the zero value is not usable.
type Server struct {
	opts  Options
	mux   *http.ServeMux
	users map[string]*user
	rooms map[string]*room
	demo  map[string]string

	mu            sync.Mutex
	issued        map[string]time.Time // client-credentials token -> expiry
	tokenRequests int
	tokenFault    int
	tokenHold     chan struct{}
	cancelled     int
	cancelledCh   chan struct{}
	roomCalls     int
	callsByID     map[string]int
	traceparents  map[string]string
	inFlight      int
	maxInFlight   int
	faults        map[string]Fault
	tamper        map[string]func(map[string]any)
	hold          *hold
}

type hold struct {
	want    int
	reached chan struct{}
	release chan struct{}
	closed  bool
}

// New returns an emulator seeded with the demo data.
func New(opts Options) *Server {
	if opts.ClientID == "" {
		opts.ClientID = DemoClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DemoClientSecret
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:         opts,
		mux:          http.NewServeMux(),
		users:        demoUsers(),
		rooms:        demoRooms(max(opts.Rooms, 20)),
		demo:         DemoTokens(),
		issued:       make(map[string]time.Time),
		callsByID:    make(map[string]int),
		traceparents: make(map[string]string),
		faults:       make(map[string]Fault),
		tamper:       make(map[string]func(map[string]any)),
		// Buffered so that a handler never blocks on it; tests drain it.
		cancelledCh: make(chan struct{}, 4096),
	}
	s.mux.HandleFunc("POST /oauth2/token", s.handleToken)
	s.mux.HandleFunc("GET /quran-reflect/v1/rooms/{id}", s.handleRoom)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Route not found")
	})
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenRequests++
	fault, hold := s.tokenFault, s.tokenHold
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if fault != 0 {
		writeOAuthError(w, fault, "server_error", "The token endpoint is failing on purpose.")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id != s.opts.ClientID || secret != s.opts.ClientSecret {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Only client_credentials is supported here.")
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := "fake-cc-" + hex.EncodeToString(b[:])
	s.mu.Lock()
	s.issued[token] = s.opts.Now().Add(s.opts.TokenLifetime)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"token_type":   "bearer",
		"expires_in":   int(s.opts.TokenLifetime / time.Second),
		"scope":        r.PostForm.Get("scope"),
	})
}

func (s *Server) handleRoom(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	h := s.enter(id, r.Header.Get("traceparent"))
	defer s.leave()
	if h != nil {
		select {
		case <-h.release:
		case <-r.Context().Done():
			s.noteCancelled()
			return
		}
	}
	if s.opts.Latency > 0 {
		t := time.NewTimer(s.opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	if r.Header.Get("x-client-id") != s.opts.ClientID {
		writeEnvelope(w, http.StatusUnauthorized, "unauthorized", "Missing or invalid x-client-id")
		return
	}
	token := r.Header.Get("x-auth-token")
	if token == "" {
		writeEnvelope(w, http.StatusUnauthorized, "unauthorized", "Missing x-auth-token")
		return
	}
	viewer, ok := s.viewer(token)
	if !ok {
		writeEnvelope(w, http.StatusUnauthorized, "unauthorized", "Invalid or expired token")
		return
	}

	s.mu.Lock()
	fault, faulty := s.faults[id]
	if faulty && fault.Times > 0 {
		if fault.Times == 1 {
			delete(s.faults, id)
		} else {
			fault.Times--
			s.faults[id] = fault
		}
	}
	tamper := s.tamper[id]
	s.mu.Unlock()
	if faulty {
		switch {
		case fault.Reset:
			panic(http.ErrAbortHandler) // net/http drops the connection
		case fault.Hang:
			<-r.Context().Done()
			s.noteCancelled()
			return
		}
		if fault.ContentType != "" {
			w.Header().Set("Content-Type", fault.ContentType)
		}
		if fault.RetryAfter != "" {
			w.Header().Set("Retry-After", fault.RetryAfter)
		}
		w.WriteHeader(fault.Status)
		_, _ = w.Write([]byte(fault.Body))
		return
	}

	rm, ok := s.rooms[id]
	if !ok {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Room not found")
		return
	}
	body := s.roomJSON(rm, viewer)
	if tamper != nil {
		tamper(body)
	}
	writeJSON(w, http.StatusOK, body)
}

// viewer returns the user id behind token: "" for a client-credentials token.
func (s *Server) viewer(token string) (string, bool) {
	if uid, ok := s.demo[token]; ok {
		return uid, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.issued[token]
	if !ok || !s.opts.Now().Before(exp) {
		return "", false
	}
	return "", true
}

func (s *Server) roomJSON(rm *room, viewer string) map[string]any {
	isOwner := viewer != "" && viewer == rm.owner
	isAdmin := viewer != "" && contains(rm.admins, viewer)
	m := map[string]any{
		"id":           json.Number(rm.id),
		"name":         rm.name,
		"description":  rm.description,
		"roomType":     rm.roomType,
		"isActive":     true,
		"isVerified":   rm.verified,
		"isPublic":     rm.public,
		"isOwner":      isOwner,
		"isAdmin":      isAdmin,
		"ownerId":      rm.owner,
		"postsCount":   rm.posts,
		"membersCount": len(rm.members),
		"createdAt":    rm.createdAt,
		"avatarUrls": map[string]any{
			"thumb":    "https://images.example.org/rooms/" + rm.id + "/thumb.png",
			"original": "https://images.example.org/rooms/" + rm.id + "/original.png",
		},
	}
	if rm.hideButton != nil {
		m["hideFollowJoinButton"] = *rm.hideButton
	}
	if rm.roomType == "page" {
		m["subdomain"] = rm.slug
	} else {
		m["url"] = rm.slug
	}
	if rm.country != "" {
		m["country"] = rm.country
	}
	if isOwner {
		m["privateToken"] = rm.private
	}
	if viewer != "" {
		m["isMember"] = contains(rm.members, viewer)
		followers := []any{}
		for _, uid := range rm.members {
			if uid != viewer && contains(s.users[viewer].follows, uid) {
				followers = append(followers, s.userJSON(s.users[uid]))
			}
		}
		m["mutualFollowers"] = followers
		m["mutualFollowersCount"] = len(followers)
	}
	return m
}

func (s *Server) userJSON(u *user) map[string]any {
	m := map[string]any{
		"id":          u.id,
		"createdAt":   u.createdAt,
		"joiningYear": u.joined,
		"username":    u.username,
		"firstName":   u.firstName,
		"followed":    true,
		"avatarUrls": map[string]any{
			"small":  "https://images.example.org/users/" + u.username + "/s.png",
			"medium": "https://images.example.org/users/" + u.username + "/m.png",
			"large":  "https://images.example.org/users/" + u.username + "/l.png",
		},
		// Undocumented extras the real API sends; clients must ignore them.
		"isPasswordSet": true,
		"memberType":    "MEMBER",
	}
	if u.lastName != "" {
		m["lastName"] = u.lastName
	}
	if u.bio != "" {
		m["bio"] = u.bio
	}
	if u.country != "" {
		m["country"] = u.country
	}
	if u.verified != nil {
		m["verified"] = *u.verified
	}
	if u.postsCnt != nil {
		m["postsCount"] = *u.postsCnt
		m["followersCount"] = *u.postsCnt * 2
		m["likesCount"] = *u.postsCnt * 5
		m["isAdmin"] = false
		m["postAs"] = false
	}
	if u.langIso != "" {
		m["languageIsoCode"] = u.langIso
		m["languageId"] = map[string]int{"en": 9, "ar": 2, "ur": 174, "tr": 167}[u.langIso]
		m["settings"] = map[string]any{
			"ayahLanguages":                []int{9},
			"reflectionLanguages":          []int{9, 2},
			"customized":                   true,
			"hideFollowSuggestion":         false,
			"showFollowFeaturedSuggestion": true,
		}
	}
	return m
}

func (s *Server) enter(id, traceparent string) *hold {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roomCalls++
	s.callsByID[id]++
	if traceparent != "" {
		s.traceparents[id] = traceparent
	}
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	h := s.hold
	if h != nil && !h.closed && s.inFlight >= h.want {
		h.closed = true
		close(h.reached)
	}
	return h
}

func (s *Server) leave() {
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
}

func (s *Server) noteCancelled() {
	s.mu.Lock()
	s.cancelled++
	s.mu.Unlock()
	select {
	case s.cancelledCh <- struct{}{}:
	default:
	}
}

// Cancelled receives once for each held or hanging room request whose caller
// went away: tests wait on it to see cancellation reach the upstream.
func (s *Server) Cancelled() <-chan struct{} { return s.cancelledCh }

// HoldRooms makes room requests wait until release is called. reached is closed
// once want requests are waiting at the same time: a test of concurrency that
// needs no clock.
func (s *Server) HoldRooms(want int) (reached <-chan struct{}, release func()) {
	h := &hold{want: want, reached: make(chan struct{}), release: make(chan struct{})}
	s.mu.Lock()
	s.hold = h
	s.mu.Unlock()
	var once sync.Once
	return h.reached, func() {
		once.Do(func() {
			s.mu.Lock()
			s.hold = nil
			s.mu.Unlock()
			close(h.release)
		})
	}
}

// SetFault makes requests for room id answer with f.
func (s *Server) SetFault(id string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[id] = f
}

// Tamper lets fn edit the JSON object of room id before it is sent.
func (s *Server) Tamper(id string, fn func(room map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tamper[id] = fn
}

// FailTokens makes the token endpoint answer with status (0 restores it).
func (s *Server) FailTokens(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenFault = status
}

// HoldTokens makes the token endpoint wait until release is called: a slow
// token endpoint.
func (s *Server) HoldTokens() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.tokenHold = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.tokenHold = nil
			s.mu.Unlock()
			close(ch)
		})
	}
}

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

func writeEnvelope(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "type": typ, "success": false})
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
