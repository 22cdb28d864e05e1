package fake

import "net/http"

// Room members: GET /v1/rooms/{id}/members, in the order they joined (the owner
// first). A page's members are its followers.

func (s *Server) handleMembers(w http.ResponseWriter, r *http.Request, viewer string) {
	q := newQuery(r)
	p := q.page(10, maxUndocumented)
	if !q.ok(w) {
		return
	}
	s.dbMu.RLock()
	rm := s.db.rooms[r.PathValue("id")]
	var body map[string]any
	if rm != nil {
		body = pageBody(p, "data", rm.members, func(id string) any { return s.memberJSON(rm, s.db.users[id], viewer) })
	}
	s.dbMu.RUnlock()
	if rm == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Room not found")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// memberJSON is a MemberSerializedDto: every field is required, so a missing
// last name is sent empty. The caller holds dbMu.
func (s *Server) memberJSON(rm *room, u *user, viewer string) map[string]any {
	return map[string]any{
		"id":             u.id,
		"username":       u.username,
		"firstName":      u.firstName,
		"lastName":       u.lastName,
		"verified":       u.verified != nil && *u.verified,
		"avatarUrls":     userAvatars(u),
		"isAdmin":        contains(rm.admins, u.id),
		"isOwner":        rm.owner == u.id,
		"isFollowed":     viewer != "" && viewer != u.id && contains(s.db.users[viewer].follows, u.id),
		"isActive":       true,
		"followersCount": len(s.db.followers(u)),
	}
}
