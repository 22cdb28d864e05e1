package fake

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
)

// Finding people and tags: the user search (for mentions and invitations),
// the tags and the trending hashtags.

// handleSearchUsers finds users whose username, first or last name (or both
// names) contain the query, ignoring case, in the users' fixed order. As
// documented, only the users the viewer follows unless all=true; a
// client-credentials token, which follows nobody, searches everyone. With a
// roomId, each result says whether it is a member of that room.
func (s *Server) handleSearchUsers(w http.ResponseWriter, r *http.Request, viewer string) {
	q := newQuery(r)
	p := q.page(10, maxUndocumented)
	all := q.bool("all", false)
	text := strings.ToLower(strings.TrimSpace(q.text("query")))
	roomID := q.text("roomId")
	if roomID != "" {
		if !isDecimalID(roomID) {
			q.fail("roomId", "INVALID")
		}
	}
	if !q.ok(w) {
		return
	}
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	var follows []string
	if viewer != "" {
		follows = s.db.users[viewer].follows
	}
	var found []*user
	for _, u := range s.db.userList {
		if !all && viewer != "" && !contains(follows, u.id) {
			continue
		}
		names := []string{u.username, u.firstName, u.lastName, u.firstName + " " + u.lastName}
		if slices.ContainsFunc(names, func(n string) bool { return strings.Contains(strings.ToLower(n), text) }) {
			found = append(found, u)
		}
	}
	rm := s.db.rooms[roomID]
	writeJSON(w, http.StatusOK, pageBody(p, "data", found, func(u *user) any {
		followed := contains(follows, u.id)
		m := map[string]any{
			"id":             u.id,
			"username":       u.username,
			"firstName":      u.firstName,
			"verified":       u.verified != nil && *u.verified,
			"avatarUrls":     userAvatars(u),
			"followersCount": len(s.db.followers(u)),
			"isFollowed":     followed,
			"followed":       followed,
		}
		if u.lastName != "" {
			m["lastName"] = u.lastName
		}
		if u.bio != "" {
			m["bio"] = u.bio
		}
		if roomID != "" {
			m["isMember"] = rm != nil && contains(rm.members, u.id)
		}
		return m
	}))
}

// isDecimalID reports whether s is a positive decimal id.
func isDecimalID(s string) bool {
	s = strings.TrimLeft(s, "0")
	return s != "" && len(s) <= 20 && strings.Trim(s, "0123456789") == ""
}

// handleTags finds the tags whose name contains the query, ignoring case, by
// id. The spec names a bare array of {id, name, language}, which is the
// answer, a page of it; Options.TagsAsPage wraps it in the page envelope.
func (s *Server) handleTags(w http.ResponseWriter, r *http.Request, _ string) {
	q := newQuery(r)
	p := q.page(10, maxUndocumented)
	text := strings.ToLower(strings.TrimSpace(q.text("query")))
	if !q.ok(w) {
		return
	}
	var found []tag
	for _, t := range allTags() {
		if strings.Contains(strings.ToLower(t.name), text) {
			found = append(found, t)
		}
	}
	body := pageBody(p, "data", found, func(t tag) any { return map[string]any{"id": t.id, "name": t.name, "language": t.lang} })
	if s.opts.TagsAsPage {
		writeJSON(w, http.StatusOK, body)
		return
	}
	writeJSON(w, http.StatusOK, body["data"])
}

// handleTrendingHashtags answers the tags of the most posts (of those anyone
// may see), the most used first: {data: [{name}]}. limit is required.
func (s *Server) handleTrendingHashtags(w http.ResponseWriter, r *http.Request, _ string) {
	q := newQuery(r)
	q.required("limit")
	limit := q.int("limit", 0, 1, 0)
	if !q.ok(w) {
		return
	}
	uses := map[tag]int{}
	s.dbMu.RLock()
	for _, p := range s.db.postList {
		if inFeed(p, "") {
			for _, t := range p.tags {
				uses[t]++
			}
		}
	}
	s.dbMu.RUnlock()
	ranked := make([]tag, 0, len(uses))
	for t := range uses {
		ranked = append(ranked, t)
	}
	slices.SortFunc(ranked, func(a, b tag) int { return cmp.Or(uses[b]-uses[a], a.id-b.id) })
	data := []any{}
	for _, t := range ranked[:min(limit, len(ranked))] {
		data = append(data, map[string]any{"name": t.name})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}
