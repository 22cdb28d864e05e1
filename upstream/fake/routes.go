package fake

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The routes the emulator serves are declared in each area's file (rooms.go,
// users.go, posts.go, loop_routes.go, content.go), as keys of Stats.Calls and arguments of SetRouteFault:
// the method and the documented path, with {name} for a path parameter.
const (
	// RouteNotFound counts, in Stats.Calls, the requests no route matched (they
	// get the gateway's 404 "Route not found").
	RouteNotFound = "not found"
)

// routeOf is one route as an area declares it: its pattern and its handler.
type routeOf struct {
	pattern string
	serve   apiHandler
}

// apiHandler answers one API call once the caller is authenticated. viewer is
// the signed-in user's id, or "" for a client-credentials token.
type apiHandler func(w http.ResponseWriter, r *http.Request, viewer string)

type route struct {
	pattern string
	method  string
	segs    []string // "" stands for a {parameter}
	params  []string // the parameter of each segment ("" for a literal)
	serve   apiHandler
}

// routeTable builds the route table. Go's ServeMux refuses patterns such as
// /rooms/group/{url} beside /rooms/{id}/members (neither is more specific), which
// the upstream serves side by side, so the emulator matches paths itself: at
// the first segment where two routes differ, a literal wins over a parameter.
func (s *Server) routeTable() []route {
	table := slices.Concat(s.roomRoutes(), s.userRoutes(), s.postRoutes(), s.loopRoutes(), s.contentRoutes())
	rs := make([]route, 0, len(table))
	for _, t := range table {
		method, path, _ := strings.Cut(t.pattern, " ")
		rt := route{pattern: t.pattern, method: method, serve: t.serve}
		for _, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
			if strings.HasPrefix(seg, "{") {
				rt.segs = append(rt.segs, "")
				rt.params = append(rt.params, strings.Trim(seg, "{}"))
			} else {
				rt.segs = append(rt.segs, seg)
				rt.params = append(rt.params, "")
			}
		}
		rs = append(rs, rt)
	}
	slices.SortStableFunc(rs, func(a, b route) int {
		for i := range min(len(a.segs), len(b.segs)) {
			if al, bl := a.segs[i] != "", b.segs[i] != ""; al != bl {
				if al {
					return -1
				}
				return 1
			}
		}
		return cmp.Compare(len(a.segs), len(b.segs))
	})
	return rs
}

// match finds the route of r and sets its path values.
func (s *Server) match(r *http.Request) (*route, bool) {
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
next:
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.method != r.Method || len(rt.segs) != len(segs) {
			continue
		}
		for j, seg := range rt.segs {
			if seg != "" && seg != segs[j] || seg == "" && segs[j] == "" {
				continue next
			}
		}
		for j, p := range rt.params {
			if p != "" {
				r.SetPathValue(p, segs[j])
			}
		}
		return rt, true
	}
	return nil, false
}

// serveAPI is every API call's way in: it counts the call, holds room lookups
// while HoldRooms is in force, waits the configured Latency, checks the two auth
// headers and the token's scope, applies the faults set for the call, runs the
// BeforeRoute function waiting for it, if any, and hands it to its handler.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Cookie") != "" {
		s.mu.Lock()
		s.withCookies++
		s.mu.Unlock()
	}
	rt, ok := s.match(r)
	if !ok {
		s.arrive(RouteNotFound, "", "")
		defer s.depart(false)
		writeEnvelope(w, http.StatusNotFound, "not_found", "Route not found")
		return
	}
	isRoom := rt.pattern == RouteRoom
	var roomID string
	if isRoom {
		roomID = r.PathValue("id")
	}
	h := s.arrive(rt.pattern, roomID, r.Header.Get("traceparent"))
	defer s.depart(isRoom)
	if h != nil {
		select {
		case <-h.release:
		case <-r.Context().Done():
			s.noteCancelled()
			return
		}
	}
	if !s.sleep(r.Context()) {
		return
	}
	viewer, ok := s.authenticate(w, r)
	if !ok || !s.scopeAllows(w, rt.pattern, r.Header.Get("x-auth-token")) {
		return
	}
	if isRoom && s.answerFault(w, r, s.faults, roomID) {
		return
	}
	if s.answerFault(w, r, s.routeFaults, rt.pattern) {
		return
	}
	if fn := s.takeBefore(rt.pattern); fn != nil {
		fn()
	}
	rt.serve(w, r, viewer)
}

// arrive counts a call; for a room lookup by id it also counts it by id, keeps
// its traceparent and returns the HoldRooms in force, if any.
func (s *Server) arrive(pattern, roomID, traceparent string) *hold {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiCalls++
	s.calls[pattern]++
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	if pattern != RouteRoom {
		return nil
	}
	s.roomCalls++
	s.callsByID[roomID]++
	if traceparent != "" {
		s.traceparents[roomID] = traceparent
	}
	s.roomsInFlight++
	h := s.hold
	if h != nil && !h.closed && s.roomsInFlight >= h.want {
		h.closed = true
		close(h.reached)
	}
	return h
}

func (s *Server) depart(room bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if room {
		s.roomsInFlight--
	}
}

// sleep waits the configured latency; false when the caller went away first.
func (s *Server) sleep(ctx context.Context) bool {
	latency := time.Duration(s.latency.Load())
	if latency <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(latency)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// authenticate checks x-client-id and x-auth-token as the gateway does.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (viewer string, ok bool) {
	if r.Header.Get("x-client-id") != s.opts.ClientID {
		writeEnvelope(w, http.StatusUnauthorized, "unauthorized", "Missing or invalid x-client-id")
		return "", false
	}
	token := r.Header.Get("x-auth-token")
	if token == "" {
		writeEnvelope(w, http.StatusUnauthorized, "unauthorized", "Missing x-auth-token")
		return "", false
	}
	viewer, ok = s.viewer(token)
	if !ok {
		writeEnvelope(w, http.StatusUnauthorized, "unauthorized", "Invalid or expired token")
		return "", false
	}
	return viewer, true
}

// signedIn answers 401 for a client-credentials token on a user-only call.
func signedIn(w http.ResponseWriter, viewer string) bool {
	if viewer == "" {
		writeEnvelope(w, http.StatusUnauthorized, "unauthorized", "User not authenticated")
		return false
	}
	return true
}
