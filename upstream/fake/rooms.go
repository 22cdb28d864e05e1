package fake

import (
	"encoding/json"
	"net/http"
	"time"
)

// The rooms endpoint: GET /quran-reflect/v1/rooms/{id}, as the docs describe it,
// with the fault knobs applied.

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
